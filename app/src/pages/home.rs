//! The home page.
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

use crate::{
    components::{auth::use_auth, hydration::skip_hydration, ui::CardSkeleton},
    pages::catalog::ProductCard,
};

#[component]
pub fn HomePage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <Title text="Belanja online" />
        <Meta name="description" content="Pasar: toko online dengan pembayaran GoPay, OVO, QRIS, transfer bank dan kartu." />
        <section class="overflow-hidden rounded-2xl bg-gradient-to-br from-emerald-700 to-emerald-900 px-6 py-12 text-white shadow-lg sm:px-12">
            <p class="text-sm font-semibold uppercase tracking-widest text-emerald-200">"Toko online Indonesia"</p>
            <h1 class="mt-2 max-w-2xl text-3xl font-extrabold leading-tight sm:text-5xl">"Semua kebutuhanmu, satu pasar."</h1>
            <Transition fallback=|| view! { <p class="mt-4 h-6"></p> }>
                {move || Suspend::new(async move {
                    let greeting = match auth.info.await.ok().and_then(|i| i.user) {
                        Some(user) => format!("Selamat datang kembali, {}!", user.name),
                        None => "Belanja kebutuhan harian, gadget dan fesyen dengan harga jujur.".to_string(),
                    };
                    view! { <p class="greeting mt-4 max-w-xl text-lg text-emerald-50">{greeting}</p> }
                })}
            </Transition>
            <div class="mt-8 flex flex-wrap gap-3">
                <a href="/search" class="rounded-lg bg-white px-5 py-3 text-sm font-bold text-emerald-800 shadow hover:bg-emerald-50">"Lihat produk"</a>
                <A href="/account" attr:class="rounded-lg border border-white/40 px-5 py-3 text-sm font-semibold text-white hover:bg-white/10">"Akun saya"</A>
            </div>
        </section>
        <PopularAndCategories />
        <section class="mt-10 grid gap-4 sm:grid-cols-3">
            <Feature title="Bayar sesukamu" text="GoPay, OVO, DANA, QRIS, transfer bank, Alfamart/Indomaret atau kartu kredit." />
            <Feature title="Dikirim dari Jakarta & Surabaya" text="Stok di dua gudang, ongkir dihitung per provinsi dan berat." />
            <Feature title="Harga sudah termasuk PPN" text="PPN 12% atas DPP 11/12 — tercantum jelas di setiap faktur." />
        </section>
    }
}

#[component]
fn Feature(title: &'static str, text: &'static str) -> impl IntoView {
    view! {
        <div class="rounded-xl border border-stone-200 bg-white p-5 shadow-sm">
            <h2 class="font-semibold text-stone-900">{title}</h2>
            <p class="mt-1 text-sm text-stone-600">{text}</p>
        </div>
    }
}

/// Top-level categories with their product counts, and the best sellers.
#[component]
fn PopularAndCategories() -> impl IntoView {
    let popular = Resource::new(
        || (),
        |_| crate::api::search_catalog("sort=popular&per_page=8".into(), None, None),
    );
    view! {
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                let Ok(page) = popular.await else {
                    return ().into_any();
                };
                let tops: Vec<_> = page.facets.categories.iter().filter(|c| c.parent.is_none()).cloned().collect();
                // Links and pictures only: the first load keeps the server's HTML as it is.
                view! {
                    {skip_hydration(view! {
                    <section class="mt-10" aria-labelledby="categories-title">
                        <h2 id="categories-title" class="mb-4 text-xl font-bold">"Kategori"</h2>
                        <ul class="grid grid-cols-2 gap-3 sm:grid-cols-4 lg:grid-cols-6" id="home-categories">
                            {tops.into_iter().map(|c| view! {
                                <li>
                                    <A href=format!("/c/{}", c.slug) attr:class="flex h-full flex-col rounded-xl border border-stone-200 bg-white p-4 text-sm shadow-sm hover:border-emerald-600">
                                        <span class="font-semibold">{c.name.clone()}</span>
                                        <span class="text-xs text-stone-500">{format!("{} produk", c.count)}</span>
                                    </A>
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                    })}
                    {skip_hydration(view! {
                    <section class="mt-10" aria-labelledby="popular-title">
                        <div class="mb-4 flex items-baseline justify-between">
                            <h2 id="popular-title" class="text-xl font-bold">"Terlaris"</h2>
                            <A href="/search?sort=popular" attr:class="text-sm font-medium text-emerald-800 hover:underline">"Lihat semua →"</A>
                        </div>
                        <ul class="grid grid-cols-2 gap-4 sm:grid-cols-4" id="home-popular">
                            {page.items.into_iter().enumerate().map(|(i, item)| view! {
                                <li><ProductCard item terms=Vec::new() list=false eager=i < 4 /></li>
                            }).collect_view()}
                        </ul>
                    </section>
                    })}
                }.into_any()
            })}
        </Transition>
    }
}
