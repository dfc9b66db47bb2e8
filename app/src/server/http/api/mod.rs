//! The public Store API, JSON under `/api/v1`, described by the OpenAPI document at
//! `/api/v1/openapi.json`. Handlers are thin: parse, authorize, call the domain, map the error.
use std::net::SocketAddr;

use axum::{
    extract::{ConnectInfo, FromRequest, FromRequestParts, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, patch, post},
    Json, Router,
};
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::{IntoParams, OpenApi, ToSchema};

use crate::server::visitor::client_ip;

pub mod analytics;
pub mod catalog;
pub mod inventory;
pub mod orders;
pub mod shop;
use crate::{
    error::AppError,
    model::{Page, Role, User},
    server::{
        accounts::{self, Registration},
        error::ErrorBody,
        session,
        state::AppState,
    },
};

/// JSON body extractor whose rejections are our JSON errors.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// Query extractor whose rejections are our JSON errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

/// Path extractor whose rejections are our JSON errors.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// Staff API calls may carry `Authorization: Bearer psr_…` (a token an admin made at
/// `/admin/settings`) instead of a session: the request then acts as the token's owner. Only
/// for `/api/v1/admin/…`; an unknown or revoked token is a 401.
pub async fn bearer(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let path = request.uri().path();
    let staff_api = path.starts_with("/admin/") || path.starts_with("/api/v1/admin/");
    let Some(value) = request.headers().get(axum::http::header::AUTHORIZATION) else {
        return next.run(request).await;
    };
    if !staff_api {
        return next.run(request).await;
    }
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    match accounts::tokens::authenticate(&state.db, &token).await {
        Ok(Some(user)) => session::BEARER_USER.scope(user, next.run(request)).await,
        Ok(None) => AppError::Unauthorized("This API token is not valid or was revoked.".into())
            .into_response(),
        Err(err) => err.into_response(),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/logout", post(logout))
        .route("/me", get(me))
        .route("/admin/users", get(list_users))
        .route("/admin/users/{id}", patch(update_user))
        .route("/products", get(catalog::list_products))
        .route("/products/{slug}", get(catalog::get_product))
        .route("/search/suggest", get(catalog::suggest))
        .route("/categories", get(catalog::list_categories))
        .route("/brands", get(catalog::list_brands))
        .route("/cart", get(shop::get_cart))
        .route("/cart/items", post(shop::add_item))
        .route(
            "/cart/items/{sku}",
            patch(shop::set_item).delete(shop::remove_item),
        )
        .route("/checkout/shipping-methods", get(shop::shipping_methods))
        .route("/checkout", post(shop::place))
        .route("/orders", get(shop::list_orders))
        .route("/orders/{order}", get(shop::get_order))
        .route("/orders/{order}/cancel", post(orders::cancel_order))
        .route("/orders/{order}/invoice.pdf", get(orders::order_invoice))
        .route("/orders/{order}/returns", post(orders::request_return))
        .route("/admin/returns/{id}", post(orders::decide_return))
        .route(
            "/orders/{order}/refunds/{refund}/credit-note.pdf",
            get(orders::order_credit_note),
        )
        .route("/admin/analytics", get(analytics::get_analytics))
        .route("/admin/inventory", get(inventory::list_stock))
        .route(
            "/admin/inventory/adjustments",
            post(inventory::adjust_stock),
        )
        .route(
            "/admin/inventory/unavailable",
            post(inventory::change_unavailable),
        )
        .route(
            "/admin/purchase-orders",
            get(inventory::list_purchase_orders).post(inventory::create_purchase_order),
        )
        .route(
            "/admin/purchase-orders/{id}/receive",
            post(inventory::receive_purchase_order),
        )
        .route(
            "/admin/purchase-orders/{id}/cancel",
            post(inventory::cancel_purchase_order),
        )
        .route(
            "/admin/inventory/{sku}/movements",
            get(inventory::list_movements),
        )
        .route(
            "/admin/inventory/transfers",
            get(inventory::list_transfers).post(inventory::ship_transfer),
        )
        .route(
            "/admin/inventory/transfers/{id}/receive",
            post(inventory::receive_transfer),
        )
        .route("/admin/inventory/counts", post(inventory::post_count))
        .route(
            "/admin/inventory/reorder-suggestions",
            get(inventory::reorder_suggestions),
        )
        .route("/admin/warehouses", get(inventory::list_warehouses))
        .route("/admin/orders", get(orders::admin_list_orders))
        .route(
            "/admin/orders/{order}",
            get(orders::admin_get_order).patch(orders::admin_update_order),
        )
        .route(
            "/admin/orders/{order}/refunds",
            post(orders::admin_refund_order),
        )
        .route("/payments/demo/{order}/approve", post(shop::demo_approve))
        .route("/payments/demo/{order}/decline", post(shop::demo_decline))
        .fallback(|| async { AppError::NotFound("No such API endpoint.".into()) })
        .method_not_allowed_fallback(|| async {
            AppError::MethodNotAllowed("This endpoint does not accept that method.".into())
        })
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Pasar Store API", version = "1", description = "JSON API of the Pasar shop. Errors are `{ \"error\": { \"code\", \"message\", \"fields\"? } }`. Authentication is by the session cookie set at login; state-changing requests from browsers on other origins are refused."),
    paths(register, login, logout, me, list_users, update_user, catalog::list_products, catalog::get_product, catalog::suggest, catalog::list_categories, catalog::list_brands, shop::get_cart, shop::add_item, shop::set_item, shop::remove_item, shop::shipping_methods, shop::place, shop::get_order, shop::list_orders, shop::demo_approve, shop::demo_decline, orders::cancel_order, orders::order_invoice, orders::order_credit_note, orders::request_return, orders::decide_return, orders::admin_list_orders, orders::admin_get_order, orders::admin_update_order, orders::admin_refund_order, inventory::list_stock, inventory::adjust_stock, inventory::change_unavailable, inventory::list_movements, inventory::list_warehouses, inventory::ship_transfer, inventory::receive_transfer, inventory::list_transfers, inventory::post_count, inventory::reorder_suggestions, inventory::list_purchase_orders, inventory::create_purchase_order, inventory::receive_purchase_order, inventory::cancel_purchase_order, analytics::get_analytics),
    components(schemas(User, Role, RegisterRequest, LoginRequest, UpdateUserRequest, ErrorBody, Page<User>, crate::model::ProductPage, crate::model::ProductDetail, crate::model::Suggestions, catalog::CategoryView, catalog::BrandView, crate::model::CartView, crate::model::CartLine, crate::model::CartNotice, shop::AddItemRequest, shop::SetQuantityRequest, crate::model::CheckoutInput, crate::model::CheckoutQuote, crate::model::CheckoutResult, crate::model::OrderView, crate::model::OrderLine, crate::model::OrderTotals, crate::model::NextStep, crate::model::ShippingOption, crate::model::AddressInput, crate::model::TimelineEntry, crate::model::AdminOrderRow, Page<crate::model::AdminOrderRow>, orders::CancelRequest, orders::UpdateOrderRequest, crate::model::RefundRequest, crate::model::RefundLineRequest, crate::model::RefundOutcome, crate::model::OrderRefund, crate::model::OrderRefundLine, crate::model::OrderReturn, crate::model::OrderReturnLine, crate::model::ReturnRequestInput, crate::model::ReturnLineInput, crate::model::ReturnDecision, crate::model::StockItem, crate::model::StockLevelView, crate::model::MovementView, crate::model::AdjustmentRequest, crate::model::UnavailableRequest, crate::model::UnavailableAction, crate::model::PurchaseOrderView, crate::model::PurchaseOrderLineView, crate::model::PurchaseOrderRequest, crate::model::PurchaseOrderLineRequest, crate::model::AnalyticsView, crate::model::AnalyticsRange, crate::model::Figure, crate::model::Rate, crate::model::DayFigures, crate::model::TopProduct, crate::model::MethodFigures, crate::model::WarehouseView, crate::model::TransferView, crate::model::TransferRequest, crate::model::CountRequest, crate::model::CountLine, crate::model::CountedLine, crate::model::ReorderSuggestion, inventory::StockQuery)),
    tags((name = "auth", description = "Accounts and sessions"), (name = "catalog", description = "Products, categories and brands"), (name = "cart", description = "The shopper's cart (guests by the pasar_cart cookie)"), (name = "checkout", description = "Placing orders, the shopper's orders, the demo gateway"), (name = "orders", description = "The order workflow: cancelling (shoppers); staff move orders through admin/orders"), (name = "inventory", description = "Stock per warehouse, adjustments and their audit trail (staff)"), (name = "analytics", description = "The dashboard's figures (staff)"), (name = "admin", description = "Shop administration (admin role)"))
)]
pub struct ApiDoc;

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "Budi Santoso")]
    pub name: String,
    #[schema(example = "budi@contoh.co.id")]
    pub email: String,
    /// At least 8 characters.
    pub password: String,
}

/// Create a customer account and log in.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, description = "Account created, session started", body = User),
              (status = 422, description = "Invalid fields or email taken", body = ErrorBody),
              (status = 429, description = "Too many registrations from this address; see Retry-After", body = ErrorBody)))]
async fn register(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<impl IntoResponse, AppError> {
    state.login_limiter.check_sensitive(client_ip(
        &headers,
        peer.as_ref().map(|p| &p.0),
        state.settings.security.trusted_proxy_hops,
    ))?;
    let user = accounts::register(
        &state.db,
        Registration {
            name: body.name,
            email: body.email,
            password: body.password,
        },
    )
    .await?;
    session::log_in(&state, &session, &user).await?;
    crate::server::visitor::merge_guest_cart_at_login(&state, &headers, &user).await;
    Ok((StatusCode::CREATED, Json(user)))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Log in with email and password. Rate-limited per account and per IP.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, description = "Logged in; the session cookie is set", body = User),
              (status = 401, description = "Wrong email or password", body = ErrorBody),
              (status = 403, description = "Account deactivated", body = ErrorBody),
              (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody)))]
async fn login(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<User>, AppError> {
    let ip = client_ip(
        &headers,
        peer.as_ref().map(|p| &p.0),
        state.settings.security.trusted_proxy_hops,
    );
    let user = accounts::log_in_with_password(
        &state.db,
        state.cache.as_ref(),
        &state.login_limiter,
        &body.email,
        &body.password,
        ip,
    )
    .await?;
    session::log_in(&state, &session, &user).await?;
    crate::server::visitor::merge_guest_cart_at_login(&state, &headers, &user).await;
    Ok(Json(user))
}

/// End the session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204, description = "Logged out")))]
async fn logout(session: Session) -> Result<StatusCode, AppError> {
    session::log_out(&session).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = User), (status = 401, description = "Not logged in", body = ErrorBody)))]
async fn me(State(state): State<AppState>, session: Session) -> Result<Json<User>, AppError> {
    Ok(Json(session::require_user(&state, &session).await?))
}

#[derive(Deserialize, IntoParams)]
pub struct ListUsersQuery {
    /// Matches email or name, case-insensitive.
    #[serde(default)]
    pub q: String,
    /// 1-based page number.
    pub page: Option<u64>,
    /// 1 to 100, default 20.
    pub per_page: Option<u64>,
}

/// Search and page through users (admins only).
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", params(ListUsersQuery),
    responses((status = 200, body = Page<User>),
              (status = 400, description = "Bad page or per_page", body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(query): ApiQuery<ListUsersQuery>,
) -> Result<Json<Page<User>>, AppError> {
    session::require_admin(&state, &session).await?;
    let page = query.page.unwrap_or(1);
    let per_page = query.per_page.unwrap_or(20);
    if page == 0 {
        return Err(AppError::BadRequest("`page` starts at 1.".into()));
    }
    if !(1..=100).contains(&per_page) {
        return Err(AppError::BadRequest(
            "`per_page` must be between 1 and 100.".into(),
        ));
    }
    Ok(Json(
        accounts::list_users(&state.db, &query.q, page, per_page).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Option<Role>,
    pub active: Option<bool>,
}

/// Change a user's role or deactivate/reactivate them (admins only).
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", request_body = UpdateUserRequest,
    params(("id" = i32, Path, description = "User id")),
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, description = "Would lock the admin out", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i32>,
    ApiJson(body): ApiJson<UpdateUserRequest>,
) -> Result<Json<User>, AppError> {
    let admin = session::require_admin(&state, &session).await?;
    if body.role.is_none() && body.active.is_none() {
        return Err(AppError::field("role", "Send `role` and/or `active`."));
    }
    Ok(Json(
        accounts::update_user(&state.db, admin.id, id, body.role, body.active).await?,
    ))
}
