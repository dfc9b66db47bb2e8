//! The state every request handler and server function sees.
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use super::{accounts::LoginLimiter, cache::SharedCache, config::Settings, media::MediaStore};

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub cache: SharedCache,
    /// The dashboard's counters (see `server::analytics`).
    pub analytics: super::analytics::Analytics,
    pub settings: Arc<Settings>,
    pub login_limiter: Arc<LoginLimiter>,
    pub checkout_limiter: Arc<super::checkout::CheckoutLimiter>,
    pub media: MediaStore,
    /// Rendered catalogue pages for anonymous visitors (see `http::page_cache`).
    pub pages: super::http::page_cache::PageCache,
}
