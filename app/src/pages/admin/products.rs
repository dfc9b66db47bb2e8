//! `/admin/products`: the product list (search, status filter, publish/unpublish) and
//! `/admin/products/{id|new}`: the product form, its variants and its pictures. Every form posts
//! and redirects without JavaScript; with it, the page updates in place.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use crate::{
    api::{
        AdminDeleteImage, AdminDeleteProduct, AdminPrimaryImage, AdminSaveProduct,
        AdminSaveVariant, AdminSetLowStockThreshold, AdminSetProductStatus,
        AdminSetReorderSettings, AdminSetStock,
    },
    components::ui::{
        action_error_signal, field_errors, form_error_signal, Alert, ButtonStyle, CardSkeleton,
        ErrorNotice, FieldErrors, PageHeading, SubmitButton, TextField,
    },
    model::{AdminProduct, AdminProductRow, AdminVariant, TaxonChoices},
};

pub(super) const INPUT: &str = "w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm shadow-sm focus:outline-none focus:ring-2 focus:ring-emerald-600";
const SMALL_INPUT: &str = "w-full rounded-md border border-stone-300 bg-white px-2 py-1 text-sm focus:outline-none focus:ring-2 focus:ring-emerald-600";

/// The `?saved=` confirmation a redirect left in the URL.
pub(super) fn saved_notice() -> Signal<Option<String>> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("saved").filter(|s| !s.is_empty()))
}

/// The `?error=` a no-JavaScript form post left in the URL.
pub(super) fn error_notice() -> Signal<Option<String>> {
    let query = use_query_map();
    Signal::derive(move || query.read().get("error").filter(|s| !s.is_empty()))
}

pub(super) fn status_badge(status: &str) -> impl IntoView {
    let class = match status {
        "active" => "bg-emerald-100 text-emerald-800",
        "draft" => "bg-amber-100 text-amber-800",
        _ => "bg-stone-200 text-stone-700",
    };
    let label = match status {
        "active" => "published",
        other => other,
    };
    view! { <span class=format!("product-status rounded-full px-2 py-0.5 text-xs font-semibold {class}")>{label.to_string()}</span> }
}

#[component]
pub fn AdminProductsPage() -> impl IntoView {
    let set_status = ServerAction::<AdminSetProductStatus>::new();
    let query = use_query_map();
    let q = move || query.read().get("q").unwrap_or_default();
    let status = move || query.read().get("status").unwrap_or_default();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    };
    let products = Resource::new(
        move || (q(), status(), page(), set_status.version().get()),
        |(q, status, page, _)| crate::api::admin_products(q, status, page),
    );
    let error = form_error_signal(set_status);
    view! {
        <Title text="Products · Admin" />
        <div class="flex flex-wrap items-end justify-between gap-4">
            <PageHeading title="Products" subtitle="Edit, publish and unpublish what the shop sells." />
            <A href="/admin/products/new" attr:class=ButtonStyle::Primary.class() attr:id="new-product">"New product"</A>
        </div>
        <form method="get" action="/admin/products" class="mb-4 flex flex-wrap gap-2" role="search">
            <label for="product-search" class="sr-only">"Search products"</label>
            <input id="product-search" type="search" name="q" value=q placeholder="Name, slug or SKU"
                class="w-full max-w-sm rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm" />
            <label for="product-status" class="sr-only">"Status"</label>
            <select id="product-status" name="status" class="rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm">
                <option value="" selected=move || status().is_empty()>"All statuses"</option>
                {["active", "draft", "archived"].into_iter().map(|s| view! {
                    <option value=s selected=move || status() == s>{if s == "active" { "published" } else { s }}</option>
                }).collect_view()}
            </select>
            <button type="submit" class=ButtonStyle::Secondary.class()>"Filter"</button>
        </form>
        <Alert message=saved_notice() error=false />
        <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match products.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(result) => {
                        let pages = result.page_count();
                        let current = result.page;
                        let total = result.total;
                        let (q, status) = (q(), status());
                        view! {
                            <div class="overflow-x-auto rounded-xl border border-stone-200 bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-stone-200 text-sm" id="products-table">
                                    <thead class="bg-stone-50 text-left text-xs font-semibold uppercase tracking-wider text-stone-600">
                                        <tr>
                                            <th scope="col" class="px-4 py-3">"Product"</th>
                                            <th scope="col" class="px-4 py-3">"Status"</th>
                                            <th scope="col" class="px-4 py-3">"Price"</th>
                                            <th scope="col" class="px-4 py-3">"Stock"</th>
                                            <th scope="col" class="px-4 py-3"><span class="sr-only">"Actions"</span></th>
                                        </tr>
                                    </thead>
                                    <tbody class="divide-y divide-stone-100">
                                        {if result.items.is_empty() {
                                            view! { <tr><td colspan="5" class="px-4 py-8 text-center text-stone-500">"No products match."</td></tr> }.into_any()
                                        } else {
                                            result.items.into_iter().map(|p| view! { <ProductRow product=p set_status /> }).collect_view().into_any()
                                        }}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="mt-4 flex items-center justify-between text-sm text-stone-600" aria-label="Pagination">
                                <span>{format!("{total} products · page {current} of {pages}")}</span>
                                <span class="flex gap-2">
                                    {(current > 1).then(|| view! { <A href=list_href(&q, &status, current - 1) attr:class="rounded-lg border border-stone-300 px-3 py-1 hover:bg-stone-100">"← Previous"</A> })}
                                    {(current < pages).then(|| view! { <A href=list_href(&q, &status, current + 1) attr:class="rounded-lg border border-stone-300 px-3 py-1 hover:bg-stone-100">"Next →"</A> })}
                                </span>
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

fn list_href(q: &str, status: &str, page: u64) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("q", q)
        .append_pair("status", status)
        .append_pair("page", &page.to_string())
        .finish();
    format!("/admin/products?{query}")
}

#[component]
fn ProductRow(
    product: AdminProductRow,
    set_status: ServerAction<AdminSetProductStatus>,
) -> impl IntoView {
    let edit = format!("/admin/products/{}", product.id);
    let publish = product.status != "active";
    view! {
        <tr class="product-row" data-slug=product.slug.clone()>
            <td class="px-4 py-3">
                <div class="flex items-center gap-3">
                    {match product.thumbnail.clone() {
                        Some(src) => view! { <img src=src alt="" width="40" height="40" loading="lazy" class="h-10 w-10 rounded object-cover" /> }.into_any(),
                        None => view! { <div class="h-10 w-10 rounded bg-stone-200"></div> }.into_any(),
                    }}
                    <div>
                        <A href=edit.clone() attr:class="font-medium text-stone-900 hover:underline">{product.name.clone()}</A>
                        <div class="text-xs text-stone-500">{format!("{} · {}{} · {} variants", product.slug, product.category, product.brand.clone().map(|b| format!(" · {b}")).unwrap_or_default(), product.variants)}</div>
                    </div>
                </div>
            </td>
            <td class="px-4 py-3">{status_badge(&product.status)}</td>
            <td class="px-4 py-3 whitespace-nowrap">{product.price.clone()}</td>
            <td class="px-4 py-3">{product.available}</td>
            <td class="px-4 py-3 text-right">
                <ActionForm action=set_status>
                    <input type="hidden" name="id" value=product.id />
                    <input type="hidden" name="status" value=if publish { "active" } else { "draft" } />
                    <button type="submit" class="publish-toggle text-sm font-medium text-emerald-800 hover:underline">
                        {if publish { "Publish" } else { "Unpublish" }}
                    </button>
                </ActionForm>
            </td>
        </tr>
    }
}

#[component]
pub fn AdminProductEditPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|i| i.parse::<i32>().ok());
    let save_variant = ServerAction::<AdminSaveVariant>::new();
    let delete_image = ServerAction::<AdminDeleteImage>::new();
    let primary_image = ServerAction::<AdminPrimaryImage>::new();
    let save_product = ServerAction::<AdminSaveProduct>::new();
    let set_stock = ServerAction::<AdminSetStock>::new();
    let set_threshold = ServerAction::<AdminSetLowStockThreshold>::new();
    let set_reorder = ServerAction::<AdminSetReorderSettings>::new();
    let product = Resource::new(
        move || {
            (
                id(),
                save_variant.version().get(),
                set_stock.version().get(),
                set_threshold.version().get(),
                set_reorder.version().get(),
                delete_image.version().get(),
                primary_image.version().get(),
                save_product.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => crate::api::admin_get_product(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let choices = Resource::new(|| (), |_| crate::api::admin_taxon_choices());
    let image_error = action_error_signal(delete_image);
    let primary_error = action_error_signal(primary_image);
    view! {
        <Title text="Edit product · Admin" />
        <Alert message=saved_notice() error=false />
        // A no-JavaScript form post's error, shown once for the whole page.
        <div class="mb-4"><Alert message=error_notice() /></div>
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match (product.await, choices.await) {
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                    (Ok(product), Ok(choices)) => {
                        let title = product.as_ref().map(|p| p.name.clone()).unwrap_or_else(|| "New product".into());
                        view! {
                            <div class="mb-6 flex flex-wrap items-center justify-between gap-2">
                                <div>
                                    <A href="/admin/products" attr:class="text-sm text-emerald-800 hover:underline">"← All products"</A>
                                    <h1 class="text-2xl font-bold text-stone-900" id="product-title">{title}</h1>
                                </div>
                                {product.as_ref().filter(|p| p.status == "active").map(|p| view! {
                                    <a href=format!("/p/{}", p.slug) class="text-sm font-medium text-emerald-800 hover:underline">"View in shop →"</a>
                                })}
                            </div>
                            <div class="grid gap-6 lg:grid-cols-[1fr_16rem]">
                                <div class="flex flex-col gap-6">
                                    {view! { <ProductForm product=product.clone() choices save_product /> }.into_any()}
                                    {product.clone().map(|p| view! { <VariantsEditor product=p save_variant /> }.into_any())}
                                    {product.clone().map(|p| view! { <StockEditor product=p set_stock set_threshold set_reorder /> }.into_any())}
                                </div>
                                <div class="flex flex-col gap-6">
                                    <Alert message=Signal::derive(move || image_error.get().or(primary_error.get()).map(|e| e.to_string())) />
                                    {product.map(|p| view! { <ImagesEditor product=p delete_image primary_image /> }.into_any())}
                                </div>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn ProductForm(
    product: Option<AdminProduct>,
    choices: TaxonChoices,
    save_product: ServerAction<AdminSaveProduct>,
) -> impl IntoView {
    let delete = ServerAction::<AdminDeleteProduct>::new();
    let error = action_error_signal(save_product);
    let delete_error = action_error_signal(delete);
    let p = product.clone();
    let get = move |f: fn(&AdminProduct) -> String| p.as_ref().map(f).unwrap_or_default();
    let category = product.as_ref().map(|p| p.category_id);
    let brand = product.as_ref().and_then(|p| p.brand_id);
    let status = product
        .as_ref()
        .map(|p| p.status.clone())
        .unwrap_or_else(|| "draft".into());
    let id = product.as_ref().map(|p| p.id);
    view! {
        <section class="rounded-xl border border-stone-200 bg-white p-6 shadow-sm">
            <h2 class="mb-4 text-lg font-semibold">"Details"</h2>
            <ActionForm action=save_product attr:class="flex flex-col gap-4" attr:id="product-form">
                <input type="hidden" name="id" value=id.map(|i| i.to_string()).unwrap_or_default() />
                <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
                <TextField label="Name" name="name" value=get(|p| p.name.clone()) required=true errors=field_errors(error, "name") maxlength=200 />
                <TextField label="Slug" name="slug" value=get(|p| p.slug.clone()) errors=field_errors(error, "slug")
                    hint="The address: /p/<slug>. Leave empty to make one from the name." />
                <div class="flex flex-col gap-1">
                    <label for="field-description" class="text-sm font-medium text-stone-700">"Description (Markdown)"</label>
                    <textarea id="field-description" name="description" rows="8" class=INPUT>{get(|p| p.description.clone())}</textarea>
                    <FieldErrors id="field-description-error" errors=field_errors(error, "description") />
                </div>
                <div class="grid gap-4 sm:grid-cols-3">
                    <div class="flex flex-col gap-1">
                        <label for="field-category" class="text-sm font-medium text-stone-700">"Category"</label>
                        <select id="field-category" name="category_id" class=INPUT required>
                            <option value="">"Choose…"</option>
                            {choices.categories.into_iter().map(|(cid, path)| view! { <option value=cid selected=category == Some(cid)>{path}</option> }).collect_view()}
                        </select>
                        <FieldErrors id="field-category-error" errors=field_errors(error, "category_id") />
                    </div>
                    <div class="flex flex-col gap-1">
                        <label for="field-brand" class="text-sm font-medium text-stone-700">"Brand"</label>
                        <select id="field-brand" name="brand_id" class=INPUT>
                            <option value="">"No brand"</option>
                            {choices.brands.into_iter().map(|(bid, name)| view! { <option value=bid selected=brand == Some(bid)>{name}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="flex flex-col gap-1">
                        <label for="field-status" class="text-sm font-medium text-stone-700">"Status"</label>
                        <select id="field-status" name="status" class=INPUT>
                            {[("draft", "Draft (hidden)"), ("active", "Published"), ("archived", "Archived")].into_iter().map(|(value, label)| view! {
                                <option value=value selected=status == value>{label}</option>
                            }).collect_view()}
                        </select>
                        <FieldErrors id="field-status-error" errors=field_errors(error, "status") />
                    </div>
                </div>
                <div>
                    <SubmitButton label="Save product" pending_label="Saving…" pending=save_product.pending() />
                </div>
            </ActionForm>
            {id.map(|id| view! {
                <ActionForm action=delete attr:class="mt-4 border-t border-stone-100 pt-4">
                    <input type="hidden" name="id" value=id />
                    <Alert message=Signal::derive(move || delete_error.get().map(|e| e.to_string())) />
                    <button type="submit" class="text-sm font-medium text-red-700 hover:underline">"Delete product"</button>
                    <span class="ml-2 text-xs text-stone-500">"Only for products never ordered; archive the others."</span>
                </ActionForm>
            })}
        </section>
    }
}

#[component]
fn VariantsEditor(
    product: AdminProduct,
    save_variant: ServerAction<AdminSaveVariant>,
) -> impl IntoView {
    let error = action_error_signal(save_variant);
    let product_id = product.id;
    view! {
        <section class="rounded-xl border border-stone-200 bg-white p-6 shadow-sm" id="variants">
            <h2 class="mb-1 text-lg font-semibold">"Variants"</h2>
            <p class="mb-4 text-xs text-stone-500">"Prices are whole amounts in the shop currency (e.g. 15500000). Options as Name=Value; Name=Value. Stock is set per warehouse below."</p>
            <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
            <div class="mt-2 hidden grid-cols-[8rem_1fr_1fr_7rem_7rem_5rem_4rem_4rem] gap-2 text-xs font-semibold uppercase text-stone-500 md:grid">
                <span>"SKU"</span><span>"Title"</span><span>"Options"</span><span>"Price"</span><span>"Compare at"</span><span>"Grams"</span><span>"Active"</span><span></span>
            </div>
            {product.variants.into_iter().map(|v| view! { <VariantRow product_id variant=Some(v) save_variant /> }).collect_view()}
            <h3 class="mt-4 text-sm font-semibold text-stone-700">"Add a variant"</h3>
            <VariantRow product_id variant=None save_variant />
        </section>
    }
}

#[component]
fn VariantRow(
    product_id: i32,
    variant: Option<AdminVariant>,
    save_variant: ServerAction<AdminSaveVariant>,
) -> impl IntoView {
    let v = variant.clone();
    let get = move |f: fn(&AdminVariant) -> String| v.as_ref().map(f).unwrap_or_default();
    let active = variant.as_ref().map(|v| v.active).unwrap_or(true);
    let label = if variant.is_some() { "Save" } else { "Add" };
    view! {
        <ActionForm action=save_variant attr:class="variant-row mt-2 grid grid-cols-2 items-center gap-2 border-t border-stone-100 pt-2 md:grid-cols-[8rem_1fr_1fr_7rem_7rem_5rem_4rem_4rem] md:border-0 md:pt-0">
            <input type="hidden" name="product_id" value=product_id />
            <input type="hidden" name="variant_id" value=variant.as_ref().map(|v| v.id.to_string()).unwrap_or_default() />
            <input type="hidden" name="barcode" value=get(|v| v.barcode.clone().unwrap_or_default()) />
            <input name="sku" aria-label="SKU" value=get(|v| v.sku.clone()) class=SMALL_INPUT required placeholder="SKU" />
            <input name="title" aria-label="Title" value=get(|v| v.title.clone()) class=SMALL_INPUT placeholder="e.g. M / Hitam" />
            <input name="options" aria-label="Options" value=get(|v| v.options.clone()) class=SMALL_INPUT placeholder="Ukuran=M; Warna=Hitam" />
            <input name="price" aria-label="Price" inputmode="numeric" value=get(|v| v.price.to_string()) class=SMALL_INPUT required placeholder="Price" />
            <input name="compare_at_price" aria-label="Compare-at price" inputmode="numeric" value=get(|v| v.compare_at_price.map(|c| c.to_string()).unwrap_or_default()) class=SMALL_INPUT placeholder="—" />
            <input name="weight_grams" aria-label="Weight in grams" inputmode="numeric" value=get(|v| v.weight_grams.to_string()) class=SMALL_INPUT placeholder="g" />
            <label class="flex items-center gap-1 text-xs">
                <input type="checkbox" name="active" value="true" checked=active />
                <span class="md:sr-only">"Active"</span>
            </label>
            <button type="submit" class="rounded-md border border-stone-300 px-2 py-1 text-xs font-semibold hover:bg-stone-100">{label}</button>
            {variant.map(|v| view! { <span class="col-span-2 text-xs text-stone-500 md:col-span-8">{format!("{} available across warehouses", v.available)}</span> })}
        </ActionForm>
    }
}

/// Stock per variant and warehouse: on hand, held for orders, available; staff set on hand
/// with a reason (an adjustment in the SKU's history).
#[component]
fn StockEditor(
    product: AdminProduct,
    set_stock: ServerAction<AdminSetStock>,
    set_threshold: ServerAction<AdminSetLowStockThreshold>,
    set_reorder: ServerAction<AdminSetReorderSettings>,
) -> impl IntoView {
    let stock_error = action_error_signal(set_stock);
    let threshold_error = action_error_signal(set_threshold);
    let reorder_error = action_error_signal(set_reorder);
    let error = Signal::derive(move || {
        stock_error
            .get()
            .or(threshold_error.get())
            .or(reorder_error.get())
    });
    let no_levels = product.variants.iter().all(|v| v.levels.is_empty());
    view! {
        <section class="rounded-xl border border-stone-200 bg-white p-6 shadow-sm" id="stock">
            <h2 class="mb-1 text-lg font-semibold">"Stock"</h2>
            <p class="mb-4 text-xs text-stone-500">"On hand per warehouse. Held: units in orders not yet paid. Setting on hand records an adjustment with your reason in the SKU's history."</p>
            <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
            {(no_levels && !product.variants.is_empty()).then(|| view! {
                <p class="text-sm text-amber-800">"No warehouse yet: " <a class="font-semibold underline" href="/admin/warehouses">"add one"</a> " to stock this product."</p>
            })}
            {product.variants.is_empty().then(|| view! {
                <p class="text-sm text-stone-500">"Add a variant first."</p>
            })}
            <div class="flex flex-col gap-4">
                {product.variants.into_iter().filter(|v| !v.levels.is_empty()).map(|v| {
                    let sku = v.sku.clone();
                    view! {
                        <div class="stock-variant">
                            <h3 class="text-sm font-semibold text-stone-800">
                                {v.sku.clone()}
                                <span class="font-normal text-stone-500">{if v.title.is_empty() { String::new() } else { format!(" · {}", v.title) }}</span>
                                <span class="ml-2 text-xs font-normal text-stone-600">{format!("{} available in total", v.available)}</span>
                                <a class="stock-history ml-2 text-xs font-medium text-emerald-800 hover:underline" href=format!("/admin/inventory/{}", v.sku)>"History"</a>
                                {v.low_stock.then(|| view! { <span class="low-stock ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-semibold text-amber-800">"Low stock"</span> })}
                            </h3>
                            <ActionForm action=set_threshold attr:class="low-stock-form mt-1 flex flex-wrap items-center gap-1 text-xs text-stone-600">
                                <input type="hidden" name="variant_id" value=v.id />
                                <label for=format!("threshold-{}", v.id)>"Alert staff when available falls below"</label>
                                <input id=format!("threshold-{}", v.id) name="threshold" inputmode="numeric" value=v.low_stock_threshold.map(|t| t.to_string()).unwrap_or_default() placeholder=v.low_stock_default.to_string() class="w-16 rounded-md border border-stone-300 px-2 py-0.5 text-xs" />
                                <span>{format!("units (empty: the shop's {})", v.low_stock_default)}</span>
                                <button type="submit" class="rounded-md border border-stone-300 px-2 py-0.5 font-semibold hover:bg-stone-100">"Save"</button>
                            </ActionForm>
                            <ActionForm action=set_reorder attr:class="reorder-form mt-1 flex flex-wrap items-center gap-1 text-xs text-stone-600">
                                <input type="hidden" name="variant_id" value=v.id />
                                <label for=format!("lead-{}", v.id)>"Reorder: lead time"</label>
                                <input id=format!("lead-{}", v.id) name="lead_time_days" inputmode="numeric" value=v.lead_time_days.map(|d| d.to_string()).unwrap_or_default() placeholder="shop" class="w-14 rounded-md border border-stone-300 px-2 py-0.5 text-xs" />
                                <label for=format!("cover-{}", v.id)>"days, cover"</label>
                                <input id=format!("cover-{}", v.id) name="cover_days" inputmode="numeric" value=v.cover_days.map(|d| d.to_string()).unwrap_or_default() placeholder="shop" class="w-14 rounded-md border border-stone-300 px-2 py-0.5 text-xs" />
                                <span>"days (empty: the shop's)"</span>
                                <button type="submit" class="rounded-md border border-stone-300 px-2 py-0.5 font-semibold hover:bg-stone-100">"Save"</button>
                            </ActionForm>
                            <table class="mt-1 w-full text-sm">
                                <thead class="text-left text-xs uppercase text-stone-500">
                                    <tr><th class="py-1 font-semibold">"Warehouse"</th><th class="font-semibold">"On hand"</th><th class="font-semibold">"Committed"</th><th class="font-semibold">"Available"</th><th class="font-semibold">"Unavailable"</th><th class="font-semibold">"Set on hand"</th></tr>
                                </thead>
                                <tbody>
                                    {v.levels.into_iter().map(|l| {
                                        let label = format!("{} {}", sku, l.warehouse);
                                        view! {
                                            <tr class="stock-level border-t border-stone-100 align-top" data-warehouse=l.warehouse.clone()>
                                                <td class="py-2">
                                                    <span class="font-medium">{l.warehouse.clone()}</span>
                                                    <span class="block text-xs text-stone-500">{l.warehouse_name.clone()}{(!l.warehouse_active).then_some(" (inactive)")}</span>
                                                </td>
                                                <td class="py-2 tabular-nums">{l.on_hand}</td>
                                                <td class="py-2 tabular-nums">{l.reserved}</td>
                                                <td class="py-2 tabular-nums">{l.available}</td>
                                                <td class="py-2 tabular-nums" title="Damaged, quality control and safety stock: set on the SKU's stock page">{l.unavailable}</td>
                                                <td class="py-2">
                                                    <ActionForm action=set_stock attr:class="flex flex-wrap items-center gap-1">
                                                        <input type="hidden" name="variant_id" value=v.id />
                                                        <input type="hidden" name="warehouse_id" value=l.warehouse_id />
                                                        <input name="on_hand" aria-label=format!("New on hand for {label}") inputmode="numeric" value=l.on_hand class="w-20 rounded-md border border-stone-300 px-2 py-1 text-sm" required />
                                                        <input name="reason" aria-label=format!("Reason for {label}") placeholder="Reason" class="w-40 rounded-md border border-stone-300 px-2 py-1 text-sm" required maxlength="200" />
                                                        <button type="submit" class="rounded-md border border-stone-300 px-2 py-1 text-xs font-semibold hover:bg-stone-100">"Set"</button>
                                                    </ActionForm>
                                                </td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }
                }).collect_view()}
            </div>
        </section>
    }
}

#[component]
fn ImagesEditor(
    product: AdminProduct,
    delete_image: ServerAction<AdminDeleteImage>,
    primary_image: ServerAction<AdminPrimaryImage>,
) -> impl IntoView {
    let product_id = product.id;
    view! {
        <section class="rounded-xl border border-stone-200 bg-white p-6 shadow-sm" id="images">
            <h2 class="mb-4 text-lg font-semibold">"Pictures"</h2>
            <ul class="grid grid-cols-2 gap-3">
                {product.images.into_iter().enumerate().map(|(i, image)| view! {
                    <li class="product-image flex flex-col gap-1">
                        <img src=image.thumbnail.clone() alt=image.alt.clone() width=image.width height=image.height loading="lazy" class="aspect-square w-full rounded-lg border border-stone-200 object-cover" />
                        <span class="truncate text-xs text-stone-500">{format!("{}×{}", image.width, image.height)}</span>
                        <div class="flex gap-2 text-xs">
                            {(i > 0).then(|| view! {
                                <ActionForm action=primary_image>
                                    <input type="hidden" name="product_id" value=product_id />
                                    <input type="hidden" name="image_id" value=image.id />
                                    <button type="submit" class="font-medium text-emerald-800 hover:underline">"Make first"</button>
                                </ActionForm>
                            })}
                            <ActionForm action=delete_image>
                                <input type="hidden" name="product_id" value=product_id />
                                <input type="hidden" name="image_id" value=image.id />
                                <button type="submit" class="font-medium text-red-700 hover:underline">"Delete"</button>
                            </ActionForm>
                        </div>
                    </li>
                }).collect_view()}
            </ul>
            // A plain multipart form: the server answers with a redirect back here, with or
            // without JavaScript.
            <form method="post" action=format!("/admin/products/{product_id}/images") enctype="multipart/form-data" class="mt-4 flex flex-col gap-2" id="upload-form">
                <label for="image-file" class="text-sm font-medium text-stone-700">"Add a picture"</label>
                <input id="image-file" type="file" name="file" required accept="image/jpeg,image/png,image/webp,image/gif" class="text-sm" />
                <label for="image-alt" class="sr-only">"Description for screen readers"</label>
                <input id="image-alt" name="alt" placeholder="Alt text (what the picture shows)" class=INPUT />
                <p class="text-xs text-stone-500">"JPEG, PNG, WebP or GIF, up to 8 MB, at least 100×100 px. Resized copies are made automatically."</p>
                <button type="submit" class=ButtonStyle::Secondary.class()>"Upload"</button>
            </form>
        </section>
    }
}
