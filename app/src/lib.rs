//! Pasar's shared application: the HTML shell, routes, pages and components that render on the
//! server and hydrate in the browser, the types both sides share, and (behind `ssr`) the server.
#![recursion_limit = "256"]

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{ParentRoute, Route, Router, Routes},
    path, SsrMode,
};

pub mod api;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

use components::{
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
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="id">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.ico" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="min-h-screen bg-stone-50 text-stone-900 antialiased">
                <App />
            </body>
        </html>
    }
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
        <Stylesheet id="leptos" href="/pkg/pasar.css" />
        <Title formatter=|title: String| {
            if title.is_empty() { "Pasar".to_string() } else { format!("{title} · Pasar") }
        } />
        <Router>
            <div class="flex min-h-screen flex-col">
                <Header />
                <TrackNavigation />
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
                        <Route path=path!("/checkout") view=CheckoutContactPage ssr=SsrMode::Async />
                        <Route path=path!("/checkout/shipping") view=CheckoutShippingPage ssr=SsrMode::Async />
                        <Route path=path!("/checkout/payment") view=CheckoutPaymentPage ssr=SsrMode::Async />
                        <Route path=path!("/checkout/review") view=CheckoutReviewPage ssr=SsrMode::Async />
                        <Route path=path!("/pay/demo/:number") view=DemoPaymentPage ssr=SsrMode::Async />
                        <Route path=path!("/orders/:number") view=OrderPage ssr=SsrMode::Async />
                        <Route path=path!("/pay/:number") view=PaymentPage ssr=SsrMode::Async />
                        <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                        <Route path=path!("/register") view=RegisterPage ssr=SsrMode::Async />
                        <ParentRoute path=path!("/account") view=AccountLayout ssr=SsrMode::Async>
                            <Route path=path!("") view=ProfilePage />
                            <Route path=path!("addresses") view=AddressesPage />
                            <Route path=path!("orders") view=OrdersPage />
                        </ParentRoute>
                        <ParentRoute path=path!("/admin") view=AdminLayout ssr=SsrMode::Async>
                            <Route path=path!("") view=AdminDashboardPage />
                            <Route path=path!("analytics") view=AdminDashboardPage />
                            <Route path=path!("products") view=AdminProductsPage />
                            <Route path=path!("products/new") view=AdminProductEditPage />
                            <Route path=path!("products/:id") view=AdminProductEditPage />
                            <Route path=path!("categories") view=AdminCategoriesPage />
                            <Route path=path!("brands") view=AdminBrandsPage />
                            <Route path=path!("catalog") view=AdminCatalogPage />
                            <Route path=path!("users") view=AdminUsersPage />
                            <Route path=path!("refunds") view=AdminRefundsPage />
                            <Route path=path!("settings") view=AdminSettingsPage />
                            <Route path=path!("warehouses") view=AdminWarehousesPage />
                            <Route path=path!("inventory") view=AdminInventoryPage />
                            <Route path=path!("inventory/:sku") view=AdminStockHistoryPage />
                            <Route path=path!("purchase-orders") view=AdminPurchaseOrdersPage />
                            <Route path=path!("orders") view=AdminOrdersPage />
                            <Route path=path!("orders/:number") view=AdminOrderPage />
                        </ParentRoute>
                    </Routes>
                </main>
                <Footer />
            </div>
            <components::cart::CartDrawer />
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
