//! Staff server functions for orders: the orders table, the new-orders count, one order with
//! its payments and timeline, moving it along the workflow and noting things on it. Every one
//! checks the staff role on the server; the workflow decides which moves are allowed.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::form_error,
    model::User,
    server::{
        app_state,
        orders::{self, staff, Actor, Change},
        request_session, session,
        state::AppState,
    },
};
use crate::{
    error::AppError,
    model::{AdminOrderDetail, AdminOrderRow, OrderFilter, Page},
};

#[cfg(feature = "ssr")]
async fn require_staff() -> Result<(AppState, User), AppError> {
    let state = app_state()?;
    match session::require_staff(&state, &request_session().await?).await {
        Ok(user) => Ok((state, user)),
        Err(err) => {
            crate::server::set_status(err.status());
            Err(err)
        }
    }
}

#[cfg(feature = "ssr")]
async fn staff_order(
    state: &AppState,
    number: &str,
) -> Result<crate::server::db::order::Model, AppError> {
    staff::find(&state.db, number)
        .await?
        .ok_or_else(|| AppError::NotFound("No such order.".into()))
}

/// The orders table: filtered, sorted, 25 per page. Staff.
#[server]
pub async fn admin_orders(filter: OrderFilter) -> Result<Page<AdminOrderRow>, AppError> {
    let (state, _) = require_staff().await?;
    Ok(staff::list(&state.db, &filter).await?)
}

/// Paid orders nobody has started on (the admin header's badge). Staff.
#[server]
pub async fn admin_new_orders() -> Result<u64, AppError> {
    let (state, _) = require_staff().await?;
    Ok(staff::count_new(&state.db).await?)
}

/// One order with its payments, gateway events, timeline and the moves open to staff.
#[server]
pub async fn admin_order(number: String) -> Result<AdminOrderDetail, AppError> {
    let (state, _) = require_staff().await?;
    let order = staff_order(&state, &number).await?;
    Ok(staff::detail(&state.db, &order).await?)
}

/// Moves an order to `status` (with carrier and tracking number for shipping). Staff.
#[server]
pub async fn admin_move_order(
    number: String,
    status: String,
    #[server(default)] carrier: Option<String>,
    #[server(default)] tracking_number: Option<String>,
    #[server(default)] note: Option<String>,
) -> Result<String, AppError> {
    let result = async {
        let (state, user) = require_staff().await?;
        let order = staff_order(&state, &number).await?;
        let moved = orders::change_status(
            &state.db,
            state.cache.as_ref(),
            &state.settings,
            order.id,
            &Change {
                to: status,
                carrier,
                tracking_number,
                note: note.unwrap_or_default(),
            },
            &Actor::staff(&user),
        )
        .await?;
        Ok::<_, AppError>(moved.status)
    }
    .await;
    match result {
        Ok(status) => {
            super::shop::redirect_without_js(&format!(
                "/admin/orders/{number}?saved=Moved+to+{status}"
            ));
            Ok(status)
        }
        Err(err) => form_error(err),
    }
}

/// Adds a note to the order's timeline. Staff.
#[server]
pub async fn admin_note_order(number: String, note: String) -> Result<(), AppError> {
    let result = async {
        let (state, user) = require_staff().await?;
        let order = staff_order(&state, &number).await?;
        orders::add_note(&state.db, order.id, &Actor::staff(&user), &note).await?;
        Ok::<_, AppError>(())
    }
    .await;
    match result {
        Ok(()) => {
            super::shop::redirect_without_js(&format!("/admin/orders/{number}?saved=Note+added"));
            Ok(())
        }
        Err(err) => form_error(err),
    }
}
