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
    model::{CartView, CheckoutInput, CheckoutQuote, CheckoutResult, OrderView},
    server::{
        analytics::tracking,
        cart::{self, CartOwner},
        checkout,
        error::ErrorBody,
        orders,
        payments::demo,
        session,
        state::AppState,
        visitor,
    },
};

fn with_cookie(cookie: Option<HeaderValue>, body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

/// The cart, re-priced and re-checked now, with notices for anything that changed.
#[utoipa::path(get, path = "/api/v1/cart", tag = "cart",
    responses((status = 200, body = CartView)))]
pub async fn get_cart(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Json<CartView>, AppError> {
    let (owner, _, _) = visitor::cart_owner(&state, &session, &headers, false).await?;
    Ok(Json(
        cart::view_of(&state.db, owner.as_ref(), state.settings.shop.currency()).await?,
    ))
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
    let (owner, _, cookie) = visitor::cart_owner(&state, &session, &headers, true).await?;
    let owner = owner.ok_or(AppError::Internal)?;
    let view = cart::add(
        &state.db,
        &owner,
        &body.sku,
        body.quantity,
        state.settings.shop.currency(),
    )
    .await?;
    tracking::track_request(&state, &headers, tracking::Activity::AddToCart);
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
    let (owner, _, _) = visitor::cart_owner(&state, &session, &headers, false).await?;
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
    let (owner, _, _) = visitor::cart_owner(&state, &session, &headers, false).await?;
    if let Some(owner) = &owner {
        cart::remove(&state.db, owner, &sku).await?;
    }
    Ok(Json(
        cart::view_of(&state.db, owner.as_ref(), state.settings.shop.currency()).await?,
    ))
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
    let (owner, _, _) = visitor::cart_owner(&state, &session, &headers, false).await?;
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
    let ip = visitor::client_ip(
        &headers,
        peer.as_ref().map(|p| &p.0),
        state.settings.security.trusted_proxy_hops,
    );
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let (owner, user, _) = visitor::cart_owner(&state, &session, &headers, false).await?;
    let owner = owner.ok_or_else(|| {
        crate::server::observability::checkout_outcome("empty_cart");
        AppError::Conflict("Your cart is empty.".into())
    })?;
    let result = checkout::submit(&state, &owner, user.as_ref(), ip, &input, &key).await?;
    let status = if result.replayed {
        StatusCode::OK
    } else {
        tracking::track_request(&state, &headers, tracking::Activity::OrderPlaced);
        StatusCode::CREATED
    };
    Ok((status, Json(result)).into_response())
}

#[derive(Deserialize, IntoParams)]
pub struct OrderKey {
    /// The order's access key (guests; it is part of the order URL they were given).
    pub key: Option<String>,
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
    let order =
        orders::visible_order(&state, &session, &headers, &reference, query.key.as_deref()).await?;
    Ok(Json(orders::order_view(&state.db, &order).await?))
}

/// The logged-in customer's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "checkout",
    responses((status = 200, body = Vec<OrderView>), (status = 401, body = ErrorBody)))]
pub async fn list_orders(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<OrderView>>, AppError> {
    let user = session::require_user(&state, &session).await?;
    Ok(Json(orders::orders_of(&state.db, user.id).await?))
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
    let order =
        orders::visible_order(&state, &session, &headers, &reference, key.as_deref()).await?;
    Ok(Json(demo::decide_for(&state, &order, approve).await?))
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
