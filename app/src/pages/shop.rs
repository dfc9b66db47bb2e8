//! The shopper's buying path: the cart, the four checkout steps (address → shipping → payment
//! → review), the demo gateway's page and the order pages. Every step is a plain form posting
//! to a server function, so it all works before (and without) hydration; with JavaScript the
//! same forms update in place and navigate without a page load.
use leptos::{nonce::use_nonce, prelude::*};
use leptos_meta::Title;
use leptos_router::{
    components::A,
    hooks::{use_navigate, use_params_map, use_query_map},
};

use crate::{
    api::{
        CheckoutState, DemoPay, PlaceOrder, SaveCheckoutContact, SaveCheckoutPayment,
        SaveCheckoutShipping,
    },
    components::{
        cart::{notice_text, use_cart},
        picture::Picture,
        ui::{
            field_errors, form_error_signal, Alert, ButtonStyle, Card, CardSkeleton, ErrorNotice,
            FieldErrors, PageHeading, SubmitButton, TextField,
        },
    },
    model::{
        payment_method_label, status_label, AddressInput, CartLine, CartView, NextStep,
        OrderTotals, OrderView, PROVINCES,
    },
};

/// `/cart`: lines with their notices, quantity and remove forms, subtotal, checkout.
#[component]
pub fn CartPage() -> impl IntoView {
    let cart = use_cart();
    let query = use_query_map();
    let added = move || {
        query
            .read()
            .get("added")
            .map(|_| "Added to your cart.".to_string())
    };
    let error = move || query.read().get("error").filter(|e| !e.is_empty());
    view! {
        <Title text="Keranjang" />
        <PageHeading title="Keranjang belanja" />
        <div class="flex flex-col gap-4">
            <Alert message=Signal::derive(error) />
            <Alert message=Signal::derive(added) error=false />
            <Transition fallback=CardSkeleton>
                {move || Suspend::new(async move {
                    let view = cart.confirmed().await.unwrap_or_default();
                    if view.lines.is_empty() {
                        view! { <EmptyCart /> }.into_any()
                    } else {
                        view! { <CartContents view /> }.into_any()
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn EmptyCart() -> impl IntoView {
    view! {
        <div class="empty-cart rounded-xl border border-dashed border-stone-300 bg-white p-10 text-center">
            <p class="font-semibold">"Keranjangmu masih kosong."</p>
            <A href="/search" attr:class="mt-4 inline-block text-sm font-medium text-emerald-800 hover:underline">"Mulai belanja"</A>
        </div>
    }
}

#[component]
fn CartContents(view: CartView) -> impl IntoView {
    let cart = use_cart();
    let subtotal = view
        .subtotal
        .clone()
        .map(|s| s.formatted)
        .unwrap_or_default();
    let buyable = view.item_count > 0;
    view! {
        <div class="grid gap-6 lg:grid-cols-[1fr_20rem]">
            <ul class="cart-lines flex flex-col divide-y divide-stone-200 rounded-xl border border-stone-200 bg-white">
                {view.lines.into_iter().map(|line| view! { <CartRow line /> }).collect_view()}
            </ul>
            <Card class="h-fit">
                <p class="flex justify-between text-base font-semibold">
                    <span>"Subtotal"</span>
                    <span class="cart-subtotal">{subtotal}</span>
                </p>
                <p class="mt-1 text-xs text-stone-500">"Harga sudah termasuk PPN. Ongkos kirim dihitung saat checkout."</p>
                {if buyable {
                    view! { <A href="/checkout" attr:class=format!("{} mt-4 w-full checkout-link", ButtonStyle::Primary.class())>"Checkout"</A> }.into_any()
                } else {
                    view! { <p class="mt-4 text-sm text-red-700">"Nothing in the cart can be bought right now."</p> }.into_any()
                }}
                <p class="mt-3 text-center text-xs text-stone-500">{move || {
                    let pending = cart.set_quantity.pending().get() || cart.remove.pending().get();
                    if pending { "Updating…" } else { "" }
                }}</p>
            </Card>
        </div>
    }
}

#[component]
fn CartRow(line: CartLine) -> impl IntoView {
    let cart = use_cart();
    let sku = line.sku.clone();
    let hidden = {
        let sku = sku.clone();
        move || cart.removing(&sku)
    };
    let quantity = {
        let line = line.clone();
        move || cart.quantity_of(&line)
    };
    let notices: Vec<String> = line.notices.iter().map(notice_text).collect();
    let unit = line.unit_price.amount;
    let currency_line_total = {
        let line = line.clone();
        move || {
            let q = cart.quantity_of(&line);
            if q == line.quantity {
                line.line_total.formatted.clone()
            } else {
                // Optimistic: the server's unit price × the quantity being set.
                crate::model::format_money(
                    unit * i64::from(q),
                    crate::model::Currency::parse(&line.unit_price.currency)
                        .unwrap_or(crate::model::Currency::Idr),
                )
            }
        }
    };
    let qty_id = format!("qty-{sku}");
    let (sku_attr, sku_quantity, sku_remove) = (sku.clone(), sku.clone(), sku);
    view! {
        <li class="cart-line flex flex-wrap items-start gap-4 p-4" data-sku=sku_attr class:hidden=hidden>
            <A href=format!("/p/{}?sku={}", line.product_slug, line.sku) attr:class="block h-20 w-20 shrink-0 overflow-hidden rounded-lg bg-stone-100">
                {line.image.clone().map(|image| view! { <Picture image sizes="80px" class="h-full w-full object-cover" /> })}
            </A>
            <div class="min-w-0 flex-1">
                <A href=format!("/p/{}?sku={}", line.product_slug, line.sku) attr:class="font-semibold hover:underline">{line.name.clone()}</A>
                <p class="text-sm text-stone-500">{line.variant_title.clone()} " · " <span class="font-mono text-xs">{line.sku.clone()}</span></p>
                <p class="text-sm">{line.unit_price.formatted.clone()}</p>
                {notices.into_iter().map(|n| view! { <p class="cart-notice mt-1 rounded bg-amber-50 px-2 py-1 text-xs font-medium text-amber-900">{n}</p> }).collect_view()}
            </div>
            <div class="flex flex-col items-end gap-2">
                <p class="line-total font-semibold">{currency_line_total}</p>
                <ActionForm action=cart.set_quantity attr:class="flex items-center gap-2">
                    <input type="hidden" name="sku" value=sku_quantity />
                    <label class="sr-only" for=qty_id.clone()>"Quantity"</label>
                    <input id=qty_id type="number" name="quantity" min="0" max=line.available.clamp(1, 99)
                        value=line.quantity
                        prop:value=move || quantity().to_string()
                        class="line-quantity w-16 rounded-lg border border-stone-300 px-2 py-1 text-sm" />
                    <button type="submit" class="text-sm font-medium text-emerald-800 hover:underline">"Update"</button>
                </ActionForm>
                <ActionForm action=cart.remove>
                    <input type="hidden" name="sku" value=sku_remove />
                    <button type="submit" class="remove-line text-sm font-medium text-red-700 hover:underline">"Remove"</button>
                </ActionForm>
            </div>
        </li>
    }
}

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
fn TotalsTable(totals: OrderTotals) -> impl IntoView {
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

/// `/orders/{number}`: one order (its customer, or a guest with the key from their link).
#[component]
pub fn OrderPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let number = move || params.read().get("number").unwrap_or_default();
    let key = move || query.read().get("key");
    let just_paid = move || query.read().get("paid").is_some();
    let order = Resource::new(
        move || (number(), key()),
        |(n, k)| crate::api::get_order(n, k),
    );
    view! {
        <Title text="Order" />
        <Suspense fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match order.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(o) => view! { <OrderDetail order=o just_paid=just_paid() key=key() /> }.into_any(),
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
fn OrderDetail(order: OrderView, just_paid: bool, key: Option<String>) -> impl IntoView {
    let a = order.address.clone();
    let key_query = key.map(|k| format!("?key={k}")).unwrap_or_default();
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
        {(just_paid && order.payment_status == "paid").then(|| view! {
            <div class="order-thanks mb-6 rounded-xl border border-emerald-200 bg-emerald-50 p-5">
                <p class="text-lg font-bold text-emerald-900">"Terima kasih! Your payment was received."</p>
                <p class="text-sm text-emerald-900">{format!("A confirmation goes to {}.", order.email)}</p>
            </div>
        })}
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
            </Card>
            <Card class="h-fit"><TotalsTable totals=order.totals.clone() /></Card>
        </div>
    }
}

/// `/account/orders`: the customer's orders.
#[component]
pub fn OrdersPage() -> impl IntoView {
    let orders = Resource::new(|| (), |_| crate::api::my_orders());
    view! {
        <Title text="Orders" />
        <PageHeading title="My orders" />
        <Suspense fallback=CardSkeleton>
            {move || Suspend::new(async move {
                match orders.await {
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <p class="text-sm text-stone-600">"No orders yet."</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="orders-list flex flex-col gap-3">
                            {list.into_iter().map(|o| view! {
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
                    }.into_any(),
                }
            })}
        </Suspense>
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
