//! Staff's changes to on hand (a delta, or a new value), each with a reason, an actor and an
//! `adjustment` movement in the same transaction; and the levels every variant needs in every
//! active warehouse before it can be stocked at all.
use chrono::Utc;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};

use super::{Journal, Level};
use crate::{error::AppError, model::MovementKind, server::catalog::placeholders};

/// One stock level: a variant in a warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LevelKey {
    pub variant_id: i32,
    pub warehouse_id: i32,
}

/// What to do with on hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Add (positive) or remove (negative) units.
    Delta(i32),
    /// Set on hand to this many units.
    Set(i32),
}

/// Why an inventory change was refused. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{0}")]
    NotFound(String),
    /// Clashes with what is there (a warehouse code in use).
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// On hand may not drop below the units orders hold (promised to customers) and the
    /// unavailable ones (on the shelf, set aside): write those off first.
    #[error("On hand cannot go below {} units: {reserved} held for orders and {unavailable} unavailable (asked for {wanted}).", reserved + unavailable)]
    BelowCommitted {
        reserved: i32,
        unavailable: i32,
        wanted: i64,
    },
    /// Problems of a count (or a file of counts), one per line; nothing was posted.
    #[error("{} problem(s); nothing was posted", .0.len())]
    Rows(Vec<String>),
    /// The level kept moving under a `Set` (a busy SKU); asking again works.
    #[error("The stock level changed while it was being set. Please try again.")]
    Busy,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<InventoryError> for AppError {
    fn from(e: InventoryError) -> Self {
        match e {
            InventoryError::NotFound(m) => AppError::NotFound(m),
            InventoryError::Conflict(m) => AppError::Conflict(m),
            InventoryError::Rows(rows) => AppError::Validation {
                message: format!(
                    "{} problem(s); nothing was posted. {}",
                    rows.len(),
                    rows.first().cloned().unwrap_or_default()
                ),
                fields: [("lines".to_string(), rows)].into_iter().collect(),
            },
            InventoryError::Invalid { field, message } => AppError::field(field, message),
            e @ InventoryError::BelowCommitted { .. } => AppError::Conflict(e.to_string()),
            e @ InventoryError::Busy => AppError::Conflict(e.to_string()),
            InventoryError::Db(e) => e.into(),
        }
    }
}

/// The largest on hand a level may hold: far above any shelf, far below `i32` overflow.
pub const MAX_ON_HAND: i32 = 100_000_000;

/// Checks the reason staff give for a change: required, one line, at most 200 characters.
pub fn check_reason(reason: &str) -> Result<String, InventoryError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(InventoryError::Invalid {
            field: "reason",
            message: "Say why the stock changes (e.g. \"found in the back room\").".into(),
        });
    }
    if reason.chars().count() > 200 || reason.contains(['\n', '\r']) {
        return Err(InventoryError::Invalid {
            field: "reason",
            message: "A reason is one line of at most 200 characters.".into(),
        });
    }
    Ok(reason.to_string())
}

/// On hand and reserved after a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Adjusted {
    pub on_hand_before: i32,
    pub on_hand: i32,
    pub reserved: i32,
}

/// Applies `change` to one level in a single conditional statement (`Delta`) or a
/// compare-and-swap on the on hand that was read (`Set`), so a concurrent sale or adjustment is
/// never overwritten and on hand never drops below what orders hold, on any number of server
/// processes. The `adjustment` movement (with `actor` and `reason`) goes into `journal`, for
/// the caller to write in the same transaction.
pub async fn adjust(
    db: &impl ConnectionTrait,
    level: LevelKey,
    change: Change,
    actor: Option<i32>,
    reason: &str,
    journal: &mut Journal,
) -> Result<Adjusted, InventoryError> {
    let reason = check_reason(reason)?;
    let backend = db.get_database_backend();
    let p = |n: usize| placeholders(backend, n, 1);
    let (before, after) = match change {
        Change::Delta(0) => {
            return Err(InventoryError::Invalid {
                field: "delta",
                message: "A change of 0 units changes nothing.".into(),
            })
        }
        Change::Delta(delta) => {
            let after = Level::find_by_statement(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE stock_levels SET on_hand = on_hand + {d}, updated_at = {now} \
                     WHERE variant_id = {v} AND warehouse_id = {w} \
                       AND {free} + {d} >= 0 AND on_hand + {d} <= {max} \
                     RETURNING on_hand, reserved, damaged + quality_control + safety_stock AS unavailable",
                    d = p(1),
                    now = p(2),
                    v = p(3),
                    w = p(4),
                    max = p(5),
                    free = super::level_available_sql(""),
                ),
                [
                    delta.into(),
                    Utc::now().into(),
                    level.variant_id.into(),
                    level.warehouse_id.into(),
                    MAX_ON_HAND.into(),
                ],
            ))
            .one(db)
            .await?;
            match after {
                Some(after) => (after.on_hand - delta, after),
                None => {
                    let now = read(db, level).await?;
                    return Err(refusal(now, i64::from(now.on_hand) + i64::from(delta)));
                }
            }
        }
        Change::Set(target) => set_on_hand(db, level, target).await?,
    };
    Ok(settled(journal, level, before, after, actor, &reason))
}

/// A level's change from `before` to `after`: an `adjustment` movement in `journal` when on hand
/// moved (set to what it already was, there is nothing to record).
fn settled(
    journal: &mut Journal,
    level: LevelKey,
    before: i32,
    after: Level,
    actor: Option<i32>,
    reason: &str,
) -> Adjusted {
    if before != after.on_hand {
        journal.record_by(
            (level.variant_id, level.warehouse_id),
            MovementKind::Adjustment,
            (before, after.reserved),
            (after.on_hand, after.reserved),
            "manual",
            actor,
            reason,
        );
    }
    Adjusted {
        on_hand_before: before,
        on_hand: after.on_hand,
        reserved: after.reserved,
    }
}

/// A level with its key, as a statement over many levels returns it.
#[derive(FromQueryResult)]
struct KeyedLevel {
    variant_id: i32,
    warehouse_id: i32,
    on_hand: i32,
    reserved: i32,
    unavailable: i32,
}

impl From<KeyedLevel> for ((i32, i32), Level) {
    fn from(r: KeyedLevel) -> Self {
        let level = Level {
            on_hand: r.on_hand,
            reserved: r.reserved,
            unavailable: r.unavailable,
        };
        ((r.variant_id, r.warehouse_id), level)
    }
}

/// Sets many levels at once (a file of stock figures): per 200 levels one read and one
/// conditional `UPDATE`, each row written only if its on hand is still what was read and the
/// new value still covers what orders hold. A level that moved in between is set again on its
/// own by [`adjust`]. Levels already at their value are left alone. Answers in `sets`' order;
/// the first refusal comes with its index, and the caller's transaction is to be rolled back.
pub async fn set_many(
    db: &impl ConnectionTrait,
    sets: &[(LevelKey, i32)],
    actor: Option<i32>,
    reason: &str,
    journal: &mut Journal,
) -> Result<Vec<Adjusted>, (usize, InventoryError)> {
    const BATCH: usize = 200;
    let reason = check_reason(reason).map_err(|e| (0, e))?;
    let backend = db.get_database_backend();
    let mut done = Vec::with_capacity(sets.len());
    for (chunk_no, chunk) in sets.chunks(BATCH).enumerate() {
        let at = |i: usize| chunk_no * BATCH + i;
        let mut variants: Vec<i32> = chunk.iter().map(|(k, _)| k.variant_id).collect();
        variants.sort_unstable();
        variants.dedup();
        let columns = format!(
            "variant_id, warehouse_id, on_hand, reserved, {} AS unavailable",
            super::unavailable_sql("")
        );
        let levels: std::collections::HashMap<(i32, i32), Level> =
            KeyedLevel::find_by_statement(Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT {columns} FROM stock_levels WHERE variant_id IN ({})",
                    placeholders(backend, 1, variants.len())
                ),
                variants.iter().map(|v| (*v).into()),
            ))
            .all(db)
            .await
            .map_err(|e| (at(0), e.into()))?
            .into_iter()
            .map(Into::into)
            .collect();
        // What changes: (index in chunk, key, on hand read, target).
        let mut writes = Vec::new();
        let mut answers: Vec<Option<Adjusted>> = vec![None; chunk.len()];
        for (i, (key, target)) in chunk.iter().enumerate() {
            let Some(now) = levels.get(&(key.variant_id, key.warehouse_id)).copied() else {
                return Err((
                    at(i),
                    InventoryError::NotFound(
                        "That variant has no stock level in that warehouse.".into(),
                    ),
                ));
            };
            if *target < now.reserved + now.unavailable || *target > MAX_ON_HAND {
                return Err((at(i), refusal(now, (*target).into())));
            }
            if *target == now.on_hand {
                answers[i] = Some(settled(journal, *key, now.on_hand, now, actor, &reason));
            } else {
                writes.push((i, *key, now.on_hand, *target));
            }
        }
        let mut written: std::collections::HashMap<(i32, i32), Level> = Default::default();
        if !writes.is_empty() {
            let mut values: Vec<sea_orm::Value> = Vec::new();
            let mut n = 0;
            let mut next = |v: sea_orm::Value, values: &mut Vec<sea_orm::Value>| {
                values.push(v);
                n += 1;
                placeholders(backend, n, 1)
            };
            let mut cases = String::new();
            let mut matches = Vec::new();
            for (_, key, _, target) in &writes {
                cases.push_str(&format!(
                    " WHEN variant_id = {} AND warehouse_id = {} THEN {}",
                    next(key.variant_id.into(), &mut values),
                    next(key.warehouse_id.into(), &mut values),
                    next((*target).into(), &mut values)
                ));
            }
            for (_, key, was, target) in &writes {
                matches.push(format!(
                    "(variant_id = {} AND warehouse_id = {} AND on_hand = {} AND reserved + {} <= {})",
                    next(key.variant_id.into(), &mut values),
                    next(key.warehouse_id.into(), &mut values),
                    next((*was).into(), &mut values),
                    super::unavailable_sql(""),
                    next((*target).into(), &mut values)
                ));
            }
            let now = next(Utc::now().into(), &mut values);
            written = KeyedLevel::find_by_statement(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE stock_levels SET on_hand = CASE{cases} ELSE on_hand END, updated_at = {now} \
                     WHERE {} RETURNING {columns}",
                    matches.join(" OR ")
                ),
                values,
            ))
            .all(db)
            .await
            .map_err(|e| (at(writes[0].0), e.into()))?
            .into_iter()
            .map(Into::into)
            .collect();
        }
        for (i, key, was, target) in writes {
            match written.get(&(key.variant_id, key.warehouse_id)) {
                Some(after) => {
                    answers[i] = Some(settled(journal, key, was, *after, actor, &reason));
                }
                // It moved since it was read: set on its own, on top of what is there now.
                None => {
                    let one = adjust(db, key, Change::Set(target), actor, &reason, journal)
                        .await
                        .map_err(|e| (at(i), e))?;
                    answers[i] = Some(one);
                }
            }
        }
        done.extend(answers.into_iter().flatten());
    }
    Ok(done)
}

/// `Set`: read on hand, then write the new value only if on hand is still what was read. A
/// concurrent change makes the write match no row; it is read again (a bounded number of
/// times) and the new value applied on top of it, so the change in between is not lost from
/// the audit trail: the movement records the on hand it actually replaced.
async fn set_on_hand(
    db: &impl ConnectionTrait,
    level: LevelKey,
    target: i32,
) -> Result<(i32, Level), InventoryError> {
    let backend = db.get_database_backend();
    let p = |n: usize| placeholders(backend, n, 1);
    for _attempt in 0..8 {
        let now = read(db, level).await?;
        if target < now.reserved + now.unavailable || target > MAX_ON_HAND {
            return Err(refusal(now, target.into()));
        }
        if target == now.on_hand {
            return Ok((now.on_hand, now));
        }
        let after = Level::find_by_statement(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE stock_levels SET on_hand = {t}, updated_at = {at} \
                 WHERE variant_id = {v} AND warehouse_id = {w} \
                   AND on_hand = {was} AND reserved + {unavailable} <= {t} \
                 RETURNING on_hand, reserved, damaged + quality_control + safety_stock AS unavailable",
                t = p(1),
                at = p(2),
                v = p(3),
                w = p(4),
                was = p(5),
                unavailable = super::unavailable_sql(""),
            ),
            [
                target.into(),
                Utc::now().into(),
                level.variant_id.into(),
                level.warehouse_id.into(),
                now.on_hand.into(),
            ],
        ))
        .one(db)
        .await?;
        if let Some(after) = after {
            return Ok((now.on_hand, after));
        }
    }
    Err(InventoryError::Busy)
}

/// Goods arriving at a level (a transfer or a purchase order received): on hand grows by
/// `quantity` in one conditional `UPDATE`, refused (`Conflict`, nothing changed) past
/// [`MAX_ON_HAND`]. Returns the level after, for the caller's movement.
pub(super) async fn add_on_hand(
    db: &impl ConnectionTrait,
    level: LevelKey,
    quantity: i32,
) -> Result<Level, InventoryError> {
    let backend = db.get_database_backend();
    let p = |n: usize| placeholders(backend, n, 1);
    Level::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE stock_levels SET on_hand = on_hand + {q}, updated_at = {now} \
             WHERE variant_id = {v} AND warehouse_id = {w} AND on_hand + {q} <= {max} \
             RETURNING on_hand, reserved, {u} AS unavailable",
            q = p(1),
            now = p(2),
            v = p(3),
            w = p(4),
            max = p(5),
            u = super::unavailable_sql(""),
        ),
        [
            quantity.into(),
            Utc::now().into(),
            level.variant_id.into(),
            level.warehouse_id.into(),
            MAX_ON_HAND.into(),
        ],
    ))
    .one(db)
    .await?
    .ok_or_else(|| InventoryError::Conflict("The warehouse cannot hold that many units.".into()))
}

/// One level's on hand and reserved now.
pub(super) async fn read(
    db: &impl ConnectionTrait,
    level: LevelKey,
) -> Result<Level, InventoryError> {
    let backend = db.get_database_backend();
    Level::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT on_hand, reserved, damaged + quality_control + safety_stock AS unavailable FROM stock_levels WHERE variant_id = {} AND warehouse_id = {}",
            placeholders(backend, 1, 1),
            placeholders(backend, 2, 1)
        ),
        [level.variant_id.into(), level.warehouse_id.into()],
    ))
    .one(db)
    .await?
    .ok_or_else(|| InventoryError::NotFound("That variant has no stock level in that warehouse.".into()))
}

fn refusal(now: Level, wanted: i64) -> InventoryError {
    if wanted > i64::from(MAX_ON_HAND) {
        InventoryError::Invalid {
            field: "set",
            message: format!("At most {MAX_ON_HAND} units per warehouse."),
        }
    } else {
        InventoryError::BelowCommitted {
            reserved: now.reserved,
            unavailable: now.unavailable,
            wanted,
        }
    }
}

/// Gives every variant (or just `variant_ids`) an empty level in every active warehouse it has
/// none in, so it can be stocked and sold. An empty level needs no movement: the sum of no
/// movements is zero. Idempotent and safe to run from several processes at once; one statement.
pub async fn ensure_levels(
    db: &impl ConnectionTrait,
    variant_ids: Option<&[i32]>,
) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let mut values: Vec<sea_orm::Value> = vec![Utc::now().into()];
    let only = match variant_ids {
        Some([]) => return Ok(0),
        Some(ids) => {
            values.extend(ids.iter().map(|&id| sea_orm::Value::from(id)));
            format!("AND v.id IN ({})", placeholders(backend, 2, ids.len()))
        }
        None => String::new(),
    };
    let done = db
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "INSERT INTO stock_levels (variant_id, warehouse_id, on_hand, reserved, updated_at) \
                 SELECT v.id, w.id, 0, 0, {now} FROM product_variants v CROSS JOIN warehouses w \
                 WHERE w.active {only} AND NOT EXISTS ( \
                     SELECT 1 FROM stock_levels s WHERE s.variant_id = v.id AND s.warehouse_id = w.id) \
                 ON CONFLICT (variant_id, warehouse_id) DO NOTHING",
                now = placeholders(backend, 1, 1),
            ),
            values,
        ))
        .await?;
    Ok(done.rows_affected())
}
