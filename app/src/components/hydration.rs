//! Hydration in slices. Leptos hydrates a whole page as one chain of microtasks, which the
//! browser sees as one long task: nothing else runs (input, paint) until every part of the
//! page has taken over, and on a phone that is hundreds of milliseconds (Lighthouse's "total
//! blocking time"). [`hydrate_later`] wraps part of a page so that, on the first load only, the
//! browser gets a turn before that part hydrates. The HTML is the same, a client-side render
//! is not delayed, and the router already hydrates asynchronously (a lazy route waits for its
//! chunk), so a pause between parts is a state leptos expects.
use leptos::{
    prelude::*,
    tachys::{
        html::attribute::{any_attribute::AnyAttribute, Attribute},
        hydration::Cursor,
        renderer::{CastFrom, Rndr},
        ssr::StreamBuilder,
        view::{add_attr::AddAnyAttr, any_view::AnyViewState, Mountable, Position, PositionState},
    },
};

/// `view`, hydrated after the browser has had a turn (see the module's documentation).
pub fn hydrate_later(view: impl IntoView + 'static) -> HydrateLater {
    HydrateLater(view.into_any())
}

/// A view whose hydration waits for the browser to run other tasks first.
pub struct HydrateLater(AnyView);

/// Lets the browser run what is waiting (input, paint, other tasks) before going on:
/// `scheduler.yield()` where the browser has it (the rest of the work keeps its priority),
/// otherwise a zero-delay timer.
#[cfg(feature = "hydrate")]
async fn yield_to_browser() {
    use wasm_bindgen::{JsCast, JsValue};
    let global = js_sys::global();
    let scheduler = js_sys::Reflect::get(&global, &JsValue::from_str("scheduler"))
        .ok()
        .filter(JsValue::is_object);
    let yielded = scheduler.and_then(|scheduler| {
        let method = js_sys::Reflect::get(&scheduler, &JsValue::from_str("yield")).ok()?;
        let method = method.dyn_into::<js_sys::Function>().ok()?;
        method
            .call0(&scheduler)
            .ok()?
            .dyn_into::<js_sys::Promise>()
            .ok()
    });
    let promise = yielded.unwrap_or_else(|| {
        js_sys::Promise::new(&mut |resolve, _| {
            if let Some(window) = web_sys::window() {
                let _ = window.set_timeout_with_callback(&resolve);
            } else {
                let _ = resolve.call0(&JsValue::NULL);
            }
        })
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

impl Render for HydrateLater {
    type State = AnyViewState;

    fn build(self) -> Self::State {
        self.0.build()
    }

    fn rebuild(self, state: &mut Self::State) {
        self.0.rebuild(state);
    }
}

impl AddAnyAttr for HydrateLater {
    type Output<SomeNewAttr: Attribute> = HydrateLater;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        HydrateLater(self.0.add_any_attr(attr).into_any())
    }
}

impl RenderHtml for HydrateLater {
    type AsyncOutput = HydrateLater;
    type Owned = HydrateLater;

    const MIN_LENGTH: usize = 0;

    fn dry_resolve(&mut self) {
        self.0.dry_resolve();
    }

    async fn resolve(self) -> Self::AsyncOutput {
        HydrateLater(self.0.resolve().await)
    }

    fn html_len(&self) -> usize {
        self.0.html_len()
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0
            .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs);
    }

    fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
        self,
        buf: &mut StreamBuilder,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) where
        Self: Sized,
    {
        self.0.to_html_async_with_buf::<OUT_OF_ORDER>(
            buf,
            position,
            escape,
            mark_branches,
            extra_attrs,
        );
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        self.0.hydrate::<FROM_SERVER>(cursor, position)
    }

    async fn hydrate_async(self, cursor: &Cursor, position: &PositionState) -> Self::State {
        #[cfg(feature = "hydrate")]
        yield_to_browser().await;
        self.0.hydrate_async(cursor, position).await
    }

    fn into_owned(self) -> Self::Owned {
        self
    }
}

/// `view`, taken over as the server rendered it on the first load instead of hydrated: the
/// cursor steps over its element without visiting what is inside, so none of its nodes, effects
/// or first calls of WASM functions cost the browser anything. Later renders (a client-side
/// navigation that changes the data) build it as usual and put it in place of the server's
/// element. Only for a view that is one element whose contents need no JavaScript: links,
/// pictures and text, no event handlers, no signals (`<A>` links still navigate in place: the
/// router listens for clicks on the whole document).
pub fn skip_hydration(view: impl IntoView + 'static) -> SkipHydration {
    SkipHydration(view.into_any())
}

/// A view that the first load keeps as the server's HTML (see [`skip_hydration`]).
pub struct SkipHydration(AnyView);

/// The server's element as it came (until a later render replaces it), or a view built on
/// the client.
pub enum SkipHydrationState {
    Server(leptos::tachys::renderer::types::Element),
    Built(AnyViewState),
}

impl Mountable for SkipHydrationState {
    fn unmount(&mut self) {
        match self {
            Self::Server(el) => Rndr::remove(el.as_ref()),
            Self::Built(state) => state.unmount(),
        }
    }

    fn mount(
        &mut self,
        parent: &leptos::tachys::renderer::types::Element,
        marker: Option<&leptos::tachys::renderer::types::Node>,
    ) {
        match self {
            Self::Server(el) => Rndr::insert_node(parent, el.as_ref(), marker),
            Self::Built(state) => state.mount(parent, marker),
        }
    }

    fn insert_before_this(&self, child: &mut dyn Mountable) -> bool {
        match self {
            Self::Server(el) => match Rndr::get_parent(el.as_ref())
                .and_then(leptos::tachys::renderer::types::Element::cast_from)
            {
                Some(parent) => {
                    child.mount(&parent, Some(el.as_ref()));
                    true
                }
                None => false,
            },
            Self::Built(state) => state.insert_before_this(child),
        }
    }

    fn elements(&self) -> Vec<leptos::tachys::renderer::types::Element> {
        match self {
            Self::Server(el) => vec![el.clone()],
            Self::Built(state) => state.elements(),
        }
    }
}

impl Render for SkipHydration {
    type State = SkipHydrationState;

    fn build(self) -> Self::State {
        SkipHydrationState::Built(self.0.build())
    }

    fn rebuild(self, state: &mut Self::State) {
        match state {
            SkipHydrationState::Built(built) => self.0.rebuild(built),
            SkipHydrationState::Server(_) => {
                let mut built = self.0.build();
                state.insert_before_this(&mut built);
                state.unmount();
                *state = SkipHydrationState::Built(built);
            }
        }
    }
}

impl AddAnyAttr for SkipHydration {
    type Output<SomeNewAttr: Attribute> = SkipHydration;

    fn add_any_attr<NewAttr: Attribute>(self, attr: NewAttr) -> Self::Output<NewAttr>
    where
        Self::Output<NewAttr>: RenderHtml,
    {
        SkipHydration(self.0.add_any_attr(attr).into_any())
    }
}

impl SkipHydration {
    /// Steps onto the server's element where the view would begin, and past it.
    fn take_server_element(cursor: &Cursor, position: &PositionState) -> SkipHydrationState {
        match position.get() {
            Position::FirstChild => cursor.child(),
            Position::Current => {}
            _ => cursor.sibling(),
        }
        let node = cursor.current();
        position.set(Position::NextChild);
        match leptos::tachys::renderer::types::Element::cast_from(node) {
            Some(el) => SkipHydrationState::Server(el),
            // Not the one element this wrapper is for: a bug in the page, not the user's.
            None => panic!("skip_hydration wraps a view that is not one element"),
        }
    }
}

impl RenderHtml for SkipHydration {
    type AsyncOutput = SkipHydration;
    type Owned = SkipHydration;

    const MIN_LENGTH: usize = 0;

    fn dry_resolve(&mut self) {
        self.0.dry_resolve();
    }

    async fn resolve(self) -> Self::AsyncOutput {
        SkipHydration(self.0.resolve().await)
    }

    fn html_len(&self) -> usize {
        self.0.html_len()
    }

    fn to_html_with_buf(
        self,
        buf: &mut String,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) {
        self.0
            .to_html_with_buf(buf, position, escape, mark_branches, extra_attrs);
    }

    fn to_html_async_with_buf<const OUT_OF_ORDER: bool>(
        self,
        buf: &mut StreamBuilder,
        position: &mut Position,
        escape: bool,
        mark_branches: bool,
        extra_attrs: Vec<AnyAttribute>,
    ) where
        Self: Sized,
    {
        self.0.to_html_async_with_buf::<OUT_OF_ORDER>(
            buf,
            position,
            escape,
            mark_branches,
            extra_attrs,
        );
    }

    fn hydrate<const FROM_SERVER: bool>(
        self,
        cursor: &Cursor,
        position: &PositionState,
    ) -> Self::State {
        Self::take_server_element(cursor, position)
    }

    async fn hydrate_async(self, cursor: &Cursor, position: &PositionState) -> Self::State {
        Self::take_server_element(cursor, position)
    }

    fn into_owned(self) -> Self::Owned {
        self
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use leptos::prelude::*;

    use super::{hydrate_later, skip_hydration};

    /// The wrapper only changes when hydration happens: the server writes the same HTML, with
    /// the same hydration markers, as for the view on its own.
    #[test]
    fn renders_the_same_html_as_the_view_it_wraps() {
        let owner = Owner::new();
        owner.set();
        let page = || {
            view! {
                <section id="reviews">
                    <h2>"Ulasan"</h2>
                    {move || Some(view! { <p class="review">"Bagus"</p> })}
                </section>
            }
        };
        let plain = page().into_any().to_html();
        let sliced = hydrate_later(page()).to_html();
        assert!(plain.contains(r#"<p class="review">Bagus</p>"#), "{plain}");
        assert_eq!(sliced, plain);
    }

    /// The server writes the view's HTML unchanged; only the browser's first load differs.
    #[test]
    fn skipping_hydration_keeps_the_server_html() {
        let owner = Owner::new();
        owner.set();
        let grid = || {
            view! {
                <ul id="product-grid">
                    {["Kaos", "Kemeja"].map(|name| view! { <li><a href="/p/x">{name}</a></li> })}
                </ul>
            }
        };
        let plain = grid().into_any().to_html();
        let skipped = skip_hydration(grid()).to_html();
        assert!(
            plain.contains("<li><a href=\"/p/x\">Kemeja</a></li>"),
            "{plain}"
        );
        assert_eq!(skipped, plain);
    }
}
