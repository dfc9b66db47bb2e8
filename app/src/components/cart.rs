//! The cart every component shares (header badge, drawer, cart page, product page): one
//! resource from the server plus the latest answer of any cart action, with the pending
//! action's input shown optimistically and dropped (rolled back) if the server refuses.
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    api::{AddToCart, RemoveFromCart, SetCartQuantity},
    components::{
        auth::use_auth,
        toast::{use_toasts, ToastKind},
    },
    error::AppError,
    model::{CartLine, CartNotice, CartView},
};

#[derive(Clone, Copy)]
pub struct Cart {
    resource: Resource<Result<CartView, AppError>>,
    /// The latest cart an action returned (newer than the resource until it refetches).
    latest: RwSignal<Option<CartView>>,
    pub add: ServerAction<AddToCart>,
    pub set_quantity: ServerAction<SetCartQuantity>,
    pub remove: ServerAction<RemoveFromCart>,
    pub drawer_open: RwSignal<bool>,
}

impl Cart {
    /// The cart as last confirmed by the server, for a `Suspend` inside `Suspense`/`Transition`:
    /// awaiting the resource there (not `.get()`) keeps server renders from stalling.
    pub async fn confirmed(&self) -> Option<CartView> {
        let from_server = self.resource.await.ok();
        self.latest.get().or(from_server)
    }

    /// The same, read synchronously: only for browser-side code that runs after hydration
    /// (the drawer opens on an add; effects), never in a server render.
    pub fn view(&self) -> Option<CartView> {
        self.latest
            .get()
            .or_else(|| self.resource.get().and_then(Result::ok))
    }

    /// Reads the cart from the server again (after a payment empties it, say).
    pub fn refresh(&self) {
        self.latest.set(None);
        self.resource.refetch();
    }

    /// Units of an add that is on its way (the badge counts them before the server answers).
    pub fn pending_units(&self) -> i32 {
        self.add
            .input()
            .get()
            .map_or(0, |a| a.quantity.unwrap_or(1))
    }

    /// The quantity to show for a line: the one being set, else the confirmed one.
    pub fn quantity_of(&self, line: &CartLine) -> i32 {
        match self.set_quantity.input().get() {
            Some(pending) if pending.sku == line.sku => pending.quantity,
            _ => line.quantity,
        }
    }

    /// Whether this line is being removed (hidden optimistically).
    pub fn removing(&self, sku: &str) -> bool {
        self.remove.input().get().is_some_and(|r| r.sku == sku)
            || self
                .set_quantity
                .input()
                .get()
                .is_some_and(|r| r.sku == sku && r.quantity == 0)
    }
}

pub fn provide_cart() {
    let auth = use_auth();
    let toasts = use_toasts();
    let add = ServerAction::<AddToCart>::new();
    let set_quantity = ServerAction::<SetCartQuantity>::new();
    let remove = ServerAction::<RemoveFromCart>::new();
    let latest = RwSignal::new(None::<CartView>);
    // Logging in or out changes whose cart this is: start again from the server's.
    let resource = Resource::new(
        move || {
            (
                auth.login.version().get(),
                auth.register.version().get(),
                auth.logout.version().get(),
            )
        },
        |_| crate::api::get_cart(),
    );
    Effect::new(move |_| {
        auth.login.version().track();
        auth.register.version().track();
        auth.logout.version().track();
        latest.set(None);
    });
    let drawer_open = RwSignal::new(false);
    let settle = move |result: Option<Result<CartView, AppError>>, added: bool| match result {
        Some(Ok(view)) => {
            latest.set(Some(view));
            if added {
                drawer_open.set(true);
            }
        }
        Some(Err(err)) => toasts.push(ToastKind::Error, err.to_string()),
        None => {}
    };
    Effect::new(move |_| settle(add.value().get(), true));
    Effect::new(move |_| settle(set_quantity.value().get(), false));
    Effect::new(move |_| settle(remove.value().get(), false));
    let cart = Cart {
        resource,
        latest,
        add,
        set_quantity,
        remove,
        drawer_open,
    };
    provide_context(cart);
    mirror_guest_cart(cart);
}

pub fn use_cart() -> Cart {
    expect_context::<Cart>()
}

/// Guests' carts are also kept in `localStorage`: if the server has none for this browser
/// (cookie cleared, cart expired), the copy is sent back once. A paid cart is emptied on the
/// server and the copy follows, so nothing bought comes back.
#[cfg(feature = "hydrate")]
fn mirror_guest_cart(cart: Cart) {
    const KEY: &str = "pasar_cart";
    let auth = use_auth();
    let restore = ServerAction::<crate::api::RestoreCart>::new();
    let restored = StoredValue::new(false);
    Effect::new(move |_| {
        let Some(view) = cart.view() else { return };
        let Some(Ok(info)) = auth.info.get() else {
            return;
        };
        let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else {
            return;
        };
        if info.user.is_some() {
            let _ = storage.remove_item(KEY);
            return;
        }
        let saved: Vec<(String, i32)> = storage
            .get_item(KEY)
            .ok()
            .flatten()
            .and_then(|raw: String| serde_json::from_str(&raw).ok())
            .unwrap_or_default();
        if view.lines.is_empty() && !saved.is_empty() && !restored.get_value() && !view.known {
            restored.set_value(true);
            if let Ok(lines) = serde_json::to_string(&saved) {
                restore.dispatch(crate::api::RestoreCart { lines });
            }
            return;
        }
        let lines: Vec<(String, i32)> = view
            .lines
            .iter()
            .filter(|l| l.quantity > 0)
            .map(|l| (l.sku.clone(), l.quantity))
            .collect();
        if let Ok(raw) = serde_json::to_string(&lines) {
            let _ = storage.set_item(KEY, &raw);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(view)) = restore.value().get() {
            cart.latest.set(Some(view));
        }
    });
}

#[cfg(not(feature = "hydrate"))]
fn mirror_guest_cart(_cart: Cart) {}

/// The header's cart link with the live count.
#[component]
pub fn CartBadge() -> impl IntoView {
    let cart = use_cart();
    view! {
        <A href="/cart" attr:class="relative inline-flex items-center gap-1 rounded-lg px-3 py-2 text-sm font-medium text-stone-700 hover:bg-stone-100" attr:aria-label="Cart">
            <svg class="h-5 w-5" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true"><path d="M3 3h2l2.4 12.2a2 2 0 0 0 2 1.6h8.2a2 2 0 0 0 2-1.5L21 8H6" /><circle cx="10" cy="20" r="1.5" /><circle cx="18" cy="20" r="1.5" /></svg>
            <Transition fallback=|| view! { <span class="cart-badge rounded-full bg-emerald-700 px-1.5 text-xs font-bold text-white">"0"</span> }>
                {move || Suspend::new(async move {
                    let confirmed = cart.confirmed().await.map_or(0, |v| v.item_count);
                    let count = move || confirmed + cart.pending_units();
                    view! {
                        <span class="cart-badge rounded-full bg-emerald-700 px-1.5 text-xs font-bold text-white" data-count=count>
                            {count}
                        </span>
                    }
                })}
            </Transition>
        </A>
    }
}

/// What changed about a line, in words.
pub fn notice_text(notice: &CartNotice) -> String {
    match notice {
        CartNotice::PriceChanged { was, now } => {
            format!("Price changed from {} to {}.", was.formatted, now.formatted)
        }
        CartNotice::QuantityReduced { available } => {
            format!("Only {available} left: the quantity was lowered.")
        }
        CartNotice::Unavailable => "No longer available; it is not counted.".to_string(),
    }
}

/// The mini-cart that slides in after an add (with JavaScript).
#[component]
pub fn CartDrawer() -> impl IntoView {
    let cart = use_cart();
    let close = move |_| cart.drawer_open.set(false);
    view! {
        <Show when=move || cart.drawer_open.get()>
            <div class="fixed inset-0 z-50 flex justify-end bg-black/30" on:click=close>
                <aside
                    class="cart-drawer flex h-full w-full max-w-sm flex-col bg-white shadow-xl"
                    aria-label="Cart"
                    on:click=|ev| ev.stop_propagation()
                >
                    <div class="flex items-center justify-between border-b border-stone-200 px-5 py-4">
                        <h2 class="text-lg font-bold">"Keranjang"</h2>
                        <button class="text-2xl leading-none text-stone-500 hover:text-stone-900" aria-label="Close" on:click=close>"×"</button>
                    </div>
                    <div class="flex-1 overflow-y-auto px-5 py-4">
                        {move || {
                            let view = cart.view().unwrap_or_default();
                            if view.lines.is_empty() {
                                return view! { <p class="text-sm text-stone-600">"Keranjangmu masih kosong."</p> }.into_any();
                            }
                            view.lines.into_iter().map(|line| view! {
                                <div class="flex items-start justify-between gap-3 border-b border-stone-100 py-3 text-sm">
                                    <div>
                                        <p class="font-medium">{line.name.clone()}</p>
                                        <p class="text-stone-500">{line.variant_title.clone()} " × " {line.quantity}</p>
                                    </div>
                                    <p class="font-semibold">{line.line_total.formatted.clone()}</p>
                                </div>
                            }).collect_view().into_any()
                        }}
                    </div>
                    <div class="border-t border-stone-200 px-5 py-4">
                        <p class="flex justify-between text-sm font-semibold">
                            <span>"Subtotal"</span>
                            <span class="drawer-subtotal">{move || cart.view().and_then(|v| v.subtotal).map(|s| s.formatted).unwrap_or_default()}</span>
                        </p>
                        <div class="mt-4 flex gap-2">
                            <A href="/cart" on:click=move |_| cart.drawer_open.set(false) attr:class="flex-1 rounded-lg border border-stone-300 px-4 py-2 text-center text-sm font-semibold hover:bg-stone-100">"View cart"</A>
                            <A href="/checkout" on:click=move |_| cart.drawer_open.set(false) attr:class="flex-1 rounded-lg bg-emerald-700 px-4 py-2 text-center text-sm font-semibold text-white hover:bg-emerald-800">"Checkout"</A>
                        </div>
                    </div>
                </aside>
            </div>
        </Show>
    }
}
