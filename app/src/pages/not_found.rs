//! The 404 page (also the router's fallback), served with status 404.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::set_status(404);
    view! {
        <Title text="Page not found" />
        <div class="mx-auto max-w-md py-16 text-center">
            <p class="text-6xl font-black text-emerald-700">"404"</p>
            <h1 class="mt-4 text-2xl font-bold">"Page not found"</h1>
            <p class="mt-2 text-stone-600">"The page you asked for does not exist or has moved."</p>
            <A href="/" attr:class="mt-6 inline-block rounded-lg bg-emerald-700 px-4 py-2 text-sm font-semibold text-white hover:bg-emerald-800">
                "Back to the shop"
            </A>
        </div>
    }
}
