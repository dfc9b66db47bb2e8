//! `/admin/purchase-orders`: units ordered from suppliers. Staff place one (a supplier, the
//! warehouse, an expected date, one `SKU, units` per line), see what is on order (incoming at
//! its warehouse until received) and receive or cancel it; a placed order can also come from
//! the reorder suggestions on `/admin/inventory`.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{AdminCancelPurchaseOrder, AdminCreatePurchaseOrder, AdminReceivePurchaseOrder},
    components::ui::{action_error_signal, Alert, Card, CardSkeleton, ErrorNotice, PageHeading},
    model::{PurchaseOrderStatus, PurchaseOrderView, WarehouseView},
};

const FIELD: &str = "block w-full rounded-md border border-stone-300 bg-white px-2 py-1 text-sm focus:outline-none focus:ring-2 focus:ring-emerald-600";

#[component]
pub fn AdminPurchaseOrdersPage() -> impl IntoView {
    let create = ServerAction::<AdminCreatePurchaseOrder>::new();
    let receive = ServerAction::<AdminReceivePurchaseOrder>::new();
    let cancel = ServerAction::<AdminCancelPurchaseOrder>::new();
    let orders = Resource::new(
        move || {
            (
                create.version().get(),
                receive.version().get(),
                cancel.version().get(),
            )
        },
        |_| crate::api::admin_purchase_orders(String::new()),
    );
    // Its own resource: one server function per future (see the stock page).
    let warehouses = Resource::new(|| (), |_| crate::api::admin_warehouses());
    let create_error = action_error_signal(create);
    let receive_error = action_error_signal(receive);
    let cancel_error = action_error_signal(cancel);
    let act_error = Signal::derive(move || receive_error.get().or(cancel_error.get()));
    view! {
        <Title text="Purchase orders · Admin" />
        <PageHeading title="Purchase orders" subtitle="Units ordered from suppliers: incoming at their warehouse until received. Receiving puts every line on hand at once." />
        <Alert message=Signal::derive(move || act_error.get().map(|e| e.to_string())) />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match (orders.await, warehouses.await) {
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                    (Ok(orders), Ok(warehouses)) => view! {
                        <OrderList orders receive cancel />
                        <Card class="mt-6">
                            <h2 class="mb-2 font-semibold">"Place a purchase order"</h2>
                            <Alert message=Signal::derive(move || create_error.get().map(|e| e.to_string())) />
                            <CreateForm warehouses create />
                        </Card>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn OrderList(
    orders: Vec<PurchaseOrderView>,
    receive: ServerAction<AdminReceivePurchaseOrder>,
    cancel: ServerAction<AdminCancelPurchaseOrder>,
) -> impl IntoView {
    if orders.is_empty() {
        return view! { <p class="text-sm text-stone-600">"No purchase orders yet."</p> }
            .into_any();
    }
    view! {
        <div class="purchase-orders flex flex-col gap-3">
            {orders.into_iter().map(|o| {
                let open = o.status == PurchaseOrderStatus::Ordered;
                let badge = match o.status {
                    PurchaseOrderStatus::Ordered => "bg-amber-100 text-amber-900",
                    PurchaseOrderStatus::Received => "bg-emerald-100 text-emerald-900",
                    PurchaseOrderStatus::Cancelled => "bg-stone-200 text-stone-700",
                };
                let when = match (&o.closed_at, &o.expected_on) {
                    (Some(at), _) => format!("closed {}", at.get(..10).unwrap_or_default()),
                    (None, Some(day)) => format!("expected {day}"),
                    (None, None) => format!("placed {}", o.created_at.get(..10).unwrap_or_default()),
                };
                view! {
                    <article class="purchase-order rounded-xl border border-stone-200 bg-white p-4 shadow-sm" data-number=o.number.clone() data-status=o.status.as_str()>
                        <div class="flex flex-wrap items-center gap-2">
                            <h3 class="font-semibold">{o.number.clone()}</h3>
                            <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold {badge}")>{o.status.as_str()}</span>
                            <span class="text-sm text-stone-600">{format!("{} → {} · {} units · {when}", o.supplier, o.warehouse, o.units)}</span>
                            {open.then(|| view! {
                                <div class="ml-auto flex gap-2">
                                    <ActionForm action=receive>
                                        <input type="hidden" name="id" value=o.id />
                                        <button type="submit" class="receive-po rounded-md bg-emerald-700 px-3 py-1 text-xs font-semibold text-white hover:bg-emerald-800">"Receive all"</button>
                                    </ActionForm>
                                    <ActionForm action=cancel>
                                        <input type="hidden" name="id" value=o.id />
                                        <button type="submit" class="rounded-md border border-stone-300 px-3 py-1 text-xs font-semibold hover:bg-stone-100">"Cancel"</button>
                                    </ActionForm>
                                </div>
                            })}
                        </div>
                        {(!o.note.is_empty()).then(|| view! { <p class="mt-1 text-xs text-stone-500">{o.note.clone()}</p> })}
                        <ul class="mt-2 grid gap-x-6 text-sm sm:grid-cols-2">
                            {o.lines.into_iter().map(|l| view! {
                                <li class="po-line flex justify-between gap-2 border-t border-stone-100 py-1">
                                    <a href=format!("/admin/inventory/{}", l.sku) class="font-mono text-emerald-800 hover:underline">{l.sku.clone()}</a>
                                    <span class="truncate text-stone-600">{format!("{} {}", l.product_name, l.variant_title)}</span>
                                    <span class="tabular-nums">{l.quantity}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    </article>
                }
            }).collect_view()}
        </div>
    }
    .into_any()
}

#[component]
fn CreateForm(
    warehouses: Vec<WarehouseView>,
    create: ServerAction<AdminCreatePurchaseOrder>,
) -> impl IntoView {
    view! {
        <ActionForm action=create attr:class="po-form grid gap-3 text-sm md:grid-cols-3">
            <label class="text-xs text-stone-600" for="po-supplier">"Supplier"
                <input id="po-supplier" name="supplier" required maxlength="120" class=FIELD />
            </label>
            <label class="text-xs text-stone-600" for="po-warehouse">"Deliver to"
                <select id="po-warehouse" name="warehouse" class=FIELD>
                    {warehouses.into_iter().filter(|w| w.active).map(|w| view! { <option value=w.code.clone()>{format!("{} · {}", w.code, w.name)}</option> }).collect_view()}
                </select>
            </label>
            <label class="text-xs text-stone-600" for="po-expected">"Expected on"
                <input id="po-expected" name="expected_on" type="date" class=FIELD />
            </label>
            <label class="text-xs text-stone-600 md:col-span-2" for="po-lines">"Lines: one "<code>"SKU, units"</code>" per line"
                <textarea id="po-lines" name="lines" required rows="4" class=format!("{FIELD} font-mono") placeholder="BTK-001-M, 24"></textarea>
            </label>
            <label class="text-xs text-stone-600" for="po-note">"Note"
                <textarea id="po-note" name="note" rows="4" maxlength="1000" class=FIELD></textarea>
            </label>
            <div class="md:col-span-3">
                <button type="submit" class="rounded-md bg-emerald-700 px-4 py-1.5 font-semibold text-white hover:bg-emerald-800">"Place order"</button>
            </div>
        </ActionForm>
    }
}
