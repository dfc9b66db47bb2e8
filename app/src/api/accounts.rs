//! Accounts server functions: session info, register, log in/out, profile, address book.
// `save_address` takes one argument per form field (flat names keep the no-JS form simple);
// the lint fires on the client stub the macro generates, where an item attribute cannot reach.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::{form_error, safe_next},
    model::AddressInput,
    server::{accounts as domain, app_state, request_session, session},
};
use crate::{
    error::AppError,
    model::{Address, SessionInfo, User},
};

/// The shop's name and the logged-in user (if any), for the header and guards.
#[server]
pub async fn get_session_info() -> Result<SessionInfo, AppError> {
    let state = app_state()?;
    let session = request_session().await?;
    let user = session::current_user(&state, &session).await?;
    Ok(SessionInfo {
        shop_name: state.settings.shop.name.clone(),
        user,
    })
}

/// Logs in and redirects to `next` (a local path) or the home page.
#[server]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<User, AppError> {
    async fn run(email: String, password: String) -> Result<User, AppError> {
        let state = app_state()?;
        let ip =
            crate::server::visitor::request_ip(state.settings.security.trusted_proxy_hops).await;
        let user = domain::log_in_with_password(
            &state.db,
            state.cache.as_ref(),
            &state.login_limiter,
            &email,
            &password,
            ip,
        )
        .await?;
        session::log_in(&state, &request_session().await?, &user).await?;
        let headers = use_context::<http::request::Parts>()
            .map(|p| p.headers)
            .unwrap_or_default();
        crate::server::visitor::merge_guest_cart_at_login(&state, &headers, &user).await;
        Ok(user)
    }
    match run(email, password).await {
        Ok(user) => {
            leptos_axum::redirect(&safe_next(next.as_deref()));
            Ok(user)
        }
        Err(err) => form_error(err),
    }
}

/// Opens a customer account, logs in, and goes to the account page.
#[server]
pub async fn register(name: String, email: String, password: String) -> Result<User, AppError> {
    async fn run(name: String, email: String, password: String) -> Result<User, AppError> {
        let state = app_state()?;
        state.login_limiter.check_sensitive(
            crate::server::visitor::request_ip(state.settings.security.trusted_proxy_hops).await,
        )?;
        let user = domain::register(
            &state.db,
            domain::Registration {
                name,
                email,
                password,
            },
        )
        .await?;
        session::log_in(&state, &request_session().await?, &user).await?;
        let headers = use_context::<http::request::Parts>()
            .map(|p| p.headers)
            .unwrap_or_default();
        crate::server::visitor::merge_guest_cart_at_login(&state, &headers, &user).await;
        Ok(user)
    }
    match run(name, email, password).await {
        Ok(user) => {
            leptos_axum::redirect("/account?welcome=1");
            Ok(user)
        }
        Err(err) => form_error(err),
    }
}

/// Ends the session and goes home.
#[server]
pub async fn logout() -> Result<(), AppError> {
    session::log_out(&request_session().await?).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
async fn signed_in() -> Result<(crate::server::state::AppState, User), AppError> {
    let state = app_state()?;
    let user = session::require_user(&state, &request_session().await?).await?;
    Ok((state, user))
}

/// The logged-in user's own account.
#[server]
pub async fn get_profile() -> Result<User, AppError> {
    Ok(signed_in().await?.1)
}

/// Changes the user's name and phone.
#[server]
pub async fn update_profile(name: String, phone: String) -> Result<User, AppError> {
    let result = async {
        let (state, user) = signed_in().await?;
        Ok(domain::update_profile(&state.db, user.id, &name, &phone).await?)
    }
    .await;
    match result {
        Ok(user) => {
            leptos_axum::redirect("/account?saved=profile");
            Ok(user)
        }
        Err(err) => form_error(err),
    }
}

/// Changes the user's password (the current one is required).
#[server]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let result = async {
        let (state, user) = signed_in().await?;
        state.login_limiter.check_sensitive(
            crate::server::visitor::request_ip(state.settings.security.trusted_proxy_hops).await,
        )?;
        let stamp =
            domain::change_password(&state.db, user.id, &current_password, &new_password).await?;
        // This session stays logged in; every other one of this user ends.
        session::keep_after_password_change(&request_session().await?, stamp).await?;
        Ok(())
    }
    .await;
    match result {
        Ok(()) => {
            leptos_axum::redirect("/account?saved=password");
            Ok(())
        }
        Err(err) => form_error(err),
    }
}

/// The user's address book, default first.
#[server]
pub async fn list_addresses() -> Result<Vec<Address>, AppError> {
    let (state, user) = signed_in().await?;
    Ok(domain::list_addresses(&state.db, user.id).await?)
}

/// Adds (no `id`) or edits an address. `make_default` is a checkbox (present = on).
#[server]
pub async fn save_address(
    id: Option<i32>,
    label: String,
    recipient: String,
    phone: String,
    street: String,
    district: String,
    city: String,
    province: String,
    postal_code: String,
    make_default: Option<String>,
) -> Result<Address, AppError> {
    let input = AddressInput {
        label,
        recipient,
        phone,
        street,
        district,
        city,
        province,
        postal_code,
    };
    let result = async {
        let (state, user) = signed_in().await?;
        Ok(domain::save_address(&state.db, user.id, id, &input, make_default.is_some()).await?)
    }
    .await;
    match result {
        Ok(address) => {
            leptos_axum::redirect("/account/addresses?saved=address");
            Ok(address)
        }
        Err(err) => form_error(err),
    }
}

/// Deletes one of the user's addresses.
#[server]
pub async fn delete_address(id: i32) -> Result<(), AppError> {
    let result = async {
        let (state, user) = signed_in().await?;
        Ok(domain::delete_address(&state.db, user.id, id).await?)
    }
    .await;
    match result {
        Ok(()) => {
            leptos_axum::redirect("/account/addresses?saved=deleted");
            Ok(())
        }
        Err(err) => form_error(err),
    }
}
