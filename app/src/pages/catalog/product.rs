//! `/p/{slug}`: the product page. The selected variant lives in the URL (`?sku=`), so the
//! variant picker is made of links: it works without JavaScript, and after hydration switching
//! updates price, availability and SKU in place without a page load.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use super::card::{stars, Placeholder, ProductCard};
use crate::{
    api::SubmitReview,
    components::{
        hydration::{hydrate_later, skip_hydration},
        picture::Picture,
        ui::{
            field_errors, form_error_signal, Alert, CardSkeleton, ErrorNotice, FieldErrors,
            SubmitButton,
        },
    },
    model::{ImageView, ProductDetail, ReviewEligibility},
};

#[component]
pub fn ProductPage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let detail = Resource::new(slug, crate::api::get_product_detail);
    // The reviews load beside the product, not inside its Suspense: a resource created while a
    // Suspense resolves is a known source of server renders that never finish (and a waterfall).
    let submit = ServerAction::<SubmitReview>::new();
    let reviews = Resource::new(
        move || (slug(), submit.version().get()),
        |(slug, _)| crate::api::get_product_reviews(slug),
    );
    provide_context(ReviewsData { reviews, submit });
    // One boundary per part over the one resource, each later part hydrated as a task of its
    // own (see `components::hydration`): the heading and pictures, then the details with the
    // variant picker, then the related products, then the reviews. The containers between
    // them are static, so a first client-side render lays the parts out where they will go.
    view! {
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(product) => view! { <ProductHeading product /> }.into_any(),
                    Err(error) => view! {
                        <Title text="Produk tidak ditemukan" />
                        <div class="mx-auto max-w-lg py-10 text-center">
                            <h1 class="mb-4 text-2xl font-bold">"Produk tidak ditemukan"</h1>
                            <ErrorNotice error />
                            <A href="/search" attr:class="mt-4 inline-block text-sm font-medium text-emerald-800 hover:underline">"Lihat produk lain"</A>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
        <div class="grid gap-8 md:grid-cols-2">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    detail.await.ok().map(|product| view! { <ProductPictures product /> })
                })}
            </Transition>
            {hydrate_later(view! {
                <div class="flex flex-col gap-4">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            detail.await.ok().map(|product| view! { <ProductDetails product /> })
                        })}
                    </Transition>
                </div>
            })}
        </div>
        {hydrate_later(view! {
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    detail.await.ok().map(|product| view! { <RelatedProducts product /> })
                })}
            </Transition>
        })}
        // A sibling of the product's boundaries, never nested inside one: a Transition created
        // while another resolves is re-created each time that one re-checks its children, and
        // under load that left `/p/…` renders unfinished (caught by the request deadline in
        // `selling_the_last_unit_shows_sold_out_everywhere_cached_or_not`).
        {hydrate_later(view! { <Reviews /> })}
    }
}

/// The page's title, the search engines' data and the breadcrumbs.
#[component]
fn ProductHeading(product: ProductDetail) -> impl IntoView {
    // Search engines read the JSON-LD in the server's HTML; hydration leaves an element's
    // `inner_html` as the server wrote it, so the browser need not build (or ship) it.
    #[cfg(feature = "ssr")]
    let json_ld = json_ld(&product);
    #[cfg(not(feature = "ssr"))]
    let json_ld = String::new();
    view! {
        <Title text=product.name.clone() />
        <script type="application/ld+json" inner_html=json_ld></script>
        {skip_hydration(view! {
            <nav aria-label="Breadcrumb" class="mb-4 text-sm text-stone-600">
                <ol class="flex flex-wrap items-center gap-1" id="breadcrumbs">
                    <li><A href="/" attr:class="hover:underline">"Beranda"</A></li>
                    {product.categories.into_iter().map(|c| view! {
                        <li aria-hidden="true">"›"</li>
                        <li><A href=format!("/c/{}", c.slug) attr:class="hover:underline">{c.name}</A></li>
                    }).collect_view()}
                </ol>
            </nav>
        })}
    }
}

/// The gallery, or the product's initials on a colour of its own when it has no pictures.
#[component]
fn ProductPictures(product: ProductDetail) -> impl IntoView {
    if !product.images.is_empty() {
        return view! { <Gallery images=product.images /> }.into_any();
    }
    view! { <Placeholder name=product.name id=product.id class="rounded-2xl text-7xl" /> }
        .into_any()
}

/// Name, price, the variant picker, availability, the cart form and the description.
#[component]
fn ProductDetails(product: ProductDetail) -> impl IntoView {
    let query = use_query_map();
    let product = StoredValue::new(product);
    let selected = Memo::new(move |_| {
        let sku = query.read().get("sku");
        product.with_value(|p| p.selected(sku.as_deref()).cloned())
    });
    let p = product.get_value();
    view! {
        {p.brand.map(|b| view! { <A href=format!("/b/{}", b.slug) attr:class="text-sm font-semibold uppercase tracking-wide text-emerald-800 hover:underline">{b.name}</A> })}
        <h1 class="text-2xl font-bold tracking-tight sm:text-3xl" id="product-name">{p.name}</h1>
        <p class="text-sm text-amber-700">{stars(p.rating)} <span class="text-stone-500">{format!(" · {} ulasan", p.rating_count)}</span></p>
        <div class="flex items-baseline gap-3">
            <p class="text-3xl font-extrabold" id="variant-price">{move || selected.get().map(|v| v.price.formatted).unwrap_or_default()}</p>
            <p class="text-lg text-stone-500 line-through" id="variant-compare">{move || selected.get().and_then(|v| v.compare_at_price).map(|c| c.formatted)}</p>
        </div>
        <p class="text-xs text-stone-500">"Harga sudah termasuk PPN"</p>
        <VariantPicker product selected />
        <dl class="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
            <dt class="text-stone-500">"SKU"</dt>
            <dd id="variant-sku" class="font-mono">{move || selected.get().map(|v| v.sku).unwrap_or_default()}</dd>
            <dt class="text-stone-500">"Ketersediaan"</dt>
            <dd id="variant-availability">
                {move || match selected.get().map(|v| v.available) {
                    Some(0) | None => view! { <span class="font-semibold text-red-700">"Stok habis"</span> }.into_any(),
                    Some(n) if n <= 5 => view! { <span class="font-semibold text-amber-700">{format!("Tinggal {n} lagi")}</span> }.into_any(),
                    Some(n) => view! { <span class="font-semibold text-emerald-700">{format!("Tersedia ({n})")}</span> }.into_any(),
                }}
            </dd>
        </dl>
        <AddToCartForm selected />
        <div class="prose prose-sm max-w-none text-stone-700 [&_li]:ml-5 [&_li]:list-disc [&_p]:mb-2" id="description" inner_html=p.description_html></div>
    }
}

#[component]
fn RelatedProducts(product: ProductDetail) -> impl IntoView {
    (!product.related.is_empty()).then(|| {
        skip_hydration(view! {
            <section class="mt-12" aria-labelledby="related-title">
                <h2 id="related-title" class="mb-4 text-xl font-bold">"Produk terkait"</h2>
                <ul class="grid grid-cols-2 gap-4 sm:grid-cols-4">
                    {product.related.into_iter().map(|item| view! { <li><ProductCard item terms=Vec::new() list=false eager=false /></li> }).collect_view()}
                </ul>
            </section>
        })
    })
}

/// schema.org `Product` data for search engines, safe inside `<script>`.
#[cfg(feature = "ssr")]
fn json_ld(p: &ProductDetail) -> String {
    serde_json::json!({
        "@context": "https://schema.org",
        "@type": "Product",
        "name": p.name,
        "description": p.summary,
        "sku": p.variants.first().map(|v| v.sku.clone()),
        "brand": p.brand.as_ref().map(|b| serde_json::json!({ "@type": "Brand", "name": b.name })),
        "aggregateRating": (p.rating_count > 0).then(|| serde_json::json!({ "@type": "AggregateRating", "ratingValue": format!("{:.1}", p.rating), "reviewCount": p.rating_count })),
        "offers": p.variants.iter().map(|v| serde_json::json!({
            "@type": "Offer",
            "sku": v.sku,
            "price": v.price.amount.to_string(),
            "priceCurrency": v.price.currency,
            "availability": if v.available > 0 { "https://schema.org/InStock" } else { "https://schema.org/OutOfStock" },
        })).collect::<Vec<_>>(),
    })
    .to_string()
    .replace("</", "<\\/")
}

/// One row of choices per option (Ukuran, Warna…); each choice links to the matching variant.
#[component]
fn VariantPicker(
    product: StoredValue<ProductDetail>,
    selected: Memo<Option<crate::model::VariantView>>,
) -> impl IntoView {
    let names = product.with_value(|p| p.option_names());
    let slug = product.with_value(|p| p.slug.clone());
    names
        .into_iter()
        .map(|name| {
            let values: Vec<String> = product.with_value(|p| {
                let mut vals: Vec<String> = Vec::new();
                for v in &p.variants {
                    if let Some(val) = v.options.get(&name) {
                        if !vals.contains(val) {
                            vals.push(val.clone());
                        }
                    }
                }
                vals
            });
            let slug = slug.clone();
            let label = name.clone();
            view! {
                <fieldset class="variant-option">
                    <legend class="mb-2 text-sm font-semibold">{label}</legend>
                    <div class="flex flex-wrap gap-2">
                        {values.into_iter().map(|value| {
                            let (name, slug) = (name.clone(), slug.clone());
                            move || {
                                let target = selected.get().and_then(|current| {
                                    product.with_value(|p| {
                                        p.switch(&current, &name, &value)
                                            .map(|v| (v.sku.clone(), v.available, current.options.get(&name) == Some(&value)))
                                    })
                                });
                                let (sku, available, active) = target.unwrap_or_default();
                                let class = match (active, available > 0) {
                                    (true, _) => "rounded-lg border-2 border-emerald-700 bg-emerald-50 px-3 py-1.5 text-sm font-semibold text-emerald-900",
                                    (false, true) => "rounded-lg border border-stone-300 px-3 py-1.5 text-sm hover:border-emerald-700",
                                    (false, false) => "rounded-lg border border-dashed border-stone-300 px-3 py-1.5 text-sm text-stone-500 line-through",
                                };
                                let href = format!("/p/{slug}?sku={sku}");
                                let text = value.clone();
                                view! {
                                    <A href=href attr:class=class attr:data-sku=sku attr:aria-current=active.then_some("true") attr:rel="nofollow" scroll=false>
                                        {text}
                                    </A>
                                }
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            }
        })
        .collect_view()
}

/// The main picture and, when there are several, thumbnails that switch it.
#[component]
fn Gallery(images: Vec<ImageView>) -> impl IntoView {
    let shown = RwSignal::new(0usize);
    let images = StoredValue::new(images);
    let count = images.with_value(Vec::len);
    view! {
        <div class="flex flex-col gap-3" id="gallery">
            {move || {
                let image = images.with_value(|all| all.get(shown.get()).or(all.first()).cloned());
                image.map(|image| view! {
                    <Picture image sizes="(min-width: 768px) 36rem, 100vw" eager=true
                        class="aspect-square w-full rounded-2xl border border-stone-200 bg-stone-100 object-cover" />
                })
            }}
            {(count > 1).then(|| view! {
                <ul class="flex gap-2" aria-label="Gambar produk">
                    {images.get_value().into_iter().enumerate().map(|(i, image)| view! {
                        <li>
                            <button type="button" class="gallery-thumb block overflow-hidden rounded-lg border-2 aria-[pressed=true]:border-emerald-700 border-transparent"
                                aria-pressed=move || (shown.get() == i).to_string()
                                aria-label=format!("Gambar {}", i + 1)
                                on:click=move |_| shown.set(i)>
                                <img src=image.thumbnail.clone() alt="" width="64" height="64" loading="lazy" class="h-16 w-16 object-cover" />
                            </button>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </div>
    }
}

/// Reviews of the product and, for customers who bought it, the form to write (or edit) theirs.
/// The product page's reviews and the action that posts one (created by `ProductPage`).
#[derive(Clone, Copy)]
struct ReviewsData {
    reviews: Resource<Result<crate::model::ProductReviews, crate::error::AppError>>,
    submit: ServerAction<SubmitReview>,
}

#[component]
fn Reviews() -> impl IntoView {
    let ReviewsData { reviews, submit } = expect_context::<ReviewsData>();
    let error = form_error_signal(submit);
    let saved = Signal::derive(move || {
        matches!(submit.value().get(), Some(Ok(_)))
            .then(|| "Terima kasih! Ulasan Anda sudah tayang.".to_string())
    });
    view! {
        <section class="mt-12" aria-labelledby="reviews-title" id="reviews">
            <h2 id="reviews-title" class="mb-4 text-xl font-bold">"Ulasan pembeli"</h2>
            <Transition fallback=CardSkeleton>
                {move || Suspend::new(async move {
                    match reviews.await {
                        // No such product: its own boundary already says so.
                        Err(crate::error::AppError::NotFound(_)) => ().into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(data) => {
                            let mine = data.mine.clone();
                            let form = match data.eligibility {
                                ReviewEligibility::LogInFirst => view! {
                                    <p class="text-sm text-stone-600">
                                        <a href=format!("/login?next=/p/{}%23reviews", data.product.slug) class="font-medium text-emerald-800 hover:underline">"Masuk"</a>
                                        " untuk menulis ulasan produk yang sudah Anda beli."
                                    </p>
                                }.into_any(),
                                ReviewEligibility::NotPurchased => view! {
                                    <p class="text-sm text-stone-600" id="review-not-allowed">"Hanya pembeli produk ini yang dapat menulis ulasan."</p>
                                }.into_any(),
                                ReviewEligibility::Allowed => {
                                    let rating = mine.as_ref().map(|m| m.rating).unwrap_or(5);
                                    view! {
                                        <ActionForm action=submit attr:class="flex max-w-xl flex-col gap-3 rounded-xl border border-stone-200 bg-white p-4" attr:id="review-form">
                                            <h3 class="font-semibold">{if mine.is_some() { "Ubah ulasan Anda" } else { "Tulis ulasan" }}</h3>
                                            <input type="hidden" name="slug" value=data.product.slug.clone() />
                                            <fieldset>
                                                <legend class="text-sm font-medium">"Nilai"</legend>
                                                <div class="flex gap-3">
                                                    {(1..=5).map(|n| view! {
                                                        <label class="flex items-center gap-1 text-sm">
                                                            <input type="radio" name="rating" value=n checked=n == rating />
                                                            {format!("{n}★")}
                                                        </label>
                                                    }).collect_view()}
                                                </div>
                                                <FieldErrors id="review-rating-error" errors=field_errors(error, "rating") />
                                            </fieldset>
                                            <label class="text-sm font-medium" for="review-title">"Judul"</label>
                                            <input id="review-title" name="title" maxlength="120" value=mine.as_ref().map(|m| m.title.clone()).unwrap_or_default()
                                                class="rounded-lg border border-stone-300 px-3 py-2 text-sm" />
                                            <label class="text-sm font-medium" for="review-body">"Ulasan"</label>
                                            <textarea id="review-body" name="body" rows="4" required class="rounded-lg border border-stone-300 px-3 py-2 text-sm">{mine.as_ref().map(|m| m.body.clone()).unwrap_or_default()}</textarea>
                                            <FieldErrors id="review-body-error" errors=field_errors(error, "body") />
                                            <Alert message=Signal::derive(move || error.get().filter(|e| !matches!(e, crate::error::AppError::Validation { .. })).map(|e| e.to_string())) />
                                            <Alert message=saved error=false />
                                            <div><SubmitButton label="Kirim ulasan" pending_label="Mengirim…" pending=submit.pending() /></div>
                                        </ActionForm>
                                    }.into_any()
                                }
                            };
                            view! {
                                {form}
                                {if data.items.is_empty() {
                                    view! { <p class="mt-4 text-sm text-stone-500">"Belum ada ulasan tertulis."</p> }.into_any()
                                } else {
                                    view! {
                                        <ul class="mt-4 flex flex-col gap-4" id="review-list">
                                            {data.items.into_iter().map(|r| view! {
                                                <li class="review rounded-xl border border-stone-200 bg-white p-4">
                                                    <p class="text-sm text-amber-700"><span aria-hidden="true">{"★".repeat(r.rating as usize)}{"☆".repeat(5 - r.rating as usize)}</span><span class="sr-only">{format!("{} dari 5", r.rating)}</span></p>
                                                    {(!r.title.is_empty()).then(|| view! { <p class="font-semibold">{r.title.clone()}</p> })}
                                                    <p class="whitespace-pre-line text-sm text-stone-700">{r.body.clone()}</p>
                                                    <p class="mt-1 text-xs text-stone-500">{format!("{} · {}{}", r.author, r.date, if r.mine { " · ulasan Anda" } else { "" })}</p>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// Quantity and "add to cart": a plain form posting to the server function (works without
/// JavaScript, then lands on the cart page); with JavaScript the badge counts up at once and
/// the drawer opens when the server confirms, or a toast says why not.
#[component]
fn AddToCartForm(selected: Memo<Option<crate::model::VariantView>>) -> impl IntoView {
    let cart = crate::components::cart::use_cart();
    let add = cart.add;
    view! {
        {move || match selected.get() {
            Some(v) if v.available > 0 => view! {
                <ActionForm action=add attr:class="add-to-cart flex items-end gap-3">
                    <input type="hidden" name="sku" value=v.sku.clone() />
                    <label class="flex flex-col gap-1 text-sm font-medium text-stone-700">
                        "Jumlah"
                        <input type="number" name="quantity" value="1" min="1" max=v.available.min(99) class="w-20 rounded-lg border border-stone-300 px-3 py-2 text-sm" />
                    </label>
                    <SubmitButton label="Tambah ke keranjang" pending_label="Menambahkan…" pending=add.pending() class="add-to-cart-button" />
                </ActionForm>
            }.into_any(),
            _ => view! {
                <p class="rounded-lg bg-stone-100 px-4 py-3 text-sm text-stone-600">"Varian ini sedang habis."</p>
            }.into_any(),
        }}
    }
}
