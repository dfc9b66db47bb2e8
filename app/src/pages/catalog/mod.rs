//! Storefront listings: `/search` (all products, with `q`), `/c/{slug}` (a category and its
//! subcategories) and `/b/{slug}` (a brand). Every state — query, filters, sort, page, page
//! size, view — lives in the URL, so it is shareable and the back button works; filters are
//! GET forms, so everything works before (and without) the WASM.
mod card;
mod product;

pub use card::ProductCard;
pub use product::ProductPage;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{Form, A},
    hooks::{use_location, use_params_map},
};

use crate::{
    components::{
        hydration::{hydrate_later, skip_hydration},
        ui::{CardSkeleton, ErrorNotice},
    },
    error::AppError,
    model::{highlight_terms, FacetCount, Facets, ProductPage, Sort, DEFAULT_PER_PAGE},
};

/// Query pairs of the current URL, to rebuild links that change one parameter.
fn query_pairs(search: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(search.trim_start_matches('?').as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `path?…` with `key` set to `value` (or removed when `None`); changing anything but the page
/// goes back to page 1.
fn with_param(path: &str, pairs: &[(String, String)], key: &str, value: Option<&str>) -> String {
    let mut kept: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != key && (key == "page" || k != "page"))
        .cloned()
        .collect();
    if let Some(v) = value {
        kept.push((key.to_string(), v.to_string()));
    }
    if kept.is_empty() {
        return path.to_string();
    }
    let qs = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    format!("{path}?{qs}")
}

#[component]
pub fn SearchPage() -> impl IntoView {
    view! { <Listing /> }
}

#[component]
pub fn CategoryPage() -> impl IntoView {
    let params = use_params_map();
    view! { <Listing category=Signal::derive(move || params.read().get("slug")) /> }
}

#[component]
pub fn BrandPage() -> impl IntoView {
    let params = use_params_map();
    view! { <Listing brand=Signal::derive(move || params.read().get("slug")) /> }
}

#[component]
fn Listing(
    #[prop(optional, into)] category: Signal<Option<String>>,
    #[prop(optional, into)] brand: Signal<Option<String>>,
) -> impl IntoView {
    let location = use_location();
    let (pathname, search) = (location.pathname, location.search);
    let results = Resource::new(
        move || (search.get(), category.get(), brand.get()),
        |(search, category, brand)| crate::api::search_catalog(search, category, brand),
    );
    let listed = move || {
        let pairs = query_pairs(&search.get());
        let (path, category, brand) = (
            pathname.get_untracked(),
            category.get_untracked(),
            brand.get_untracked(),
        );
        async move {
            Listed {
                page: results.await,
                path,
                pairs,
                category,
                brand,
            }
        }
    };
    // Three boundaries over the one resource rather than one around the whole page: the
    // cards hydrate in a later task than the heading and the filters (see
    // `components::hydration`), so neither half blocks the browser for the other. The
    // containers between them are static, so a first client-side render lays its
    // placeholders out where the parts will go.
    view! {
        <Transition fallback=|| view! { <div class="mb-6 h-14"></div> }>
            {move || Suspend::new(async move { view! { <ListingHeading listed=listed().await /> } })}
        </Transition>
        <div class="grid gap-8 lg:grid-cols-[16rem_1fr]">
            <aside aria-label="Filters">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move { view! { <Filters listed=listed().await /> } })}
                </Transition>
            </aside>
            <section aria-label="Products">
                {hydrate_later(view! {
                    <Transition fallback=CardSkeleton>
                        {move || Suspend::new(async move { view! { <ListingResults listed=listed().await /> } })}
                    </Transition>
                })}
            </section>
        </div>
    }
}

/// One listing's result and the URL it answers, which each part of the page renders from.
#[derive(Clone)]
struct Listed {
    page: Result<ProductPage, AppError>,
    path: String,
    pairs: Vec<(String, String)>,
    category: Option<String>,
    brand: Option<String>,
}

impl Listed {
    fn get(&self, key: &str) -> Option<String> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn query(&self) -> String {
        self.get("q").unwrap_or_default()
    }

    /// Grid or list: the URL's choice, else the one remembered from an earlier visit.
    fn list_view(&self) -> bool {
        match self.get("view") {
            Some(view) => view == "list",
            None => remembered_view().as_deref() == Some("list"),
        }
    }

    fn title(&self, facets: &Facets) -> String {
        let q = self.query();
        match (&self.category, &self.brand, q.is_empty()) {
            (Some(slug), _, _) => facets
                .categories
                .iter()
                .find(|c| &c.slug == slug)
                .map(|c| c.name.clone())
                .unwrap_or_else(|| slug.clone()),
            (_, Some(slug), _) => facets
                .brands
                .iter()
                .find(|b| &b.slug == slug)
                .map(|b| b.name.clone())
                .unwrap_or_else(|| slug.clone()),
            (_, _, false) => format!("Hasil untuk “{q}”"),
            _ => "Semua produk".to_string(),
        }
    }
}

/// The title, the result count and the sort and view controls; or, when the listing could
/// not be shown, why (the other parts are then empty).
#[component]
fn ListingHeading(listed: Listed) -> impl IntoView {
    let chosen_view = listed.get("view");
    Effect::new(move |_| {
        if let Some(view) = chosen_view.clone() {
            remember_view(&view);
        }
    });
    let page = match &listed.page {
        Ok(page) => page,
        Err(error) => {
            return view! {
                <Title text="Produk" />
                <div class="mx-auto max-w-lg py-10">
                    <h1 class="mb-4 text-xl font-bold">"Tidak bisa menampilkan produk"</h1>
                    <ErrorNotice error=error.clone() />
                    <A href=listed.path.clone() attr:class="mt-4 inline-block text-sm font-medium text-emerald-800 hover:underline">"Reset filter"</A>
                </div>
            }
            .into_any()
        }
    };
    let title = listed.title(&page.facets);
    let current_sort = listed
        .get("sort")
        .and_then(|s| Sort::parse(&s))
        .unwrap_or_default();
    view! {
        <Title text=title.clone() />
        <div class="mb-6 flex flex-wrap items-end justify-between gap-3">
            <div>
                <h1 class="text-2xl font-bold tracking-tight" id="listing-title">{title}</h1>
                <p class="text-sm text-stone-600" id="result-count">{format!("{} produk", page.total)}</p>
            </div>
            <SortAndView path=listed.path.clone() pairs=listed.pairs.clone() current_sort list_view=listed.list_view() />
        </div>
    }
    .into_any()
}

/// The product cards (or why there are none) and the pagination.
#[component]
fn ListingResults(listed: Listed) -> impl IntoView {
    let list_view = listed.list_view();
    let terms = highlight_terms(&listed.query());
    let Listed {
        page, path, pairs, ..
    } = listed;
    let Ok(page) = page else {
        return ().into_any();
    };
    let pages = page.total.div_ceil(page.per_page.max(1)).max(1);
    view! {
        {if page.items.is_empty() {
            skip_hydration(view! {
                <div class="rounded-xl border border-dashed border-stone-300 bg-white p-10 text-center" id="empty-state">
                    <p class="font-semibold">
                        {if page.page > pages { "Halaman ini kosong." } else { "Tidak ada produk yang cocok." }}
                    </p>
                    <p class="mt-1 text-sm text-stone-600">"Coba kata lain atau kurangi filter."</p>
                    <a href=with_param(&path, &pairs, "page", None) class="mt-4 inline-block text-sm font-medium text-emerald-800 hover:underline">"← Kembali ke halaman 1"</a>
                </div>
            })
        } else {
            let class = if list_view { "flex flex-col gap-3" } else { "grid grid-cols-2 gap-4 sm:grid-cols-3 xl:grid-cols-4" };
            skip_hydration(view! {
                <ul class=class id="product-grid">
                    {page.items.into_iter().enumerate().map(|(i, item)| view! {
                        <li><ProductCard item terms=terms.clone() list=list_view eager=i < 8 /></li>
                    }).collect_view()}
                </ul>
            })
        }}
        {skip_hydration(view! { <Pagination path pairs current=page.page pages per_page=page.per_page /> })}
    }
    .into_any()
}

#[component]
fn SortAndView(
    path: String,
    pairs: Vec<(String, String)>,
    current_sort: Sort,
    list_view: bool,
) -> impl IntoView {
    let hidden: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "sort" && k != "page")
        .cloned()
        .collect();
    // Submitting through `requestSubmit` lets the router's `<Form>` navigate in place.
    let submit_sort_form = |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        if let Some(form) = event_target::<web_sys::HtmlSelectElement>(&_ev).form() {
            let _ = form.request_submit();
        }
    };
    let grid_href = with_param(&path, &pairs, "view", Some("grid"));
    let list_href = with_param(&path, &pairs, "view", Some("list"));
    view! {
        <div class="flex items-center gap-3">
            <Form method="GET" action=path.clone() attr:class="flex items-center gap-2" attr:id="sort-form">
                {hidden.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
                <label for="sort" class="text-sm text-stone-600">"Urutkan"</label>
                // A Leptos handler, not an inline `onchange`: the CSP allows no inline handlers.
                <select id="sort" name="sort" class="rounded-lg border border-stone-300 bg-white px-2 py-1.5 text-sm"
                    on:change=submit_sort_form>
                    {Sort::ALL.into_iter().map(|s| view! { <option value=s.as_str() selected=s == current_sort>{s.label()}</option> }).collect_view()}
                </select>
                <noscript><button type="submit" class="rounded-lg border px-2 py-1 text-sm">"OK"</button></noscript>
            </Form>
            <div class="flex overflow-hidden rounded-lg border border-stone-300 text-sm" role="group" aria-label="View">
                <A href=grid_href attr:class=if list_view { "px-3 py-1.5 hover:bg-stone-100" } else { "bg-stone-800 px-3 py-1.5 text-white" } attr:aria-current=(!list_view).then_some("true")>"Grid"</A>
                <A href=list_href attr:class=if list_view { "bg-stone-800 px-3 py-1.5 text-white" } else { "px-3 py-1.5 hover:bg-stone-100" } attr:aria-current=list_view.then_some("true")>"List"</A>
            </div>
        </div>
    }
}

/// The filter form, with each facet's counts (nothing when the listing could not be shown).
#[component]
fn Filters(listed: Listed) -> impl IntoView {
    let Listed {
        page,
        path,
        pairs,
        category,
        brand,
    } = listed;
    let Ok(ProductPage { facets, .. }) = page else {
        return ().into_any();
    };
    let brand_route = brand.is_some();
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
    let selected_brands: Vec<String> = pairs
        .iter()
        .filter(|(k, _)| k == "brand")
        .map(|(_, v)| v.clone())
        .collect();
    let keep: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| ["q", "sort", "view", "per_page"].contains(&k.as_str()))
        .cloned()
        .collect();
    let current_category = category.clone().or_else(|| get("category"));
    let top_categories: Vec<FacetCount> = facets
        .categories
        .iter()
        .filter(|c| {
            c.parent.is_none()
                || c.parent == current_category
                || current_category.as_ref() == Some(&c.slug)
        })
        .cloned()
        .collect();
    let min_rating = get("min_rating");
    let (min_price, max_price, in_stock) = (
        get("min_price"),
        get("max_price"),
        get("in_stock").is_some(),
    );
    view! {
        <Form method="GET" action=path.clone() attr:class="flex flex-col gap-6 rounded-xl border border-stone-200 bg-white p-4 text-sm" attr:id="filters">
            {keep.into_iter().map(|(k, v)| view! { <input type="hidden" name=k value=v /> }).collect_view()}
            {(category.is_none()).then(|| view! {
                <fieldset>
                    <legend class="mb-2 font-semibold">"Kategori"</legend>
                    <select name="category" class="w-full rounded-lg border border-stone-300 px-2 py-1.5" id="filter-category">
                        <option value="">"Semua kategori"</option>
                        {top_categories.into_iter().map(|c| {
                            let selected = current_category.as_ref() == Some(&c.slug);
                            let label = format!("{}{} ({})", if c.parent.is_some() { "— " } else { "" }, c.name, c.count);
                            view! { <option value=c.slug.clone() selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </fieldset>
            })}
            {(!brand_route).then(|| view! {
                <fieldset>
                    <legend class="mb-2 font-semibold">"Merek"</legend>
                    <div class="flex max-h-56 flex-col gap-1 overflow-y-auto" id="filter-brands">
                        {facets.brands.iter().map(|b| {
                            let checked = selected_brands.contains(&b.slug);
                            view! {
                                <label class="flex min-h-7 items-center gap-2">
                                    <input type="checkbox" name="brand" value=b.slug.clone() checked=checked class="h-4 w-4 rounded border-stone-300" />
                                    <span class="flex-1">{b.name.clone()}</span>
                                    <span class="text-xs text-stone-500">{b.count}</span>
                                </label>
                            }
                        }).collect_view()}
                    </div>
                </fieldset>
            })}
            <fieldset>
                <legend class="mb-2 font-semibold">"Harga (Rp)"</legend>
                <div class="flex items-center gap-2">
                    <input type="number" name="min_price" min="0" step="1000" value=min_price placeholder=facets.price_min.map(|p| p.to_string()) aria-label="Harga minimum" class="w-full rounded-lg border border-stone-300 px-2 py-1.5" id="filter-min-price" />
                    <span>"–"</span>
                    <input type="number" name="max_price" min="0" step="1000" value=max_price placeholder=facets.price_max.map(|p| p.to_string()) aria-label="Harga maksimum" class="w-full rounded-lg border border-stone-300 px-2 py-1.5" id="filter-max-price" />
                </div>
            </fieldset>
            <fieldset>
                <legend class="mb-2 font-semibold">"Rating"</legend>
                <label class="flex min-h-7 items-center gap-2"><input type="radio" name="min_rating" value="" checked=min_rating.is_none() class="h-4 w-4" />"Semua"</label>
                {facets.ratings.iter().map(|r| {
                    let value = r.min_rating.to_string();
                    let checked = min_rating.as_deref() == Some(value.as_str());
                    view! {
                        <label class="flex min-h-7 items-center gap-2">
                            <input type="radio" name="min_rating" value=value checked=checked class="h-4 w-4" />
                            <span class="flex-1">{format!("{}★ ke atas", r.min_rating)}</span>
                            <span class="text-xs text-stone-500">{r.count}</span>
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <label class="flex min-h-7 items-center gap-2">
                <input type="checkbox" name="in_stock" value="1" checked=in_stock class="h-4 w-4 rounded border-stone-300" id="filter-in-stock" />
                <span class="flex-1">"Stok tersedia"</span>
                <span class="text-xs text-stone-500">{facets.in_stock}</span>
            </label>
            <div class="flex gap-2">
                <button type="submit" class="flex-1 rounded-lg bg-emerald-700 px-3 py-2 font-semibold text-white hover:bg-emerald-800" id="apply-filters">"Terapkan"</button>
                <a href=path.clone() class="rounded-lg border border-stone-300 px-3 py-2 hover:bg-stone-100">"Reset"</a>
            </div>
        </Form>
    }
    .into_any()
}

#[component]
fn Pagination(
    path: String,
    pairs: Vec<(String, String)>,
    current: u64,
    pages: u64,
    per_page: u64,
) -> impl IntoView {
    let window: Vec<u64> = {
        let mut v: Vec<u64> = vec![1, pages];
        v.extend(current.saturating_sub(2).max(1)..=(current + 2).min(pages));
        v.sort_unstable();
        v.dedup();
        v
    };
    let link = {
        let (path, pairs) = (path.clone(), pairs.clone());
        move |p: u64| {
            with_param(
                &path,
                &pairs,
                "page",
                (p > 1).then(|| p.to_string()).as_deref(),
            )
        }
    };
    let sizes = [12u64, DEFAULT_PER_PAGE, 48, 96];
    let size_links: Vec<(u64, String)> = sizes
        .iter()
        .map(|&n| {
            (
                n,
                with_param(
                    &path,
                    &pairs,
                    "per_page",
                    (n != DEFAULT_PER_PAGE).then(|| n.to_string()).as_deref(),
                ),
            )
        })
        .collect();
    view! {
        <nav class="mt-8 flex flex-wrap items-center justify-between gap-4 text-sm" aria-label="Pagination">
            <ol class="flex flex-wrap items-center gap-1" id="pagination">
                {(current > 1 && current <= pages).then(|| view! { <li><A href=link(current - 1) attr:class="rounded-lg border border-stone-300 px-3 py-1.5 hover:bg-stone-100" attr:rel="prev">"‹ Sebelumnya"</A></li> })}
                {window.iter().enumerate().map(|(i, &p)| {
                    let gap = i > 0 && p > window[i - 1] + 1;
                    let is_current = p == current;
                    view! {
                        {gap.then(|| view! { <li class="px-1 text-stone-500">"…"</li> })}
                        <li>
                            <A href=link(p) attr:class=if is_current { "rounded-lg bg-emerald-700 px-3 py-1.5 font-semibold text-white" } else { "rounded-lg border border-stone-300 px-3 py-1.5 hover:bg-stone-100" }
                                attr:aria-current=is_current.then_some("page")>{p.to_string()}</A>
                        </li>
                    }
                }).collect_view()}
                {(current < pages).then(|| view! { <li><A href=link(current + 1) attr:class="rounded-lg border border-stone-300 px-3 py-1.5 hover:bg-stone-100" attr:rel="next">"Berikutnya ›"</A></li> })}
            </ol>
            <div class="flex items-center gap-1 text-stone-600">
                <span>"Per halaman:"</span>
                {size_links.into_iter().map(|(n, href)| view! {
                    <A href=href attr:class=if n == per_page { "rounded px-2 py-1 font-semibold text-emerald-800" } else { "rounded px-2 py-1 hover:bg-stone-100" }>{n.to_string()}</A>
                }).collect_view()}
            </div>
        </nav>
    }
}

/// The grid/list choice remembered from an earlier visit (the `pasar_view` cookie), read from the
/// request on the server and from `document.cookie` in the browser, so both render the same.
fn remembered_view() -> Option<String> {
    #[cfg(feature = "ssr")]
    let cookies: Option<String> = use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .reduce(|a, b| format!("{a}; {b}"))
    });
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let cookies: Option<String> = {
        use leptos::wasm_bindgen::JsCast;
        document()
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
            .and_then(|d| d.cookie().ok())
    };
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let cookies: Option<String> = None;
    let cookies = cookies?;
    cookies.split(';').find_map(|pair| {
        let (name, value) = pair.trim().split_once('=')?;
        (name == crate::model::VIEW_COOKIE && (value == "grid" || value == "list"))
            .then(|| value.to_string())
    })
}

/// Keeps the shopper's choice for a year (the server sets the same cookie for visits without
/// JavaScript).
fn remember_view(_view: &str) {
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use leptos::wasm_bindgen::JsCast;
        if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
            let _ = doc.set_cookie(&format!(
                "{}={_view}; path=/; max-age=31536000; samesite=lax",
                crate::model::VIEW_COOKIE
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_change_one_parameter_and_reset_the_page() {
        let pairs = query_pairs("q=kemeja+batik&brand=a&page=3&sort=price_asc");
        assert_eq!(pairs[0], ("q".to_string(), "kemeja batik".to_string()));
        assert_eq!(
            with_param("/search", &pairs, "page", Some("4")),
            "/search?q=kemeja+batik&brand=a&sort=price_asc&page=4"
        );
        assert_eq!(
            with_param("/search", &pairs, "sort", Some("newest")),
            "/search?q=kemeja+batik&brand=a&sort=newest"
        );
        assert_eq!(query_pairs("?x=Rp%20100%2B")[0].1, "Rp 100+");
    }
}
