//! Search results and the cart as they stand before the catalog and cart land: both render the
//! honest empty state (there are no products or cart lines yet) with a way back.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    view! {
        <Title text="Cari produk" />
        <h1 class="text-2xl font-bold">
            {move || if q().is_empty() { "Semua produk".to_string() } else { format!("Hasil untuk “{}”", q()) }}
        </h1>
        <div class="mt-8 rounded-xl border border-dashed border-stone-300 bg-white p-10 text-center">
            <p class="font-semibold">"Belum ada produk yang cocok."</p>
            <p class="mt-1 text-sm text-stone-600">"The catalogue is empty for now. Try again later."</p>
            <A href="/" attr:class="mt-4 inline-block text-sm font-medium text-emerald-800 hover:underline">"← Kembali ke beranda"</A>
        </div>
    }
}

#[component]
pub fn CartPage() -> impl IntoView {
    view! {
        <Title text="Keranjang" />
        <h1 class="text-2xl font-bold">"Keranjang belanja"</h1>
        <div class="mt-8 rounded-xl border border-dashed border-stone-300 bg-white p-10 text-center">
            <p class="font-semibold">"Keranjangmu masih kosong."</p>
            <A href="/search" attr:class="mt-4 inline-block text-sm font-medium text-emerald-800 hover:underline">"Mulai belanja"</A>
        </div>
    }
}
