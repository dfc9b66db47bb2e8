//! `/cart`: the shopper's cart page.
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::{components::A, hooks::use_query_map};

use crate::{
    components::{
        cart::{notice_text, use_cart},
        picture::Picture,
        ui::{Alert, ButtonStyle, Card, CardSkeleton, PageHeading},
    },
    model::{CartLine, CartView},
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
        <Meta name="description" content="Keranjang belanja Pasar: ubah jumlah, lihat total dengan PPN, lalu bayar dengan GoPay, OVO, QRIS, transfer bank atau kartu." />
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
pub(super) fn EmptyCart() -> impl IntoView {
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
