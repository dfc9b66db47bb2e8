//! The admin area for shop staff. The server functions check the role; the layout only decides
//! what to render.
mod dashboard;
mod inventory;
mod orders;
mod products;
mod purchases;
mod refunds;
mod settings;
mod taxonomy;
mod users;
mod warehouses;

pub use dashboard::AdminDashboardPage;
pub use inventory::{AdminInventoryPage, AdminStockHistoryPage};
pub use orders::{AdminOrderPage, AdminOrdersPage};
pub use products::{AdminProductEditPage, AdminProductsPage};
pub use purchases::AdminPurchaseOrdersPage;
pub use refunds::AdminRefundsPage;
pub use settings::AdminSettingsPage;
pub use taxonomy::{AdminBrandsPage, AdminCatalogPage, AdminCategoriesPage};
pub use users::AdminUsersPage;
pub use warehouses::AdminWarehousesPage;

use leptos::prelude::*;
use leptos_router::{
    components::{Outlet, Redirect, A},
    hooks::use_location,
};

use crate::{
    components::{auth::use_auth, ui::CardSkeleton},
    model::Role,
};

const NAV: &str = "rounded-lg px-3 py-1 text-sm font-medium hover:bg-stone-100 aria-[current=page]:bg-emerald-50 aria-[current=page]:text-emerald-800";

/// Frame for `/admin/*`: staff and admins (others get a 403 page, visitors the login page).
#[component]
pub fn AdminLayout() -> impl IntoView {
    let auth = use_auth();
    let location = use_location();
    view! {
        <Suspense fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match auth.info.await.ok().and_then(|i| i.user) {
                    Some(user) if user.role.is_staff() => view! {
                        <div class="flex flex-col gap-6">
                            <nav class="flex flex-wrap gap-2 border-b border-stone-200 pb-3" aria-label="Admin sections">
                                <span class="rounded bg-stone-900 px-2 py-1 text-xs font-bold uppercase tracking-wider text-white">"Admin"</span>
                                <A href="/admin/analytics" attr:class=NAV>"Dashboard"</A>
                                <A href="/admin/orders" attr:class=NAV>"Orders" <NewOrdersBadge /></A>
                                <A href="/admin/products" attr:class=NAV>"Products"</A>
                                <A href="/admin/categories" attr:class=NAV>"Categories"</A>
                                <A href="/admin/brands" attr:class=NAV>"Brands"</A>
                                <A href="/admin/catalog" attr:class=NAV>"Import & export"</A>
                                <A href="/admin/inventory" attr:class=NAV>"Stock" <LowStockBadge /></A>
                                <A href="/admin/purchase-orders" attr:class=NAV>"Purchase orders"</A>
                                <A href="/admin/warehouses" attr:class=NAV>"Warehouses"</A>
                                <A href="/admin/refunds" attr:class=NAV>"Refunds"</A>
                                {(user.role == Role::Admin).then(|| view! {
                                    <A href="/admin/users" attr:class=NAV>"Users"</A>
                                    <A href="/admin/settings" attr:class=NAV>"Settings"</A>
                                })}
                            </nav>
                            <Outlet />
                        </div>
                    }.into_any(),
                    Some(_) => view! { <Forbidden /> }.into_any(),
                    None => {
                        let next = location.pathname.get_untracked();
                        view! { <Redirect path=format!("/login?next={next}") /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// How many paid orders wait for someone to start on them; asks again every 30 seconds, so
/// staff see new orders arrive without reloading.
#[component]
fn NewOrdersBadge() -> impl IntoView {
    let tick = RwSignal::new(0u32);
    // Effects run in the browser only: the server renders the count once.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || tick.update(|t| *t = t.wrapping_add(1)),
            std::time::Duration::from_secs(30),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    let count = Resource::new(move || tick.get(), |_| crate::api::admin_new_orders());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                count.await.ok().filter(|n| *n > 0).map(|n| view! {
                    <span class="new-orders-count ml-1 rounded-full bg-emerald-700 px-2 py-0.5 text-xs font-bold text-white" title="Paid orders waiting to be processed">{n}</span>
                })
            })}
        </Transition>
    }
}

/// How many variants are below their low-stock alert level (read on each page load).
#[component]
fn LowStockBadge() -> impl IntoView {
    let count = Resource::new(|| (), |_| crate::api::admin_low_stock_count());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                count.await.ok().filter(|n| *n > 0).map(|n| view! {
                    <span class="low-stock-count ml-1 rounded-full bg-amber-600 px-2 py-0.5 text-xs font-bold text-white" title="Variants below their low-stock alert level">{n}</span>
                })
            })}
        </Transition>
    }
}

/// Shown to logged-in users without the admin role, with status 403.
#[component]
fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::set_status(403);
    view! {
        <div class="mx-auto max-w-md py-16 text-center">
            <p class="text-6xl font-black text-red-700">"403"</p>
            <h1 class="mt-4 text-2xl font-bold">"Admins only"</h1>
            <p class="mt-2 text-stone-600">"Your account does not have access to this page."</p>
            <A href="/" attr:class="mt-6 inline-block text-sm font-medium text-emerald-800 hover:underline">"Back to the shop"</A>
        </div>
    }
}
