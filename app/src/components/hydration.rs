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
        ssr::StreamBuilder,
        view::{add_attr::AddAnyAttr, any_view::AnyViewState, Position, PositionState},
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

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use leptos::prelude::*;

    use super::hydrate_later;

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
}
