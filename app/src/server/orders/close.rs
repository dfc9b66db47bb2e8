//! Closing an unpaid order and settling the units it holds (sold on payment, released on
//! cancel or expiry).
use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};

use super::{emit, record, Actor};
use crate::model::TimelineKind;
use crate::server::{
    db::{order, order_reservation},
    inventory,
};

/// Closes an unpaid order (`expired` or `cancelled`) and gives its held stock back, in the
/// caller's transaction, with its timeline entry. Only a pending order changes (a conditional update), so two processes
/// expiring the same order, or an expiry racing a payment, cannot both act.
pub async fn close_unpaid(
    db: &impl ConnectionTrait,
    order_id: i32,
    status: &str,
    payment_status: &str,
    actor: &Actor,
    note: &str,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let changed = order::Entity::update_many()
        .col_expr(order::Column::Status, status.into())
        .col_expr(order::Column::PaymentStatus, payment_status.into())
        .col_expr(order::Column::UpdatedAt, now.into())
        .col_expr(
            order::Column::CancelledAt,
            (status == "cancelled").then_some(now).into(),
        )
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq("pending"))
        .exec(db)
        .await?
        .rows_affected;
    if changed == 0 {
        return Ok(false);
    }
    let reference = format!("order:{order_id}");
    settle_reservations(db, order_id, &reference, Settlement::Released).await?;
    record(
        db,
        order_id,
        TimelineKind::Status,
        actor,
        Some("pending"),
        Some(status),
        note,
    )
    .await?;
    emit(
        db,
        &format!("order.{status}"),
        &reference,
        serde_json::json!({ "order_id": order_id }),
    )
    .await?;
    Ok(true)
}

/// What becomes of the units an order holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// Paid: the units leave stock.
    Sold,
    /// Closed unpaid: the units are available again.
    Released,
}

/// Settles every unit the order still holds, in the caller's transaction: each level changes by
/// a conditional `UPDATE` with its movement (all movements in one insert), and the reservations
/// are marked `sold` or `released` in one statement. Returns the reservations settled.
pub async fn settle_reservations(
    db: &impl ConnectionTrait,
    order_id: i32,
    reference: &str,
    settlement: Settlement,
) -> Result<Vec<order_reservation::Model>, DbErr> {
    let held = order_reservation::Entity::find()
        .filter(order_reservation::Column::OrderId.eq(order_id))
        .filter(order_reservation::Column::State.eq("held"))
        .all(db)
        .await?;
    let mut journal = inventory::Journal::default();
    for r in &held {
        match settlement {
            Settlement::Sold => {
                inventory::sell(
                    db,
                    r.variant_id,
                    r.warehouse_id,
                    r.quantity,
                    reference,
                    &mut journal,
                )
                .await?
            }
            Settlement::Released => {
                inventory::release_into(
                    db,
                    r.variant_id,
                    &[(r.warehouse_id, r.quantity)],
                    reference,
                    &mut journal,
                )
                .await?
            }
        }
    }
    if settlement == Settlement::Released {
        // Units back on sale: listings show them (a sale leaves "available" as it was).
        inventory::refresh_listings(db, &journal.variant_ids()).await?;
    }
    journal.write(db).await?;
    let state = match settlement {
        Settlement::Sold => "sold",
        Settlement::Released => "released",
    };
    order_reservation::Entity::update_many()
        .col_expr(order_reservation::Column::State, state.into())
        .filter(order_reservation::Column::OrderId.eq(order_id))
        .filter(order_reservation::Column::State.eq("held"))
        .exec(db)
        .await?;
    Ok(held)
}
