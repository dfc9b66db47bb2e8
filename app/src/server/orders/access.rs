//! Who may see an order: its customer, staff, the holder of its access key, or the guest whose
//! cart it came from. Anyone else is told there is no such order.
use axum::http::HeaderMap;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use tower_sessions::Session;

use crate::{
    error::AppError,
    model::User,
    server::{cart::CartOwner, db::order, session, state::AppState, visitor::guest_token},
};

/// Who may see an order.
pub enum Viewer<'a> {
    /// The customer who placed it (or staff).
    User(&'a User),
    /// Anyone holding the order's access token (the guest who placed it).
    Token(&'a str),
    /// The guest whose cart (by cache key) a guest order came from.
    Cart(&'a str),
}

/// An order by number if the viewer may see it; `None` otherwise (never says which).
pub async fn find_order(
    db: &impl ConnectionTrait,
    number: &str,
    viewer: Viewer<'_>,
) -> Result<Option<order::Model>, DbErr> {
    let Some(order) = order::Entity::find()
        .filter(order::Column::Number.eq(number))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let allowed = match viewer {
        Viewer::User(user) => order.user_id == Some(user.id) || user.role.is_staff(),
        Viewer::Token(token) => {
            !token.is_empty()
                && subtle::ConstantTimeEq::ct_eq(token.as_bytes(), order.access_token.as_bytes())
                    .into()
        }
        Viewer::Cart(key) => order.user_id.is_none() && order.cart_key.as_deref() == Some(key),
    };
    Ok(allowed.then_some(order))
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
        if let Some(order) = find_order(&state.db, &number, Viewer::User(user)).await? {
            return Ok(order);
        }
    }
    if let Some(key) = key {
        if let Some(order) = find_order(&state.db, &number, Viewer::Token(key)).await? {
            return Ok(order);
        }
    }
    if let Some(token) = guest_token(headers) {
        let cart_key = CartOwner::Guest(token).key();
        if let Some(order) = find_order(&state.db, &number, Viewer::Cart(&cart_key)).await? {
            return Ok(order);
        }
    }
    Err(not_found())
}

/// The shopper's order URL: customers see it in their account, guests with the access key.
pub fn order_url(order: &order::Model, user: Option<&User>) -> String {
    match user {
        Some(_) if order.user_id.is_some() => format!("/orders/{}", order.number),
        _ => format!("/orders/{}?key={}", order.number, order.access_token),
    }
}
