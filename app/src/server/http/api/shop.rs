//! Store API: the cart (`/cart`), checkout (`/checkout`), the shopper's orders (`/orders`) and
//! the demo gateway (`/payments/demo/{order}/approve|decline`). A guest is known by the cart
//! cookie, a customer by the session; nobody reaches another's cart or order.
use axum::extract::State;
use axum::{
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    error::AppError,
    model::{CartView, CheckoutInput, CheckoutQuote, CheckoutResult, OrderView, User},
    server::{
        cart::{self, CartOwner},
        checkout::{self, Buyer, Viewer},
        db::order,
        error::ErrorBody,
        http::shopper::{self, guest_token},
        payments::{self, demo, EventOutcome},
        session,
        state::AppState,
    },
};

fn with_cookie(cookie: Option<HeaderValue>, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The owner's cart, or an empty one for a visitor without a cart (shared with the pages).
pub async fn view_of(state: &AppState, owner: Option<&CartOwner>) -> Result<CartView, AppError> {
    match owner {
        Some(owner) => Ok(cart::view(&state.db, owner, state.settings.shop.currency()).await?),
        None => Ok(CartView::default()),
    }
}

/// The cart, re-priced and re-checked now, with notices for anything that changed.
#[utoipa::path(get, path = "/api/v1/cart", tag = "cart",
    responses((status = 200, body = CartView)))]
pub async fn get_cart(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Json<CartView>, AppError> {
    let (owner, _, _) = shopper::cart_owner(&state, &session, &headers, false).await?;
    Ok(Json(view_of(&state, owner.as_ref()).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct AddItemRequest {
    #[schema(example = "KMJ-BTK-M")]
    pub sku: String,
    /// 1–99; added to what is already in the cart.
    #[serde(default = "one")]
    pub quantity: i32,
}

fn one() -> i32 {
    1
}

/// Add units of a SKU (on top of those already in the cart). Sets the guest cart cookie.
#[utoipa::path(post, path = "/api/v1/cart/items", tag = "cart", request_body = AddItemRequest,
    responses((status = 200, body = CartView),
              (status = 404, description = "Unknown SKU", body = ErrorBody),
              (status = 409, description = "Not for sale, or not enough stock (says how many are left)", body = ErrorBody),
              (status = 422, description = "Quantity outside 1–99, or too many lines", body = ErrorBody)))]
pub async fn add_item(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiJson(body): ApiJson<AddItemRequest>,
) -> Result<Response, AppError> {
    let (owner, _, cookie) = shopper::cart_owner(&state, &session, &headers, true).await?;
    let owner = owner.ok_or(AppError::Internal)?;
    let view = cart::add(
        &state.db,
        &owner,
        &body.sku,
        body.quantity,
        state.settings.shop.currency(),
    )
    .await?;
    Ok(with_cookie(cookie, Json(view)))
}

#[derive(Deserialize, ToSchema)]
pub struct SetQuantityRequest {
    /// 0 removes the line.
    pub quantity: i32,
}

/// Set a line's quantity (0 removes it).
#[utoipa::path(patch, path = "/api/v1/cart/items/{sku}", tag = "cart", request_body = SetQuantityRequest,
    params(("sku" = String, Path)),
    responses((status = 200, body = CartView), (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_item(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(sku): ApiPath<String>,
    ApiJson(body): ApiJson<SetQuantityRequest>,
) -> Result<Json<CartView>, AppError> {
    let (owner, _, _) = shopper::cart_owner(&state, &session, &headers, false).await?;
    let owner =
        owner.ok_or_else(|| AppError::NotFound("That product is not in the cart.".into()))?;
    let currency = state.settings.shop.currency();
    Ok(Json(
        cart::set_quantity(&state.db, &owner, &sku, body.quantity, currency).await?,
    ))
}

/// Remove a line.
#[utoipa::path(delete, path = "/api/v1/cart/items/{sku}", tag = "cart",
    params(("sku" = String, Path)), responses((status = 200, body = CartView)))]
pub async fn remove_item(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(sku): ApiPath<String>,
) -> Result<Json<CartView>, AppError> {
    let (owner, _, _) = shopper::cart_owner(&state, &session, &headers, false).await?;
    if let Some(owner) = &owner {
        cart::remove(&state.db, owner, &sku).await?;
    }
    Ok(Json(view_of(&state, owner.as_ref()).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ShippingQuery {
    /// One of Indonesia's 38 provinces, e.g. `DKI Jakarta`.
    pub province: String,
    /// A shipping method code; totals use the first option when absent.
    pub method: Option<String>,
}

/// Shipping methods for the current cart to a province, and the totals with one of them.
#[utoipa::path(get, path = "/api/v1/checkout/shipping-methods", tag = "checkout", params(ShippingQuery),
    responses((status = 200, body = CheckoutQuote), (status = 422, body = ErrorBody)))]
pub async fn shipping_methods(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<ShippingQuery>,
) -> Result<Json<CheckoutQuote>, AppError> {
    if !crate::model::PROVINCES.contains(&query.province.as_str()) {
        return Err(AppError::field(
            "province",
            "Choose a province from the list.",
        ));
    }
    let (owner, _, _) = shopper::cart_owner(&state, &session, &headers, false).await?;
    let owner = owner.unwrap_or(CartOwner::Guest(String::new()));
    Ok(Json(
        checkout::quote(
            &state.db,
            &state.settings,
            &owner,
            &query.province,
            query.method.as_deref(),
        )
        .await?,
    ))
}

/// The shopper's order URL: customers see it in their account, guests with the access key.
pub fn order_url(order: &order::Model, user: Option<&User>) -> String {
    match user {
        Some(_) if order.user_id.is_some() => format!("/orders/{}", order.number),
        _ => format!("/orders/{}?key={}", order.number, order.access_token),
    }
}

/// Places the order and prepares its payment: shared by the API and the checkout page.
pub async fn place_order(
    state: &AppState,
    owner: &CartOwner,
    user: Option<&User>,
    ip: std::net::IpAddr,
    input: &CheckoutInput,
    idempotency_key: &str,
) -> Result<CheckoutResult, AppError> {
    state.checkout_limiter.check(ip)?;
    let placed = checkout::place_order(
        &state.db,
        state.cache.as_ref(),
        &state.settings,
        Buyer {
            owner,
            user,
            ip: Some(ip),
        },
        input,
        idempotency_key,
    )
    .await?;
    let next = match &placed.payment {
        Some(payment) => {
            payments::next_step_for(&state.db, &state.settings, &placed.order, payment).await?
        }
        None => payments::next_step(&state.db, &state.settings, &placed.order).await?,
    };
    Ok(CheckoutResult {
        order_url: order_url(&placed.order, user),
        order: placed.view,
        next,
        replayed: placed.replayed,
    })
}

/// Place an order from the cart. Totals are computed here; prices or totals sent by the client
/// are ignored. Send a fresh `Idempotency-Key` per order: a retry with the same key returns
/// the same order (200) instead of a second one (201).
#[utoipa::path(post, path = "/api/v1/checkout", tag = "checkout", request_body = CheckoutInput,
    params(("Idempotency-Key" = String, Header, description = "1–100 characters, unique per order attempt")),
    responses((status = 201, description = "Order placed", body = CheckoutResult),
              (status = 200, description = "Same key again: the order already placed", body = CheckoutResult),
              (status = 400, description = "No Idempotency-Key", body = ErrorBody),
              (status = 409, description = "Empty cart, out of stock, or the total changed", body = ErrorBody),
              (status = 429, description = "Too many orders from this address (rate, or unpaid orders held); see Retry-After", body = ErrorBody),
              (status = 422, description = "Invalid email, address, shipping or payment method", body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    ApiJson(input): ApiJson<CheckoutInput>,
) -> Result<Response, AppError> {
    let ip = crate::server::http::client::client_ip(
        &headers,
        peer.as_ref().map(|p| &p.0),
        state.settings.security.trusted_proxy_hops,
    );
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (owner, user, _) = shopper::cart_owner(&state, &session, &headers, false).await?;
    let owner = owner.ok_or_else(|| AppError::Conflict("Your cart is empty.".into()))?;
    let result = place_order(&state, &owner, user.as_ref(), ip, &input, &key).await?;
    let status = if result.replayed {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(result)).into_response())
}

#[derive(Deserialize, IntoParams)]
pub struct OrderKey {
    /// The order's access key (guests; it is part of the order URL they were given).
    pub key: Option<String>,
}

/// The order `reference` (number or id) if this request may see it: its customer, staff, the
/// holder of its access key, or the guest whose cart it came from.
pub async fn visible_order(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    reference: &str,
    key: Option<&str>,
) -> Result<order::Model, AppError> {
    use sea_orm::EntityTrait;
    let not_found = || AppError::NotFound("No such order.".into());
    let number = match reference.parse::<i32>() {
        Ok(id) => order::Entity::find_by_id(id)
            .one(&state.db)
            .await?
            .map(|o| o.number)
            .ok_or_else(not_found)?,
        Err(_) => reference.to_string(),
    };
    let user = session::current_user(state, session).await?;
    if let Some(user) = &user {
        if let Some(order) = checkout::find_order(&state.db, &number, Viewer::User(user)).await? {
            return Ok(order);
        }
    }
    if let Some(key) = key {
        if let Some(order) = checkout::find_order(&state.db, &number, Viewer::Token(key)).await? {
            return Ok(order);
        }
    }
    if let Some(token) = guest_token(headers) {
        let cart_key = CartOwner::Guest(token).key();
        if let Some(order) =
            checkout::find_order(&state.db, &number, Viewer::Cart(&cart_key)).await?
        {
            return Ok(order);
        }
    }
    Err(not_found())
}

/// One order of the shopper's.
#[utoipa::path(get, path = "/api/v1/orders/{order}", tag = "checkout",
    params(("order" = String, Path, description = "Order number or id"), OrderKey),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<OrderKey>,
) -> Result<Json<OrderView>, AppError> {
    let order = visible_order(&state, &session, &headers, &reference, query.key.as_deref()).await?;
    Ok(Json(checkout::order_view(&state.db, &order).await?))
}

/// The logged-in customer's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "checkout",
    responses((status = 200, body = Vec<OrderView>), (status = 401, body = ErrorBody)))]
pub async fn list_orders(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<OrderView>>, AppError> {
    let user = session::require_user(&state, &session).await?;
    Ok(Json(checkout::orders_of(&state.db, user.id).await?))
}

/// Approves or declines a demo payment; shared by the API and the demo page.
pub async fn demo_decision(
    state: &AppState,
    order: &order::Model,
    approve: bool,
) -> Result<OrderView, AppError> {
    if order.payment_method != demo::GATEWAY {
        return Err(AppError::Conflict(
            "This order is not paid through the demo gateway.".into(),
        ));
    }
    match demo::decide(&state.db, state.cache.as_ref(), &order.number, approve).await? {
        None => Err(AppError::NotFound("No such order.".into())),
        Some(EventOutcome::Rejected(why)) => Err(AppError::Conflict(why)),
        Some(EventOutcome::UnknownPayment) => Err(AppError::NotFound("No such order.".into())),
        Some(outcome) => {
            if outcome == EventOutcome::Applied {
                if let Err(e) = payments::refunds::issue_pending(&state.db, &state.settings).await {
                    tracing::warn!(error = %e, "refunds: will retry next round");
                }
            }
            let fresh =
                checkout::find_order(&state.db, &order.number, Viewer::Token(&order.access_token))
                    .await?
                    .ok_or(AppError::Internal)?;
            Ok(checkout::order_view(&state.db, &fresh).await?)
        }
    }
}

async fn demo(
    state: AppState,
    session: Session,
    headers: HeaderMap,
    reference: String,
    key: Option<String>,
    approve: bool,
) -> Result<Json<OrderView>, AppError> {
    if !state
        .settings
        .payments
        .enabled
        .iter()
        .any(|g| g == demo::GATEWAY)
    {
        return Err(AppError::NotFound(
            "The demo gateway is off in this shop.".into(),
        ));
    }
    let order = visible_order(&state, &session, &headers, &reference, key.as_deref()).await?;
    Ok(Json(demo_decision(&state, &order, approve).await?))
}

/// DEMO GATEWAY: pay the order (no money moves). Goes through the same event path as a
/// gateway webhook. Only while the demo gateway is enabled.
#[utoipa::path(post, path = "/api/v1/payments/demo/{order}/approve", tag = "checkout",
    params(("order" = String, Path, description = "Order number or id"), OrderKey),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn demo_approve(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<OrderKey>,
) -> Result<Json<OrderView>, AppError> {
    demo(state, session, headers, reference, query.key, true).await
}

/// DEMO GATEWAY: decline this attempt, like a refused card: nothing is charged, the order stays
/// pending (its stock held) so the shopper can try again until it expires.
#[utoipa::path(post, path = "/api/v1/payments/demo/{order}/decline", tag = "checkout",
    params(("order" = String, Path, description = "Order number or id"), OrderKey),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn demo_decline(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<OrderKey>,
) -> Result<Json<OrderView>, AppError> {
    demo(state, session, headers, reference, query.key, false).await
}
