//! Shopping server functions: the cart, the checkout steps (kept in the session as a draft, so
//! each step is a plain form that works without JavaScript), placing the order, the shopper's
//! orders and the demo gateway's buttons.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::{
    api::form_error,
    server::{
        app_state,
        cart::{self, CartOwner},
        request_session,
        state::AppState,
    },
};
use crate::{
    error::AppError,
    model::{AddressInput, CartView, CheckoutQuote, CheckoutResult, OrderView},
};

/// The order `number` if this request may see it (see `visible_order`).
#[cfg(feature = "ssr")]
async fn order_for_request(
    state: &crate::server::state::AppState,
    number: &str,
    key: Option<&str>,
) -> Result<crate::server::db::order::Model, AppError> {
    let session = request_session().await?;
    crate::server::orders::visible_order(state, &session, &request_headers(), number, key).await
}

/// Sends a no-JavaScript form on to `path`; with JavaScript the page handles the result itself.
#[cfg(feature = "ssr")]
pub(crate) fn redirect_without_js(path: &str) {
    if use_context::<http::request::Parts>().is_some_and(|parts| super::wants_html(&parts)) {
        leptos_axum::redirect(path);
    }
}

#[cfg(feature = "ssr")]
fn request_headers() -> http::HeaderMap {
    use_context::<http::request::Parts>()
        .map(|p| p.headers)
        .unwrap_or_default()
}

/// The cart owner of this request; `create` issues a guest cart cookie when needed.
#[cfg(feature = "ssr")]
async fn owner(
    create: bool,
) -> Result<(AppState, Option<CartOwner>, Option<crate::model::User>), AppError> {
    let state = app_state()?;
    let session = request_session().await?;
    let (owner, user, cookie) =
        crate::server::visitor::cart_owner(&state, &session, &request_headers(), create).await?;
    if let (Some(cookie), Some(options)) = (cookie, use_context::<leptos_axum::ResponseOptions>()) {
        options.append_header(http::header::SET_COOKIE, cookie);
    }
    Ok((state, owner, user))
}

/// The cart, re-priced and re-checked now.
#[server]
pub async fn get_cart() -> Result<CartView, AppError> {
    let (state, owner, _) = owner(false).await?;
    crate::server::cart::view_of(&state.db, owner.as_ref(), state.settings.shop.currency())
        .await
        .map_err(Into::into)
}

/// Adds units of a SKU to the cart.
#[server]
pub async fn add_to_cart(sku: String, quantity: Option<i32>) -> Result<CartView, AppError> {
    let result = async {
        let (state, owner, _) = owner(true).await?;
        let owner = owner.ok_or(AppError::Internal)?;
        let view = cart::add(
            &state.db,
            &owner,
            &sku,
            quantity.unwrap_or(1),
            state.settings.shop.currency(),
        )
        .await?;
        crate::server::analytics::tracking::track_server_fn(
            &state,
            crate::server::analytics::tracking::Activity::AddToCart,
        )
        .await;
        Ok(view)
    }
    .await;
    match result {
        Ok(view) => {
            redirect_without_js("/cart?added=1");
            Ok(view)
        }
        Err(err) => form_error(err),
    }
}

/// Sets a line's quantity (0 removes it).
#[server]
pub async fn set_cart_quantity(sku: String, quantity: i32) -> Result<CartView, AppError> {
    let result = async {
        let (state, owner, _) = owner(false).await?;
        let owner =
            owner.ok_or_else(|| AppError::NotFound("That product is not in the cart.".into()))?;
        Ok(cart::set_quantity(
            &state.db,
            &owner,
            &sku,
            quantity,
            state.settings.shop.currency(),
        )
        .await?)
    }
    .await;
    match result {
        Ok(view) => {
            redirect_without_js("/cart");
            Ok(view)
        }
        Err(err) => form_error(err),
    }
}

/// Removes a line.
#[server]
pub async fn remove_from_cart(sku: String) -> Result<CartView, AppError> {
    let (state, owner, _) = owner(false).await?;
    if let Some(owner) = &owner {
        cart::remove(&state.db, owner, &sku).await?;
    }
    redirect_without_js("/cart");
    crate::server::cart::view_of(&state.db, owner.as_ref(), state.settings.shop.currency())
        .await
        .map_err(Into::into)
}

/// Puts a guest's cart back from the browser's copy (`localStorage`) when the server has none
/// for them (cookie cleared, cart expired). `lines` is that copy as JSON, `[[sku, quantity]…]`
/// (a form-encoded list of pairs does not survive URL encoding). Lines that are gone or sold
/// out are skipped; stock caps the rest.
#[server]
pub async fn restore_cart(lines: String) -> Result<CartView, AppError> {
    let lines: Vec<(String, i32)> = serde_json::from_str(&lines)
        .map_err(|_| AppError::BadRequest("The saved cart could not be read.".into()))?;
    let (state, owner, user) = owner(true).await?;
    let owner = owner.ok_or(AppError::Internal)?;
    let current =
        crate::server::cart::view_of(&state.db, Some(&owner), state.settings.shop.currency())
            .await?;
    if user.is_none() && current.lines.is_empty() {
        for (sku, quantity) in lines.into_iter().take(cart::MAX_LINES) {
            let quantity = quantity.clamp(1, cart::MAX_QUANTITY);
            let currency = state.settings.shop.currency();
            if let Err(e) = cart::add(&state.db, &owner, &sku, quantity, currency).await {
                leptos::logging::debug_warn!("restore_cart: {sku}: {e}");
            }
        }
    }
    crate::server::cart::view_of(&state.db, Some(&owner), state.settings.shop.currency())
        .await
        .map_err(Into::into)
}

/// The checkout draft: what the shopper chose in the steps so far (kept in the session).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutDraft {
    pub email: String,
    pub address_id: Option<i32>,
    pub address: AddressInput,
    pub shipping_method: String,
    pub payment_method: String,
    /// One key per order attempt, made when the review step first renders; a retried or
    /// double-submitted order finds the order it already placed.
    pub idempotency_key: String,
}

impl CheckoutDraft {
    pub fn has_contact(&self) -> bool {
        !self.email.is_empty() && !self.address.province.is_empty()
    }
}

#[cfg(feature = "ssr")]
const DRAFT_KEY: &str = "checkout_draft";

#[cfg(feature = "ssr")]
async fn load_draft() -> Result<CheckoutDraft, AppError> {
    Ok(request_session()
        .await?
        .get::<CheckoutDraft>(DRAFT_KEY)
        .await?
        .unwrap_or_default())
}

#[cfg(feature = "ssr")]
async fn store_draft(draft: &CheckoutDraft) -> Result<(), AppError> {
    request_session().await?.insert(DRAFT_KEY, draft).await?;
    Ok(())
}

/// Everything a checkout step page shows: the cart, the draft, the saved addresses and the
/// quote for the draft's province and method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckoutState {
    pub cart: CartView,
    pub draft: CheckoutDraft,
    pub logged_in_email: Option<String>,
    pub addresses: Vec<crate::model::Address>,
    pub quote: CheckoutQuote,
}

#[server]
pub async fn get_checkout_state() -> Result<CheckoutState, AppError> {
    let (state, owner, user) = owner(false).await?;
    let cart =
        crate::server::cart::view_of(&state.db, owner.as_ref(), state.settings.shop.currency())
            .await?;
    let mut draft = load_draft().await?;
    if draft.idempotency_key.is_empty() {
        draft.idempotency_key = crate::server::checkout::random_token(32);
        store_draft(&draft).await?;
    }
    let addresses = match &user {
        Some(user) => crate::server::accounts::list_addresses(&state.db, user.id).await?,
        None => Vec::new(),
    };
    let owner = owner.unwrap_or(CartOwner::Guest(String::new()));
    let quote = crate::server::checkout::quote(
        &state.db,
        &state.settings,
        &owner,
        &draft.address.province,
        Some(draft.shipping_method.as_str()).filter(|m| !m.is_empty()),
    )
    .await?;
    Ok(CheckoutState {
        cart,
        logged_in_email: user.map(|u| u.email),
        draft,
        addresses,
        quote,
    })
}

/// Step 1: contact and shipping address (a saved address, or a new one).
#[server]
pub async fn save_checkout_contact(
    email: Option<String>,
    address_id: Option<i32>,
    recipient: Option<String>,
    phone: Option<String>,
    street: Option<String>,
    district: Option<String>,
    city: Option<String>,
    province: Option<String>,
    postal_code: Option<String>,
) -> Result<(), AppError> {
    let result = async {
        let (state, _, user) = owner(false).await?;
        let mut draft = load_draft().await?;
        let email = match (email.as_deref().map(str::trim), &user) {
            (None | Some(""), Some(user)) => user.email.clone(),
            (raw, _) => crate::server::accounts::normalize_email(raw.unwrap_or_default())
                .ok_or_else(|| {
                    AppError::field("email", "Enter an email address for the receipt.")
                })?,
        };
        let address = match (address_id, &user) {
            (Some(id), Some(user)) => crate::server::accounts::list_addresses(&state.db, user.id)
                .await?
                .into_iter()
                .find(|a| a.id == id)
                .map(|a| a.fields)
                .ok_or_else(|| {
                    AppError::field("address_id", "Choose one of your saved addresses.")
                })?,
            _ => crate::server::accounts::validate_address(&AddressInput {
                label: "Checkout".into(),
                recipient: recipient.unwrap_or_default(),
                phone: phone.unwrap_or_default(),
                street: street.unwrap_or_default(),
                district: district.unwrap_or_default(),
                city: city.unwrap_or_default(),
                province: province.unwrap_or_default(),
                postal_code: postal_code.unwrap_or_default(),
            })?,
        };
        draft.email = email;
        draft.address_id = address_id.filter(|_| user.is_some());
        draft.address = address;
        store_draft(&draft).await
    }
    .await;
    match result {
        Ok(()) => {
            redirect_without_js("/checkout/shipping");
            Ok(())
        }
        Err(err) => form_error(err),
    }
}

/// Steps 2 and 3 store one choice each: checked against what the shop offers, then on to the
/// next step.
#[cfg(feature = "ssr")]
async fn save_choice(
    field: &'static str,
    value: String,
    offered: impl FnOnce(&crate::server::config::Settings) -> Vec<String>,
    store: impl FnOnce(&mut CheckoutDraft, String),
    next: &str,
) -> Result<(), AppError> {
    let result = async {
        let state = app_state()?;
        if !offered(&state.settings).contains(&value) {
            let what = field.replace('_', " ");
            return Err(AppError::field(field, format!("Choose a {what}.")));
        }
        let mut draft = load_draft().await?;
        store(&mut draft, value);
        store_draft(&draft).await
    }
    .await;
    match result {
        Ok(()) => {
            redirect_without_js(next);
            Ok(())
        }
        Err(err) => form_error(err),
    }
}

/// Step 2: the shipping method.
#[server]
pub async fn save_checkout_shipping(shipping_method: String) -> Result<(), AppError> {
    save_choice(
        "shipping_method",
        shipping_method,
        |s| s.shipping.methods.iter().map(|m| m.code.clone()).collect(),
        |draft, value| draft.shipping_method = value,
        "/checkout/payment",
    )
    .await
}

/// Step 3: the payment method.
#[server]
pub async fn save_checkout_payment(payment_method: String) -> Result<(), AppError> {
    save_choice(
        "payment_method",
        payment_method,
        |s| s.payments.enabled.clone(),
        |draft, value| draft.payment_method = value,
        "/checkout/review",
    )
    .await
}

/// Step 4: place the order from the draft. `expected_total` is the total the review step
/// showed; if it changed meanwhile, nothing is ordered and the shopper sees why.
#[server]
pub async fn place_order(
    idempotency_key: String,
    expected_total: Option<i64>,
) -> Result<CheckoutResult, AppError> {
    let result = async {
        let (state, owner, user) = owner(false).await?;
        let owner = owner.ok_or_else(|| {
            crate::server::observability::checkout_outcome("empty_cart");
            AppError::Conflict("Your cart is empty.".into())
        })?;
        let draft = load_draft().await?;
        if !draft.has_contact()
            || draft.shipping_method.is_empty()
            || draft.payment_method.is_empty()
        {
            return Err(AppError::BadRequest(
                "Some checkout steps are missing; start again from the address.".into(),
            ));
        }
        let input = crate::model::CheckoutInput {
            email: draft.email.clone(),
            address_id: None,
            address: draft.address.clone(),
            shipping_method: draft.shipping_method.clone(),
            payment_method: draft.payment_method.clone(),
            expected_total,
        };
        let placed = crate::server::checkout::submit(
            &state,
            &owner,
            user.as_ref(),
            crate::server::visitor::request_ip(state.settings.security.trusted_proxy_hops).await,
            &input,
            &idempotency_key,
        )
        .await?;
        if !placed.replayed {
            crate::server::analytics::tracking::track_server_fn(
                &state,
                crate::server::analytics::tracking::Activity::OrderPlaced,
            )
            .await;
        }
        // The next attempt (after a decline, say) is a new order: it gets a new key.
        store_draft(&CheckoutDraft {
            idempotency_key: String::new(),
            ..draft
        })
        .await?;
        Ok(placed)
    }
    .await;
    match result {
        Ok(placed) => {
            redirect_without_js(&placed.next_url());
            Ok(placed)
        }
        Err(err) => form_error(err),
    }
}

/// An order the shopper may see (their own, or a guest's with its key).
#[server]
pub async fn get_order(number: String, key: Option<String>) -> Result<OrderView, AppError> {
    let state = app_state()?;
    let order = order_for_request(&state, &number, key.as_deref()).await?;
    Ok(crate::server::orders::order_view(&state.db, &order).await?)
}

/// The shopper cancels their order while it has not shipped (unpaid: stock released; paid:
/// stock back and a refund started).
#[server]
pub async fn cancel_order(
    number: String,
    key: Option<String>,
    reason: String,
) -> Result<OrderView, AppError> {
    let result = async {
        let state = app_state()?;
        let session = request_session().await?;
        let order = order_for_request(&state, &number, key.as_deref()).await?;
        let user = crate::server::session::current_user(&state, &session).await?;
        let fresh =
            crate::server::orders::cancel_as_shopper(&state, &order, user.as_ref(), &reason)
                .await?;
        Ok::<_, AppError>(crate::server::orders::order_view(&state.db, &fresh).await?)
    }
    .await;
    match result {
        Ok(view) => {
            let key = key.map(|k| format!("?key={k}")).unwrap_or_default();
            redirect_without_js(&format!("/orders/{}{key}", view.number));
            Ok(view)
        }
        Err(err) => form_error(err),
    }
}

/// The logged-in customer's order history, newest first, 20 per page.
#[server]
pub async fn my_orders(page: u64) -> Result<crate::model::Page<OrderView>, AppError> {
    let state = app_state()?;
    let session = request_session().await?;
    let user = crate::server::session::require_user(&state, &session).await?;
    Ok(crate::server::orders::orders_page(&state.db, user.id, page, 20).await?)
}

/// The demo gateway's Approve / Decline buttons.
#[server]
pub async fn demo_pay(
    number: String,
    key: Option<String>,
    decision: String,
) -> Result<OrderView, AppError> {
    let result = async {
        let state = app_state()?;
        if !state
            .settings
            .payments
            .enabled
            .iter()
            .any(|g| g == crate::server::payments::demo::GATEWAY)
        {
            return Err(AppError::NotFound(
                "The demo gateway is off in this shop.".into(),
            ));
        }
        let order = order_for_request(&state, &number, key.as_deref()).await?;
        let view = crate::server::payments::demo::decide_for(&state, &order, decision == "approve")
            .await?;
        Ok((view, order.access_token))
    }
    .await;
    match result {
        Ok((view, token)) => {
            if view.payment_status == "paid" {
                redirect_without_js(&format!("/orders/{}?key={token}&paid=1", view.number));
            } else {
                // A declined attempt leaves the order open: back to the page, to try again.
                redirect_without_js(&format!("/pay/demo/{}?key={token}", view.number));
            }
            Ok(view)
        }
        Err(err) => form_error(err),
    }
}

/// What the shopper does next to pay an order they may see (the gateway's client secret, Snap
/// token, or the demo page).
#[server]
pub async fn payment_next_step(
    number: String,
    key: Option<String>,
) -> Result<(OrderView, crate::model::NextStep), AppError> {
    let state = app_state()?;
    let order = order_for_request(&state, &number, key.as_deref()).await?;
    let next = crate::server::payments::next_step(&state.db, &state.settings, &order).await?;
    Ok((
        crate::server::orders::order_view(&state.db, &order).await?,
        next,
    ))
}
