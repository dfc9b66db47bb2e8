//! A product in a listing: image (or a placeholder), highlighted name, brand, price, rating,
//! stock.
use leptos::prelude::*;
use leptos_router::components::A;

use crate::{
    components::picture::Picture,
    model::{highlight, ProductSummary},
};

/// Stars for a rating, e.g. `★★★★☆ 4.3`.
pub fn stars(rating: f32) -> String {
    let full = rating.round().clamp(0.0, 5.0) as usize;
    format!("{}{} {:.1}", "★".repeat(full), "☆".repeat(5 - full), rating)
}

/// A product without pictures: its initials on a colour of its own (the same one wherever
/// the product appears). `class` sets the corners and the letters' size.
#[component]
pub fn Placeholder(name: String, id: i32, class: &'static str) -> impl IntoView {
    let initials: String = name
        .split_whitespace()
        .take(2)
        .filter_map(|w| w.chars().next())
        .collect();
    let hue = (id * 47) % 360;
    view! {
        <div class=format!("flex aspect-square w-full items-center justify-center font-black text-white/90 {class}")
            style=format!("background: linear-gradient(135deg, hsl({hue} 45% 45%), hsl({} 50% 30%))", (hue + 40) % 360)
            role="img" aria-label=name>
            {initials}
        </div>
    }
}

#[component]
pub fn ProductCard(
    item: ProductSummary,
    terms: Vec<String>,
    list: bool,
    eager: bool,
) -> impl IntoView {
    let href = format!("/p/{}", item.slug);
    let parts = highlight(&item.name, &terms);
    let sizes = if list {
        "6rem"
    } else {
        "(min-width: 1024px) 14rem, (min-width: 640px) 30vw, 45vw"
    };
    let image = match item.image.clone() {
        Some(image) => view! {
            <Picture image sizes eager class="aspect-square w-full rounded-lg bg-stone-100 object-cover" />
        }
        .into_any(),
        None => view! {
            <Placeholder name=item.name.clone() id=item.id class="rounded-lg text-3xl" />
        }
        .into_any(),
    };
    let class = if list {
        "product-card grid grid-cols-[6rem_1fr] gap-4 rounded-xl border border-stone-200 bg-white p-3 shadow-sm hover:shadow"
    } else {
        "product-card flex h-full flex-col gap-2 rounded-xl border border-stone-200 bg-white p-3 shadow-sm hover:shadow"
    };
    view! {
        <A href=href attr:class=class attr:data-slug=item.slug.clone()>
            {image}
            <div class="flex flex-col gap-1">
                <p class="text-xs uppercase tracking-wide text-stone-500">{item.brand.clone().unwrap_or_default()}</p>
                <h2 class="product-name line-clamp-2 text-sm font-medium text-stone-900">
                    {parts.into_iter().map(|(text, marked)| if marked {
                        view! { <mark class="rounded bg-amber-200 px-0.5 text-stone-900">{text}</mark> }.into_any()
                    } else {
                        view! { <span>{text}</span> }.into_any()
                    }).collect_view()}
                </h2>
                <p class="product-price text-base font-bold text-stone-900">{item.price.formatted.clone()}</p>
                <p class="text-xs text-amber-700">
                    <span aria-hidden="true">{stars(item.rating)}</span>
                    <span class="sr-only">{format!("Rating {:.1} dari 5", item.rating)}</span>
                    <span class="text-stone-600">{format!(" ({})", item.rating_count)}</span>
                </p>
                {(!item.in_stock).then(|| view! { <p class="text-xs font-semibold text-red-700">"Stok habis"</p> })}
            </div>
        </A>
    }
}
