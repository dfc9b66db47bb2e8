//! Unavailable stock (Shopify's name): units on hand that may not be sold, by why
//! ([`UnavailableState`]: damaged, quality control, safety stock). Staff set available units
//! aside, make them available again, or write them off; a refund can bring units back as
//! damaged ([`return_damaged`]). Each change is one conditional `UPDATE` with its movement in the
//! same transaction, so a concurrent sale can never take a unit being set aside, nor the other
//! way round, on any number of server processes.
use chrono::Utc;
use sea_orm::{ConnectionTrait, DatabaseConnection, FromQueryResult, Statement, TransactionTrait};

use super::{
    adjust::{check_reason, InventoryError, LevelKey},
    level_available_sql, refresh_listings,
    staff::{find_variant, find_warehouse, stock},
    Journal,
};
use crate::{
    model::{MovementKind, StockItem, UnavailableAction, UnavailableRequest, UnavailableState},
    server::{
        cache::Cache,
        catalog::{cache, placeholders},
    },
};

/// A level after a change of one unavailable state.
#[derive(Debug, Clone, Copy, FromQueryResult)]
struct After {
    on_hand: i32,
    reserved: i32,
    /// Units in the state that changed.
    state_units: i32,
}

/// The column of a state (a fixed name, never user input).
fn column(state: UnavailableState) -> &'static str {
    match state {
        UnavailableState::Damaged => "damaged",
        UnavailableState::QualityControl => "quality_control",
        UnavailableState::SafetyStock => "safety_stock",
    }
}

/// Applies `action` to `quantity` units of one level's `state`, recording the movement (with
/// `actor` and `reason`) in `journal`. Refused, with nothing changed, when the units are not
/// there: a set-aside takes only available units, the others only units in the state.
#[allow(clippy::too_many_arguments)]
pub async fn change(
    db: &impl ConnectionTrait,
    level: LevelKey,
    state: UnavailableState,
    action: UnavailableAction,
    quantity: i32,
    actor: Option<i32>,
    reason: &str,
    journal: &mut Journal,
) -> Result<(), InventoryError> {
    let reason = check_reason(reason)?;
    if quantity <= 0 || quantity > super::adjust::MAX_ON_HAND {
        return Err(InventoryError::Invalid {
            field: "quantity",
            message: "Give a number of units, at least 1.".into(),
        });
    }
    let col = column(state);
    let (set, condition, kind, on_hand_moves) = match action {
        UnavailableAction::SetAside => (
            format!("{col} = {col} + {{q}}"),
            format!("{} >= {{q}}", level_available_sql("")),
            MovementKind::SetAside,
            false,
        ),
        UnavailableAction::MakeAvailable => (
            format!("{col} = {col} - {{q}}"),
            format!("{col} >= {{q}}"),
            MovementKind::MadeAvailable,
            false,
        ),
        UnavailableAction::WriteOff => (
            format!("{col} = {col} - {{q}}, on_hand = on_hand - {{q}}"),
            format!("{col} >= {{q}}"),
            MovementKind::WriteOff,
            true,
        ),
    };
    let backend = db.get_database_backend();
    let p = |n: usize| placeholders(backend, n, 1);
    let sql = format!(
        "UPDATE stock_levels SET {set}, updated_at = {{now}} \
         WHERE variant_id = {{v}} AND warehouse_id = {{w}} AND {condition} \
         RETURNING on_hand, reserved, {col} AS state_units"
    )
    .replace("{q}", &p(1))
    .replace("{now}", &p(2))
    .replace("{v}", &p(3))
    .replace("{w}", &p(4));
    let after = After::find_by_statement(Statement::from_sql_and_values(
        backend,
        sql,
        [
            quantity.into(),
            Utc::now().into(),
            level.variant_id.into(),
            level.warehouse_id.into(),
        ],
    ))
    .one(db)
    .await?;
    let Some(after) = after else {
        let now = super::adjust::read(db, level).await?;
        let message = match action {
            UnavailableAction::SetAside => format!(
                "Only {} units are available to set aside (held for orders and unavailable ones stay).",
                now.on_hand - now.reserved - now.unavailable
            ),
            _ => {
                let units = units_in(db, level, state).await?;
                format!(
                    "Only {units} units are {}.",
                    state.label().to_lowercase()
                )
            }
        };
        return Err(InventoryError::Invalid {
            field: "quantity",
            message,
        });
    };
    let moved = if on_hand_moves { quantity } else { 0 };
    let state_delta = match action {
        UnavailableAction::SetAside => quantity,
        _ => -quantity,
    };
    journal.record_unavailable(
        (level.variant_id, level.warehouse_id),
        kind,
        state,
        (
            after.on_hand + moved,
            after.reserved,
            after.state_units - state_delta,
        ),
        (after.on_hand, after.reserved, after.state_units),
        "manual",
        actor,
        &reason,
    );
    Ok(())
}

#[derive(Debug, FromQueryResult)]
struct Units {
    units: i32,
}

async fn units_in(
    db: &impl ConnectionTrait,
    level: LevelKey,
    state: UnavailableState,
) -> Result<i32, InventoryError> {
    let backend = db.get_database_backend();
    Ok(Units::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT {} AS units FROM stock_levels WHERE variant_id = {} AND warehouse_id = {}",
            column(state),
            placeholders(backend, 1, 1),
            placeholders(backend, 2, 1)
        ),
        [level.variant_id.into(), level.warehouse_id.into()],
    ))
    .one(db)
    .await?
    .map_or(0, |u| u.units))
}

/// Refunded units back in the warehouse they were sold from but not resellable: on hand and
/// damaged both grow by `quantity` (a `return` movement), so they are counted and can be
/// written off or, once repaired, made available.
pub async fn return_damaged(
    db: &impl ConnectionTrait,
    level: LevelKey,
    quantity: i32,
    reference: &str,
    journal: &mut Journal,
) -> Result<(), sea_orm::DbErr> {
    let backend = db.get_database_backend();
    let p = |n: usize| placeholders(backend, n, 1);
    let after = After::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE stock_levels SET on_hand = on_hand + {q}, damaged = damaged + {q}, \
               updated_at = {now} \
             WHERE variant_id = {v} AND warehouse_id = {w} \
             RETURNING on_hand, reserved, damaged AS state_units",
            q = p(1),
            now = p(2),
            v = p(3),
            w = p(4),
        ),
        [
            quantity.into(),
            Utc::now().into(),
            level.variant_id.into(),
            level.warehouse_id.into(),
        ],
    ))
    .one(db)
    .await?
    .ok_or_else(|| {
        sea_orm::DbErr::Custom(format!(
            "return of {quantity} × variant {}: no level in warehouse {}",
            level.variant_id, level.warehouse_id
        ))
    })?;
    journal.record_unavailable(
        (level.variant_id, level.warehouse_id),
        MovementKind::Return,
        UnavailableState::Damaged,
        (
            after.on_hand - quantity,
            after.reserved,
            after.state_units - quantity,
        ),
        (after.on_hand, after.reserved, after.state_units),
        reference,
        None,
        "returned damaged",
    );
    Ok(())
}

/// Staff's change of unavailable units by SKU and warehouse code (the Store API and the
/// admin), in its own transaction, with listings and the catalogue cache brought up to date.
/// Returns the SKU's stock afterwards.
pub async fn change_sku(
    db: &DatabaseConnection,
    cache_: &dyn Cache,
    actor: i32,
    request: &UnavailableRequest,
) -> Result<StockItem, InventoryError> {
    let state: UnavailableState =
        request
            .state
            .trim()
            .parse()
            .map_err(|_| InventoryError::Invalid {
                field: "state",
                message: "Choose damaged, quality_control or safety_stock.".into(),
            })?;
    let variant = find_variant(db, &request.sku).await?;
    let warehouse = find_warehouse(db, &request.warehouse).await?;
    let level = LevelKey {
        variant_id: variant.id,
        warehouse_id: warehouse.id,
    };
    let txn = db.begin().await?;
    let mut journal = Journal::default();
    change(
        &txn,
        level,
        state,
        request.action,
        request.quantity,
        Some(actor),
        &request.reason,
        &mut journal,
    )
    .await?;
    refresh_listings(&txn, &[variant.id]).await?;
    journal.write(&txn).await?;
    txn.commit().await?;
    cache::invalidate(cache_).await;
    let mut items = stock(db, Some(&variant.sku), None).await?;
    items
        .pop()
        .ok_or_else(|| InventoryError::NotFound(format!("There is no SKU `{}`.", variant.sku)))
}
