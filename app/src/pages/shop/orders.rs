//! The shopper's orders: one order's page and the list of their orders.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_params_map, use_query_map},
};

use super::checkout::TotalsTable;
use crate::{
    api::CancelOrder,
    components::ui::{
        form_error_signal, Alert, ButtonStyle, Card, CardSkeleton, ErrorNotice, PageHeading,
        SubmitButton,
    },
    model::{
        payment_method_label, status_label, tracking_url, OrderView, PaymentStatus, RefundStatus,
    },
};

/// The customer's return requests, and the form to ask for one (a plain post, so it works
/// before hydration): how many of each line and why.
#[component]
fn ReturnCard(order: OrderView, key: Option<String>) -> impl IntoView {
    let lines: Vec<_> = order
        .lines
        .iter()
        .filter(|l| l.quantity > l.refunded)
        .cloned()
        .collect();
    view! {
        <Card class="order-returns h-fit">
            <h2 class="mb-2 font-semibold">"Returns"</h2>
            <ul class="mb-3 flex flex-col gap-2 text-sm">
                {order.returns.iter().map(|r| view! {
                    <li class="return-entry" data-status=r.status.clone()>
                        <p class="font-medium">{r.status_label.clone()}</p>
                        <p class="text-xs text-stone-600">
                            {r.lines.iter().map(|l| format!("{} × {}", l.quantity, l.name)).collect::<Vec<_>>().join(", ")}
                            {format!(" · {}", r.reason)}
                        </p>
                        {(!r.decision_note.is_empty()).then(|| view! {
                            <p class="return-answer text-xs text-stone-800">{format!("The shop: {}", r.decision_note)}</p>
                        })}
                    </li>
                }).collect_view()}
            </ul>
            {order.returnable.then(|| view! {
                <form method="post" action=format!("/orders/{}/returns", order.number) class="return-form flex flex-col gap-2 text-sm">
                    {key.clone().map(|k| view! { <input type="hidden" name="key" value=k /> })}
                    <p class="text-stone-600">"Something wrong? Ask to send items back."</p>
                    {lines.iter().map(|l| {
                        let left = l.quantity - l.refunded;
                        view! {
                            <label class="flex items-center justify-between gap-2">
                                <span>{l.name.clone()}</span>
                                <select name=format!("qty_{}", l.item_id) class="return-qty rounded-lg border border-stone-300 px-2 py-1">
                                    {(0..=left).map(|n| view! { <option value=n.to_string()>{n.to_string()}</option> }).collect_view()}
                                </select>
                            </label>
                        }
                    }).collect_view()}
                    <label class="block">
                        <span class="text-stone-700">"Why?"</span>
                        <textarea name="reason" required maxlength="1000" rows="2" class="return-reason mt-1 w-full rounded-lg border border-stone-300 px-3 py-2"></textarea>
                    </label>
                    <button type="submit" class=format!("return-button {}", ButtonStyle::Secondary.class())>"Request a return"</button>
                </form>
            })}
        </Card>
    }
}

/// `/orders/{number}`: one order (its customer, or a guest with the key from their link).
#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let key = move || query.read().get("key");
    let just_paid = move || query.read().get("paid").is_some();
    let cancel = ServerAction::<CancelOrder>::new();
    // Read again after a cancel, so the page shows the order as it now is.
    let order = Resource::new(
        move || (number(), key(), cancel.version().get()),
        |(n, k, _)| crate::api::get_order(n, k),
    );
    view! {
        <Title text="Order" />
        <Suspense fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match order.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(o) => view! { <OrderDetail order=o just_paid=just_paid() key=key() cancel /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn status_class(status: &str) -> &'static str {
    match status {
        "confirmed" | "paid" | "processing" | "shipped" | "delivered" => {
            "rounded-full bg-emerald-100 px-3 py-1 text-xs font-semibold text-emerald-900"
        }
        "pending" => "rounded-full bg-amber-100 px-3 py-1 text-xs font-semibold text-amber-900",
        _ => "rounded-full bg-stone-200 px-3 py-1 text-xs font-semibold text-stone-800",
    }
}

#[component]
fn OrderDetail(
    order: OrderView,
    just_paid: bool,
    key: Option<String>,
    cancel: ServerAction<CancelOrder>,
) -> impl IntoView {
    let a = order.address.clone();
    let cancel_error = form_error_signal(cancel);
    let key_query = key
        .as_ref()
        .map(|k| format!("?key={k}"))
        .unwrap_or_default();
    let cancel_note = if order.payment_status == "paid" {
        "It has not shipped yet. The items go back on sale and what you paid is refunded."
    } else {
        "It has not been paid. The items go back on sale."
    };
    let query = use_query_map();
    // What a plain form post (the return request) left in the URL.
    let saved_notice = Signal::derive(move || query.read().get("saved").filter(|s| !s.is_empty()));
    let error_notice = Signal::derive(move || query.read().get("error").filter(|s| !s.is_empty()));
    let cancel_number = order.number.clone();
    // Money came in: the order has (or gets, on first download) its invoice.
    let invoiced = order
        .payment_status
        .parse::<PaymentStatus>()
        .is_ok_and(PaymentStatus::has_captured);
    let invoice_href = format!("/api/v1/orders/{}/invoice.pdf{key_query}", order.number);
    let return_card = (!order.returns.is_empty() || order.returnable).then(|| {
        view! { <ReturnCard order=order.clone() key=key.clone() /> }
    });
    let pay_href = if order.payment_method == "demo" {
        format!("/pay/demo/{}{key_query}", order.number)
    } else {
        format!("/pay/{}{key_query}", order.number)
    };
    view! {
        {(order.status == "pending").then(|| view! {
            <div class="order-unpaid mb-6 flex flex-wrap items-center justify-between gap-3 rounded-xl border border-amber-200 bg-amber-50 p-5">
                <p class="text-sm text-amber-900">"This order is waiting for its payment. Unpaid orders are released after a while and their items go back on sale."</p>
                // A real gateway's page loads its script, which a full page load runs (and its
                // Content-Security-Policy allows).
                <a href=pay_href.clone() rel=(order.payment_method != "demo").then_some("external") class=ButtonStyle::Primary.class()>"Complete payment"</a>
            </div>
        })}
        {(just_paid && order.payment_status == "paid" && order.status != "cancelled").then(|| view! {
            <div class="order-thanks mb-6 rounded-xl border border-emerald-200 bg-emerald-50 p-5">
                <p class="text-lg font-bold text-emerald-900">"Terima kasih! Your payment was received."</p>
                <p class="text-sm text-emerald-900">{format!("A confirmation goes to {}.", order.email)}</p>
            </div>
        })}
        <Alert message=saved_notice error=false />
        <Alert message=error_notice />
        <div class="mb-6 flex flex-wrap items-center gap-3">
            <h1 class="order-number text-2xl font-bold">{format!("Order {}", order.number)}</h1>
            <span class=format!("order-status {}", status_class(&order.status)) data-status=order.status.clone()>{status_label(&order.status)}</span>
        </div>
        {(!order.payment_message.is_empty()).then(|| view! { <p class="mb-4 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800">{order.payment_message.clone()}</p> })}
        <div class="grid gap-6 lg:grid-cols-[1fr_22rem]">
            <Card>
                <ul class="divide-y divide-stone-100 text-sm">
                    {order.lines.iter().map(|l| view! {
                        <li class="order-line flex justify-between gap-3 py-2">
                            <span>{l.name.clone()} <span class="text-stone-500">{format!(" × {}", l.quantity)}</span><br /><span class="font-mono text-xs text-stone-500">{l.sku.clone()}</span></span>
                            <span class="font-medium">{l.line_total.formatted.clone()}</span>
                        </li>
                    }).collect_view()}
                </ul>
                <address class="mt-4 border-t border-stone-100 pt-4 text-sm not-italic text-stone-700">
                    <strong>"Ship to: "</strong>{a.recipient.clone()} " · " {a.phone.clone()}<br />{a.street.clone()}<br />
                    {format!("Kec. {}, {}, {} {}", a.district, a.city, a.province, a.postal_code)}
                </address>
                <p class="mt-2 text-sm text-stone-600">{format!("Payment: {} · {}", payment_method_label(&order.payment_method), status_label(&order.payment_status))}</p>
                {invoiced.then(|| view! {
                    // A file download: the router must leave it to the browser.
                    <a href=invoice_href.clone() rel="external" download class="order-invoice mt-3 inline-block text-sm font-medium text-emerald-700 hover:underline">"Download invoice (PDF)"</a>
                })}
            </Card>
            <div class="flex flex-col gap-6">
                <Card class="h-fit"><TotalsTable totals=order.totals.clone() /></Card>
                {order.tracking_number.clone().map(|tracking| view! {
                    <Card class="order-shipment h-fit">
                        <h2 class="mb-2 font-semibold">"Shipment"</h2>
                        <p class="text-sm">{order.carrier.clone().unwrap_or_default()} " · " <span class="order-tracking font-mono">{tracking.clone()}</span></p>
                        <a href=tracking_url(&tracking) rel="external noopener" target="_blank" class="mt-2 inline-block text-sm font-medium text-emerald-700 hover:underline">"Track the parcel"</a>
                    </Card>
                })}
                {(!order.refunds.is_empty()).then(|| view! {
                    <Card class="order-refunds h-fit">
                        <h2 class="mb-2 font-semibold">"Refunds"</h2>
                        <ul class="flex flex-col gap-2 text-sm">
                            {order.refunds.iter().map(|r| view! {
                                <li class="refund-entry" data-status=r.status.clone()>
                                    <span class="font-medium">{r.amount.formatted.clone()}</span> " · " {r.status_label.clone()}
                                    <p class="text-xs text-stone-600">{r.reason.clone()}</p>
                                    {r.status.parse::<RefundStatus>().is_ok_and(RefundStatus::is_settled).then(|| view! {
                                        <a href=format!("/api/v1/orders/{}/refunds/{}/credit-note.pdf{key_query}", order.number, r.id) rel="external" download class="refund-credit-note text-xs font-medium text-emerald-700 hover:underline">"Credit note (PDF)"</a>
                                    })}
                                </li>
                            }).collect_view()}
                        </ul>
                    </Card>
                })}
                {return_card}
                {order.cancellable.then(|| view! {
                    <Card class="order-cancel h-fit">
                        <h2 class="mb-1 font-semibold">"Cancel this order"</h2>
                        <p class="mb-3 text-sm text-stone-600">{cancel_note}</p>
                        <Alert message=Signal::derive(move || cancel_error.get().map(|e| e.to_string())) />
                        <ActionForm action=cancel>
                            <input type="hidden" name="number" value=cancel_number.clone() />
                            {key.clone().map(|k| view! { <input type="hidden" name="key" value=k /> })}
                            <label class="mb-3 block text-sm">
                                <span class="text-stone-700">"Reason (optional)"</span>
                                <input name="reason" maxlength="500" class="mt-1 w-full rounded-lg border border-stone-300 px-3 py-2" />
                            </label>
                            <SubmitButton label="Cancel order" pending_label="Cancelling…" pending=cancel.pending() style=ButtonStyle::Secondary class="order-cancel-button w-full" />
                        </ActionForm>
                    </Card>
                })}
            </div>
        </div>
        {(!order.timeline.is_empty()).then(|| view! {
            <Card class="order-timeline mt-6">
                <h2 class="mb-3 font-semibold">"What happened"</h2>
                <ol class="flex flex-col gap-3 border-l-2 border-stone-200 pl-4 text-sm">
                    {order.timeline.iter().map(|e| {
                        let what = match (&e.to, e.kind.as_str()) {
                            (Some(to), "status") => status_label(to).to_string(),
                            (Some(to), "payment") => format!("Payment: {}", status_label(to).to_lowercase()),
                            (_, "shipment") => "Shipment".to_string(),
                            (Some(to), "return") => match to.as_str() {
                                "requested" => "Return requested",
                                "approved" => "Return approved",
                                _ => "Return declined",
                            }
                            .to_string(),
                            _ => "Payment".to_string(),
                        };
                        view! {
                            <li class="timeline-entry" data-to=e.to.clone().unwrap_or_default()>
                                <p class="font-medium">{what}</p>
                                <p class="text-xs text-stone-500">
                                    <time datetime=e.at.clone()>{e.at.get(..16).unwrap_or_default().replace('T', " ")}</time>
                                    {format!(" · {}", e.actor_name)}
                                </p>
                                {(!e.note.is_empty()).then(|| view! { <p class="text-stone-700">{e.note.clone()}</p> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </Card>
        })}
    }
}

/// `/account/orders`: the customer's order history, newest first, 20 per page (`?page=`).
#[component]
pub fn OrdersPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query
            .read()
            .get("page")
            .and_then(|p| p.parse::<u64>().ok())
            .unwrap_or(1)
            .max(1)
    };
    let orders = Resource::new(page, crate::api::my_orders);
    view! {
        <Title text="Orders" />
        <PageHeading title="My orders" />
        <Suspense fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match orders.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(list) if list.total == 0 => view! { <p class="text-sm text-stone-600">"No orders yet."</p> }.into_any(),
                    Ok(list) => {
                        let (current, pages) = (list.page, list.page_count());
                        view! {
                            <ul class="orders-list flex flex-col gap-3">
                                {list.items.into_iter().map(|o| view! {
                                    <li>
                                        <A href=format!("/orders/{}", o.number) attr:class="flex flex-wrap items-center justify-between gap-3 rounded-xl border border-stone-200 bg-white p-4 hover:border-emerald-600">
                                            <span class="font-semibold">{o.number.clone()}</span>
                                            <span class="text-sm text-stone-500">{o.created_at.get(..10).unwrap_or_default().to_string()}</span>
                                            <span class=status_class(&o.status)>{status_label(&o.status)}</span>
                                            <span class="font-semibold">{o.totals.grand_total.formatted.clone()}</span>
                                        </A>
                                    </li>
                                }).collect_view()}
                            </ul>
                            {(pages > 1).then(|| view! {
                                <nav class="mt-4 flex items-center justify-between text-sm text-stone-600" aria-label="Pagination">
                                    <span>{format!("Page {current} of {pages}")}</span>
                                    <span class="flex gap-2">
                                        {(current > 1).then(|| view! { <A href=format!("/account/orders?page={}", current - 1) attr:class="rounded-lg border border-stone-300 px-3 py-1 hover:bg-stone-100">"← Newer"</A> })}
                                        {(current < pages).then(|| view! { <A href=format!("/account/orders?page={}", current + 1) attr:class="rounded-lg border border-stone-300 px-3 py-1 hover:bg-stone-100">"Older →"</A> })}
                                    </span>
                                </nav>
                            })}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
