//! `/admin/inventory/{sku}`: one SKU's stock per warehouse (on hand, committed, unavailable,
//! available, incoming, side by side as Shopify shows them), unavailable units set aside or
//! back, and its
//! history: every movement, newest first, with before and after, who and why; filterable by
//! kind (a plain GET form, so the filter is in the URL and works without JavaScript).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::{Redirect, A},
    hooks::{use_params_map, use_query_map},
};

use crate::{
    api::{
        AdminChangeUnavailable, AdminOrderSuggestions, AdminPostCount, AdminReceiveTransfer,
        AdminShipTransfer,
    },
    components::ui::{action_error_signal, Alert, CardSkeleton, ErrorNotice},
    model::{
        MovementKind, MovementView, StockFilter, StockHistory, StockItem, StockLevelView,
        UnavailableAction, UnavailableState,
    },
};

/// `/admin/inventory`: find a SKU's stock, and the variants below their low-stock alert level.
#[component]
pub fn AdminInventoryPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        StockFilter {
            q: get("q"),
            warehouse: get("warehouse"),
            state: get("state"),
            category: get("category"),
            brand: get("brand"),
            sort: get("sort"),
            page: get("page").parse().unwrap_or(1).max(1),
        }
    });
    let overview = Resource::new(move || filter.get(), crate::api::admin_stock_overview);
    // One server function per resource: a second call after an `await` in the same future
    // can run without the request's context during SSR.
    let taxa = Resource::new(|| (), |_| crate::api::admin_taxon_choices());
    let warehouses = Resource::new(|| (), |_| crate::api::admin_warehouses());
    let low = Resource::new(|| (), |_| crate::api::admin_low_stock());
    let reorder = Resource::new(|| (), |_| crate::api::admin_reorder_suggestions());
    let order_suggestions = ServerAction::<AdminOrderSuggestions>::new();
    let order_error = action_error_signal(order_suggestions);
    // "Open a SKU" is a plain GET form back to this page: it goes on to the SKU's page, with
    // or without JavaScript.
    let wanted = move || {
        query
            .read()
            .get("sku")
            .map(|s| s.trim().to_uppercase())
            .filter(|s| !s.is_empty())
    };
    view! {
        <Title text="Stock · Admin" />
        {move || wanted().map(|sku| view! { <Redirect path=format!("/admin/inventory/{sku}") /> })}
        <div class="mb-6 flex flex-wrap items-end justify-between gap-2">
            <h1 class="text-2xl font-bold text-stone-900">"Stock"</h1>
            <form method="get" action="/admin/inventory" class="flex items-end gap-2 text-sm">
                <label class="text-xs text-stone-600" for="stock-sku-search">"Open a SKU"
                    <input id="stock-sku-search" name="sku" required placeholder="PSR-0001-01" class="block w-48 rounded-md border border-stone-300 px-2 py-1 text-sm" />
                </label>
                <button type="submit" class="rounded-md border border-stone-300 px-3 py-1 font-semibold hover:bg-stone-100">"Open"</button>
            </form>
        </div>
        <Alert message=super::products::saved_notice() error=false />
        <div class="mb-4"><Alert message=super::products::error_notice() /></div>
        <section class="mb-6 rounded-xl border border-stone-200 bg-white p-4 shadow-sm" id="overview">
            <h2 class="mb-2 font-semibold">"All stock"</h2>
            <Transition fallback=CardSkeleton>
                {move || Suspend::new(async move {
                    let f = filter.get();
                    match (taxa.await, warehouses.await, overview.await) {
                        (Err(error), _, _) | (_, Err(error), _) | (_, _, Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                        (Ok(taxa), Ok(warehouses), Ok(page)) => view! {
                            <OverviewFilters f=f.clone() taxa warehouses />
                            <OverviewTable page filter=f />
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="mb-6 rounded-xl border border-stone-200 bg-white p-4 shadow-sm">
            <h2 class="mb-1 font-semibold">"Post a stock count"</h2>
            <p class="mb-2 text-xs text-stone-500">"A CSV with the columns sku, warehouse, counted and, to refuse levels that moved while you counted, expected (the on hand when counting started). Every line is posted, or none; differences are recorded as count corrections."</p>
            <form method="post" action="/admin/inventory/counts" enctype="multipart/form-data" class="count-form flex flex-wrap items-end gap-2 text-sm">
                <label class="text-xs text-stone-600" for="count-file">"File"
                    <input id="count-file" type="file" name="file" required accept=".csv,text/csv" class="block text-sm" />
                </label>
                <label class="text-xs text-stone-600" for="count-reason">"Reason"
                    <input id="count-reason" name="reason" required maxlength="200" placeholder="Monthly count" class="block w-56 rounded-md border border-stone-300 px-2 py-1 text-sm" />
                </label>
                <button type="submit" class="rounded-md border border-stone-300 px-3 py-1 font-semibold hover:bg-stone-100">"Post count"</button>
            </form>
        </section>
        <section class="mb-6 rounded-xl border border-stone-200 bg-white p-4 shadow-sm">
            <div class="mb-1 flex flex-wrap items-center justify-between gap-2">
                <h2 class="font-semibold">"Reorder suggestions"</h2>
                <a href="/api/v1/admin/inventory/reorder-suggestions?format=csv" class="text-sm font-medium text-emerald-800 hover:underline" download>"Download CSV"</a>
            </div>
            <p class="mb-2 text-xs text-stone-500">"From the last 30 days of sales: velocity (a weighted daily average), days of cover left, safety stock for the service level, and how many to order to cover the lead time and the cover days. Most urgent first."</p>
            <Transition fallback=CardSkeleton>
                {move || Suspend::new(async move {
                    match (reorder.await, warehouses.await) {
                        (Err(error), _) | (_, Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                        (Ok(rows), _) if rows.is_empty() => view! { <p class="text-sm text-stone-600">"Nothing has sold in the last 30 days."</p> }.into_any(),
                        (Ok(rows), Ok(warehouses)) => {
                            let to_order = rows.iter().filter(|r| r.suggested > 0).count();
                            view! {
                            <div class="overflow-x-auto">
                                <table class="reorder-list w-full text-left text-sm">
                                    <thead class="text-xs uppercase text-stone-500">
                                        <tr><th class="py-1">"SKU"</th><th>"Per day"</th><th>"Available"</th><th>"Incoming"</th><th>"Days of cover"</th><th>"Reorder point"</th><th>"Order"</th></tr>
                                    </thead>
                                    <tbody>
                                        {rows.into_iter().take(50).map(|r| {
                                            let sku = r.sku.clone();
                                            view! {
                                                <tr class="border-t border-stone-100" data-sku=r.sku.clone()>
                                                    <td class="py-1"><A href=format!("/admin/inventory/{}", r.sku) attr:class="font-medium text-emerald-800 hover:underline">{sku}</A> <span class="text-xs text-stone-500">{r.product_name.clone()}</span></td>
                                                    <td class="tabular-nums">{format!("{:.1}", r.velocity)}</td>
                                                    <td class="tabular-nums">{r.available}</td>
                                                    <td class="tabular-nums">{r.incoming}</td>
                                                    <td class="tabular-nums">{r.days_of_cover.map(|d| format!("{d:.1}")).unwrap_or_else(|| "—".into())}</td>
                                                    <td class="tabular-nums">{format!("{:.0}", r.reorder_point.ceil())}</td>
                                                    <td class="reorder-quantity tabular-nums font-semibold">{r.suggested}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {(to_order > 0).then(|| view! {
                                <Alert message=Signal::derive(move || order_error.get().map(|e| e.to_string())) />
                                <ActionForm action=order_suggestions attr:class="order-suggestions mt-3 flex flex-wrap items-end gap-2 border-t border-stone-100 pt-3 text-sm">
                                    <span class="text-xs text-stone-600">{format!("Order the suggested units of {to_order} SKU(s) in one purchase order:")}</span>
                                    <label class="text-xs text-stone-600" for="suggest-supplier">"Supplier"
                                        <input id="suggest-supplier" name="supplier" required maxlength="120" class="block w-48 rounded-md border border-stone-300 px-2 py-1 text-sm" />
                                    </label>
                                    <label class="text-xs text-stone-600" for="suggest-warehouse">"Deliver to"
                                        <select id="suggest-warehouse" name="warehouse" class="block rounded-md border border-stone-300 px-2 py-1 text-sm">
                                            {warehouses.into_iter().filter(|w| w.active).map(|w| view! { <option value=w.code.clone()>{w.code.clone()}</option> }).collect_view()}
                                        </select>
                                    </label>
                                    <label class="text-xs text-stone-600" for="suggest-expected">"Expected on"
                                        <input id="suggest-expected" name="expected_on" type="date" class="block rounded-md border border-stone-300 px-2 py-1 text-sm" />
                                    </label>
                                    <button type="submit" class="rounded-md bg-emerald-700 px-3 py-1 font-semibold text-white hover:bg-emerald-800">"Place purchase order"</button>
                                </ActionForm>
                            })}
                        }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
        <section class="rounded-xl border border-stone-200 bg-white p-4 shadow-sm">
            <h2 class="mb-1 font-semibold">"Low stock"</h2>
            <p class="mb-2 text-xs text-stone-500">"Variants whose available units fell below their alert level. Staff were emailed once; they leave this list when stock is back at or above it."</p>
            <Transition fallback=CardSkeleton>
                {move || Suspend::new(async move {
                    match low.await {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="text-sm text-stone-600">"Nothing is low."</p> }.into_any(),
                        Ok(list) => view! {
                            <table class="low-stock-list w-full text-left text-sm">
                                <thead class="text-xs uppercase text-stone-500">
                                    <tr><th class="py-1">"SKU"</th><th>"Product"</th><th>"Available"</th><th>"Alert below"</th><th>"Since (UTC)"</th></tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|l| {
                                        let (sku, name) = (l.sku.clone(), l.product_name.clone());
                                        view! {
                                        <tr class="border-t border-stone-100" data-sku=l.sku.clone()>
                                            <td class="py-1"><A href=format!("/admin/inventory/{}", l.sku) attr:class="font-medium text-emerald-800 hover:underline">{sku}</A></td>
                                            <td><A href=format!("/admin/products/{}#stock", l.product_id) attr:class="hover:underline">{name}</A>" "<span class="text-xs text-stone-500">{l.variant_title.clone()}</span></td>
                                            <td class="tabular-nums font-semibold text-amber-800">{l.available}</td>
                                            <td class="tabular-nums">{l.threshold}</td>
                                            <td class="whitespace-nowrap text-xs">{l.since.get(..16).unwrap_or_default().replace('T', " ")}</td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OverviewFilters(
    f: StockFilter,
    taxa: crate::model::TaxonChoices,
    warehouses: Vec<crate::model::WarehouseView>,
) -> impl IntoView {
    const FIELD: &str = "block rounded-md border border-stone-300 px-2 py-1 text-sm";
    // Each select's options come from one list: a fixed option next to a rendered list
    // trips hydration inside a <select>.
    let all = [(String::new(), "All".to_string())];
    let choose = |options: Vec<(String, String)>, current: String| {
        options
            .into_iter()
            .map(|(value, label)| {
                let selected = value == current;
                view! { <option value=value selected=selected>{label}</option> }
            })
            .collect_view()
    };
    view! {
        <form method="get" action="/admin/inventory" class="stock-filters mb-3 flex flex-wrap items-end gap-2 text-sm">
            <label class="text-xs text-stone-600" for="stock-q">"Search"
                <input id="stock-q" name="q" value=f.q.clone() placeholder="SKU or product" class=FIELD />
            </label>
            <label class="text-xs text-stone-600" for="stock-warehouse">"Warehouse"
                <select id="stock-warehouse" name="warehouse" class=FIELD>
                    {choose(all.iter().cloned().chain(warehouses.into_iter().map(|w| (w.code.clone(), w.code))).collect(), f.warehouse.clone())}
                </select>
            </label>
            <label class="text-xs text-stone-600" for="stock-state">"Stock"
                <select id="stock-state" name="state" class=FIELD>
                    {choose(vec![("".into(), "All".into()), ("low".into(), "Low".into()), ("out".into(), "Out of stock".into()), ("unavailable".into(), "Has unavailable".into())], f.state.clone())}
                </select>
            </label>
            <label class="text-xs text-stone-600" for="stock-category">"Category"
                <select id="stock-category" name="category" class=FIELD>
                    {choose(all.iter().cloned().chain(taxa.categories.into_iter().map(|(id, name)| (id.to_string(), name))).collect(), f.category.clone())}
                </select>
            </label>
            <label class="text-xs text-stone-600" for="stock-brand">"Brand"
                <select id="stock-brand" name="brand" class=FIELD>
                    {choose(all.iter().cloned().chain(taxa.brands.into_iter().map(|(id, name)| (id.to_string(), name))).collect(), f.brand.clone())}
                </select>
            </label>
            <label class="text-xs text-stone-600" for="stock-sort">"Sort"
                <select id="stock-sort" name="sort" class=FIELD>
                    {choose(vec![("sku".into(), "SKU".into()), ("available_asc".into(), "Available ↑".into()), ("available_desc".into(), "Available ↓".into()), ("name".into(), "Product".into())], f.sort.clone())}
                </select>
            </label>
            <button type="submit" class="rounded-md border border-stone-300 px-3 py-1 font-semibold hover:bg-stone-100">"Show"</button>
        </form>
    }
}

#[component]
fn OverviewTable(page: crate::model::Page<StockItem>, filter: StockFilter) -> impl IntoView {
    let pages = page.page_count();
    let current = page.page;
    let link = move |to: u64| {
        format!(
            "/admin/inventory?{}",
            StockFilter {
                page: to,
                ..filter.clone()
            }
            .to_query()
        )
    };
    let codes: Vec<String> = page
        .items
        .first()
        .map(|i| i.levels.iter().map(|l| l.warehouse.clone()).collect())
        .unwrap_or_default();
    if page.items.is_empty() {
        return view! { <p class="text-sm text-stone-600">"No SKU matches."</p> }.into_any();
    }
    view! {
        <p class="mb-1 text-xs text-stone-500">{format!("{} SKUs · page {current} of {pages}", page.total)}</p>
        <div class="overflow-x-auto">
            <table class="stock-overview w-full text-left text-sm">
                <thead class="text-xs uppercase text-stone-500">
                    <tr>
                        <th class="py-1">"SKU"</th>
                        {codes.iter().map(|c| view! { <th>{format!("{c} on hand / held / avail.")}</th> }).collect_view()}
                        <th>"On hand"</th><th>"Committed"</th><th>"Unavailable"</th><th>"Available"</th><th>"Incoming"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.items.into_iter().map(|i| {
                        let sku = i.sku.clone();
                        view! {
                            <tr class="stock-row border-t border-stone-100" data-sku=i.sku.clone()>
                                <td class="py-1"><A href=format!("/admin/inventory/{}", i.sku) attr:class="font-medium text-emerald-800 hover:underline">{sku}</A>" "<span class="text-xs text-stone-500">{format!("{} {}", i.product_name, i.variant_title)}</span></td>
                                {i.levels.iter().map(|l| view! { <td class="tabular-nums text-xs">{format!("{} / {} / {}", l.on_hand, l.reserved, l.available)}</td> }).collect_view()}
                                <td class="tabular-nums">{i.on_hand}</td>
                                <td class="tabular-nums">{i.reserved}</td>
                                <td class="stock-row-unavailable tabular-nums">{i.unavailable}</td>
                                <td class="stock-row-available tabular-nums font-semibold">{i.available}</td>
                                <td class="tabular-nums">{i.incoming}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="mt-2 flex gap-3 text-sm" aria-label="Pages">
            {(current > 1).then(|| view! { <a class="text-emerald-800 hover:underline" href=link(current - 1)>"← Previous"</a> })}
            {(current < pages).then(|| view! { <a class="stock-next text-emerald-800 hover:underline" href=link(current + 1)>"Next →"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
pub fn AdminStockHistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let sku = move || params.read().get("sku").unwrap_or_default();
    let kind = move || query.read().get("kind").filter(|k| !k.is_empty());
    let ship = ServerAction::<AdminShipTransfer>::new();
    let receive = ServerAction::<AdminReceiveTransfer>::new();
    let count = ServerAction::<AdminPostCount>::new();
    let unavailable = ServerAction::<AdminChangeUnavailable>::new();
    let history = Resource::new(
        move || {
            (
                sku(),
                kind(),
                ship.version().get(),
                receive.version().get(),
                count.version().get(),
                unavailable.version().get(),
            )
        },
        |(sku, kind, ..)| crate::api::admin_stock_history(sku, kind),
    );
    let ship_error = action_error_signal(ship);
    let receive_error = action_error_signal(receive);
    let count_error = action_error_signal(count);
    let unavailable_error = action_error_signal(unavailable);
    view! {
        <Title text=move || format!("{} stock · Admin", sku()) />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match history.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(history) => view! {
                        <History history kind=kind() ship receive count unavailable ship_error receive_error count_error unavailable_error />
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn History(
    history: StockHistory,
    kind: Option<String>,
    ship: ServerAction<AdminShipTransfer>,
    receive: ServerAction<AdminReceiveTransfer>,
    count: ServerAction<AdminPostCount>,
    unavailable: ServerAction<AdminChangeUnavailable>,
    ship_error: Signal<Option<crate::error::AppError>>,
    receive_error: Signal<Option<crate::error::AppError>>,
    count_error: Signal<Option<crate::error::AppError>>,
    unavailable_error: Signal<Option<crate::error::AppError>>,
) -> impl IntoView {
    let StockHistory {
        item,
        transfers,
        movements,
        warehouses,
    } = history;
    // "To" starts on the second warehouse: a transfer goes somewhere else.
    let options = move |selected: usize| {
        warehouses
            .iter()
            .enumerate()
            .map(|(i, w)| view! { <option value=w.code.clone() selected=i == selected>{format!("{} · {}", w.code, w.name)}</option> })
            .collect_view()
    };
    let sku = item.sku.clone();
    let unavailable_sku = item.sku.clone();
    let level_codes: Vec<String> = item.levels.iter().map(|l| l.warehouse.clone()).collect();
    view! {
        <div class="mb-6">
            <A href=format!("/admin/products/{}#stock", item.product_id) attr:class="text-sm text-emerald-800 hover:underline">{format!("← {}", item.product_name)}</A>
            <h1 class="text-2xl font-bold text-stone-900" id="stock-sku">{item.sku.clone()}</h1>
            <p class="text-sm text-stone-600">{item.variant_title.clone()}</p>
        </div>
        <section class="mb-6 rounded-xl border border-stone-200 bg-white p-4 shadow-sm">
            <h2 class="mb-2 font-semibold">"Stock"</h2>
            <Alert message=Signal::derive(move || count_error.get().map(|e| e.to_string())) />
            <table class="stock-levels w-full text-sm">
                <thead class="text-left text-xs uppercase text-stone-500">
                    <tr><th class="py-1">"Warehouse"</th><th>"On hand"</th><th>"Committed"</th><th>"Unavailable"</th><th>"Available"</th><th>"Incoming"</th><th>"Count"</th></tr>
                </thead>
                <tbody>
                    {item.levels.into_iter().map(|l| view! {
                        <tr class="border-t border-stone-100" data-warehouse=l.warehouse.clone()>
                            <td class="py-1">{l.warehouse.clone()}" "<span class="text-xs text-stone-500">{l.warehouse_name.clone()}{(!l.warehouse_active).then_some(" (inactive)")}</span></td>
                            <td class="tabular-nums">{l.on_hand}</td>
                            <td class="tabular-nums">{l.reserved}</td>
                            <td class="level-unavailable tabular-nums">{l.unavailable}<UnavailableBreakdown level=l.clone() /></td>
                            <td class="level-available tabular-nums">{l.available}</td>
                            <td class="level-incoming tabular-nums">{l.incoming}</td>
                            <td><CountForm sku=sku.clone() warehouse=l.warehouse.clone() on_hand=l.on_hand count /></td>
                        </tr>
                    }).collect_view()}
                    <tr class="border-t border-stone-300 font-semibold">
                        <td class="py-1">"Total (active warehouses)"</td>
                        <td class="tabular-nums">{item.on_hand}</td>
                        <td class="tabular-nums">{item.reserved}</td>
                        <td class="stock-unavailable tabular-nums">{item.unavailable}</td>
                        <td class="stock-available tabular-nums">{item.available}</td>
                        <td class="tabular-nums">{item.incoming}</td>
                    </tr>
                </tbody>
            </table>
            <h3 class="mt-4 text-sm font-semibold">"Unavailable stock"</h3>
            <p class="mb-2 text-xs text-stone-500">"Units on hand that may not be sold: damaged, in quality control, or kept as safety stock. Setting aside takes available units; making available gives them back to sale; writing off removes them from on hand."</p>
            <Alert message=Signal::derive(move || unavailable_error.get().map(|e| e.to_string())) />
            <ActionForm action=unavailable attr:class="unavailable-form flex flex-wrap items-end gap-2 text-sm">
                <input type="hidden" name="sku" value=unavailable_sku />
                <label class="text-xs text-stone-600" for="unavailable-warehouse">"Warehouse"
                    <select id="unavailable-warehouse" name="warehouse" class="block rounded-md border border-stone-300 px-2 py-1 text-sm">
                        {level_codes.into_iter().map(|code| { let label = code.clone(); view! { <option value=code>{label}</option> } }).collect_view()}
                    </select>
                </label>
                <label class="text-xs text-stone-600" for="unavailable-action">"Do"
                    <select id="unavailable-action" name="action" class="block rounded-md border border-stone-300 px-2 py-1 text-sm">
                        {UnavailableAction::ALL.iter().map(|a| view! { <option value=a.as_str()>{a.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="text-xs text-stone-600" for="unavailable-state">"State"
                    <select id="unavailable-state" name="state" class="block rounded-md border border-stone-300 px-2 py-1 text-sm">
                        {UnavailableState::ALL.iter().map(|s| view! { <option value=s.as_str()>{s.label()}</option> }).collect_view()}
                    </select>
                </label>
                <label class="text-xs text-stone-600" for="unavailable-quantity">"Units"
                    <input id="unavailable-quantity" name="quantity" inputmode="numeric" required class="block w-20 rounded-md border border-stone-300 px-2 py-1 text-sm" />
                </label>
                <label class="text-xs text-stone-600" for="unavailable-reason">"Reason"
                    <input id="unavailable-reason" name="reason" required maxlength="200" class="block w-56 rounded-md border border-stone-300 px-2 py-1 text-sm" />
                </label>
                <button type="submit" class="rounded-md border border-stone-300 px-3 py-1 font-semibold hover:bg-stone-100">"Apply"</button>
            </ActionForm>
        </section>
        <section class="mb-6 rounded-xl border border-stone-200 bg-white p-4 shadow-sm" id="transfers">
            <h2 class="mb-1 font-semibold">"Transfer between warehouses"</h2>
            <p class="mb-2 text-xs text-stone-500">"Shipping takes the units out of the origin now (never units held for orders); they show as incoming at the destination until received."</p>
            <Alert message=Signal::derive(move || ship_error.get().or(receive_error.get()).map(|e| e.to_string())) />
            <ActionForm action=ship attr:class="transfer-form flex flex-wrap items-end gap-2 text-sm">
                <input type="hidden" name="sku" value=sku.clone() />
                <label class="text-xs text-stone-600" for="transfer-from">"From"
                    <select id="transfer-from" name="from" class="block rounded-md border border-stone-300 px-2 py-1 text-sm">{options(0)}</select>
                </label>
                <label class="text-xs text-stone-600" for="transfer-to">"To"
                    <select id="transfer-to" name="to" class="block rounded-md border border-stone-300 px-2 py-1 text-sm">{options(1)}</select>
                </label>
                <label class="text-xs text-stone-600" for="transfer-quantity">"Units"
                    <input id="transfer-quantity" name="quantity" inputmode="numeric" required class="block w-20 rounded-md border border-stone-300 px-2 py-1 text-sm" />
                </label>
                <label class="text-xs text-stone-600" for="transfer-reason">"Reason"
                    <input id="transfer-reason" name="reason" required maxlength="200" class="block w-56 rounded-md border border-stone-300 px-2 py-1 text-sm" />
                </label>
                <button type="submit" class="rounded-md border border-stone-300 px-3 py-1 font-semibold hover:bg-stone-100">"Ship"</button>
            </ActionForm>
            {(!transfers.is_empty()).then(|| view! {
                <h3 class="mt-4 text-sm font-semibold">"In transit"</h3>
                <ul class="mt-1 flex flex-col gap-1 text-sm">
                    {transfers.into_iter().map(|t| view! {
                        <li class="transfer flex flex-wrap items-center gap-2" data-id=t.id>
                            <span>{format!("#{} · {} → {} · {} units · {}", t.id, t.from, t.to, t.quantity, t.reason)}</span>
                            <ActionForm action=receive>
                                <input type="hidden" name="id" value=t.id />
                                <button type="submit" class="rounded-md bg-emerald-700 px-2 py-0.5 text-xs font-semibold text-white hover:bg-emerald-800">"Receive"</button>
                            </ActionForm>
                        </li>
                    }).collect_view()}
                </ul>
            })}
        </section>
        <section class="rounded-xl border border-stone-200 bg-white p-4 shadow-sm">
            <div class="mb-2 flex flex-wrap items-end justify-between gap-2">
                <h2 class="font-semibold">"History"</h2>
                <form method="get" action=format!("/admin/inventory/{}", item.sku) class="flex items-end gap-2 text-sm">
                    <label class="text-xs text-stone-600" for="movement-kind">"Kind"
                        <select id="movement-kind" name="kind" class="block rounded-md border border-stone-300 px-2 py-1 text-sm">
                            <option value="" selected=kind.is_none()>"All"</option>
                            {MovementKind::ALL.iter().map(|k| {
                                let value = k.as_str();
                                view! { <option value=value selected=kind.as_deref() == Some(value)>{k.label()}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="rounded-md border border-stone-300 px-3 py-1 font-semibold hover:bg-stone-100">"Filter"</button>
                </form>
            </div>
            {if movements.is_empty() {
                view! { <p class="text-sm text-stone-600">"No movements."</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto">
                        <table class="stock-movements w-full text-left text-sm">
                            <thead class="text-xs uppercase text-stone-500">
                                <tr><th class="py-1">"When (UTC)"</th><th>"What"</th><th>"Where"</th><th>"On hand"</th><th>"Committed"</th><th>"Unavailable"</th><th>"Reference"</th><th>"Who and why"</th></tr>
                            </thead>
                            <tbody>{movements.into_iter().map(|m| view! { <MovementRow m /> }).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

/// Counting one level: the on hand shown now is the snapshot; the variance shows as the
/// counted number is typed, before anything is posted. Posting refuses a level that moved.
#[component]
fn CountForm(
    sku: String,
    warehouse: String,
    on_hand: i32,
    count: ServerAction<AdminPostCount>,
) -> impl IntoView {
    let counted = RwSignal::new(String::new());
    let variance = move || {
        counted
            .get()
            .trim()
            .parse::<i32>()
            .ok()
            .map(|c| match c - on_hand {
                0 => "no difference".to_string(),
                d => format!("variance {d:+}"),
            })
    };
    view! {
        <ActionForm action=count attr:class="count-level flex flex-wrap items-center gap-1">
            <input type="hidden" name="sku" value=sku.clone() />
            <input type="hidden" name="warehouse" value=warehouse.clone() />
            <input type="hidden" name="expected" value=on_hand />
            <input name="counted" aria-label=format!("Counted in {warehouse}") inputmode="numeric" required placeholder="counted" bind:value=counted class="w-20 rounded-md border border-stone-300 px-2 py-0.5 text-xs" />
            <input name="reason" aria-label=format!("Count note for {warehouse}") required maxlength="200" placeholder="Count" value="Stock count" class="w-24 rounded-md border border-stone-300 px-2 py-0.5 text-xs" />
            <button type="submit" class="rounded-md border border-stone-300 px-2 py-0.5 text-xs font-semibold hover:bg-stone-100">"Post"</button>
            <span class="count-variance text-xs text-stone-600">{variance}</span>
        </ActionForm>
    }
}

/// Which unavailable states a level's unavailable units are in, when it has any.
#[component]
fn UnavailableBreakdown(level: StockLevelView) -> impl IntoView {
    let parts: Vec<String> = UnavailableState::ALL
        .iter()
        .filter_map(|&s| {
            let units = level.unavailable_of(s);
            (units > 0).then(|| format!("{} {units}", s.label().to_lowercase()))
        })
        .collect();
    (!parts.is_empty()).then(|| {
        view! { <span class="unavailable-breakdown block text-xs text-stone-500">{parts.join(", ")}</span> }
    })
}

#[component]
fn MovementRow(m: MovementView) -> impl IntoView {
    let change = |before: i32, after: i32| {
        if before == after {
            before.to_string()
        } else {
            format!("{before} → {after}")
        }
    };
    let unavailable = m
        .unavailable_state
        .as_deref()
        .and_then(|s| s.parse::<UnavailableState>().ok())
        .map(|s| {
            format!(
                "{}: {}",
                s.label(),
                change(m.unavailable_before, m.unavailable_after)
            )
        })
        .unwrap_or_default();
    let who = match (&m.actor, m.note.is_empty()) {
        (Some(actor), false) => format!("{actor}: {}", m.note),
        (Some(actor), true) => actor.clone(),
        (None, false) => m.note.clone(),
        (None, true) => String::new(),
    };
    view! {
        <tr class="stock-movement border-t border-stone-100 align-top" data-kind=m.kind.as_str()>
            <td class="py-1 whitespace-nowrap">{m.at.get(..16).unwrap_or_default().replace('T', " ")}</td>
            <td>{m.kind.label()}</td>
            <td>{m.warehouse.clone()}</td>
            <td class="tabular-nums">{change(m.on_hand_before, m.on_hand_after)}</td>
            <td class="tabular-nums">{change(m.reserved_before, m.reserved_after)}</td>
            <td class="movement-unavailable tabular-nums text-xs">{unavailable}</td>
            <td class="text-xs">{m.reference.clone()}</td>
            <td class="movement-note text-xs">{who}</td>
        </tr>
    }
}
