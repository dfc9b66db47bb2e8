//! `/admin/refunds`: money to give back. Every refund (staff refunds, cancelled paid orders,
//! late payments for orders whose stock was gone) is listed with its amount, gateway and state; the gateway sends card and e-wallet refunds by
//! itself, and staff mark a bank refund done once they have transferred it.
use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::AdminMarkRefundDone,
    components::ui::{form_error_signal, Alert, CardSkeleton, ErrorNotice, PageHeading},
    model::RefundView,
};

fn status_text(status: &str) -> &'static str {
    match status {
        "pending" => "Sending through the gateway",
        "issued" => "Sent, awaiting the gateway's confirmation",
        "confirmed" => "Refunded by the gateway",
        "failed" => "Gateway refused: refund by hand",
        "manual" => "Needs a bank refund",
        "done" => "Refunded by hand",
        _ => "Unknown",
    }
}

#[component]
pub fn AdminRefundsPage() -> impl IntoView {
    let mark = ServerAction::<AdminMarkRefundDone>::new();
    let refunds = Resource::new(
        move || mark.version().get(),
        |_| crate::api::admin_list_refunds(),
    );
    let error = form_error_signal(mark);
    view! {
        <Title text="Refunds · Admin" />
        <PageHeading title="Refunds" subtitle="Every refund: staff refunds from the order pages, cancelled paid orders, and late payments whose stock was gone." />
        <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
        <Transition fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match refunds.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="text-sm text-stone-600">"Nothing to refund."</p>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="overflow-x-auto rounded-xl border border-stone-200 bg-white">
                            <table class="refunds-table w-full text-left text-sm">
                                <thead class="border-b border-stone-200 bg-stone-50 text-xs uppercase text-stone-500">
                                    <tr><th class="px-4 py-2">"Order"</th><th class="px-4 py-2">"Amount"</th><th class="px-4 py-2">"Gateway"</th><th class="px-4 py-2">"State"</th><th class="px-4 py-2">"Action"</th></tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|r| view! { <RefundRow refund=r mark /> }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn RefundRow(refund: RefundView, mark: ServerAction<AdminMarkRefundDone>) -> impl IntoView {
    let open = matches!(refund.status.as_str(), "manual" | "failed");
    view! {
        <tr class="refund-row border-b border-stone-100 align-top" data-status=refund.status.clone()>
            <td class="px-4 py-3">
                <p class="font-semibold">{refund.order_number.clone()}</p>
                <p class="text-xs text-stone-500">{refund.reason.clone()}</p>
                <p class="text-xs text-stone-500">{refund.created_at.get(..16).unwrap_or_default().replace('T', " ")}</p>
            </td>
            <td class="refund-amount px-4 py-3 font-semibold">{refund.amount.formatted.clone()}</td>
            <td class="px-4 py-3">{refund.gateway.clone()}<br /><span class="text-xs text-stone-500">{refund.channel.clone()}</span></td>
            <td class="px-4 py-3">
                <p>{status_text(&refund.status)}</p>
                {(!refund.note.is_empty()).then(|| view! { <p class="text-xs text-stone-500">{refund.note.clone()}</p> })}
            </td>
            <td class="px-4 py-3">
                {open.then(|| view! {
                    <ActionForm action=mark attr:class="flex flex-col gap-2">
                        <input type="hidden" name="id" value=refund.id />
                        <label class="sr-only" for=format!("refund-note-{}", refund.id)>"How it was refunded"</label>
                        <input id=format!("refund-note-{}", refund.id) name="note" required placeholder="e.g. BCA transfer 12 Dec, ref 0931"
                            class="w-56 rounded-lg border border-stone-300 px-2 py-1 text-sm" />
                        <button type="submit" class="mark-refunded rounded-lg bg-stone-800 px-3 py-1 text-xs font-semibold text-white hover:bg-stone-900">"Mark refunded"</button>
                    </ActionForm>
                })}
            </td>
        </tr>
    }
}
