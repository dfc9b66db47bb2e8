//! The cart as it stands before the cart lands: the honest empty state with a way back.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

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
