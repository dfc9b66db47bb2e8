//! Server-side sessions (`tower-sessions`): in Redis when configured, otherwise in the
//! database, so logins survive restarts either way. The cookie is `HttpOnly`, `SameSite=Lax`,
//! and `Secure` when the shop is served over HTTPS.
use axum::Router;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use tower_sessions::{
    cookie::{time, SameSite},
    ExpiredDeletion, Expiry, Session, SessionManagerLayer,
};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::{
    accounts,
    cache::RedisCache,
    config::{ConfigError, Settings},
    state::AppState,
};
use crate::{error::AppError, model::User};

pub const COOKIE_NAME: &str = "pasar_session";
const USER_ID: &str = "user_id";
/// The user's [`accounts::credential_stamp`] when this session logged in.
const CREDENTIAL: &str = "credential";

/// The session store chosen at start-up.
#[derive(Clone)]
pub enum SessionBackend {
    Redis(RedisStore<fred::prelude::Pool>),
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl SessionBackend {
    /// Redis when available, else the database (creating the session table if needed).
    pub async fn new(
        redis: Option<&RedisCache>,
        db: &DatabaseConnection,
    ) -> Result<SessionBackend, ConfigError> {
        if let Some(redis) = redis {
            return Ok(SessionBackend::Redis(RedisStore::new(redis.pool().clone())));
        }
        let fail = |e: sea_orm::sqlx::Error| {
            ConfigError::new(
                "DATABASE_URL",
                format!("cannot create the session table: {e}"),
            )
        };
        let backend = match db.get_database_backend() {
            DbBackend::Postgres => {
                let store = PostgresStore::new(db.get_postgres_connection_pool().clone());
                store.migrate().await.map_err(fail)?;
                SessionBackend::Postgres(store)
            }
            _ => {
                let store = SqliteStore::new(db.get_sqlite_connection_pool().clone());
                store.migrate().await.map_err(fail)?;
                SessionBackend::Sqlite(store)
            }
        };
        backend.spawn_expired_deletion();
        Ok(backend)
    }

    pub fn name(&self) -> &'static str {
        match self {
            SessionBackend::Redis(_) => "redis",
            SessionBackend::Sqlite(_) => "sqlite",
            SessionBackend::Postgres(_) => "postgres",
        }
    }

    /// Database stores need sweeping; Redis expires keys itself.
    fn spawn_expired_deletion(&self) {
        let period = std::time::Duration::from_secs(3600);
        match self.clone() {
            SessionBackend::Sqlite(store) => {
                tokio::spawn(async move { store.continuously_delete_expired(period).await });
            }
            SessionBackend::Postgres(store) => {
                tokio::spawn(async move { store.continuously_delete_expired(period).await });
            }
            SessionBackend::Redis(_) => {}
        }
    }

    /// Wraps `router` in the session layer.
    pub fn layer(self, router: Router, settings: &Settings) -> Router {
        fn configure<S: tower_sessions::SessionStore + Clone>(
            store: S,
            settings: &Settings,
        ) -> SessionManagerLayer<S> {
            SessionManagerLayer::new(store)
                .with_name(COOKIE_NAME)
                .with_http_only(true)
                .with_same_site(SameSite::Lax)
                .with_secure(settings.secure_cookies())
                .with_path("/")
                .with_expiry(Expiry::OnInactivity(time::Duration::days(i64::from(
                    settings.security.session_days.max(1),
                ))))
        }
        match self {
            SessionBackend::Redis(store) => router.layer(configure(store, settings)),
            SessionBackend::Sqlite(store) => router.layer(configure(store, settings)),
            SessionBackend::Postgres(store) => router.layer(configure(store, settings)),
        }
    }
}

/// Marks the session as logged in as `user`, under a fresh session id (no fixation).
pub async fn log_in(state: &AppState, session: &Session, user: &User) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.insert(USER_ID, user.id).await?;
    if let Some((_, stamp)) = accounts::find_active_user_with_stamp(&state.db, user.id).await? {
        session.insert(CREDENTIAL, stamp).await?;
    }
    Ok(())
}

/// After a password change: this session carries the new credential, so it stays logged in
/// while every other session of the user (with the old one) is ended at its next request.
pub async fn keep_after_password_change(session: &Session, stamp: String) -> Result<(), AppError> {
    session.cycle_id().await?;
    session.insert(CREDENTIAL, stamp).await?;
    Ok(())
}

/// Ends the session and deletes it from the store.
pub async fn log_out(session: &Session) -> Result<(), AppError> {
    session.flush().await?;
    Ok(())
}

/// The logged-in, still-active user, if any.
pub async fn current_user(state: &AppState, session: &Session) -> Result<Option<User>, AppError> {
    let Some(id) = session.get::<i32>(USER_ID).await? else {
        return Ok(None);
    };
    let found = accounts::find_active_user_with_stamp(&state.db, id).await?;
    let stamp = session.get::<String>(CREDENTIAL).await?;
    match found {
        Some((user, current)) if stamp.as_deref() == Some(current.as_str()) => Ok(Some(user)),
        _ => {
            // Deleted, deactivated or its password changed since login: end this session.
            session.flush().await?;
            Ok(None)
        }
    }
}

/// The logged-in user, or 401.
pub async fn require_user(state: &AppState, session: &Session) -> Result<User, AppError> {
    current_user(state, session)
        .await?
        .ok_or_else(|| AppError::Unauthorized("Please log in first.".into()))
}

/// An admin, or 401/403.
pub async fn require_admin(state: &AppState, session: &Session) -> Result<User, AppError> {
    let user = require_user(state, session).await?;
    if user.role == crate::model::Role::Admin {
        Ok(user)
    } else {
        Err(AppError::Forbidden(
            "Only administrators can do this.".into(),
        ))
    }
}

/// Staff or admin, or 401/403.
pub async fn require_staff(state: &AppState, session: &Session) -> Result<User, AppError> {
    let user = require_user(state, session).await?;
    if user.role.is_staff() {
        Ok(user)
    } else {
        Err(AppError::Forbidden("Only shop staff can do this.".into()))
    }
}
