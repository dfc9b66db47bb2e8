//! Server-only code (compiled with the `ssr` feature; none of it reaches the WASM bundle).
//! One module per business domain, plus the plumbing they share.
pub mod accounts;
pub mod analytics;
pub mod cache;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod config;
pub mod db;
pub mod emails;
pub mod error;
pub mod http;
pub mod inventory;
pub mod media;
pub mod observability;
pub mod orders;
pub mod payments;
pub mod seed;
pub mod session;
pub mod startup;
pub mod state;
pub mod visitor;

use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

use crate::error::AppError;
use state::AppState;

/// The shop state inside a server function or page render.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>()
        .ok_or_else(|| error::internal("server fn", "AppState missing from context"))
}

/// The visitor's session inside a server function.
pub async fn request_session() -> Result<tower_sessions::Session, AppError> {
    leptos_axum::extract::<tower_sessions::Session>()
        .await
        .map_err(|e| error::internal("server fn: session", e))
}

/// Sets the HTTP status of the current response (server functions and pages).
pub fn set_status(status: u16) {
    if let (Some(options), Ok(code)) = (
        use_context::<ResponseOptions>(),
        axum::http::StatusCode::from_u16(status),
    ) {
        options.set_status(code);
    }
}
