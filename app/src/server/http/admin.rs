//! Admin endpoints that server functions are awkward for: picture uploads and CSV import
//! (multipart forms that also work without JavaScript), CSV export (a download), and the bulk
//! status change of the orders table (a form with one checkbox per selected order), and an
//! order's refund form (a quantity and a restock choice per line), and printing invoices and
//! credit notes (one, or the invoices of the orders ticked in the table as one PDF).
//! HTML form posts are answered with a 303 back to the page, carrying `saved` or `error`; clients
//! asking for JSON get JSON and a proper status.
use axum::{
    extract::{DefaultBodyLimit, Multipart, State},
    http::{header, HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Json, Router,
};
use tower_sessions::Session;

use super::api::{
    orders::{pdf_file, pdf_response},
    ApiPath,
};
use crate::{
    error::AppError,
    server::{
        catalog::{import_export, manage},
        media::MAX_UPLOAD_BYTES,
        orders::{self, Actor},
        session,
        state::AppState,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/products/{id}/images", post(upload_image))
        .route("/admin/catalog/export.csv", get(export_csv))
        .route("/admin/catalog/import", post(import_csv))
        .route("/admin/inventory/counts", post(import_counts))
        .route("/admin/orders/bulk", post(bulk_move_orders))
        .route("/admin/orders/invoices", post(bulk_print_invoices))
        .route("/admin/orders/{number}/invoice.pdf", get(print_invoice))
        .route(
            "/admin/refunds/{id}/credit-note.pdf",
            get(print_credit_note),
        )
        .route("/admin/orders/{number}/refund", post(refund_order))
        // A little over the picture limit, so an 8.5 MB file still reaches our own check and
        // its clear message; anything bigger is cut off while streaming.
        .layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 1024 * 1024))
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json") && !v.contains("text/html"))
}

/// The 303 back to `page` with the outcome, or the JSON answer.
fn respond<T: serde::Serialize>(
    json: bool,
    page: &str,
    result: Result<(String, T), AppError>,
) -> Response {
    match (json, result) {
        (true, Ok((_, body))) => (StatusCode::OK, Json(body)).into_response(),
        (true, Err(err)) => err.into_response(),
        (false, Ok((message, _))) => {
            Redirect::to(&with_param(page, "saved", &message)).into_response()
        }
        (false, Err(err)) => {
            let mut message = err.to_string();
            if let AppError::Validation { fields, .. } = &err {
                let lines = fields.get("file").or_else(|| fields.get("lines"));
                if let Some(lines) = lines.filter(|l| l.len() > 1) {
                    message = format!(
                        "{message}\n{}",
                        lines
                            .iter()
                            .take(12)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join("\n")
                    );
                }
            }
            Redirect::to(&with_param(page, "error", &message)).into_response()
        }
    }
}

fn with_param(page: &str, key: &str, value: &str) -> String {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair(key, value)
        .finish();
    format!("{page}?{query}")
}

/// The bytes of form field `name` and the text of the others.
async fn read_form(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    name: &str,
) -> Result<(Vec<u8>, std::collections::HashMap<String, String>), AppError> {
    let mut multipart = multipart.map_err(|_| {
        AppError::BadRequest(
            "Send the file as a multipart form (enctype=\"multipart/form-data\").".into(),
        )
    })?;
    let too_big = || {
        AppError::field(
            "file",
            format!(
                "The file is larger than {} MB.",
                MAX_UPLOAD_BYTES / (1024 * 1024)
            ),
        )
    };
    let mut file = None;
    let mut texts = std::collections::HashMap::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(e) => {
                return Err(AppError::BadRequest(format!(
                    "The upload was cut short: {}",
                    e.body_text()
                )))
            }
        };
        let field_name = field.name().unwrap_or_default().to_string();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(e) => {
                return Err(AppError::BadRequest(format!(
                    "The upload was cut short: {}",
                    e.body_text()
                )))
            }
        };
        if field_name == name {
            file = Some(bytes.to_vec());
        } else {
            texts.insert(field_name, String::from_utf8_lossy(&bytes).into_owned());
        }
    }
    let file = file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| AppError::field("file", "Choose a file to upload."))?;
    Ok((file, texts))
}

/// `POST /admin/products/{id}/images` (multipart: `file`, optional `alt`).
async fn upload_image(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(id): ApiPath<i32>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let result = async {
        session::require_staff(&state, &session).await?;
        let (bytes, texts) = read_form(multipart, "file").await?;
        let alt = texts.get("alt").map(String::as_str).unwrap_or("");
        let image = manage::add_image(
            &state.db,
            state.cache.as_ref(),
            &state.media,
            id,
            bytes,
            alt,
        )
        .await?;
        Ok(("Picture added.".to_string(), image))
    }
    .await;
    respond(
        wants_json(&headers),
        &format!("/admin/products/{id}"),
        result,
    )
}

/// `GET /admin/catalog/export.csv`: every product and variant.
async fn export_csv(State(state): State<AppState>, session: Session) -> Response {
    let result = async {
        session::require_staff(&state, &session).await?;
        Ok::<_, AppError>(import_export::export_csv(&state.db).await?)
    }
    .await;
    match result {
        Ok(bytes) => {
            let name = format!(
                "attachment; filename=\"pasar-products-{}.csv\"",
                chrono::Utc::now().format("%Y%m%d")
            );
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (header::CONTENT_DISPOSITION, name),
                    (header::CACHE_CONTROL, "private, no-store".to_string()),
                ],
                bytes,
            )
                .into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// `POST /admin/catalog/import` (multipart: `file`): all rows or none.
async fn import_csv(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let result = async {
        let staff = session::require_staff(&state, &session).await?;
        let (bytes, _) = read_form(multipart, "file").await?;
        let report =
            import_export::import_csv(&state.db, state.cache.as_ref(), &bytes, Some(staff.id))
                .await?;
        let message = format!(
            "Imported {} rows: {} products created, {} updated; {} variants created, {} updated; stock set for {}.",
            report.rows,
            report.products_created,
            report.products_updated,
            report.variants_created,
            report.variants_updated,
            report.stock_set
        );
        Ok((message, report))
    }
    .await;
    respond(wants_json(&headers), "/admin/catalog", result)
}

/// `POST /admin/inventory/counts` (multipart: `file`, `reason`): a stock count as CSV
/// (`sku,warehouse,counted[,expected]`), posted whole or not at all.
async fn import_counts(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let result = async {
        let staff = session::require_staff(&state, &session).await?;
        let (bytes, texts) = read_form(multipart, "file").await?;
        let lines = crate::server::inventory::counts::parse_csv(&bytes)?;
        let reason = texts.get("reason").map(String::as_str).unwrap_or_default();
        let posted = crate::server::inventory::counts::post(
            &state.db,
            state.cache.as_ref(),
            staff.id,
            reason,
            &lines,
            2,
        )
        .await?;
        let corrected = posted.iter().filter(|l| l.variance != 0).count();
        let message = format!(
            "Count posted: {} levels counted, {corrected} corrected.",
            posted.len()
        );
        Ok((message, posted))
    }
    .await;
    respond(wants_json(&headers), "/admin/inventory", result)
}

/// The orders table's bulk action: the checked orders (`number`, repeated) move to `status`,
/// each through the workflow's rules; back to the table (`back`) with what moved and what was
/// refused and why.
async fn bulk_move_orders(
    State(state): State<AppState>,
    session: Session,
    body: axum::body::Bytes,
) -> Response {
    let mut numbers = Vec::new();
    let (mut status, mut back) = (String::new(), String::from("/admin/orders"));
    for (key, value) in form_urlencoded::parse(&body) {
        match key.as_ref() {
            "number" => numbers.push(value.into_owned()),
            "status" => status = value.into_owned(),
            // Only ever back to the orders table (never an address a form could smuggle in).
            "back" if value.starts_with("/admin/orders") && !value.contains("//") => {
                back = value.into_owned()
            }
            _ => {}
        }
    }
    let back_with = |key: &str, message: &str| {
        let mut url = url::Url::parse(&format!("http://shop{back}"))
            .unwrap_or_else(|_| url::Url::parse("http://shop/admin/orders").expect("static url"));
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "saved" && k != "error")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair(key, message);
        let target = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        Redirect::to(&target).into_response()
    };
    let staff = match session::require_staff(&state, &session).await {
        Ok(user) => user,
        Err(err) => return err.into_response(),
    };
    if numbers.is_empty() {
        return back_with("error", "Select the orders to move first.");
    }
    let label = match status.parse::<crate::model::OrderStatus>() {
        Ok(s) => s.label(),
        Err(_) => return back_with("error", "Choose the status to move them to."),
    };
    let outcome = match crate::server::orders::change_many(
        &state.db,
        state.cache.as_ref(),
        &state.settings,
        &numbers,
        &status,
        &crate::server::orders::Actor::staff(&staff),
    )
    .await
    {
        Ok(outcome) => outcome,
        Err(e) => return AppError::from(e).into_response(),
    };
    let mut message = format!("{} moved to {label}.", outcome.moved.len());
    if !outcome.refused.is_empty() {
        let refused: Vec<String> = outcome
            .refused
            .iter()
            .take(10)
            .map(|(n, why)| format!("{n}: {why}"))
            .collect();
        message.push_str(&format!(" Not moved: {}", refused.join(" ")));
    }
    let key = if outcome.moved.is_empty() {
        "error"
    } else {
        "saved"
    };
    back_with(key, &message)
}

/// The refund form of an order's admin page (a plain form, so it works before hydration):
/// `key` (the form's idempotency key), `reason`, then either `amount` or, per line,
/// `qty_{item}` with `fate_{item}` (`restock`: back on sale, `damaged`: back but unavailable,
/// `write_off`; or, as before, a ticked `restock_{item}`), and `shipping`.
/// Back to the order page with what happened.
async fn refund_order(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path(number): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let staff = match session::require_staff(&state, &session).await {
        Ok(user) => user,
        Err(err) => return err.into_response(),
    };
    let order = match crate::server::orders::staff::find(&state.db, &number).await {
        Ok(Some(order)) => order,
        Ok(None) => return AppError::NotFound("No such order.".into()).into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let back = |key: &str, message: &str| {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair(key, message)
            .finish();
        Redirect::to(&format!("/admin/orders/{}?{query}", order.number)).into_response()
    };
    let mut ask = crate::model::RefundRequest::default();
    let (mut key, mut quantities) = (String::new(), Vec::new());
    let (mut restock, mut damaged) = (Vec::new(), Vec::new());
    for (name, value) in form_urlencoded::parse(&body) {
        let value = value.trim();
        match name.as_ref() {
            "key" => key = value.to_string(),
            "reason" => ask.reason = value.to_string(),
            "shipping" => ask.shipping = !value.is_empty(),
            "amount" if !value.is_empty() => {
                // Staff may type "150.000" the way rupiah are written.
                let digits: String = value.chars().filter(|c| *c != '.').collect();
                match digits.parse::<i64>() {
                    Ok(amount) => ask.amount = Some(amount),
                    Err(_) => return back("error", "Write the amount in whole rupiah."),
                }
            }
            other => {
                if let Some(item) = other
                    .strip_prefix("qty_")
                    .and_then(|i| i.parse::<i32>().ok())
                {
                    match value.parse::<i32>() {
                        Ok(0) => {}
                        Ok(quantity) => quantities.push((item, quantity)),
                        Err(_) if value.is_empty() => {}
                        Err(_) => return back("error", "Quantities are whole numbers."),
                    }
                } else if let Some(item) = other
                    .strip_prefix("restock_")
                    .and_then(|i| i.parse::<i32>().ok())
                {
                    restock.push(item);
                } else if let Some(item) = other
                    .strip_prefix("fate_")
                    .and_then(|i| i.parse::<i32>().ok())
                {
                    // The form's choice per line: back on sale, back damaged, or written off.
                    match value {
                        "restock" => restock.push(item),
                        "damaged" => damaged.push(item),
                        "write_off" => {}
                        _ => return back("error", "Choose what becomes of the units."),
                    }
                }
            }
        }
    }
    ask.lines = quantities
        .into_iter()
        .map(|(item_id, quantity)| crate::model::RefundLineRequest {
            item_id,
            quantity,
            restock: restock.contains(&item_id),
            damaged: damaged.contains(&item_id),
        })
        .collect();
    match crate::server::orders::refunds::request(
        &state,
        order.id,
        &key,
        &ask,
        &crate::server::orders::Actor::staff(&staff),
    )
    .await
    {
        Ok((made, created)) => {
            let currency = crate::model::Currency::parse(&made.currency)
                .unwrap_or(crate::model::Currency::Idr);
            let amount = crate::model::Money::new(made.amount, currency).format();
            let message = match (created, made.status.parse::<crate::model::RefundStatus>()) {
                (false, _) => format!("This refund of {amount} was made already."),
                (true, Ok(status)) => format!("Refund of {amount}: {}.", status.label()),
                (true, Err(_)) => format!("Refund of {amount} asked for."),
            };
            back("saved", &message)
        }
        Err(crate::server::orders::refunds::RefundError::Db(e)) => {
            AppError::from(e).into_response()
        }
        Err(e) => back("error", &e.to_string()),
    }
}

/// Staff print an order's invoice (issued if it has none yet); each print is noted on the
/// order's timeline.
async fn print_invoice(
    State(state): State<AppState>,
    session: Session,
    ApiPath(number): ApiPath<String>,
) -> Result<Response, AppError> {
    let staff = session::require_staff(&state, &session).await?;
    let order = orders::staff::find(&state.db, &number)
        .await?
        .ok_or_else(|| AppError::NotFound("No such order.".into()))?;
    let document = orders::documents::print_invoice(
        &state.db,
        &state.settings,
        order.id,
        &Actor::staff(&staff),
    )
    .await?;
    Ok(pdf_response(&document, false))
}

/// Staff print a refund's credit note (issued if it has none yet).
async fn print_credit_note(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i32>,
) -> Result<Response, AppError> {
    let staff = session::require_staff(&state, &session).await?;
    let document =
        orders::documents::credit_note(&state.db, &state.settings, id, &Actor::staff(&staff))
            .await?;
    Ok(pdf_response(&document, false))
}

/// The orders table's "Print invoices": one PDF of the ticked orders' invoices. When any of
/// them is unpaid (no invoice), nothing is printed and the table says which to untick.
async fn bulk_print_invoices(
    State(state): State<AppState>,
    session: Session,
    body: axum::body::Bytes,
) -> Response {
    let mut numbers = Vec::new();
    for (key, value) in form_urlencoded::parse(&body) {
        if key == "number" {
            numbers.push(value.into_owned());
        }
    }
    let back = |key: &str, message: &str| {
        Redirect::to(&with_param("/admin/orders", key, message)).into_response()
    };
    let staff = match session::require_staff(&state, &session).await {
        Ok(user) => user,
        Err(err) => return err.into_response(),
    };
    if numbers.is_empty() {
        return back("error", "Select the orders whose invoices to print first.");
    }
    match orders::documents::print_many(&state.db, &state.settings, &numbers, &Actor::staff(&staff))
        .await
    {
        Ok(pdf) => pdf_file("invoices.pdf", pdf, false),
        Err(e @ orders::documents::DocumentError::NotInvoiceable(_)) => {
            back("error", &e.to_string())
        }
        Err(e) => AppError::from(e).into_response(),
    }
}
