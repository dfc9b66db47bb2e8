//! Store API for the order workflow: a shopper cancels their order; staff read any order with
//! its full timeline and move it along (processing, shipped with a tracking number, delivered,
//! cancelled). Every move goes through `orders::workflow`, which decides who may make it.
use axum::{extract::State, http::HeaderMap, Json};
use sea_orm::EntityTrait;
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::ToSchema;

use super::{shop::OrderKey, ApiJson, ApiPath, ApiQuery};
use crate::{
    error::AppError,
    model::{AdminOrderRow, OrderFilter, OrderView, Page},
    server::{
        db::order,
        error::ErrorBody,
        orders::{self, Actor, Change},
        session,
        state::AppState,
    },
};

#[derive(Deserialize, ToSchema, Default)]
pub struct CancelRequest {
    /// Why (optional; kept on the order's timeline).
    #[serde(default)]
    pub reason: String,
}

/// Cancel an order that has not shipped yet. Unpaid: its stock goes back on sale. Paid: its
/// stock goes back and a refund of what was paid is started (the payment shows refunded once
/// the gateway confirms it).
#[utoipa::path(post, path = "/api/v1/orders/{order}/cancel", tag = "orders",
    params(("order" = String, Path, description = "Order number or id"), OrderKey),
    request_body(content = CancelRequest, description = "Optional"),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody),
              (status = 409, description = "Already shipped, cancelled or expired", body = ErrorBody)))]
pub async fn cancel_order(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<OrderKey>,
    body: axum::body::Bytes,
) -> Result<Json<OrderView>, AppError> {
    let order =
        orders::visible_order(&state, &session, &headers, &reference, query.key.as_deref()).await?;
    let user = session::current_user(&state, &session).await?;
    // The body is optional: an empty one is a cancel without a reason.
    let request: CancelRequest = if body.iter().all(u8::is_ascii_whitespace) {
        CancelRequest::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AppError::BadRequest(format!("Invalid JSON body: {e}")))?
    };
    let reason = request.reason;
    let fresh = orders::cancel_as_shopper(&state, &order, user.as_ref(), &reason).await?;
    Ok(Json(orders::order_view(&state.db, &fresh).await?))
}

/// The order `reference` (number or id), for staff.
async fn staff_order(state: &AppState, reference: &str) -> Result<order::Model, AppError> {
    orders::staff::find(&state.db, reference)
        .await?
        .ok_or_else(|| AppError::NotFound("No such order.".into()))
}

/// Every order, filtered like the admin orders table: by status, payment status, payment method,
/// dates (`YYYY-MM-DD`, WIB) and a search in order number, email and recipient; sorted; 25 per
/// page. Staff only.
#[utoipa::path(get, path = "/api/v1/admin/orders", tag = "admin", params(OrderFilter),
    responses((status = 200, body = Page<AdminOrderRow>), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, description = "Unknown status or method, or a bad date", body = ErrorBody)))]
pub async fn admin_list_orders(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(filter): ApiQuery<OrderFilter>,
) -> Result<Json<Page<AdminOrderRow>>, AppError> {
    session::require_staff(&state, &session).await?;
    Ok(Json(orders::staff::list(&state.db, &filter).await?))
}

async fn staff_view(state: &AppState, order: &order::Model) -> Result<OrderView, AppError> {
    let mut view = orders::order_view(&state.db, order).await?;
    view.timeline = orders::timeline(&state.db, order.id, true).await?;
    Ok(view)
}

/// Any order, with its whole timeline (who did what). Staff only.
#[utoipa::path(get, path = "/api/v1/admin/orders/{order}", tag = "admin",
    params(("order" = String, Path, description = "Order number or id")),
    responses((status = 200, body = OrderView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn admin_get_order(
    State(state): State<AppState>,
    session: Session,
    ApiPath(reference): ApiPath<String>,
) -> Result<Json<OrderView>, AppError> {
    session::require_staff(&state, &session).await?;
    let order = staff_order(&state, &reference).await?;
    Ok(Json(staff_view(&state, &order).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateOrderRequest {
    /// The status to move to: `processing`, `shipped`, `delivered` or `cancelled`.
    #[schema(example = "shipped")]
    pub status: String,
    /// Required for `shipped`.
    #[schema(example = "JNE")]
    pub carrier: Option<String>,
    /// Required for `shipped`.
    #[schema(example = "JNE1234567890")]
    pub tracking_number: Option<String>,
    /// Kept on the order's timeline.
    #[serde(default)]
    pub note: String,
}

/// Move an order along its workflow. Only moves allowed from its current status are accepted;
/// shipping needs a carrier and a tracking number; cancelling a paid order puts its stock back
/// and starts a refund. Staff only.
#[utoipa::path(patch, path = "/api/v1/admin/orders/{order}", tag = "admin",
    params(("order" = String, Path, description = "Order number or id")),
    request_body = UpdateOrderRequest,
    responses((status = 200, body = OrderView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Not allowed from the current status, or the order changed meanwhile", body = ErrorBody),
              (status = 422, description = "Unknown status, or shipping without carrier and tracking number", body = ErrorBody)))]
pub async fn admin_update_order(
    State(state): State<AppState>,
    session: Session,
    ApiPath(reference): ApiPath<String>,
    ApiJson(body): ApiJson<UpdateOrderRequest>,
) -> Result<Json<OrderView>, AppError> {
    let staff = session::require_staff(&state, &session).await?;
    let order = staff_order(&state, &reference).await?;
    let fresh = orders::change_status(
        &state.db,
        state.cache.as_ref(),
        &state.settings,
        order.id,
        &Change {
            to: body.status,
            carrier: body.carrier,
            tracking_number: body.tracking_number,
            note: body.note,
        },
        &Actor::staff(&staff),
    )
    .await?;
    Ok(Json(staff_view(&state, &fresh).await?))
}

/// Refund an order, in full or in part: by `amount`, or by `lines` (each `{ "item_id",
/// "quantity", "restock" }`: restocked units go back on sale, the others are written off as not
/// resellable) and/or the `shipping` fee. The `Idempotency-Key` header is required: the same key
/// again answers 200 with the refund it made, never a second refund. What was paid bounds every
/// refund (pending ones included), and each line's units bound its refunds. The money goes back
/// through the gateway where it can (else staff send it and mark it done); the payment shows
/// refunded once the gateway confirms. Staff only.
#[utoipa::path(post, path = "/api/v1/admin/orders/{order}/refunds", tag = "admin",
    params(("order" = String, Path, description = "Order number or id"),
           ("Idempotency-Key" = String, Header, description = "One per refund you mean to make")),
    request_body = crate::model::RefundRequest,
    responses((status = 201, body = crate::model::RefundOutcome),
              (status = 200, description = "This key made the refund before; nothing new happened", body = crate::model::RefundOutcome),
              (status = 400, description = "No Idempotency-Key", body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Nothing paid, or the key belongs to another order", body = ErrorBody),
              (status = 422, description = "Above what can still be refunded, unknown line, too many units, shipping refunded already", body = ErrorBody)))]
pub async fn admin_refund_order(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(reference): ApiPath<String>,
    ApiJson(body): ApiJson<crate::model::RefundRequest>,
) -> Result<(axum::http::StatusCode, Json<crate::model::RefundOutcome>), AppError> {
    let staff = session::require_staff(&state, &session).await?;
    let order = staff_order(&state, &reference).await?;
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let outcome = refund_outcome(&state, &order, key, &body, &Actor::staff(&staff)).await?;
    let status = if outcome.created {
        axum::http::StatusCode::CREATED
    } else {
        axum::http::StatusCode::OK
    };
    Ok((status, Json(outcome)))
}

/// Makes (or finds, by its key) a refund and answers with it and the order after it.
pub async fn refund_outcome(
    state: &AppState,
    order: &order::Model,
    key: &str,
    ask: &crate::model::RefundRequest,
    actor: &Actor,
) -> Result<crate::model::RefundOutcome, AppError> {
    let (made, created) = orders::refunds::request(state, order.id, key, ask, actor).await?;
    let fresh = staff_order(state, &order.id.to_string()).await?;
    let view = staff_view(state, &fresh).await?;
    let refund = view
        .refunds
        .iter()
        .find(|r| r.id == made.id)
        .cloned()
        .ok_or(AppError::Internal)?;
    Ok(crate::model::RefundOutcome {
        refund,
        created,
        order: view,
    })
}

/// A stored document as a PDF response. `download`: saved as a file; otherwise shown in the
/// browser (to print).
pub(crate) fn pdf_response(
    document: &crate::server::db::document::Model,
    download: bool,
) -> axum::response::Response {
    pdf_file(
        &orders::documents::file_name(&document.number),
        document.pdf.clone(),
        download,
    )
}

/// PDF bytes as a response named `file_name`.
pub(crate) fn pdf_file(
    file_name: &str,
    bytes: Vec<u8>,
    download: bool,
) -> axum::response::Response {
    use axum::{http::header, response::IntoResponse};
    let disposition = format!(
        "{}; filename=\"{file_name}\"",
        if download { "attachment" } else { "inline" },
    );
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// The order's invoice as PDF: issued the first time it is asked for once the order is paid,
/// the same stored file every time after.
#[utoipa::path(get, path = "/api/v1/orders/{order}/invoice.pdf", tag = "orders",
    params(("order" = String, Path, description = "Order number or id"), OrderKey),
    responses((status = 200, content_type = "application/pdf", description = "The invoice"),
              (status = 404, body = ErrorBody),
              (status = 409, description = "Not paid: no invoice yet", body = ErrorBody)))]
pub async fn order_invoice(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<OrderKey>,
) -> Result<axum::response::Response, AppError> {
    let order =
        orders::visible_order(&state, &session, &headers, &reference, query.key.as_deref()).await?;
    let document =
        orders::documents::invoice(&state.db, &state.settings, order.id, &Actor::system()).await?;
    Ok(pdf_response(&document, true))
}

/// The credit note of one of the order's refunds, as PDF (once the money is back).
#[utoipa::path(get, path = "/api/v1/orders/{order}/refunds/{refund}/credit-note.pdf", tag = "orders",
    params(("order" = String, Path, description = "Order number or id"),
           ("refund" = i32, Path, description = "Refund id"), OrderKey),
    responses((status = 200, content_type = "application/pdf", description = "The credit note"),
              (status = 404, body = ErrorBody),
              (status = 409, description = "The refund has not gone through yet", body = ErrorBody)))]
pub async fn order_credit_note(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath((reference, refund_id)): ApiPath<(String, i32)>,
    ApiQuery(query): ApiQuery<OrderKey>,
) -> Result<axum::response::Response, AppError> {
    let order =
        orders::visible_order(&state, &session, &headers, &reference, query.key.as_deref()).await?;
    let belongs = crate::server::db::refund::Entity::find_by_id(refund_id)
        .one(&state.db)
        .await?
        .is_some_and(|r| r.order_id == order.id);
    if !belongs {
        return Err(AppError::NotFound("No such refund.".into()));
    }
    let document =
        orders::documents::credit_note(&state.db, &state.settings, refund_id, &Actor::system())
            .await?;
    Ok(pdf_response(&document, true))
}

/// Ask to send back units of a shipped or delivered order, with a reason. Staff approve or
/// reject it; the order's `returns` show where it is.
#[utoipa::path(post, path = "/api/v1/orders/{order}/returns", tag = "orders",
    params(("order" = String, Path, description = "Order number or id"), OrderKey),
    request_body = crate::model::ReturnRequestInput,
    responses((status = 201, body = OrderView), (status = 404, body = ErrorBody),
              (status = 409, description = "Not shipped yet, not paid, or a request is already open", body = ErrorBody),
              (status = 422, description = "No reason, no items, or more units than were bought", body = ErrorBody)))]
pub async fn request_return(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(reference): ApiPath<String>,
    ApiQuery(query): ApiQuery<OrderKey>,
    ApiJson(input): ApiJson<crate::model::ReturnRequestInput>,
) -> Result<(axum::http::StatusCode, Json<OrderView>), AppError> {
    let order =
        orders::visible_order(&state, &session, &headers, &reference, query.key.as_deref()).await?;
    let user = session::current_user(&state, &session).await?;
    let actor = Actor::on_order(&order, user.as_ref());
    orders::returns::request(&state.db, order.id, &input, &actor).await?;
    // A request changes no column of the order: the row read above is still current.
    Ok((
        axum::http::StatusCode::CREATED,
        Json(orders::order_view(&state.db, &order).await?),
    ))
}

/// Approve or reject a customer's return request (a rejection says why). Staff only.
#[utoipa::path(post, path = "/api/v1/admin/returns/{id}", tag = "admin",
    params(("id" = i32, Path, description = "Return request id")),
    request_body = crate::model::ReturnDecision,
    responses((status = 200, body = OrderView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 409, description = "Answered already", body = ErrorBody),
              (status = 422, description = "Unknown decision, or a rejection without a note", body = ErrorBody)))]
pub async fn decide_return(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i32>,
    ApiJson(decision): ApiJson<crate::model::ReturnDecision>,
) -> Result<Json<OrderView>, AppError> {
    let staff = session::require_staff(&state, &session).await?;
    let (_, order) = orders::returns::decide(
        &state.db,
        id,
        &decision.decision,
        &decision.note,
        &Actor::staff(&staff),
    )
    .await?;
    Ok(Json(staff_view(&state, &order).await?))
}
