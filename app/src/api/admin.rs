//! Admin server functions. Every one checks the role on the server.
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::form_error,
    model::Role,
    server::{accounts as domain, app_state, request_session, session},
};
use crate::{
    error::AppError,
    model::{Page, User},
};

/// Users matching `q` (email or name), 20 per page, newest first. Admins only.
#[server]
pub async fn admin_list_users(q: String, page: u64) -> Result<Page<User>, AppError> {
    let state = app_state()?;
    let result = session::require_admin(&state, &request_session().await?).await;
    if let Err(err) = result {
        crate::server::set_status(err.status());
        return Err(err);
    }
    Ok(domain::list_users(&state.db, &q, page.max(1), 20).await?)
}

/// Changes a user's role and/or active flag. Admins only; admins cannot lock themselves out.
#[server]
pub async fn admin_update_user(
    id: i32,
    role: Option<String>,
    active: Option<bool>,
) -> Result<User, AppError> {
    let result = async {
        let state = app_state()?;
        let admin = session::require_admin(&state, &request_session().await?).await?;
        let role = match role.as_deref().filter(|r| !r.is_empty()) {
            Some(r) => Some(r.parse::<Role>().map_err(|e| AppError::field("role", e))?),
            None => None,
        };
        if role.is_none() && active.is_none() {
            return Err(AppError::field("role", "Choose a role or an active state."));
        }
        Ok(domain::update_user(&state.db, admin.id, id, role, active).await?)
    }
    .await;
    match result {
        Ok(user) => Ok(user),
        Err(err) => form_error(err),
    }
}

/// Every refund (late payments whose stock was gone), newest first. Staff.
#[server]
pub async fn admin_list_refunds() -> Result<Vec<crate::model::RefundView>, AppError> {
    let state = app_state()?;
    if let Err(err) = session::require_staff(&state, &request_session().await?).await {
        crate::server::set_status(err.status());
        return Err(err);
    }
    Ok(crate::server::payments::refunds::list(&state.db).await?)
}

/// Marks a manual (bank transfer) or failed refund as sent by hand. Staff.
#[server]
pub async fn admin_mark_refund_done(id: i32, note: String) -> Result<(), AppError> {
    let result = async {
        let state = app_state()?;
        let staff = session::require_staff(&state, &request_session().await?).await?;
        if note.trim().is_empty() {
            return Err(AppError::field(
                "note",
                "Say how the money went back (bank, transfer reference).",
            ));
        }
        if crate::server::payments::refunds::mark_done(&state.db, id, staff.id, &note).await? {
            Ok(())
        } else {
            Err(AppError::Conflict(
                "That refund is not waiting for a manual transfer.".into(),
            ))
        }
    }
    .await;
    match result {
        Ok(()) => {
            crate::api::shop::redirect_without_js("/admin/refunds");
            Ok(())
        }
        Err(err) => form_error(err),
    }
}

#[cfg(feature = "ssr")]
async fn require_admin() -> Result<(crate::server::state::AppState, User), AppError> {
    let state = app_state()?;
    match session::require_admin(&state, &request_session().await?).await {
        Ok(user) => Ok((state, user)),
        Err(err) => {
            crate::server::set_status(err.status());
            Err(err)
        }
    }
}

/// Every staff API token (never the tokens themselves). Admins only.
#[server]
pub async fn admin_api_tokens() -> Result<Vec<crate::model::ApiTokenView>, AppError> {
    let (state, _) = require_admin().await?;
    Ok(domain::tokens::list(&state.db).await?)
}

/// A new staff API token acting as the admin making it; the answer is the only time the token
/// is shown. Admins only.
#[server]
pub async fn create_api_token(name: String) -> Result<crate::model::CreatedApiToken, AppError> {
    let result = async {
        let (state, admin) = require_admin().await?;
        Ok(domain::tokens::create(&state.db, &admin, &name).await?)
    }
    .await;
    match result {
        Ok(created) => Ok(created),
        Err(err) => form_error(err),
    }
}

/// Ends a staff API token at once. Admins only.
#[server]
pub async fn revoke_api_token(id: i32) -> Result<crate::model::ApiTokenView, AppError> {
    let result = async {
        let (state, _) = require_admin().await?;
        Ok(domain::tokens::revoke(&state.db, id).await?)
    }
    .await;
    match result {
        Ok(view) => Ok(view),
        Err(err) => form_error(err),
    }
}
