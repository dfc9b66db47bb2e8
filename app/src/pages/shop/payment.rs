//! Paying for an order: the demo gateway's page and the Stripe / Midtrans payment page.
use leptos::{nonce::use_nonce, prelude::*};
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map, use_query_map},
};

use crate::{
    api::DemoPay,
    components::{
        cart::use_cart,
        ui::{
            form_error_signal, Alert, ButtonStyle, Card, CardSkeleton, ErrorNotice, SubmitButton,
        },
    },
    model::{status_label, NextStep},
};

/// `/pay/demo/{number}`: the demo gateway. Clearly not a real payment.
#[component]
pub fn DemoPaymentPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let key = move || query.read().get("key");
    let pay = ServerAction::<DemoPay>::new();
    // Read again after a decision: a declined attempt shows its message and the buttons again.
    let order = Resource::new(
        move || (number(), key(), pay.version().get()),
        |(n, k, _)| crate::api::get_order(n, k),
    );
    let error = form_error_signal(pay);
    let navigate = use_navigate();
    let cart = use_cart();
    Effect::new(move |_| {
        if let Some(Ok(view)) = pay.value().get() {
            // A paid order empties the cart on the server.
            cart.refresh();
            if view.payment_status == "paid" {
                let key = key().map(|k| format!("key={k}&")).unwrap_or_default();
                navigate(
                    &format!("/orders/{}?{key}paid=1", view.number),
                    Default::default(),
                );
            }
        }
    });
    view! {
        <Title text="Demo payment" />
        <div class="mx-auto max-w-lg">
            <div class="demo-banner mb-4 rounded-xl border-2 border-dashed border-amber-400 bg-amber-50 p-4 text-center">
                <p class="text-lg font-black uppercase tracking-wide text-amber-900">"Demo gateway"</p>
                <p class="text-sm text-amber-900">"No real money moves. This page stands in for Stripe or Midtrans while the shop has no gateway keys."</p>
            </div>
            <Suspense fallback=CardSkeleton>
                {move || Suspend::new(async move {
                    match order.await {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok(o) if o.status != "pending" => view! {
                            <Card>
                                <p class="text-sm">{format!("Order {} is {}.", o.number, status_label(&o.status).to_lowercase())}</p>
                                <A href=format!("/orders/{}{}", o.number, key().map(|k| format!("?key={k}")).unwrap_or_default()) attr:class=format!("{} mt-4", ButtonStyle::Primary.class())>"See the order"</A>
                            </Card>
                        }.into_any(),
                        Ok(o) => {
                            let (approve_number, decline_number) = (o.number.clone(), o.number.clone());
                            view! {
                            <Card>
                                <p class="text-sm text-stone-600">{format!("Order {}", o.number)}</p>
                                <p class="demo-amount mt-1 text-3xl font-extrabold">{o.totals.grand_total.formatted.clone()}</p>
                                <div class="mt-2"><Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) /></div>
                                {(!o.payment_message.is_empty()).then(|| view! {
                                    <p class="payment-declined mt-2 rounded-lg bg-red-50 px-4 py-3 text-sm text-red-800">{o.payment_message.clone()}</p>
                                })}
                                <div class="mt-6 flex gap-3">
                                    <ActionForm action=pay attr:class="flex-1">
                                        <input type="hidden" name="number" value=approve_number.clone() />
                                        {key().map(|k| view! { <input type="hidden" name="key" value=k /> })}
                                        <input type="hidden" name="decision" value="approve" />
                                        <SubmitButton label="Approve payment" pending_label="Paying…" pending=pay.pending() class="demo-approve w-full" />
                                    </ActionForm>
                                    <ActionForm action=pay attr:class="flex-1">
                                        <input type="hidden" name="number" value=decline_number.clone() />
                                        {key().map(|k| view! { <input type="hidden" name="key" value=k /> })}
                                        <input type="hidden" name="decision" value="decline" />
                                        <SubmitButton label="Decline" style=ButtonStyle::Secondary pending=pay.pending() class="demo-decline w-full" />
                                    </ActionForm>
                                </div>
                            </Card>
                        }.into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

/// `/pay/{number}`: pay with a real gateway. Stripe: the Payment Element mounts here with the
/// intent's client secret (card data goes straight to Stripe). Midtrans: Snap opens in a popup,
/// with its payment page as a plain link.
#[component]
pub fn PaymentPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let key = move || query.read().get("key");
    let step = Resource::new(
        move || (number(), key()),
        |(n, k)| crate::api::payment_next_step(n, k),
    );
    view! {
        <Title text="Payment" />
        <div class="mx-auto max-w-lg">
            <Suspense fallback=CardSkeleton>
                {move || Suspend::new(async move {
                    match step.await {
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        Ok((order, next)) => {
                            let order_href = format!("/orders/{}{}", order.number, key().map(|k| format!("?key={k}")).unwrap_or_default());
                            match next {
                                NextStep::Stripe { client_secret, publishable_key, return_url } => view! {
                                    <Card>
                                        <p class="text-sm text-stone-600">{format!("Order {}", order.number)}</p>
                                        <p class="mt-1 text-3xl font-extrabold">{order.totals.grand_total.formatted.clone()}</p>
                                        <form id="stripe-form" class="mt-6 flex flex-col gap-4" data-key=publishable_key data-secret=client_secret data-return=return_url>
                                            <div id="payment-element"></div>
                                            <p id="stripe-message" class="text-sm text-red-700" role="alert"></p>
                                            <button type="submit" class=ButtonStyle::Primary.class()>"Pay now"</button>
                                        </form>
                                        <noscript><p class="text-sm text-red-700">"Card payments need JavaScript (Stripe's secure form)."</p></noscript>
                                    </Card>
                                    <script src="https://js.stripe.com/v3/"></script>
                                    <script nonce=use_nonce() inner_html=STRIPE_SCRIPT></script>
                                }.into_any(),
                                NextStep::Midtrans { token, redirect_url, client_key, snap_js } => view! {
                                    <Card>
                                        <p class="text-sm text-stone-600">{format!("Order {}", order.number)}</p>
                                        <p class="mt-1 text-3xl font-extrabold">{order.totals.grand_total.formatted.clone()}</p>
                                        <p class="mt-2 text-sm">"GoPay, OVO, DANA, QRIS, bank transfer or Alfamart/Indomaret, on Midtrans's page."</p>
                                        <a id="snap-pay" href=redirect_url data-token=token class=format!("{} mt-6", ButtonStyle::Primary.class())>"Pay with Midtrans"</a>
                                    </Card>
                                    <script src=snap_js data-client-key=client_key></script>
                                    <script nonce=use_nonce() inner_html=SNAP_SCRIPT></script>
                                }.into_any(),
                                _ => view! {
                                    <Card>
                                        <p class="text-sm">{format!("Order {}: {}", order.number, status_label(&order.status))}</p>
                                        <A href=order_href attr:class=format!("{} mt-4", ButtonStyle::Primary.class())>"See the order"</A>
                                    </Card>
                                }.into_any(),
                            }
                        }
                    }
                })}
            </Suspense>
        </div>
    }
}

/// Mounts Stripe's Payment Element and confirms on submit; Stripe returns to the order page.
const STRIPE_SCRIPT: &str = r#"(function(){var f=document.getElementById('stripe-form');if(!f||typeof Stripe==='undefined')return;var s=Stripe(f.dataset.key);var e=s.elements({clientSecret:f.dataset.secret});e.create('payment').mount('#payment-element');f.addEventListener('submit',async function(ev){ev.preventDefault();var r=await s.confirmPayment({elements:e,confirmParams:{return_url:f.dataset.return}});if(r.error){document.getElementById('stripe-message').textContent=r.error.message;}});})();"#;

/// Opens Snap in a popup when its script loaded; the link still goes to Snap's page otherwise.
const SNAP_SCRIPT: &str = r#"(function(){var a=document.getElementById('snap-pay');if(!a)return;a.addEventListener('click',function(ev){if(typeof snap==='undefined')return;ev.preventDefault();var done=function(){window.location.reload();};snap.pay(a.dataset.token,{onSuccess:done,onPending:done,onError:done,onClose:function(){}});});})();"#;
