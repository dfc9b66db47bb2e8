//! Low-stock alerts. A variant's threshold is its own or the shop's default
//! (`[inventory] low_stock_threshold`). When its available units (over active warehouses) fall
//! below the threshold, staff get one email (a `stock.low` outbox event, written in the same
//! transaction as the stock change) and the admin's "Low stock" badge counts it. No repeat until
//! available has been back at or above the threshold and falls again.
//!
//! Checked wherever listings are refreshed ([`super::refresh_listings`]), which every stock
//! change does in its transaction. The arming is one conditional `UPDATE … WHERE
//! low_stock_alerted_at IS NULL`, so two sales crossing at once, on any number of processes,
//! send one alert.
use std::sync::atomic::{AtomicI32, Ordering};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult,
    IntoActiveModel, Set, Statement, TransactionTrait,
};

use super::adjust::{InventoryError, MAX_ON_HAND};
use super::available_units_sql;
use crate::{
    model::LowStockItem,
    server::{
        catalog::placeholders,
        db::{outbox_event, product_variant},
        orders::outbox_row,
    },
};

/// The shop's default threshold, from the configuration (set once at startup).
static DEFAULT_THRESHOLD: AtomicI32 = AtomicI32::new(5);

/// Sets the default threshold (`[inventory] low_stock_threshold`).
pub fn set_default_threshold(units: u32) {
    DEFAULT_THRESHOLD.store(i32::try_from(units).unwrap_or(i32::MAX), Ordering::Relaxed);
}

pub fn default_threshold() -> i32 {
    DEFAULT_THRESHOLD.load(Ordering::Relaxed)
}

#[derive(Debug, FromQueryResult)]
struct Armed {
    id: i32,
    sku: String,
    product_id: i32,
    available: i64,
    threshold: i32,
}

/// Arms (and announces) the variants among `variant_ids` that fell below their threshold, and
/// disarms those back at or above it. In the caller's transaction.
pub async fn check(db: &impl ConnectionTrait, variant_ids: &[i32]) -> Result<(), DbErr> {
    if variant_ids.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let list = placeholders(backend, 3, variant_ids.len());
    let mut values: Vec<sea_orm::Value> = vec![Utc::now().into(), default_threshold().into()];
    values.extend(variant_ids.iter().map(|&id| sea_orm::Value::from(id)));
    let available = available_units_sql("product_variants.id");
    let armed = Armed::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE product_variants SET low_stock_alerted_at = {now} \
             WHERE id IN ({list}) AND active AND low_stock_alerted_at IS NULL \
               AND {available} < COALESCE(low_stock_threshold, {default}) \
             RETURNING id, sku, product_id, CAST({available} AS BIGINT) AS available, \
               COALESCE(low_stock_threshold, {default}) AS threshold",
            now = placeholders(backend, 1, 1),
            default = placeholders(backend, 2, 1),
        ),
        values,
    ))
    .all(db)
    .await?;
    if !armed.is_empty() {
        let events = armed.iter().map(|a| {
            outbox_row(
                "stock.low",
                &format!("variant:{}", a.id),
                serde_json::json!({
                    "variant_id": a.id,
                    "product_id": a.product_id,
                    "sku": a.sku,
                    "available": a.available,
                    "threshold": a.threshold,
                }),
            )
        });
        outbox_event::Entity::insert_many(events)
            .exec_without_returning(db)
            .await?;
    }
    // Back at or above the threshold (or no longer sold): the next fall alerts again.
    let mut values: Vec<sea_orm::Value> = vec![default_threshold().into()];
    values.extend(variant_ids.iter().map(|&id| sea_orm::Value::from(id)));
    db.execute(Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE product_variants SET low_stock_alerted_at = NULL \
             WHERE id IN ({list}) AND low_stock_alerted_at IS NOT NULL \
               AND ({available} >= COALESCE(low_stock_threshold, {default}) OR NOT active)",
            list = placeholders(backend, 2, variant_ids.len()),
            default = placeholders(backend, 1, 1),
        ),
        values,
    ))
    .await?;
    Ok(())
}

#[derive(Debug, FromQueryResult)]
struct LowRow {
    variant_id: i32,
    sku: String,
    title: String,
    product_id: i32,
    product_name: String,
    available: i64,
    threshold: i32,
    alerted_at: chrono::DateTime<Utc>,
}

/// The variants whose alert is on (below their threshold), lowest available first.
pub async fn low_stock(db: &DatabaseConnection) -> Result<Vec<LowStockItem>, DbErr> {
    let backend = db.get_database_backend();
    let rows = LowRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT v.id AS variant_id, v.sku, v.title, p.id AS product_id, p.name AS product_name, \
               CAST({} AS BIGINT) AS available, COALESCE(v.low_stock_threshold, {}) AS threshold, \
               v.low_stock_alerted_at AS alerted_at \
             FROM product_variants v JOIN products p ON p.id = v.product_id \
             WHERE v.low_stock_alerted_at IS NOT NULL AND v.active \
             ORDER BY 6, v.sku LIMIT 500",
            available_units_sql("v.id"),
            placeholders(backend, 1, 1)
        ),
        [default_threshold().into()],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LowStockItem {
            variant_id: r.variant_id,
            sku: r.sku,
            variant_title: r.title,
            product_id: r.product_id,
            product_name: r.product_name,
            available: r.available,
            threshold: r.threshold,
            since: r.alerted_at.to_rfc3339(),
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct Count {
    n: i64,
}

/// How many variants are low (the admin's badge).
pub async fn low_stock_count(db: &DatabaseConnection) -> Result<i64, DbErr> {
    let backend = db.get_database_backend();
    Ok(Count::find_by_statement(Statement::from_string(
        backend,
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM product_variants \
         WHERE low_stock_alerted_at IS NOT NULL AND active"
            .to_string(),
    ))
    .one(db)
    .await?
    .map_or(0, |c| c.n))
}

/// Sets a variant's own alert level (`None`: the shop's default) and applies it at once: a
/// variant now below it alerts, one now at or above it is cleared.
pub async fn set_threshold(
    db: &DatabaseConnection,
    variant_id: i32,
    threshold: Option<i32>,
) -> Result<(), InventoryError> {
    if threshold.is_some_and(|t| !(0..=MAX_ON_HAND).contains(&t)) {
        return Err(InventoryError::Invalid {
            field: "threshold",
            message: "An alert level is 0 or more units (0: never alert).".into(),
        });
    }
    let txn = db.begin().await?;
    let variant = product_variant::Entity::find_by_id(variant_id)
        .one(&txn)
        .await?
        .ok_or_else(|| InventoryError::NotFound(format!("There is no variant #{variant_id}.")))?;
    let mut row = variant.into_active_model();
    row.low_stock_threshold = Set(threshold);
    row.update(&txn).await?;
    check(&txn, &[variant_id]).await?;
    txn.commit().await?;
    Ok(())
}
