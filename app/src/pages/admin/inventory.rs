//! `/admin/inventory/{sku}`: one SKU's stock per warehouse (on hand, held, available) and its
//! history: every movement, newest first, with before and after, who and why; filterable by
//! kind (a plain GET form, so the filter is in the URL and works without JavaScript).
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use crate::{
    components::ui::{CardSkeleton, ErrorNotice},
    model::{MovementKind, MovementView, StockHistory},
};

#[component]
pub fn AdminStockHistoryPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let sku = move || params.read().get("sku").unwrap_or_default();
    let kind = move || query.read().get("kind").filter(|k| !k.is_empty());
    let history = Resource::new(
        move || (sku(), kind()),
        |(sku, kind)| crate::api::admin_stock_history(sku, kind),
    );
    view! {
        <Title text=move || format!("{} stock · Admin", sku()) />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match history.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(history) => view! { <History history kind=kind() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn History(history: StockHistory, kind: Option<String>) -> impl IntoView {
    let StockHistory { item, movements } = history;
    let sku = item.sku.clone();
    view! {
        <div class="mb-6">
            <A href=format!("/admin/products/{}#stock", item.product_id) attr:class="text-sm text-emerald-800 hover:underline">{format!("← {}", item.product_name)}</A>
            <h1 class="text-2xl font-bold text-stone-900" id="stock-sku">{item.sku.clone()}</h1>
            <p class="text-sm text-stone-600">{item.variant_title.clone()}</p>
        </div>
        <section class="mb-6 rounded-xl border border-stone-200 bg-white p-4 shadow-sm">
            <h2 class="mb-2 font-semibold">"Stock"</h2>
            <table class="stock-levels w-full text-sm">
                <thead class="text-left text-xs uppercase text-stone-500">
                    <tr><th class="py-1">"Warehouse"</th><th>"On hand"</th><th>"Held for orders"</th><th>"Available"</th></tr>
                </thead>
                <tbody>
                    {item.levels.into_iter().map(|l| view! {
                        <tr class="border-t border-stone-100" data-warehouse=l.warehouse.clone()>
                            <td class="py-1">{l.warehouse.clone()} <span class="text-xs text-stone-500">{l.warehouse_name.clone()}{(!l.warehouse_active).then_some(" (inactive)")}</span></td>
                            <td class="tabular-nums">{l.on_hand}</td>
                            <td class="tabular-nums">{l.reserved}</td>
                            <td class="tabular-nums">{l.available}</td>
                        </tr>
                    }).collect_view()}
                    <tr class="border-t border-stone-300 font-semibold">
                        <td class="py-1">"Total (active warehouses)"</td>
                        <td class="tabular-nums">{item.on_hand}</td>
                        <td class="tabular-nums">{item.reserved}</td>
                        <td class="stock-available tabular-nums">{item.available}</td>
                    </tr>
                </tbody>
            </table>
        </section>
        <section class="rounded-xl border border-stone-200 bg-white p-4 shadow-sm">
            <div class="mb-2 flex flex-wrap items-end justify-between gap-2">
                <h2 class="font-semibold">"History"</h2>
                <form method="get" action=format!("/admin/inventory/{sku}") class="flex items-end gap-2 text-sm">
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
                                <tr><th class="py-1">"When (UTC)"</th><th>"What"</th><th>"Where"</th><th>"On hand"</th><th>"Held"</th><th>"Reference"</th><th>"Who and why"</th></tr>
                            </thead>
                            <tbody>{movements.into_iter().map(|m| view! { <MovementRow m /> }).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
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
            <td class="text-xs">{m.reference.clone()}</td>
            <td class="movement-note text-xs">{who}</td>
        </tr>
    }
}
