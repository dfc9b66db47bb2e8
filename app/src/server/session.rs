//! Server-side sessions (`tower-sessions`): in Redis when configured (in the database while
//! Redis is away), otherwise in the database, so logins survive restarts either way. The cookie is `HttpOnly`, `SameSite=Lax`,
//! and `Secure` when the shop is served over HTTPS.
use axum::Router;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend};
use std::sync::Arc;

use tower_sessions::{
    cookie::{time, SameSite},
    session::{Id, Record},
    session_store as store, ExpiredDeletion, Expiry, Session, SessionManagerLayer, SessionStore,
};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use super::{
    accounts,
    cache::{RedisCache, RedisHealth},
    config::{ConfigError, Settings},
    state::AppState,
};
use crate::{error::AppError, model::User};

pub const COOKIE_NAME: &str = "pasar_session";
const USER_ID: &str = "user_id";
/// The user's [`accounts::credential_stamp`] when this session logged in.
const CREDENTIAL: &str = "credential";

/// The database's session store: the embedded default, and where sessions go while Redis is
/// away.
#[derive(Clone, Debug)]
pub enum DatabaseStore {
    Sqlite(SqliteStore),
    Postgres(PostgresStore),
}

impl DatabaseStore {
    /// The store for `db`, creating its table if needed, swept of expired sessions hourly.
    async fn open(db: &DatabaseConnection) -> Result<DatabaseStore, ConfigError> {
        let fail = |e: sea_orm::sqlx::Error| {
            ConfigError::new(
                "DATABASE_URL",
                format!("cannot create the session table: {e}"),
            )
        };
        let period = std::time::Duration::from_secs(3600);
        Ok(match db.get_database_backend() {
            DbBackend::Postgres => {
                let store = PostgresStore::new(db.get_postgres_connection_pool().clone());
                store.migrate().await.map_err(fail)?;
                let sweeper = store.clone();
                tokio::spawn(async move { sweeper.continuously_delete_expired(period).await });
                DatabaseStore::Postgres(store)
            }
            _ => {
                let store = SqliteStore::new(db.get_sqlite_connection_pool().clone());
                store.migrate().await.map_err(fail)?;
                let sweeper = store.clone();
                tokio::spawn(async move { sweeper.continuously_delete_expired(period).await });
                DatabaseStore::Sqlite(store)
            }
        })
    }

    fn name(&self) -> &'static str {
        match self {
            DatabaseStore::Sqlite(_) => "sqlite",
            DatabaseStore::Postgres(_) => "postgres",
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for DatabaseStore {
    async fn create(&self, record: &mut Record) -> store::Result<()> {
        match self {
            DatabaseStore::Sqlite(s) => s.create(record).await,
            DatabaseStore::Postgres(s) => s.create(record).await,
        }
    }
    async fn save(&self, record: &Record) -> store::Result<()> {
        match self {
            DatabaseStore::Sqlite(s) => s.save(record).await,
            DatabaseStore::Postgres(s) => s.save(record).await,
        }
    }
    async fn load(&self, id: &Id) -> store::Result<Option<Record>> {
        match self {
            DatabaseStore::Sqlite(s) => s.load(id).await,
            DatabaseStore::Postgres(s) => s.load(id).await,
        }
    }
    async fn delete(&self, id: &Id) -> store::Result<()> {
        match self {
            DatabaseStore::Sqlite(s) => s.delete(id).await,
            DatabaseStore::Postgres(s) => s.delete(id).await,
        }
    }
}

/// Sessions in Redis, and in the database while Redis is away: a visitor who logs in during
/// an outage stays logged in after it (a session Redis does not know is looked up in the
/// database), and no request waits on Redis's time-outs. Sessions held only by Redis are
/// unreadable while it is away, so their owners log in again.
#[derive(Clone)]
pub struct FailoverStore {
    redis: RedisStore<fred::prelude::Pool>,
    database: DatabaseStore,
    health: Arc<RedisHealth>,
}

impl std::fmt::Debug for FailoverStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FailoverStore")
            .field("database", &self.database)
            .finish_non_exhaustive()
    }
}

/// Any error from the Redis store means Redis could not do its job: use the database.
fn redis_trouble(_: &store::Error) -> bool {
    true
}

#[async_trait::async_trait]
impl SessionStore for FailoverStore {
    async fn create(&self, record: &mut Record) -> store::Result<()> {
        match self
            .health
            .attempt(self.redis.create(record), redis_trouble)
            .await
        {
            Some(done) => done,
            None => self.database.create(record).await,
        }
    }

    async fn save(&self, record: &Record) -> store::Result<()> {
        match self
            .health
            .attempt(self.redis.save(record), redis_trouble)
            .await
        {
            Some(done) => done,
            None => self.database.save(record).await,
        }
    }

    async fn load(&self, id: &Id) -> store::Result<Option<Record>> {
        match self
            .health
            .attempt(self.redis.load(id), redis_trouble)
            .await
        {
            Some(Ok(Some(record))) => Ok(Some(record)),
            Some(Err(e)) => Err(e),
            // Not in Redis (perhaps created during an outage), or Redis is away.
            Some(Ok(None)) | None => self.database.load(id).await,
        }
    }

    async fn delete(&self, id: &Id) -> store::Result<()> {
        if let Some(Err(e)) = self
            .health
            .attempt(self.redis.delete(id), redis_trouble)
            .await
        {
            return Err(e);
        }
        self.database.delete(id).await
    }
}

/// The session store chosen at start-up.
#[derive(Clone)]
pub enum SessionBackend {
    Redis(FailoverStore),
    Database(DatabaseStore),
}

impl SessionBackend {
    /// Redis (failing over to the database) when configured, else the database. The session
    /// table is created either way.
    pub async fn new(
        redis: Option<(&RedisCache, Arc<RedisHealth>)>,
        db: &DatabaseConnection,
    ) -> Result<SessionBackend, ConfigError> {
        let database = DatabaseStore::open(db).await?;
        Ok(match redis {
            Some((redis, health)) => SessionBackend::Redis(FailoverStore {
                redis: RedisStore::new(redis.pool().clone()),
                database,
                health,
            }),
            None => SessionBackend::Database(database),
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            SessionBackend::Redis(_) => "redis",
            SessionBackend::Database(store) => store.name(),
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
            SessionBackend::Database(store) => router.layer(configure(store, settings)),
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

tokio::task_local! {
    /// The staff member a request's API token acts as, for the length of that request.
    pub static BEARER_USER: User;
}

/// The logged-in, still-active user, if any.
pub async fn current_user(state: &AppState, session: &Session) -> Result<Option<User>, AppError> {
    // A staff API call with a bearer token acts as the token's owner (see `http::api::bearer`).
    if let Ok(user) = BEARER_USER.try_with(User::clone) {
        return Ok(Some(user));
    }
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
