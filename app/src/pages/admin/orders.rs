//! `/admin/orders`: the orders table (filters, search, sort and page in the URL; a quick move
//! on each row) and `/admin/orders/{number}`: one order with its items, totals, customer,
//! payments and the gateways' events, refunds (and the refund form), timeline, shipment and
//! the moves open from its status.
//! Every form posts and redirects without JavaScript; with it, the page updates in place.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use super::products::{error_notice, saved_notice, INPUT};
use crate::{
    api::{AdminMoveOrder, AdminNoteOrder},
    components::ui::{
        action_error_signal, Alert, ButtonStyle, Card, CardSkeleton, ErrorNotice, PageHeading,
        SubmitButton,
    },
    model::{
        payment_method_label, status_label, tracking_url, AdminOrderDetail, AdminOrderRow, Gateway,
        OrderFilter, OrderStatus, PaymentStatus, RefundStatus,
    },
    pages::shop::TotalsTable,
};

const SELECT: &str = "rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm";

fn badge(status: &str) -> impl IntoView {
    let class = match status {
        "pending" => "bg-amber-100 text-amber-900",
        "confirmed" | "paid" => "bg-sky-100 text-sky-900",
        "processing" => "bg-violet-100 text-violet-900",
        "shipped" | "delivered" => "bg-emerald-100 text-emerald-900",
        _ => "bg-stone-200 text-stone-800",
    };
    view! {
        <span class=format!("rounded-full px-2 py-0.5 text-xs font-semibold whitespace-nowrap {class}") data-status=status.to_string()>
            {status_label(status)}
        </span>
    }
}

/// The filter the URL describes.
fn filter_from_url() -> Memo<OrderFilter> {
    let query = use_query_map();
    Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        OrderFilter {
            q: get("q"),
            status: get("status"),
            payment_status: get("payment_status"),
            method: get("method"),
            from: get("from"),
            to: get("to"),
            sort: get("sort"),
            page: get("page").parse().unwrap_or(1).max(1),
        }
    })
}

#[component]
pub fn AdminOrdersPage() -> impl IntoView {
    let filter = filter_from_url();
    let quick = ServerAction::<AdminMoveOrder>::new();
    let orders = Resource::new(
        move || (filter.get(), quick.version().get()),
        |(filter, _)| crate::api::admin_orders(filter),
    );
    let error = action_error_signal(quick);
    let f = move || filter.get();
    view! {
        <Title text="Orders · Admin" />
        <PageHeading title="Orders" subtitle="Find an order, see where it is, move it along." />
        <form method="get" action="/admin/orders" class="orders-filter mb-4 grid gap-2 sm:grid-cols-2 lg:grid-cols-4" role="search">
            <label class="text-xs text-stone-600 lg:col-span-2">"Search"
                <input id="order-search" type="search" name="q" value=move || f().q placeholder="Order number, email or name" class=INPUT />
            </label>
            <label class="text-xs text-stone-600">"Status"
                <select name="status" class=format!("{SELECT} w-full")>
                    <option value="" selected=move || f().status.is_empty()>"Any status"</option>
                    {OrderStatus::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=move || f().status == s.as_str()>{s.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="text-xs text-stone-600">"Payment"
                <select name="payment_status" class=format!("{SELECT} w-full")>
                    <option value="" selected=move || f().payment_status.is_empty()>"Any payment"</option>
                    {PaymentStatus::ALL.iter().map(|s| view! {
                        <option value=s.as_str() selected=move || f().payment_status == s.as_str()>{s.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="text-xs text-stone-600">"Method"
                <select name="method" class=format!("{SELECT} w-full")>
                    <option value="" selected=move || f().method.is_empty()>"Any method"</option>
                    {Gateway::ALL.iter().map(|g| view! {
                        <option value=g.as_str() selected=move || f().method == g.as_str()>{g.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label class="text-xs text-stone-600">"From"
                <input type="date" name="from" value=move || f().from class=INPUT />
            </label>
            <label class="text-xs text-stone-600">"To"
                <input type="date" name="to" value=move || f().to class=INPUT />
            </label>
            <label class="text-xs text-stone-600">"Sort"
                <select name="sort" class=format!("{SELECT} w-full")>
                    {[("newest", "Newest first"), ("oldest", "Oldest first"), ("total_desc", "Largest total"), ("total_asc", "Smallest total")].into_iter().map(|(v, l)| view! {
                        <option value=v selected=move || f().sort == v || (v == "newest" && f().sort.is_empty())>{l}</option>
                    }).collect_view()}
                </select>
            </label>
            <div class="flex items-end gap-2 sm:col-span-2 lg:col-span-4">
                <button type="submit" class=ButtonStyle::Primary.class()>"Filter"</button>
                <A href="/admin/orders" attr:class=ButtonStyle::Secondary.class()>"Clear"</A>
            </div>
        </form>
        <Alert message=saved_notice() error=false />
        <Alert message=error_notice() />
        <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
        // The checked rows' boxes belong to this form (`form="bulk-form"`); a plain post, so it
        // works the same with or without JavaScript.
        <form id="bulk-form" method="post" action="/admin/orders/bulk" class="bulk-form mb-3 flex flex-wrap items-center gap-2 text-sm">
            <input type="hidden" name="back" value=move || format!("/admin/orders?{}", f().to_query()) />
            <label for="bulk-status" class="text-stone-600">"Move the selected orders to"</label>
            <select id="bulk-status" name="status" class=SELECT>
                {[OrderStatus::Processing, OrderStatus::Delivered, OrderStatus::Cancelled].into_iter().map(|s| view! {
                    <option value=s.as_str()>{s.label()}</option>
                }).collect_view()}
            </select>
            <button type="submit" class=format!("bulk-button {}", ButtonStyle::Secondary.class())>"Apply"</button>
            // One PDF of the ticked orders' invoices, in a new tab (each print goes on the order's
            // timeline).
            <button type="submit" formaction="/admin/orders/invoices" formtarget="_blank" class=format!("bulk-print ml-auto {}", ButtonStyle::Secondary.class())>"Print invoices"</button>
        </form>
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match orders.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(result) => {
                        let pages = result.page_count();
                        let (current, total) = (result.page, result.total);
                        let filter = f();
                        let href = move |page: u64| {
                            let query = OrderFilter { page, ..filter.clone() }.to_query();
                            format!("/admin/orders?{query}")
                        };
                        view! {
                            <div class="overflow-x-auto rounded-xl border border-stone-200 bg-white shadow-sm">
                                <table class="min-w-full divide-y divide-stone-200 text-sm" id="orders-table">
                                    <thead class="bg-stone-50 text-left text-xs font-semibold uppercase tracking-wider text-stone-600">
                                        <tr>
                                            <th scope="col" class="px-4 py-3"><span class="sr-only">"Select"</span></th>
                                            <th scope="col" class="px-4 py-3">"Order"</th>
                                            <th scope="col" class="px-4 py-3">"Customer"</th>
                                            <th scope="col" class="px-4 py-3">"Status"</th>
                                            <th scope="col" class="px-4 py-3">"Payment"</th>
                                            <th scope="col" class="px-4 py-3 text-right">"Total"</th>
                                            <th scope="col" class="px-4 py-3">"Move to"</th>
                                        </tr>
                                    </thead>
                                    <tbody class="divide-y divide-stone-100">
                                        {if result.items.is_empty() {
                                            view! { <tr><td colspan="7" class="px-4 py-8 text-center text-stone-500">"No orders match."</td></tr> }.into_any()
                                        } else {
                                            result.items.into_iter().map(|o| view! { <OrderRow order=o quick /> }).collect_view().into_any()
                                        }}
                                    </tbody>
                                </table>
                            </div>
                            <nav class="mt-4 flex items-center justify-between text-sm text-stone-600" aria-label="Pagination">
                                <span class="orders-total">{format!("{total} orders · page {current} of {pages}")}</span>
                                <span class="flex gap-2">
                                    {(current > 1).then(|| view! { <A href=href(current - 1) attr:class="rounded-lg border border-stone-300 px-3 py-1 hover:bg-stone-100">"← Previous"</A> })}
                                    {(current < pages).then(|| view! { <A href=href(current + 1) attr:class="rounded-lg border border-stone-300 px-3 py-1 hover:bg-stone-100">"Next →"</A> })}
                                </span>
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
fn OrderRow(order: AdminOrderRow, quick: ServerAction<AdminMoveOrder>) -> impl IntoView {
    let href = format!("/admin/orders/{}", order.number);
    let day = order
        .created_at
        .get(..16)
        .unwrap_or_default()
        .replace('T', " ");
    let number = order.number.clone();
    let link_text = order.number.clone();
    let move_id = format!("move-{}", order.number);
    view! {
        <tr class="order-row" data-number=order.number>
            <td class="px-4 py-3">
                <input type="checkbox" form="bulk-form" name="number" value=number.clone() aria-label=format!("Select {number}") class="bulk-select h-4 w-4" />
            </td>
            <td class="px-4 py-3">
                <A href=href attr:class="font-mono font-medium text-stone-900 hover:underline">{link_text}</A>
                <div class="text-xs text-stone-500">{format!("{day} UTC · {} items", order.item_count)}</div>
            </td>
            <td class="px-4 py-3">
                <div>{order.customer_name.clone()}</div>
                <div class="text-xs text-stone-500">{order.email.clone()}</div>
            </td>
            <td class="px-4 py-3">{badge(&order.status)}</td>
            <td class="px-4 py-3">{badge(&order.payment_status)}<div class="mt-1 text-xs text-stone-500">{order.payment_method.clone()}</div></td>
            <td class="px-4 py-3 text-right whitespace-nowrap">{order.grand_total.formatted.clone()}</td>
            <td class="px-4 py-3">
                {if order.quick_moves.is_empty() {
                    view! { <span class="text-xs text-stone-400">"—"</span> }.into_any()
                } else {
                    view! {
                        <ActionForm action=quick attr:class="flex gap-1">
                            <input type="hidden" name="number" value=number.clone() />
                            <label class="sr-only" for=move_id.clone()>"New status"</label>
                            <select name="status" id=move_id.clone() class="quick-move rounded-md border border-stone-300 bg-white px-2 py-1 text-xs">
                                {order.quick_moves.iter().map(|s| view! { <option value=s.clone()>{status_label(s)}</option> }).collect_view()}
                            </select>
                            <button type="submit" class="quick-move-button rounded-md border border-stone-300 px-2 py-1 text-xs font-medium hover:bg-stone-100">"Move"</button>
                        </ActionForm>
                    }.into_any()
                }}
            </td>
        </tr>
    }
}

#[component]
pub fn AdminOrderPage() -> impl IntoView {
    let params = use_params_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let mv = ServerAction::<AdminMoveOrder>::new();
    let note = ServerAction::<AdminNoteOrder>::new();
    let detail = Resource::new(
        move || (number(), mv.version().get(), note.version().get()),
        |(n, _, _)| crate::api::admin_order(n),
    );
    let move_error = action_error_signal(mv);
    let note_error = action_error_signal(note);
    view! {
        <Title text="Order · Admin" />
        <A href="/admin/orders" attr:class="mb-2 inline-block text-sm text-emerald-800 hover:underline">"← All orders"</A>
        <Alert message=saved_notice() error=false />
        <Alert message=error_notice() />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match detail.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(d) => {
                        let o = d.order.clone();
                        let refund_detail = d.clone();
                        let a = o.address.clone();
                        let number = o.number.clone();
                        let ship_number = number.clone();
                        let note_number = number.clone();
                        let simple_moves: Vec<String> = d.moves.iter().filter(|m| m.as_str() != "shipped").cloned().collect();
                        let can_ship = d.moves.iter().any(|m| m == "shipped");
                        view! {
                            <div class="mb-6 flex flex-wrap items-center gap-3">
                                <h1 class="admin-order-number font-mono text-2xl font-bold">{o.number.clone()}</h1>
                                <span class="admin-order-status">{badge(&o.status)}</span>
                                {badge(&o.payment_status)}
                                {o.payment_status.parse::<PaymentStatus>().is_ok_and(PaymentStatus::has_captured).then(|| view! {
                                    <a href=format!("/admin/orders/{}/invoice.pdf", o.number) rel="external" target="_blank" class=format!("admin-invoice ml-auto {}", ButtonStyle::Secondary.class())>"Print invoice"</a>
                                })}
                            </div>
                            <div class="grid gap-6 lg:grid-cols-[1fr_22rem]">
                                <div class="flex flex-col gap-6">
                                    <Card>
                                        <h2 class="mb-2 font-semibold">"Items"</h2>
                                        <ul class="divide-y divide-stone-100 text-sm">
                                            {o.lines.iter().map(|l| view! {
                                                <li class="flex justify-between gap-3 py-2">
                                                    <span>{l.name.clone()} <span class="text-stone-500">{format!(" × {} @ {}", l.quantity, l.unit_price.formatted)}</span><br /><span class="font-mono text-xs text-stone-500">{l.sku.clone()}</span></span>
                                                    <span class="font-medium">{l.line_total.formatted.clone()}</span>
                                                </li>
                                            }).collect_view()}
                                        </ul>
                                        <div class="mt-4 border-t border-stone-100 pt-4"><TotalsTable totals=o.totals.clone() /></div>
                                    </Card>
                                    <Card>
                                        <h2 class="mb-2 font-semibold">"Payments"</h2>
                                        {d.payments.iter().map(|p| view! {
                                            <div class="admin-payment mb-3 text-sm">
                                                <p>{badge(&p.status)} " " {payment_method_label(&p.gateway)} " · " {p.amount.formatted.clone()}
                                                    {(!p.channel.is_empty()).then(|| format!(" · {}", p.channel))}</p>
                                                <p class="font-mono text-xs text-stone-500">{p.gateway_ref.clone()}</p>
                                                {(!p.message.is_empty()).then(|| view! { <p class="text-xs text-red-800">{p.message.clone()}</p> })}
                                                <ul class="mt-1 text-xs text-stone-600">
                                                    {p.events.iter().map(|e| view! {
                                                        <li class="gateway-event">{format!("{} · {} · {}{}", e.received_at.get(..19).unwrap_or_default().replace('T', " "), e.kind, e.outcome, if e.note.is_empty() { String::new() } else { format!(" ({})", e.note) })}</li>
                                                    }).collect_view()}
                                                </ul>
                                            </div>
                                        }).collect_view()}
                                    </Card>
                                    <RefundCard detail=refund_detail />
                                    {(!o.returns.is_empty()).then(|| view! { <AdminReturns returns=o.returns.clone() /> })}
                                    <Card class="admin-timeline">
                                        <h2 class="mb-3 font-semibold">"Timeline"</h2>
                                        <ol class="flex flex-col gap-3 border-l-2 border-stone-200 pl-4 text-sm">
                                            {o.timeline.iter().map(|e| {
                                                let what = match (&e.from, &e.to, e.kind.as_str()) {
                                                    (_, Some(to), "return") => match to.as_str() {
                                                        "requested" => "Return requested".to_string(),
                                                        "approved" => "Return approved".to_string(),
                                                        _ => "Return rejected".to_string(),
                                                    },
                                                    (Some(from), Some(to), _) => format!("{} → {}", status_label(from), status_label(to)),
                                                    (None, Some(to), _) => status_label(to).to_string(),
                                                    (_, None, "note") => "Note".to_string(),
                                                    _ => "Payment".to_string(),
                                                };
                                                view! {
                                                    <li class="timeline-entry" data-to=e.to.clone().unwrap_or_default()>
                                                        <p class="font-medium">{what}</p>
                                                        <p class="text-xs text-stone-500">{format!("{} UTC · {} ({})", e.at.get(..16).unwrap_or_default().replace('T', " "), e.actor_name, e.actor)}</p>
                                                        {(!e.note.is_empty()).then(|| view! { <p class="text-stone-700">{e.note.clone()}</p> })}
                                                    </li>
                                                }
                                            }).collect_view()}
                                        </ol>
                                        <ActionForm action=note attr:class="mt-4 flex gap-2">
                                            <input type="hidden" name="number" value=note_number />
                                            <label class="sr-only" for="order-note">"Note"</label>
                                            <input id="order-note" name="note" maxlength="1000" placeholder="Add a note for the team" class=INPUT />
                                            <SubmitButton label="Add note" pending=note.pending() style=ButtonStyle::Secondary />
                                        </ActionForm>
                                        <Alert message=Signal::derive(move || note_error.get().map(|e| e.to_string())) />
                                    </Card>
                                </div>
                                <div class="flex flex-col gap-6">
                                    <Card class="admin-actions h-fit">
                                        <h2 class="mb-2 font-semibold">"Next step"</h2>
                                        <Alert message=Signal::derive(move || move_error.get().map(|e| e.to_string())) />
                                        {(d.moves.is_empty()).then(|| view! { <p class="text-sm text-stone-600">"Nothing more to do: this order is closed."</p> })}
                                        {can_ship.then(|| view! {
                                            <ActionForm action=mv attr:class="ship-form mb-4 flex flex-col gap-2">
                                                <input type="hidden" name="number" value=ship_number />
                                                <input type="hidden" name="status" value="shipped" />
                                                <label class="text-xs text-stone-600">"Carrier"
                                                    <input id="ship-carrier" name="carrier" required maxlength="64" placeholder="JNE, J&T, SiCepat…" class=INPUT />
                                                </label>
                                                <label class="text-xs text-stone-600">"Tracking number"
                                                    <input id="ship-tracking" name="tracking_number" required maxlength="64" class=INPUT />
                                                </label>
                                                <SubmitButton label="Mark shipped" pending_label="Saving…" pending=mv.pending() class="ship-button w-full" />
                                            </ActionForm>
                                        })}
                                        {simple_moves.into_iter().map(move |to| {
                                            let label = to.parse::<OrderStatus>().map(|s| s.action_label()).unwrap_or("Move");
                                            let danger = to == "cancelled";
                                            let number = number.clone();
                                            view! {
                                                <ActionForm action=mv attr:class="mb-2">
                                                    <input type="hidden" name="number" value=number />
                                                    <input type="hidden" name="status" value=to.clone() />
                                                    <button type="submit" data-to=to.clone()
                                                        class=format!("move-button w-full {}", if danger { ButtonStyle::Secondary.class() } else { ButtonStyle::Primary.class() })>
                                                        {label}
                                                    </button>
                                                </ActionForm>
                                            }
                                        }).collect_view()}
                                    </Card>
                                    {o.tracking_number.clone().map(|t| view! {
                                        <Card class="h-fit">
                                            <h2 class="mb-1 font-semibold">"Shipment"</h2>
                                            <p class="text-sm">{o.carrier.clone().unwrap_or_default()} " · " <span class="admin-tracking font-mono">{t.clone()}</span></p>
                                            <a href=tracking_url(&t) target="_blank" rel="external noopener" class="text-sm text-emerald-800 hover:underline">"Track the parcel"</a>
                                        </Card>
                                    })}
                                    <Card class="h-fit">
                                        <h2 class="mb-1 font-semibold">"Customer"</h2>
                                        <p class="text-sm">{o.email.clone()} {(!d.registered_customer).then_some(" (guest)")}</p>
                                        <address class="mt-2 text-sm not-italic text-stone-700">
                                            {a.recipient.clone()} " · " {a.phone.clone()}<br />{a.street.clone()}<br />
                                            {format!("Kec. {}, {}, {} {}", a.district, a.city, a.province, a.postal_code)}
                                        </address>
                                        <p class="mt-2 text-xs text-stone-500">{format!("Shipping: {}", o.shipping_method)}</p>
                                    </Card>
                                </div>
                            </div>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// An order's refunds and the refund form: a quantity and a restock choice per line still
/// refundable, the shipping fee, or an amount. A plain form with the page's idempotency key
/// (works before hydration; a double submit makes one refund).
#[component]
fn AdminReturns(returns: Vec<crate::model::OrderReturn>) -> impl IntoView {
    view! {
        <Card class="admin-returns">
            <h2 class="mb-2 font-semibold">"Return requests"</h2>
            <ul class="flex flex-col gap-3 text-sm">
                {returns.into_iter().map(|r| {
                    let open = r.status == "requested";
                    view! {
                        <li class="admin-return" data-status=r.status.clone()>
                            <p class="font-medium">{r.status_label.clone()}</p>
                            <p class="text-xs text-stone-600">
                                {r.lines.iter().map(|l| format!("{} × {} ({})", l.quantity, l.sku, l.name)).collect::<Vec<_>>().join(", ")}
                            </p>
                            <p class="text-xs text-stone-800">{format!("Reason: {}", r.reason)}</p>
                            {(!r.decision_note.is_empty()).then(|| view! { <p class="text-xs text-stone-600">{format!("Answer: {}", r.decision_note)}</p> })}
                            {open.then(|| view! {
                                // A plain form: works before hydration.
                                <form method="post" action=format!("/admin/returns/{}", r.id) class="return-decision mt-2 flex flex-col gap-2">
                                    <input name="note" maxlength="1000" placeholder="Note for the customer (needed to reject)" class=INPUT />
                                    <div class="flex gap-2">
                                        <button type="submit" name="decision" value="approve" class=format!("return-approve {}", ButtonStyle::Primary.class())>"Approve"</button>
                                        <button type="submit" name="decision" value="reject" class=format!("return-reject {}", ButtonStyle::Secondary.class())>"Reject"</button>
                                    </div>
                                </form>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </Card>
    }
}

#[component]
fn RefundCard(detail: AdminOrderDetail) -> impl IntoView {
    let o = detail.order;
    let can_refund = detail.refundable.amount > 0;
    let refundable_lines: Vec<_> = o
        .lines
        .iter()
        .filter(|l| l.quantity > l.refunded)
        .cloned()
        .collect();
    view! {
        <Card class="admin-refunds">
            <h2 class="mb-2 font-semibold">"Refunds"</h2>
            {o.refunds.is_empty().then(|| view! { <p class="text-sm text-stone-600">"No refunds."</p> })}
            <ul class="mb-3 flex flex-col gap-2 text-sm">
                {o.refunds.iter().map(|r| view! {
                    <li class="refund-entry" data-status=r.status.clone()>
                        <p><span class="font-medium">{r.amount.formatted.clone()}</span> " · " {r.status_label.clone()}</p>
                        <p class="text-xs text-stone-600">{r.reason.clone()}</p>
                        {(!r.lines.is_empty()).then(|| view! {
                            <p class="text-xs text-stone-500">{r.lines.iter().map(|l| if l.sku.is_empty() {
                                format!("{} ({})", l.name, l.amount.formatted)
                            } else {
                                format!("{} × {} ({}{})", l.quantity, l.sku, l.amount.formatted, if l.restock { ", back in stock" } else if l.damaged { ", back damaged" } else { ", written off" })
                            }).collect::<Vec<_>>().join(" · ")}</p>
                        })}
                        {r.status.parse::<RefundStatus>().is_ok_and(RefundStatus::is_settled).then(|| view! {
                            <a href=format!("/admin/refunds/{}/credit-note.pdf", r.id) rel="external" target="_blank" class="admin-credit-note text-xs font-medium text-emerald-700 hover:underline">"Credit note (PDF)"</a>
                        })}
                    </li>
                }).collect_view()}
            </ul>
            {can_refund.then(|| view! {
                <form method="post" action=format!("/admin/orders/{}/refund", o.number) class="refund-form flex flex-col gap-3 border-t border-stone-100 pt-3 text-sm">
                    <input type="hidden" name="key" value=detail.refund_key.clone() />
                    <p class="text-stone-600">{format!("Up to {} can still be refunded. Choose units, the shipping fee, or an amount.", detail.refundable.formatted)}</p>
                    {refundable_lines.iter().map(|l| {
                        let left = l.quantity - l.refunded;
                        view! {
                            <div class="flex flex-wrap items-center gap-3">
                                <label class="flex items-center gap-2">
                                    <input type="number" name=format!("qty_{}", l.item_id) min="0" max=left.to_string() value="0" class="refund-qty w-20 rounded-lg border border-stone-300 px-2 py-1" data-sku=l.sku.clone() />
                                    <span>{format!("of {left} × ")}<span class="font-mono">{l.sku.clone()}</span></span>
                                </label>
                                <select name=format!("fate_{}", l.item_id) class="refund-fate rounded-lg border border-stone-300 px-2 py-1 text-xs" aria-label="What becomes of the units">
                                    <option value="restock" selected>"Back on sale"</option>
                                    <option value="damaged">"Back damaged (unavailable)"</option>
                                    <option value="write_off">"Not coming back (written off)"</option>
                                </select>
                            </div>
                        }
                    }).collect_view()}
                    {detail.shipping_refundable.then(|| view! {
                        <label class="flex items-center gap-2">
                            <input type="checkbox" name="shipping" />
                            {format!("Shipping fee ({})", o.totals.shipping.formatted)}
                        </label>
                    })}
                    <label class="text-xs text-stone-600">"Or an amount in rupiah (instead of units)"
                        <input name="amount" inputmode="numeric" placeholder="150.000" class=INPUT />
                    </label>
                    <label class="text-xs text-stone-600">"Reason"
                        <input name="reason" required maxlength="200" placeholder="Damaged in transit" class=INPUT />
                    </label>
                    <button type="submit" class=format!("refund-button {}", ButtonStyle::Secondary.class())>"Refund"</button>
                </form>
            })}
        </Card>
    }
}
