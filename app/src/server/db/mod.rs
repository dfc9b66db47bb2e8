//! Database connection (PostgreSQL or the embedded SQLite file) and the SeaORM entities.
use std::time::Duration;

use migrations::{Migrator, MigratorTrait};
pub use sea_orm::DatabaseConnection;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DbBackend, DbErr};

use super::config::{redact_url, ConfigError};

pub mod address;
pub mod brand;
pub mod category;
pub mod order;
pub mod order_item;
pub mod order_reservation;
pub mod outbox_event;
pub mod payment;
pub mod payment_event;
pub mod product;
pub mod product_image;
pub mod product_variant;
pub mod refund;
pub mod review;
pub mod stock_level;
pub mod stock_movement;
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
        .max_connections(if url.starts_with("sqlite:") { 8 } else { 32 })
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

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Names of migrations not yet applied.
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<Vec<String>, DbErr> {
    Ok(Migrator::get_pending_migrations(db)
        .await?
        .iter()
        .map(|m| m.name().to_string())
        .collect())
}

/// `true` for PostgreSQL, where backend-specific SQL (full-text search…) is used.
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
    use super::sqlite_file;

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
