//! Store API for inventory (staff): stock per SKU and warehouse, adjustments, a SKU's
//! movements, warehouses. The storefront's availability comes from the same levels.
use axum::{extract::State, Json};
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::{IntoParams, ToSchema};

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    error::AppError,
    model::{
        AdjustmentRequest, CountRequest, CountedLine, MovementKind, MovementView,
        PurchaseOrderRequest, PurchaseOrderStatus, PurchaseOrderView, ReorderSuggestion, StockItem,
        TransferRequest, TransferStatus, TransferView, UnavailableRequest, WarehouseView,
    },
    server::{error::ErrorBody, inventory, session, state::AppState},
};

#[derive(Deserialize, IntoParams, ToSchema, Default)]
pub struct StockQuery {
    /// One SKU (exact, case-insensitive); empty: every SKU, by SKU, up to 200.
    #[serde(default)]
    pub sku: Option<String>,
    /// Only the levels of this warehouse (its code, e.g. `JKT`).
    #[serde(default)]
    pub warehouse: Option<String>,
}

/// Stock per SKU: on hand, reserved (committed to unpaid orders) and available, per warehouse
/// and in total (active warehouses only in the totals).
#[utoipa::path(get, path = "/api/v1/admin/inventory", tag = "inventory", params(StockQuery),
    responses((status = 200, body = Vec<StockItem>), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_stock(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(query): ApiQuery<StockQuery>,
) -> Result<Json<Vec<StockItem>>, AppError> {
    session::require_staff(&state, &session).await?;
    Ok(Json(
        inventory::staff::stock(&state.db, query.sku.as_deref(), query.warehouse.as_deref())
            .await?,
    ))
}

/// Changes on hand of one SKU in one warehouse: `delta` adds or removes units, `set` sets the
/// new on hand; a reason is required. On hand never drops below what orders hold (409). The
/// change is an `adjustment` movement with who made it and why. Answers the SKU's stock after.
#[utoipa::path(post, path = "/api/v1/admin/inventory/adjustments", tag = "inventory",
    request_body = AdjustmentRequest,
    responses((status = 200, body = StockItem), (status = 404, body = ErrorBody),
              (status = 409, description = "Below the units held for orders", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn adjust_stock(
    State(state): State<AppState>,
    session: Session,
    ApiJson(request): ApiJson<AdjustmentRequest>,
) -> Result<Json<StockItem>, AppError> {
    let staff = session::require_staff(&state, &session).await?;
    Ok(Json(
        inventory::staff::adjust_sku(&state.db, state.cache.as_ref(), staff.id, &request).await?,
    ))
}

/// Moves units of one SKU in one warehouse into or out of an unavailable state (`damaged`,
/// `quality_control`, `safety_stock`): `set_aside` takes available units, `make_available`
/// gives them back to sale, `write_off` removes them from on hand. A reason is required; the
/// change is a `set_aside`, `made_available` or `write_off` movement. Answers the SKU's stock.
#[utoipa::path(post, path = "/api/v1/admin/inventory/unavailable", tag = "inventory",
    request_body = UnavailableRequest,
    responses((status = 200, body = StockItem), (status = 404, body = ErrorBody),
              (status = 422, description = "Not that many units to move, or a bad field",
               body = ErrorBody)))]
pub async fn change_unavailable(
    State(state): State<AppState>,
    session: Session,
    ApiJson(request): ApiJson<UnavailableRequest>,
) -> Result<Json<StockItem>, AppError> {
    let staff = session::require_staff(&state, &session).await?;
    Ok(Json(
        inventory::unavailable::change_sku(&state.db, state.cache.as_ref(), staff.id, &request)
            .await?,
    ))
}

#[derive(Deserialize, IntoParams, Default)]
pub struct MovementQuery {
    /// Only movements of this kind: receive, reserve, release, sell, restock, adjustment…
    #[serde(default)]
    pub kind: Option<String>,
}

/// A SKU's stock movements, newest first (up to 500): every change of any of its levels, with
/// before and after, who and why.
#[utoipa::path(get, path = "/api/v1/admin/inventory/{sku}/movements", tag = "inventory",
    params(("sku" = String, Path), MovementQuery),
    responses((status = 200, body = Vec<MovementView>), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn list_movements(
    State(state): State<AppState>,
    session: Session,
    ApiPath(sku): ApiPath<String>,
    ApiQuery(query): ApiQuery<MovementQuery>,
) -> Result<Json<Vec<MovementView>>, AppError> {
    session::require_staff(&state, &session).await?;
    let kind = match query.kind.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(k) => Some(
            k.parse::<MovementKind>()
                .map_err(|e| AppError::field("kind", e.to_string()))?,
        ),
    };
    Ok(Json(
        inventory::staff::movements(&state.db, &sku, kind).await?,
    ))
}

/// Every warehouse, by priority (lower ships first).
#[utoipa::path(get, path = "/api/v1/admin/warehouses", tag = "inventory",
    responses((status = 200, body = Vec<WarehouseView>), (status = 401, body = ErrorBody)))]
pub async fn list_warehouses(
    State(state): State<AppState>,
    session: Session,
) -> Result<Json<Vec<WarehouseView>>, AppError> {
    session::require_staff(&state, &session).await?;
    Ok(Json(inventory::warehouses::list(&state.db).await?))
}

/// Ships units from one warehouse to another: they leave the origin now (only from what is
/// available there) and count as incoming at the destination until received.
#[utoipa::path(post, path = "/api/v1/admin/inventory/transfers", tag = "inventory",
    request_body = TransferRequest,
    responses((status = 201, body = TransferView), (status = 404, body = ErrorBody),
              (status = 409, description = "Not that many available at the origin", body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn ship_transfer(
    State(state): State<AppState>,
    session: Session,
    ApiJson(request): ApiJson<TransferRequest>,
) -> Result<(axum::http::StatusCode, Json<TransferView>), AppError> {
    let staff = session::require_staff(&state, &session).await?;
    let shipped =
        inventory::transfers::ship(&state.db, state.cache.as_ref(), staff.id, &request).await?;
    Ok((axum::http::StatusCode::CREATED, Json(shipped)))
}

/// Receives a transfer: its units join the destination's on hand. Once only.
#[utoipa::path(post, path = "/api/v1/admin/inventory/transfers/{id}/receive", tag = "inventory",
    params(("id" = i32, Path)),
    responses((status = 200, body = TransferView), (status = 404, body = ErrorBody),
              (status = 409, description = "Received already", body = ErrorBody)))]
pub async fn receive_transfer(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<TransferView>, AppError> {
    let staff = session::require_staff(&state, &session).await?;
    Ok(Json(
        inventory::transfers::receive(&state.db, state.cache.as_ref(), staff.id, id).await?,
    ))
}

#[derive(Deserialize, IntoParams, Default)]
pub struct TransferQuery {
    /// Only this SKU's transfers.
    #[serde(default)]
    pub sku: Option<String>,
    /// `in_transit` or `received`.
    #[serde(default)]
    pub status: Option<String>,
}

/// Transfers, newest first (up to 200).
#[utoipa::path(get, path = "/api/v1/admin/inventory/transfers", tag = "inventory",
    params(TransferQuery),
    responses((status = 200, body = Vec<TransferView>), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn list_transfers(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(query): ApiQuery<TransferQuery>,
) -> Result<Json<Vec<TransferView>>, AppError> {
    session::require_staff(&state, &session).await?;
    let status = match query.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<TransferStatus>()
                .map_err(|e| AppError::field("status", e.to_string()))?,
        ),
    };
    Ok(Json(
        inventory::transfers::list(&state.db, query.sku.as_deref(), status).await?,
    ))
}

/// Posts a stock count: each line sets on hand to what was counted, only if on hand is still
/// the `expected` snapshot (a level that moved since is refused: count it again). Every line
/// or none; the differences are `count_correction` movements.
#[utoipa::path(post, path = "/api/v1/admin/inventory/counts", tag = "inventory",
    request_body = CountRequest,
    responses((status = 200, body = Vec<CountedLine>),
              (status = 422, description = "Problems by line (`fields.lines`); nothing posted", body = ErrorBody)))]
pub async fn post_count(
    State(state): State<AppState>,
    session: Session,
    ApiJson(request): ApiJson<CountRequest>,
) -> Result<Json<Vec<CountedLine>>, AppError> {
    let staff = session::require_staff(&state, &session).await?;
    Ok(Json(
        inventory::counts::post(
            &state.db,
            state.cache.as_ref(),
            staff.id,
            &request.reason,
            &request.lines,
            1,
        )
        .await?,
    ))
}

#[derive(Deserialize, IntoParams, Default)]
pub struct ReorderQuery {
    /// `csv` for a spreadsheet (a purchase order's start); JSON otherwise.
    #[serde(default)]
    pub format: Option<String>,
}

/// What to reorder: per active variant that sells or is short, the sales velocity (a weighted
/// average of the last 30 days), its variability, days of cover, safety stock, reorder point
/// and the suggested quantity, most urgent first. See docs/inventory.md for the formulas.
#[utoipa::path(get, path = "/api/v1/admin/inventory/reorder-suggestions", tag = "inventory",
    params(ReorderQuery),
    responses((status = 200, body = Vec<ReorderSuggestion>, description = "JSON, or CSV with format=csv"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn reorder_suggestions(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(query): ApiQuery<ReorderQuery>,
) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    session::require_staff(&state, &session).await?;
    let rows = inventory::reorder::suggestions(&state.db, &state.settings).await?;
    match query.format.as_deref() {
        Some("csv") => {
            let bytes = inventory::reorder::to_csv(&rows).map_err(|e| {
                tracing::error!(error = %e, "reorder CSV");
                AppError::Internal
            })?;
            Ok((
                [
                    (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        axum::http::header::CONTENT_DISPOSITION,
                        "attachment; filename=\"reorder-suggestions.csv\"",
                    ),
                    (axum::http::header::CACHE_CONTROL, "private, no-store"),
                ],
                bytes,
            )
                .into_response())
        }
        None | Some("") | Some("json") => Ok(Json(rows).into_response()),
        Some(other) => Err(AppError::field(
            "format",
            format!("`{other}` is not json or csv"),
        )),
    }
}

#[derive(Deserialize, IntoParams, Default)]
pub struct PurchaseOrderQuery {
    /// `ordered`, `received` or `cancelled`; empty: all.
    #[serde(default)]
    pub status: Option<String>,
}

/// Purchase orders, newest first (up to 200). While `ordered`, their lines are incoming at
/// their warehouse.
#[utoipa::path(get, path = "/api/v1/admin/purchase-orders", tag = "inventory",
    params(PurchaseOrderQuery),
    responses((status = 200, body = Vec<PurchaseOrderView>), (status = 422, body = ErrorBody)))]
pub async fn list_purchase_orders(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(query): ApiQuery<PurchaseOrderQuery>,
) -> Result<Json<Vec<PurchaseOrderView>>, AppError> {
    session::require_staff(&state, &session).await?;
    let status = match query.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(
            s.parse::<PurchaseOrderStatus>()
                .map_err(|e| AppError::field("status", e.to_string()))?,
        ),
    };
    Ok(Json(inventory::purchases::list(&state.db, status).await?))
}

/// Places a purchase order: a supplier, the warehouse (code) it comes to, an optional
/// expected date and note, and units per SKU. Any bad line refuses the whole order (422, one
/// message per line).
#[utoipa::path(post, path = "/api/v1/admin/purchase-orders", tag = "inventory",
    request_body = PurchaseOrderRequest,
    responses((status = 201, body = PurchaseOrderView), (status = 404, body = ErrorBody),
              (status = 422, body = ErrorBody)))]
pub async fn create_purchase_order(
    State(state): State<AppState>,
    session: Session,
    ApiJson(request): ApiJson<PurchaseOrderRequest>,
) -> Result<(axum::http::StatusCode, Json<PurchaseOrderView>), AppError> {
    let staff = session::require_staff(&state, &session).await?;
    let order = inventory::purchases::create(&state.db, staff.id, &request).await?;
    Ok((axum::http::StatusCode::CREATED, Json(order)))
}

/// Receives a purchase order: every line joins its warehouse's on hand (a `receive`
/// movement each), all in one transaction. Once only.
#[utoipa::path(post, path = "/api/v1/admin/purchase-orders/{id}/receive", tag = "inventory",
    params(("id" = i32, Path)),
    responses((status = 200, body = PurchaseOrderView), (status = 404, body = ErrorBody),
              (status = 409, description = "Received or cancelled already", body = ErrorBody)))]
pub async fn receive_purchase_order(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<PurchaseOrderView>, AppError> {
    let staff = session::require_staff(&state, &session).await?;
    Ok(Json(
        inventory::purchases::receive(&state.db, state.cache.as_ref(), staff.id, id).await?,
    ))
}

/// Cancels a purchase order that has not arrived; nothing moves.
#[utoipa::path(post, path = "/api/v1/admin/purchase-orders/{id}/cancel", tag = "inventory",
    params(("id" = i32, Path)),
    responses((status = 200, body = PurchaseOrderView), (status = 404, body = ErrorBody),
              (status = 409, description = "Received or cancelled already", body = ErrorBody)))]
pub async fn cancel_purchase_order(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i32>,
) -> Result<Json<PurchaseOrderView>, AppError> {
    session::require_staff(&state, &session).await?;
    Ok(Json(inventory::purchases::cancel(&state.db, id).await?))
}
