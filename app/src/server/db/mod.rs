//! Database connection (PostgreSQL or the embedded SQLite file) and the SeaORM entities.
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
pub use sea_orm::DatabaseConnection;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DbBackend, DbErr, Statement, TransactionTrait,
};

use super::config::{redact_url, ConfigError};

pub mod address;
pub mod api_token;
pub mod brand;
pub mod category;
pub mod document;
pub mod email;
pub mod order;
pub mod order_event;
pub mod order_item;
pub mod order_reservation;
pub mod outbox_event;
pub mod payment;
pub mod payment_event;
pub mod product;
pub mod product_image;
pub mod product_variant;
pub mod purchase_order;
pub mod purchase_order_line;
pub mod refund;
pub mod refund_line;
pub mod return_request;
pub mod review;
pub mod stock_level;
pub mod stock_movement;
pub mod stock_transfer;
pub mod user;
pub mod warehouse;

/// Opens the pool; for SQLite creates the file's folder and turns on WAL, a busy timeout and
/// foreign keys, so several requests (and processes) can share the file.
pub async fn connect(url: &str) -> Result<DatabaseConnection, ConfigError> {
    if let Some(path) = sqlite_file(url) {
        if let Some(dir) = std::path::Path::new(&path).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir).map_err(|e| {
                    ConfigError::new(
                        "DATABASE_URL",
                        format!("cannot create {}: {e}", dir.display()),
                    )
                })?;
            }
        }
    }
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(pool_size(
            url,
            std::env::var("PASAR_DB_POOL").ok().as_deref(),
        )?)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    let db = Database::connect(options).await.map_err(|e| {
        ConfigError::new(
            "DATABASE_URL",
            format!("cannot connect to {}: {e}", redact_url(url)),
        )
    })?;
    db.execute_unprepared("SELECT 1").await.map_err(|e| {
        ConfigError::new(
            "DATABASE_URL",
            format!("{} is not answering: {e}", redact_url(url)),
        )
    })?;
    Ok(db)
}

/// Connections per process: `PASAR_DB_POOL` (1–512) or the default for the backend. For
/// PostgreSQL that is four per core, 8 to 32: more connections than the cores can serve only
/// queue inside PostgreSQL instead of in the pool, and cost switching and lock contention
/// (bench/checkout.sh on 2 cores: add-to-cart p95 18.4 ms with 32 connections, 13.6 ms with 8;
/// checkout p99 71.6 → 47.1 ms).
fn pool_size(url: &str, setting: Option<&str>) -> Result<u32, ConfigError> {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get() as u32);
    match setting.map(str::trim).filter(|s| !s.is_empty()) {
        Some(raw) => raw
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=512).contains(n))
            .ok_or_else(|| ConfigError::new("PASAR_DB_POOL", "must be a number from 1 to 512")),
        None if url.starts_with("sqlite:") => Ok(8),
        None => Ok((4 * cores).clamp(8, 32)),
    }
}

/// Applies every pending migration. On PostgreSQL, under a transaction-scoped advisory lock:
/// replicas starting together (or a one-shot `pasar migrate` beside them) take turns, and
/// whoever comes second finds nothing left to do.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return Migrator::up(db, None).await;
    }
    let txn = db.begin().await?;
    lock_migrations(&txn).await?;
    Migrator::up(&txn, None).await?;
    txn.commit().await
}

/// The advisory lock key of [`migrate`] ("pasarmig" in ASCII).
const MIGRATION_LOCK: i64 = 0x7061_7361_726d_6967;

/// Names of migrations not yet applied. (Asking creates the migrations table when missing,
/// so on PostgreSQL it takes the same lock as [`migrate`].)
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    if !is_postgres(db) {
        let pending = Migrator::get_pending_migrations(db).await?;
        return Ok(pending.iter().map(|m| m.name().to_string()).collect());
    }
    let txn = db.begin().await?;
    lock_migrations(&txn).await?;
    let pending = Migrator::get_pending_migrations(&txn).await?;
    let names = pending.iter().map(|m| m.name().to_string()).collect();
    txn.commit().await?;
    Ok(names)
}

async fn lock_migrations(txn: &sea_orm::DatabaseTransaction) -> Result<(), DbErr> {
    txn.execute(Statement::from_string(
        DbBackend::Postgres,
        format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"),
    ))
    .await
    .map(|_| ())
}

/// `true` for PostgreSQL, where backend-specific SQL (full-text search…) is used.
/// Whether a write failed on a unique index: the database's answer to two requests racing for
/// the same email, idempotency key, review or gateway event.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

pub fn is_postgres(db: &DatabaseConnection) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

fn sqlite_file(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::{pool_size, sqlite_file};

    #[test]
    fn the_pool_size_has_a_default_per_backend_and_refuses_nonsense() {
        assert_eq!(pool_size("sqlite://x.db", None).unwrap(), 8);
        let default = pool_size("postgres://h/db", None).unwrap();
        assert!((8..=32).contains(&default), "{default}");
        assert_eq!(pool_size("postgres://h/db", Some(" 12 ")).unwrap(), 12);
        assert_eq!(pool_size("postgres://h/db", Some("")).unwrap(), default);
        for bad in ["0", "513", "ten", "-1"] {
            let e = pool_size("postgres://h/db", Some(bad)).unwrap_err();
            assert_eq!(e.setting, "PASAR_DB_POOL");
        }
    }

    #[test]
    fn finds_the_sqlite_file_path() {
        assert_eq!(
            sqlite_file("sqlite://data/pasar.db?mode=rwc").as_deref(),
            Some("data/pasar.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x/y"), None);
    }
}
