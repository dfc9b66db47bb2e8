//! Stock counts. Staff count what is on the shelf; each line carries the system's on hand when
//! counting started (the snapshot) and the counted number. Posting sets on hand to the counted
//! number with a compare-and-swap on the snapshot: a level that moved since (a sale, an
//! adjustment) is refused with a clear message instead of being overwritten. The difference
//! is a `count_correction` movement. A count (one request, or one file) posts whole or not at
//! all, with every problem reported by line.
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement, TransactionTrait};

use super::{
    adjust::{check_reason, read, InventoryError, LevelKey, MAX_ON_HAND},
    refresh_listings,
    staff::{find_variant, find_warehouse},
    Journal, Level,
};
use crate::{
    model::{CountLine, CountedLine, MovementKind},
    server::{
        cache::Cache,
        catalog::{cache, placeholders},
    },
};

/// Posts `lines` (numbered from `first_line` in messages: 1 for a request's first line, 2 for
/// a file's first row under its header).
pub async fn post(
    db: &DatabaseConnection,
    cache_: &dyn Cache,
    actor: i32,
    reason: &str,
    lines: &[CountLine],
    first_line: usize,
) -> Result<Vec<CountedLine>, InventoryError> {
    let reason = check_reason(reason)?;
    if lines.is_empty() {
        return Err(InventoryError::Rows(vec!["the count has no lines".into()]));
    }
    let txn = db.begin().await?;
    let backend = txn.get_database_backend();
    let p = |n: usize| placeholders(backend, n, 1);
    let mut journal = Journal::default();
    let mut errors = Vec::new();
    let mut posted = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in lines.iter().enumerate() {
        let n = i + first_line;
        let problem = async {
            if line.counted < 0 || line.counted > MAX_ON_HAND {
                return Err(format!("counted `{}` is not a number of units", line.counted));
            }
            let variant = find_variant(&txn, &line.sku).await.map_err(|e| e.to_string())?;
            let warehouse = find_warehouse(&txn, &line.warehouse)
                .await
                .map_err(|e| e.to_string())?;
            if !seen.insert((variant.id, warehouse.id)) {
                return Err(format!(
                    "{} in {} is counted twice",
                    variant.sku, warehouse.code
                ));
            }
            let key = LevelKey {
                variant_id: variant.id,
                warehouse_id: warehouse.id,
            };
            let now = read(&txn, key).await.map_err(|e| match e {
                InventoryError::NotFound(_) => {
                    format!("{} has no stock level in {}", variant.sku, warehouse.code)
                }
                other => other.to_string(),
            })?;
            let expected = line.expected.unwrap_or(now.on_hand);
            if expected != now.on_hand {
                return Err(format!(
                    "{} in {} moved since it was counted: the count expected {expected} on hand, there are now {}; count it again",
                    variant.sku, warehouse.code, now.on_hand
                ));
            }
            if line.counted < now.reserved + now.unavailable {
                return Err(format!(
                    "{} in {}: counted {} but {} are held for orders and {} unavailable; check those units (write off what is gone)",
                    variant.sku, warehouse.code, line.counted, now.reserved, now.unavailable
                ));
            }
            // The compare-and-swap: only if on hand is still the snapshot.
            let after = Level::find_by_statement(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE stock_levels SET on_hand = {c}, updated_at = {at} \
                     WHERE variant_id = {v} AND warehouse_id = {w} AND on_hand = {e} AND reserved + {unavailable} <= {c} \
                     RETURNING on_hand, reserved, damaged + quality_control + safety_stock AS unavailable",
                    c = p(1),
                    at = p(2),
                    v = p(3),
                    w = p(4),
                    e = p(5),
                    unavailable = super::unavailable_sql(""),
                ),
                [
                    line.counted.into(),
                    Utc::now().into(),
                    variant.id.into(),
                    warehouse.id.into(),
                    expected.into(),
                ],
            ))
            .one(&txn)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| {
                format!(
                    "{} in {} moved while the count was posted; count it again",
                    variant.sku, warehouse.code
                )
            })?;
            if expected != line.counted {
                journal.record_by(
                    (variant.id, warehouse.id),
                    MovementKind::CountCorrection,
                    (expected, after.reserved),
                    (after.on_hand, after.reserved),
                    "count",
                    Some(actor),
                    &reason,
                );
            }
            Ok((
                variant.id,
                CountedLine {
                    sku: variant.sku,
                    warehouse: warehouse.code,
                    before: expected,
                    after: after.on_hand,
                    variance: after.on_hand - expected,
                },
            ))
        }
        .await;
        match problem {
            Ok(done) => posted.push(done),
            Err(message) => errors.push(format!("line {n}: {message}")),
        }
    }
    if !errors.is_empty() {
        // Dropping the transaction rolls back the lines that did apply.
        return Err(InventoryError::Rows(errors));
    }
    let ids: Vec<i32> = posted.iter().map(|(id, _)| *id).collect();
    journal.write(&txn).await?;
    refresh_listings(&txn, &ids).await?;
    txn.commit().await?;
    cache::invalidate(cache_).await;
    Ok(posted.into_iter().map(|(_, line)| line).collect())
}

/// Reads a CSV of counts: `sku,warehouse,counted` and optionally `expected` (the snapshot), in
/// any order, with a header row. Problems are reported by line; nothing is posted then.
pub fn parse_csv(bytes: &[u8]) -> Result<Vec<CountLine>, InventoryError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| InventoryError::Rows(vec!["the file is not UTF-8 text".into()]))?
        .trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| InventoryError::Rows(vec![format!("line 1: {e}")]))?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(sku), Some(warehouse), Some(counted)) =
        (column("sku"), column("warehouse"), column("counted"))
    else {
        return Err(InventoryError::Rows(vec![
            "line 1: the columns are sku, warehouse, counted and optionally expected".into(),
        ]));
    };
    let expected = column("expected");
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!(
                    "line {}: {e}",
                    e.position().map_or(0, |p| p.line())
                ));
                continue;
            }
        };
        let n = record.position().map_or(0, |p| p.line());
        let get = |i: usize| record.get(i).unwrap_or("").to_string();
        let number = |i: usize, name: &str| -> Result<Option<i32>, String> {
            match get(i).as_str() {
                "" => Ok(None),
                t => t
                    .parse::<i32>()
                    .map(Some)
                    .map_err(|_| format!("line {n}: {name} `{t}` is not a whole number")),
            }
        };
        let counted = match number(counted, "counted") {
            Ok(Some(c)) => c,
            Ok(None) => {
                errors.push(format!("line {n}: counted is empty"));
                continue;
            }
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let expected = match expected.map(|i| number(i, "expected")).transpose() {
            Ok(e) => e.flatten(),
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        lines.push(CountLine {
            sku: get(sku),
            warehouse: get(warehouse),
            expected,
            counted,
        });
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(InventoryError::Rows(errors))
    }
}
