//! Pasar's shared application: the HTML shell, routes, pages and components that render on the
//! server and hydrate in the browser, the types both sides share, and (behind `ssr`) the server.
#![recursion_limit = "256"]

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, Lazy, LazyRoute, SsrMode,
};

pub mod api;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use components::{
    hydration::{hydrate_later, skip_hydration},
    layout::{Footer, Header},
    toast::{provide_toasts, ToastRegion},
};
use pages::{
    account::{AccountLayout, AddressesPage, LoginPage, ProfilePage, RegisterPage},
    admin::{
        AdminBrandsPage, AdminCatalogPage, AdminCategoriesPage, AdminDashboardPage,
        AdminInventoryPage, AdminLayout, AdminOrderPage, AdminOrdersPage, AdminProductEditPage,
        AdminProductsPage, AdminPurchaseOrdersPage, AdminRefundsPage, AdminSettingsPage,
        AdminStockHistoryPage, AdminUsersPage, AdminWarehousesPage,
    },
    catalog::{BrandPage, CategoryPage, ProductPage, SearchPage},
    home::HomePage,
    not_found::NotFound,
    shop::{
        CartPage, CheckoutContactPage, CheckoutPaymentPage, CheckoutReviewPage,
        CheckoutShippingPage, DemoPaymentPage, OrderPage, OrdersPage, PaymentPage,
    },
};

/// The HTML document around the app (server-side only).
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;
    use server::http::assets::{site_files, DeferredHydrationScripts};
    let stylesheet = site_files(&options).stylesheet.as_str();
    view! {
        <!DOCTYPE html>
        <html lang="id">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.ico" />
                <AutoReload options=options.clone() />
                // `pkg/pasar.<hash>.css` when the build hashes file names (cargo-leptos
                // `hash-files`), so browsers may keep it for a year.
                <link rel="stylesheet" id="leptos" href=stylesheet />
                <DeferredHydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-stone-50 text-stone-900 antialiased">
                <App />
            </body>
        </html>
    }
}

/// Lazy routes: with the `split` feature (`cargo leptos build --split --lib-features split`, as
/// `cargo xtask build` and the browser tests do) a page's view becomes a `#[lazy]` function,
/// which the splitter moves into its own WASM chunk, fetched when the route is first shown
/// (and, for a page that was server-rendered, before it hydrates). Shoppers browsing the
/// catalogue never download the admin, account, checkout or payment code. Without the feature
/// (the server; the quick first-run build, which has no splitter) the same routes resolve at
/// once from the one WASM file.
macro_rules! lazy_pages {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        struct $route;

        #[cfg(feature = "split")]
        #[leptos_router::lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }

        #[cfg(not(feature = "split"))]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    )*};
}

lazy_pages! {
    CheckoutContact => CheckoutContactPage,
    CheckoutShipping => CheckoutShippingPage,
    CheckoutPayment => CheckoutPaymentPage,
    CheckoutReview => CheckoutReviewPage,
    DemoPayment => DemoPaymentPage,
    Order => OrderPage,
    Payment => PaymentPage,
    Login => LoginPage,
    Register => RegisterPage,
    Account => AccountLayout,
    Profile => ProfilePage,
    Addresses => AddressesPage,
    Orders => OrdersPage,
    Admin => AdminLayout,
    AdminDashboard => AdminDashboardPage,
    AdminProducts => AdminProductsPage,
    AdminProductEdit => AdminProductEditPage,
    AdminCategories => AdminCategoriesPage,
    AdminBrands => AdminBrandsPage,
    AdminCatalog => AdminCatalogPage,
    AdminUsers => AdminUsersPage,
    AdminRefunds => AdminRefundsPage,
    AdminSettings => AdminSettingsPage,
    AdminWarehouses => AdminWarehousesPage,
    AdminInventory => AdminInventoryPage,
    AdminStockHistory => AdminStockHistoryPage,
    AdminPurchaseOrders => AdminPurchaseOrdersPage,
    AdminOrders => AdminOrdersPage,
    AdminOrder => AdminOrderPage,
}

/// The shop: context, layout and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The render's nonce goes to the security-headers layer, which writes the CSP with it.
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(value) = http::HeaderValue::from_str(&nonce) {
            response.insert_header(server::http::headers::NONCE_HEADER, value);
        }
    }
    provide_toasts();
    components::auth::provide_auth();
    components::cart::provide_cart();

    view! {
        <Title formatter=|title: String| {
            if title.is_empty() { "Pasar".to_string() } else { format!("{title} · Pasar") }
        } />
        <Router>
            <div class="flex min-h-screen flex-col">
                // Starting the app (contexts, router, the first call of each WASM function), the
                // header, the page and the cart drawer hydrate as separate tasks (see
                // `components::hydration`), so the browser is never blocked for all of them.
                {hydrate_later(view! { <Header /> })}
                <TrackNavigation />
                {hydrate_later(view! {
                <main class="mx-auto w-full max-w-6xl flex-1 px-4 py-8">
                    // Every page renders `SsrMode::Async`: out-of-order streaming would leave the
                    // header's account links (a Transition) as a placeholder for visitors without
                    // JavaScript whenever the session lookup loses the race with the first chunk.
                    <Routes fallback=NotFound>
                        <Route path=path!("") view=HomePage ssr=SsrMode::Async />
                        <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async />
                        <Route path=path!("/c/:slug") view=CategoryPage ssr=SsrMode::Async />
                        <Route path=path!("/b/:slug") view=BrandPage ssr=SsrMode::Async />
                        <Route path=path!("/p/:slug") view=ProductPage ssr=SsrMode::Async />
                        <Route path=path!("/cart") view=CartPage ssr=SsrMode::Async />
                        // The rest loads its code on demand (see `lazy_pages!` below).
                        <Route path=path!("/checkout") view={Lazy::<CheckoutContact>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/checkout/shipping") view={Lazy::<CheckoutShipping>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/checkout/payment") view={Lazy::<CheckoutPayment>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/checkout/review") view={Lazy::<CheckoutReview>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/pay/demo/:number") view={Lazy::<DemoPayment>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/orders/:number") view={Lazy::<Order>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/pay/:number") view={Lazy::<Payment>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/login") view={Lazy::<Login>::new()} ssr=SsrMode::Async />
                        <Route path=path!("/register") view={Lazy::<Register>::new()} ssr=SsrMode::Async />
                        <ParentRoute path=path!("/account") view={Lazy::<Account>::new()} ssr=SsrMode::Async>
                            <Route path=path!("") view={Lazy::<Profile>::new()} />
                            <Route path=path!("addresses") view={Lazy::<Addresses>::new()} />
                            <Route path=path!("orders") view={Lazy::<Orders>::new()} />
                        </ParentRoute>
                        <ParentRoute path=path!("/admin") view={Lazy::<Admin>::new()} ssr=SsrMode::Async>
                            <Route path=path!("") view={Lazy::<AdminDashboard>::new()} />
                            <Route path=path!("analytics") view={Lazy::<AdminDashboard>::new()} />
                            <Route path=path!("products") view={Lazy::<AdminProducts>::new()} />
                            <Route path=path!("products/new") view={Lazy::<AdminProductEdit>::new()} />
                            <Route path=path!("products/:id") view={Lazy::<AdminProductEdit>::new()} />
                            <Route path=path!("categories") view={Lazy::<AdminCategories>::new()} />
                            <Route path=path!("brands") view={Lazy::<AdminBrands>::new()} />
                            <Route path=path!("catalog") view={Lazy::<AdminCatalog>::new()} />
                            <Route path=path!("users") view={Lazy::<AdminUsers>::new()} />
                            <Route path=path!("refunds") view={Lazy::<AdminRefunds>::new()} />
                            <Route path=path!("settings") view={Lazy::<AdminSettings>::new()} />
                            <Route path=path!("warehouses") view={Lazy::<AdminWarehouses>::new()} />
                            <Route path=path!("inventory") view={Lazy::<AdminInventory>::new()} />
                            <Route path=path!("inventory/:sku") view={Lazy::<AdminStockHistory>::new()} />
                            <Route path=path!("purchase-orders") view={Lazy::<AdminPurchaseOrders>::new()} />
                            <Route path=path!("orders") view={Lazy::<AdminOrders>::new()} />
                            <Route path=path!("orders/:number") view={Lazy::<AdminOrder>::new()} />
                        </ParentRoute>
                    </Routes>
                </main>
                })}
                {skip_hydration(view! { <Footer /> })}
            </div>
            {hydrate_later(view! { <components::cart::CartDrawer /> })}
            <ToastRegion />
        </Router>
    }
}

/// Counts client-side navigations as page views: after hydration the router changes pages
/// without asking the server for them, so the tracking middleware saw only the first load.
#[component]
fn TrackNavigation() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let location = leptos_router::hooks::use_location();
        Effect::new(move |seen: Option<()>| {
            let path = location.pathname.get();
            // The first run is the page the server already counted.
            if seen.is_some() {
                leptos::task::spawn_local(async move {
                    let _ = api::track_view(path).await;
                });
            }
        });
    }
}
