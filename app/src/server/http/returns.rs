//! The return forms (plain posts, so they work before hydration): the customer's request on
//! their order page and staff's answer on the admin order page. Both go back to the page with
//! `saved` or `error` in the URL; the JSON API has the same in `api::orders`.
use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
    routing::post,
    Router,
};
use sea_orm::EntityTrait;
use tower_sessions::Session;

use super::api::ApiPath;
use crate::{
    error::AppError,
    model::{ReturnLineInput, ReturnRequestInput},
    server::{
        orders::{self, Actor},
        session,
        state::AppState,
    },
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/orders/{number}/returns", post(request_return))
        .route("/admin/returns/{id}", post(decide_return))
}

fn back(path: &str, key: &str, message: &str) -> Response {
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair(key, message)
        .finish();
    let glue = if path.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{path}{glue}{query}")).into_response()
}

/// `key` (a guest's order key), `reason`, and `qty_{item}` per line.
async fn request_return(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    ApiPath(number): ApiPath<String>,
    body: axum::body::Bytes,
) -> Response {
    let mut input = ReturnRequestInput::default();
    let mut key = None;
    for (name, value) in form_urlencoded::parse(&body) {
        let value = value.trim();
        match name.as_ref() {
            "key" if !value.is_empty() => key = Some(value.to_string()),
            "reason" => input.reason = value.to_string(),
            other => {
                if let Some(item_id) = other
                    .strip_prefix("qty_")
                    .and_then(|i| i.parse::<i32>().ok())
                {
                    match value.parse::<i32>() {
                        Ok(quantity) => input.lines.push(ReturnLineInput { item_id, quantity }),
                        Err(_) if value.is_empty() => {}
                        Err(_) => {
                            return AppError::field("lines", "Quantities are whole numbers.")
                                .into_response()
                        }
                    }
                }
            }
        }
    }
    let order =
        match orders::visible_order(&state, &session, &headers, &number, key.as_deref()).await {
            Ok(order) => order,
            Err(err) => return err.into_response(),
        };
    let page = match &key {
        Some(k) => format!(
            "/orders/{}?key={}",
            order.number,
            form_urlencoded::byte_serialize(k.as_bytes()).collect::<String>()
        ),
        None => format!("/orders/{}", order.number),
    };
    let user = match session::current_user(&state, &session).await {
        Ok(user) => user,
        Err(err) => return err.into_response(),
    };
    let actor = Actor::on_order(&order, user.as_ref());
    match orders::returns::request(&state.db, order.id, &input, &actor).await {
        Ok(_) => back(
            &page,
            "saved",
            "Return requested. The shop will answer by email.",
        ),
        Err(orders::returns::ReturnError::Db(e)) => AppError::from(e).into_response(),
        Err(e) => back(&page, "error", &e.to_string()),
    }
}

/// `decision` (`approve` or `reject`) and `note`.
async fn decide_return(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<i32>,
    body: axum::body::Bytes,
) -> Response {
    let staff = match session::require_staff(&state, &session).await {
        Ok(user) => user,
        Err(err) => return err.into_response(),
    };
    let (mut decision, mut note) = (String::new(), String::new());
    for (name, value) in form_urlencoded::parse(&body) {
        match name.as_ref() {
            "decision" => decision = value.into_owned(),
            "note" => note = value.into_owned(),
            _ => {}
        }
    }
    let number = match crate::server::db::return_request::Entity::find_by_id(id)
        .one(&state.db)
        .await
    {
        Ok(Some(row)) => match orders::staff::find(&state.db, &row.order_id.to_string()).await {
            Ok(Some(order)) => order.number,
            Ok(None) => return AppError::NotFound("No such order.".into()).into_response(),
            Err(e) => return AppError::from(e).into_response(),
        },
        Ok(None) => return AppError::NotFound("No such return request.".into()).into_response(),
        Err(e) => return AppError::from(e).into_response(),
    };
    let page = format!("/admin/orders/{number}");
    match orders::returns::decide(&state.db, id, &decision, &note, &Actor::staff(&staff)).await {
        Ok((row, _)) => {
            let message = if row.status == "approved" {
                "Return approved: the customer is told to send the items. Refund them once they are back."
            } else {
                "Return declined: the customer is told why."
            };
            back(&page, "saved", message)
        }
        Err(orders::returns::ReturnError::Db(e)) => AppError::from(e).into_response(),
        Err(e) => back(&page, "error", &e.to_string()),
    }
}
