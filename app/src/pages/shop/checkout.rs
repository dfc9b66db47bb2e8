//! The four checkout steps (address → shipping → payment → review), each a plain form posting to
//! a server function, so they work before (and without) hydration.
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_navigate};

use super::cart::EmptyCart;
use crate::{
    api::{
        CheckoutState, PlaceOrder, SaveCheckoutContact, SaveCheckoutPayment, SaveCheckoutShipping,
    },
    components::ui::{
        field_errors, form_error_signal, Alert, ButtonStyle, Card, CardSkeleton, ErrorNotice,
        FieldErrors, PageHeading, SubmitButton, TextField,
    },
    model::{payment_method_label, AddressInput, NextStep, OrderTotals, PROVINCES},
};

/// The four steps, with the current one marked.
#[component]
fn Steps(current: u8) -> impl IntoView {
    let steps = [
        (1, "Alamat", "/checkout"),
        (2, "Pengiriman", "/checkout/shipping"),
        (3, "Pembayaran", "/checkout/payment"),
        (4, "Tinjau", "/checkout/review"),
    ];
    view! {
        <ol class="checkout-steps mb-6 flex flex-wrap gap-2 text-sm" aria-label="Checkout steps">
            {steps.into_iter().map(|(n, label, href)| {
                let class = if n == current {
                    "rounded-full bg-emerald-700 px-3 py-1 font-semibold text-white"
                } else if n < current {
                    "rounded-full bg-emerald-50 px-3 py-1 font-medium text-emerald-800"
                } else {
                    "rounded-full bg-stone-100 px-3 py-1 text-stone-500"
                };
                view! {
                    <li aria-current=(n == current).then_some("step")>
                        {if n < current {
                            view! { <A href=href attr:class=class>{format!("{n}. {label}")}</A> }.into_any()
                        } else {
                            view! { <span class=class>{format!("{n}. {label}")}</span> }.into_any()
                        }}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// Loads the checkout state and renders `step` with it; an empty cart or a skipped step sends
/// the shopper back with a link.
#[component]
fn CheckoutFrame(
    number: u8,
    title: &'static str,
    step: fn(CheckoutState) -> AnyView,
    /// Which earlier step must be done first: 0 none, 1 address, 2 shipping, 3 payment.
    needs: u8,
) -> impl IntoView {
    let state = Resource::new(|| (), |_| crate::api::get_checkout_state());
    view! {
        <Title text=title />
        <PageHeading title="Checkout" />
        <Steps current=number />
        <Suspense fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match state.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(s) if s.cart.item_count == 0 => view! { <EmptyCart /> }.into_any(),
                    Ok(s) => {
                        let missing = if needs >= 1 && !s.draft.has_contact() {
                            Some(("Enter your address first.", "/checkout"))
                        } else if needs >= 2 && s.draft.shipping_method.is_empty() {
                            Some(("Choose a shipping method first.", "/checkout/shipping"))
                        } else if needs >= 3 && s.draft.payment_method.is_empty() {
                            Some(("Choose a payment method first.", "/checkout/payment"))
                        } else {
                            None
                        };
                        match missing {
                            Some((message, href)) => view! {
                                <Card>
                                    <p class="text-sm">{message}</p>
                                    <A href=href attr:class=format!("{} mt-4", ButtonStyle::Primary.class())>"Go there"</A>
                                </Card>
                            }.into_any(),
                            None => step(s),
                        }
                    }
                }
            })}
        </Suspense>
    }
}

/// Step 1, `/checkout`: email and shipping address.
#[component]
pub fn CheckoutContactPage() -> impl IntoView {
    view! { <CheckoutFrame number=1 title="Checkout · Alamat" step=|s| view! { <ContactStep state=s /> }.into_any() needs=0 /> }
}

#[component]
fn ContactStep(state: CheckoutState) -> impl IntoView {
    let save = ServerAction::<SaveCheckoutContact>::new();
    let error = form_error_signal(save);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            navigate("/checkout/shipping", Default::default());
        }
    });
    let draft = state.draft.clone();
    let a: AddressInput = draft.address.clone();
    let province = a.province.clone();
    let saved = state.addresses.clone();
    let guest = state.logged_in_email.is_none();
    let chosen_saved = draft
        .address_id
        .or_else(|| saved.iter().find(|x| x.is_default).map(|x| x.id));
    view! {
        <Card>
            <ActionForm action=save attr:class="contact-form grid gap-4 sm:grid-cols-2">
                <div class="sm:col-span-2"><Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) /></div>
                {if guest {
                    view! {
                        <div class="sm:col-span-2">
                            <TextField label="Email (for the receipt)" name="email" input_type="email" value=draft.email.clone() autocomplete="email" required=true errors=field_errors(error, "email") />
                            <p class="mt-1 text-xs text-stone-500">"Checking out as a guest. "<A href="/login?next=/checkout" attr:class="text-emerald-800 hover:underline">"Log in"</A>" to use your address book."</p>
                        </div>
                    }.into_any()
                } else {
                    view! { <p class="text-sm text-stone-600 sm:col-span-2">"Receipt to " <strong>{state.logged_in_email.clone().unwrap_or_default()}</strong></p> }.into_any()
                }}
                {(!saved.is_empty()).then(|| view! {
                    <fieldset class="sm:col-span-2">
                        <legend class="mb-2 text-sm font-medium text-stone-700">"Ship to a saved address"</legend>
                        <div class="grid gap-2 sm:grid-cols-2">
                            {saved.iter().map(|s| {
                                let f = s.fields.clone();
                                view! {
                                    <label class="flex gap-3 rounded-lg border border-stone-200 p-3 text-sm has-[:checked]:border-emerald-600 has-[:checked]:bg-emerald-50">
                                        <input type="radio" name="address_id" value=s.id checked=chosen_saved == Some(s.id) />
                                        <span><strong>{f.label.clone()}</strong> " · " {f.recipient.clone()}<br />{f.street.clone()}<br />{format!("{}, {} {}", f.city, f.province, f.postal_code)}</span>
                                    </label>
                                }
                            }).collect_view()}
                            <label class="flex gap-3 rounded-lg border border-stone-200 p-3 text-sm has-[:checked]:border-emerald-600 has-[:checked]:bg-emerald-50">
                                <input type="radio" name="address_id" value="" checked=chosen_saved.is_none() />
                                <span>"A new address (below)"</span>
                            </label>
                        </div>
                        <FieldErrors id="field-address_id-error" errors=field_errors(error, "address_id") />
                    </fieldset>
                })}
                <TextField label="Recipient" name="recipient" value=a.recipient.clone() autocomplete="name" errors=field_errors(error, "recipient") />
                <TextField label="Phone" name="phone" input_type="tel" value=a.phone.clone() autocomplete="tel" placeholder="0812-3456-7890" errors=field_errors(error, "phone") />
                <div class="sm:col-span-2">
                    <TextField label="Street, number, RT/RW" name="street" value=a.street.clone() autocomplete="street-address" errors=field_errors(error, "street") />
                </div>
                <TextField label="District (kecamatan)" name="district" value=a.district.clone() errors=field_errors(error, "district") />
                <TextField label="City / regency (kota/kabupaten)" name="city" value=a.city.clone() autocomplete="address-level2" errors=field_errors(error, "city") />
                <div class="flex flex-col gap-1">
                    <label for="field-province" class="text-sm font-medium text-stone-700">"Province"</label>
                    <select id="field-province" name="province" class="w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm shadow-sm">
                        <option value="" selected=province.is_empty()>"Choose a province"</option>
                        {PROVINCES.iter().map(|p| view! { <option value=*p selected=*p == province>{*p}</option> }).collect_view()}
                    </select>
                    <FieldErrors id="field-province-error" errors=field_errors(error, "province") />
                </div>
                <TextField label="Postal code (kode pos)" name="postal_code" value=a.postal_code.clone() inputmode="numeric" maxlength=5 autocomplete="postal-code" errors=field_errors(error, "postal_code") />
                <div class="sm:col-span-2">
                    <SubmitButton label="Continue to shipping" pending_label="Saving…" pending=save.pending() />
                </div>
            </ActionForm>
        </Card>
    }
}

/// Step 2, `/checkout/shipping`: the methods to the chosen province, priced by the server.
#[component]
pub fn CheckoutShippingPage() -> impl IntoView {
    view! { <CheckoutFrame number=2 title="Checkout · Pengiriman" step=|s| view! { <ShippingStep state=s /> }.into_any() needs=1 /> }
}

#[component]
fn ShippingStep(state: CheckoutState) -> impl IntoView {
    let save = ServerAction::<SaveCheckoutShipping>::new();
    let error = form_error_signal(save);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            navigate("/checkout/payment", Default::default());
        }
    });
    let chosen = if state.draft.shipping_method.is_empty() {
        state
            .quote
            .shipping_options
            .first()
            .map(|o| o.code.clone())
            .unwrap_or_default()
    } else {
        state.draft.shipping_method.clone()
    };
    view! {
        <Card>
            <p class="mb-4 text-sm text-stone-600">{format!("To {}, {}", state.draft.address.city, state.draft.address.province)}</p>
            <ActionForm action=save attr:class="shipping-form flex flex-col gap-3">
                <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
                {state.quote.shipping_options.iter().map(|o| view! {
                    <label class="flex items-center justify-between gap-3 rounded-lg border border-stone-200 p-4 has-[:checked]:border-emerald-600 has-[:checked]:bg-emerald-50">
                        <span class="flex items-center gap-3">
                            <input type="radio" name="shipping_method" value=o.code.clone() checked=o.code == chosen required />
                            <span><strong>{o.name.clone()}</strong> <span class="text-sm text-stone-500">{format!(" · {}", o.eta)}</span></span>
                        </span>
                        <span class="font-semibold">{if o.free { "Gratis".to_string() } else { o.price.formatted.clone() }}</span>
                    </label>
                }).collect_view()}
                <div><SubmitButton label="Continue to payment" pending_label="Saving…" pending=save.pending() /></div>
            </ActionForm>
        </Card>
    }
}

/// Step 3, `/checkout/payment`: the gateways this shop offers.
#[component]
pub fn CheckoutPaymentPage() -> impl IntoView {
    view! { <CheckoutFrame number=3 title="Checkout · Pembayaran" step=|s| view! { <PaymentStep state=s /> }.into_any() needs=2 /> }
}

#[component]
fn PaymentStep(state: CheckoutState) -> impl IntoView {
    let save = ServerAction::<SaveCheckoutPayment>::new();
    let error = form_error_signal(save);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            navigate("/checkout/review", Default::default());
        }
    });
    let chosen = if state.draft.payment_method.is_empty() {
        state
            .quote
            .payment_methods
            .first()
            .cloned()
            .unwrap_or_default()
    } else {
        state.draft.payment_method.clone()
    };
    view! {
        <Card>
            <ActionForm action=save attr:class="payment-form flex flex-col gap-3">
                <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
                {state.quote.payment_methods.iter().map(|m| view! {
                    <label class="flex items-center gap-3 rounded-lg border border-stone-200 p-4 has-[:checked]:border-emerald-600 has-[:checked]:bg-emerald-50">
                        <input type="radio" name="payment_method" value=m.clone() checked=*m == chosen required />
                        <span class="font-medium">{payment_method_label(m)}</span>
                        {(m == "demo").then(|| view! { <span class="rounded bg-amber-200 px-2 py-0.5 text-xs font-bold uppercase text-amber-900">"Demo"</span> })}
                    </label>
                }).collect_view()}
                <div><SubmitButton label="Review order" pending_label="Saving…" pending=save.pending() /></div>
            </ActionForm>
        </Card>
    }
}

/// Step 4, `/checkout/review`: everything once more, then place the order.
#[component]
pub fn CheckoutReviewPage() -> impl IntoView {
    view! { <CheckoutFrame number=4 title="Checkout · Tinjau" step=|s| view! { <ReviewStep state=s /> }.into_any() needs=3 /> }
}

#[component]
fn ReviewStep(state: CheckoutState) -> impl IntoView {
    let place = ServerAction::<PlaceOrder>::new();
    let error = form_error_signal(place);
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(result)) = place.value().get() {
            let next = result.next_url();
            match &result.next {
                // Gateway pages load the gateway's own script: a full page load runs it.
                NextStep::Stripe { .. } | NextStep::Midtrans { .. } => {
                    #[cfg(feature = "hydrate")]
                    if let Some(window) = web_sys::window() {
                        let _ = window.location().assign(&next);
                    }
                }
                _ => navigate(&next, Default::default()),
            }
        }
    });
    let draft = state.draft.clone();
    let a = draft.address.clone();
    let shipping = state
        .quote
        .shipping_options
        .iter()
        .find(|o| o.code == draft.shipping_method)
        .cloned();
    let totals = state.quote.totals.clone();
    let expected = totals.as_ref().map(|t| t.grand_total.amount);
    let has_notices = state.cart.has_notices();
    view! {
        <div class="grid gap-6 lg:grid-cols-[1fr_22rem]">
            <div class="flex flex-col gap-4">
                <Card>
                    <h2 class="mb-3 font-semibold">"Items"</h2>
                    <ul class="review-lines divide-y divide-stone-100 text-sm">
                        {state.cart.lines.iter().filter(|l| l.quantity > 0).map(|l| view! {
                            <li class="flex justify-between gap-3 py-2">
                                <span>{l.name.clone()} <span class="text-stone-500">{format!(" {} × {}", l.variant_title, l.quantity)}</span></span>
                                <span class="font-medium">{l.line_total.formatted.clone()}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    {has_notices.then(|| view! {
                        <p class="mt-3 rounded bg-amber-50 px-3 py-2 text-xs text-amber-900">"Something in your cart changed since you added it. "<A href="/cart" attr:class="font-semibold underline">"See what"</A></p>
                    })}
                </Card>
                <Card>
                    <div class="flex items-start justify-between">
                        <h2 class="font-semibold">"Ship to"</h2>
                        <A href="/checkout" attr:class=ButtonStyle::Link.class()>"Change"</A>
                    </div>
                    <address class="mt-2 text-sm not-italic text-stone-700">
                        {a.recipient.clone()} " · " {a.phone.clone()}<br />{a.street.clone()}<br />
                        {format!("Kec. {}, {}, {} {}", a.district, a.city, a.province, a.postal_code)}<br />
                        <span class="text-stone-500">{draft.email.clone()}</span>
                    </address>
                </Card>
                <Card>
                    <div class="flex items-start justify-between">
                        <h2 class="font-semibold">"Shipping and payment"</h2>
                        <A href="/checkout/shipping" attr:class=ButtonStyle::Link.class()>"Change"</A>
                    </div>
                    <p class="mt-2 text-sm">{shipping.as_ref().map(|o| format!("{} · {}", o.name, o.eta)).unwrap_or_default()}</p>
                    <p class="text-sm">{payment_method_label(&draft.payment_method)}</p>
                </Card>
            </div>
            <Card class="h-fit">
                {totals.map(|t| view! { <TotalsTable totals=t /> })}
                <ActionForm action=place attr:class="place-order mt-4 flex flex-col gap-3">
                    <Alert message=Signal::derive(move || error.get().map(|e| e.to_string())) />
                    <input type="hidden" name="idempotency_key" value=draft.idempotency_key.clone() />
                    {expected.map(|e| view! { <input type="hidden" name="expected_total" value=e /> })}
                    <SubmitButton label="Place order" pending_label="Placing order…" pending=place.pending() class="w-full" />
                    <p class="text-xs text-stone-500">"Prices and totals are checked again when you place the order."</p>
                </ActionForm>
            </Card>
        </div>
    }
}

/// Subtotal, shipping, DPP, PPN and the total.
#[component]
pub(crate) fn TotalsTable(totals: OrderTotals) -> impl IntoView {
    view! {
        <dl class="totals grid grid-cols-[1fr_auto] gap-y-1 text-sm">
            <dt>"Subtotal"</dt><dd class="text-right">{totals.subtotal.formatted.clone()}</dd>
            <dt>"Shipping"</dt><dd class="text-right">{if totals.shipping.amount == 0 { "Gratis".to_string() } else { totals.shipping.formatted.clone() }}</dd>
            <dt class="text-stone-500">"DPP (11/12)"</dt><dd class="text-right text-stone-500">{totals.dpp.formatted.clone()}</dd>
            <dt class="text-stone-500">{if totals.prices_include_tax { "PPN 12% (included)" } else { "PPN 12%" }}</dt><dd class="text-right text-stone-500">{totals.ppn.formatted.clone()}</dd>
            <dt class="mt-2 border-t border-stone-200 pt-2 text-base font-bold">"Total"</dt>
            <dd class="grand-total mt-2 border-t border-stone-200 pt-2 text-right text-base font-bold">{totals.grand_total.formatted.clone()}</dd>
        </dl>
    }
}
