//! `/admin/categories` and `/admin/brands`: create, rename, re-slug, move (categories) and delete
//! unused ones; and `/admin/catalog`: CSV export and import.
use leptos::prelude::*;
use leptos_meta::Title;

use super::products::{error_notice, saved_notice, INPUT};
use crate::{
    api::{
        AdminDeleteBrand, AdminDeleteCategory, AdminSaveBrand, AdminSaveCategory,
        AdminSetBrandReorderSettings,
    },
    components::ui::{
        form_error_signal, Alert, ButtonStyle, CardSkeleton, ErrorNotice, PageHeading,
    },
    model::AdminTaxon,
};

const CELL_INPUT: &str = "w-full rounded-md border border-stone-300 bg-white px-2 py-1 text-sm";

#[component]
pub fn AdminCategoriesPage() -> impl IntoView {
    let save = ServerAction::<AdminSaveCategory>::new();
    let delete = ServerAction::<AdminDeleteCategory>::new();
    let categories = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| crate::api::admin_categories(),
    );
    let error = form_error_signal(save);
    let delete_error = form_error_signal(delete);
    view! {
        <Title text="Categories · Admin" />
        <PageHeading title="Categories" subtitle="The category tree shoppers browse. Subcategories are indented." />
        <Alert message=Signal::derive(move || error.get().or(delete_error.get()).map(|e| e.to_string())) />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match categories.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(all) => {
                        let parents: Vec<(i32, String)> = all.iter().map(|c| (c.id, c.name.clone())).collect();
                        view! {
                            <div class="flex flex-col gap-2 rounded-xl border border-stone-200 bg-white p-4 shadow-sm" id="categories">
                                <div class="hidden grid-cols-[1fr_1fr_12rem_5rem_4rem_4rem] gap-2 text-xs font-semibold uppercase text-stone-500 md:grid">
                                    <span>"Name"</span><span>"Slug"</span><span>"Parent"</span><span>"Position"</span><span></span><span></span>
                                </div>
                                {all.iter().cloned().map(|c| view! { <CategoryRow category=Some(c) parents=parents.clone() save delete /> }).collect_view()}
                                <h2 class="mt-4 text-sm font-semibold">"New category"</h2>
                                <CategoryRow category=None parents save delete />
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn CategoryRow(
    category: Option<AdminTaxon>,
    parents: Vec<(i32, String)>,
    save: ServerAction<AdminSaveCategory>,
    delete: ServerAction<AdminDeleteCategory>,
) -> impl IntoView {
    let id = category.as_ref().map(|c| c.id);
    let parent = category.as_ref().and_then(|c| c.parent_id);
    let indent = if parent.is_some() { "md:pl-6" } else { "" };
    let info = category
        .as_ref()
        .map(|c| format!("{} products · /c/{}", c.products, c.slug));
    view! {
        <div class=format!("category-row grid grid-cols-2 items-center gap-2 md:grid-cols-[1fr_1fr_12rem_5rem_4rem_4rem] {indent}")>
            <ActionForm action=save attr:class="contents">
                <input type="hidden" name="id" value=id.map(|i| i.to_string()).unwrap_or_default() />
                <input name="name" aria-label="Name" required value=category.as_ref().map(|c| c.name.clone()) class=CELL_INPUT placeholder="Name" />
                <input name="slug" aria-label="Slug" value=category.as_ref().map(|c| c.slug.clone()) class=CELL_INPUT placeholder="from the name" />
                <select name="parent_id" aria-label="Parent" class=CELL_INPUT>
                    <option value="">"— top level —"</option>
                    {parents.into_iter().filter(|(pid, _)| Some(*pid) != id).map(|(pid, name)| view! {
                        <option value=pid selected=parent == Some(pid)>{name}</option>
                    }).collect_view()}
                </select>
                <input name="position" aria-label="Position" inputmode="numeric" value=category.as_ref().map(|c| c.position.to_string()).unwrap_or_else(|| "0".into()) class=CELL_INPUT />
                <button type="submit" class="rounded-md border border-stone-300 px-2 py-1 text-xs font-semibold hover:bg-stone-100">{if id.is_some() { "Save" } else { "Add" }}</button>
            </ActionForm>
            {id.map(|id| view! {
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="text-xs font-medium text-red-700 hover:underline" title="Only empty categories can be deleted">"Delete"</button>
                </ActionForm>
            })}
            {info.map(|text| view! { <span class="col-span-2 text-xs text-stone-500 md:col-span-6">{text}</span> })}
        </div>
    }
}

#[component]
pub fn AdminBrandsPage() -> impl IntoView {
    let save = ServerAction::<AdminSaveBrand>::new();
    let delete = ServerAction::<AdminDeleteBrand>::new();
    let reorder = ServerAction::<AdminSetBrandReorderSettings>::new();
    let brands = Resource::new(
        move || {
            (
                save.version().get(),
                delete.version().get(),
                reorder.version().get(),
            )
        },
        |_| crate::api::admin_brands(),
    );
    let error = form_error_signal(save);
    let delete_error = form_error_signal(delete);
    let reorder_error = form_error_signal(reorder);
    view! {
        <Title text="Brands · Admin" />
        <PageHeading title="Brands" subtitle="Brands shoppers can filter by." />
        <Alert message=Signal::derive(move || error.get().or(delete_error.get()).or(reorder_error.get()).map(|e| e.to_string())) />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match brands.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(all) => view! {
                        <div class="flex flex-col gap-2 rounded-xl border border-stone-200 bg-white p-4 shadow-sm" id="brands">
                            <h2 class="text-sm font-semibold">"New brand"</h2>
                            <BrandRow brand=None save delete reorder />
                            <hr class="my-2 border-stone-100" />
                            {all.into_iter().map(|b| view! { <BrandRow brand=Some(b) save delete reorder /> }).collect_view()}
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn BrandRow(
    brand: Option<AdminTaxon>,
    save: ServerAction<AdminSaveBrand>,
    delete: ServerAction<AdminDeleteBrand>,
    reorder: ServerAction<AdminSetBrandReorderSettings>,
) -> impl IntoView {
    let id = brand.as_ref().map(|b| b.id);
    let days = |d: Option<i32>| d.map(|d| d.to_string()).unwrap_or_default();
    let settings = brand
        .as_ref()
        .map(|b| (b.id, days(b.lead_time_days), days(b.cover_days)));
    view! {
        <div class="brand-row grid grid-cols-2 items-center gap-2 md:grid-cols-[1fr_1fr_8rem_4rem_4rem]">
            <ActionForm action=save attr:class="contents">
                <input type="hidden" name="id" value=id.map(|i| i.to_string()).unwrap_or_default() />
                <input name="name" aria-label="Name" required value=brand.as_ref().map(|b| b.name.clone()) class=CELL_INPUT placeholder="Name" />
                <input name="slug" aria-label="Slug" value=brand.as_ref().map(|b| b.slug.clone()) class=CELL_INPUT placeholder="from the name" />
                <span class="text-xs text-stone-500">{brand.as_ref().map(|b| format!("{} products", b.products))}</span>
                <button type="submit" class="rounded-md border border-stone-300 px-2 py-1 text-xs font-semibold hover:bg-stone-100">{if id.is_some() { "Save" } else { "Add" }}</button>
            </ActionForm>
            {id.map(|id| view! {
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="text-xs font-medium text-red-700 hover:underline">"Delete"</button>
                </ActionForm>
            })}
            {settings.map(|(brand_id, lead, cover)| view! {
                <ActionForm action=reorder attr:class="brand-reorder col-span-2 flex flex-wrap items-center gap-1 text-xs text-stone-600 md:col-span-5">
                    <input type="hidden" name="brand_id" value=brand_id />
                    <label for=format!("brand-lead-{brand_id}")>"Reorder: lead time"</label>
                    <input id=format!("brand-lead-{brand_id}") name="lead_time_days" inputmode="numeric" value=lead placeholder="shop" class="w-14 rounded-md border border-stone-300 px-2 py-0.5 text-xs" />
                    <label for=format!("brand-cover-{brand_id}")>"days, cover"</label>
                    <input id=format!("brand-cover-{brand_id}") name="cover_days" inputmode="numeric" value=cover placeholder="shop" class="w-14 rounded-md border border-stone-300 px-2 py-0.5 text-xs" />
                    <span>"days for its variants (empty: the shop's; a variant's own setting wins)"</span>
                    <button type="submit" class="rounded-md border border-stone-300 px-2 py-0.5 font-semibold hover:bg-stone-100">"Save"</button>
                </ActionForm>
            })}
        </div>
    }
}

/// CSV export (a download) and import (a multipart form answered with a redirect back here).
#[component]
pub fn AdminCatalogPage() -> impl IntoView {
    view! {
        <Title text="Import & export · Admin" />
        <PageHeading title="Import & export" subtitle="Products and variants as CSV, one row per variant." />
        <div class="grid gap-6 md:grid-cols-2">
            <section class="rounded-xl border border-stone-200 bg-white p-6 shadow-sm">
                <h2 class="mb-2 text-lg font-semibold">"Export"</h2>
                <p class="mb-4 text-sm text-stone-600">"Every product and variant, ready to edit in a spreadsheet and import again."</p>
                <a href="/admin/catalog/export.csv" rel="external" download class=ButtonStyle::Secondary.class() id="export-csv">"Download CSV"</a>
            </section>
            <section class="rounded-xl border border-stone-200 bg-white p-6 shadow-sm">
                <h2 class="mb-2 text-lg font-semibold">"Import"</h2>
                <p class="mb-2 text-sm text-stone-600">
                    "Columns: "<code class="text-xs">"product_slug, product_name, status, category, brand, description, sku, variant_title, options, price, compare_at_price, weight_grams, barcode, active"</code>
                    ". Products are matched by slug, variants by SKU; new ones are created."
                </p>
                <p class="mb-4 text-sm text-stone-600">"All or nothing: if any row has a problem, nothing is imported and each problem is listed with its line number."</p>
                <div class="mb-3 flex flex-col gap-2">
                    <Alert message=saved_notice() error=false />
                    <div class="whitespace-pre-line"><Alert message=error_notice() /></div>
                </div>
                <form method="post" action="/admin/catalog/import" enctype="multipart/form-data" class="flex flex-col gap-3" id="import-form">
                    <label for="import-file" class="text-sm font-medium">"CSV file (UTF-8)"</label>
                    <input id="import-file" type="file" name="file" accept=".csv,text/csv" required class=INPUT />
                    <button type="submit" class=ButtonStyle::Primary.class()>"Import"</button>
                </form>
            </section>
        </div>
    }
}
