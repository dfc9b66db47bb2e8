//! What a payment's progress does to its order: confirmation and the sale of its units, revival
//! of a closed order when late money arrives and the stock is still there, or the money queued
//! to go back when it is not.
use chrono::Utc;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};

use super::{close_unpaid, emit, record, settle_reservations, Actor, Settlement};
use crate::model::TimelineKind;
use crate::server::{
    cart,
    db::{order, order_item, order_reservation, payment},
    inventory,
};

/// The order's side of a payment that just moved to `to`, in the payment's transaction, with
/// its timeline entries: paid confirms the order and sells its units (or revives a closed
/// order, or queues the money to go back); cancelled or expired closes an unpaid order and
/// releases its units; a full refund confirmed by the gateway cancels an order that has not
/// shipped and puts its units back. Returns whether units went back on sale or were taken
/// again (so cached listings are refreshed).
pub async fn on_payment_moved(
    txn: &DatabaseTransaction,
    payment: &payment::Model,
    to: &str,
    channel: &str,
) -> Result<bool, DbErr> {
    let Some(order) = order::Entity::find_by_id(payment.order_id).one(txn).await? else {
        return Ok(false);
    };
    let reference = format!("order:{}", order.id);
    let system = Actor::system();
    let gateway = payment.gateway.as_str();
    let mut stock_moved = false;
    match to {
        "paid" => {
            let now = Utc::now();
            let confirmed = order::Entity::update_many()
                .col_expr(order::Column::Status, "confirmed".into())
                .col_expr(order::Column::PaymentStatus, "paid".into())
                .col_expr(order::Column::PaidAt, Some(now).into())
                .col_expr(order::Column::UpdatedAt, now.into())
                .filter(order::Column::Id.eq(order.id))
                .filter(order::Column::Status.eq("pending"))
                .exec(txn)
                .await?
                .rows_affected
                == 1;
            // Money for an order that already closed: take it if its stock is still there.
            let revived = !confirmed && revive(txn, &order, &reference).await?;
            stock_moved = revived;
            if confirmed || revived {
                sell_reservations(txn, order.id, &reference).await?;
                let (from, note) = if revived {
                    (
                        order.status.as_str(),
                        format!("Paid late through {gateway}; the stock was still there."),
                    )
                } else {
                    ("pending", format!("Paid through {gateway}."))
                };
                record(
                    txn,
                    order.id,
                    TimelineKind::Status,
                    &system,
                    Some(from),
                    Some("confirmed"),
                    &note,
                )
                .await?;
                emit(
                    txn,
                    "order.paid",
                    &reference,
                    serde_json::json!({
                        "order_id": order.id,
                        "number": order.number,
                        "grand_total": order.grand_total,
                        "currency": order.currency,
                        "gateway": payment.gateway,
                        "revived": revived,
                    }),
                )
                .await?;
                // The cart it came from is bought: empty it with the payment, in this transaction.
                if let Some(key) = &order.cart_key {
                    cart::clear_key(txn, key).await?;
                }
            } else {
                // Its stock went to others: record the money and queue it to go back, in this
                // transaction, so it is never only a log line.
                set_payment_status(txn, order.id, "paid").await?;
                let queued = crate::server::payments::refunds::queue_late_payment(
                    txn, &order, payment, channel,
                )
                .await?;
                record(
                    txn,
                    order.id,
                    TimelineKind::Payment,
                    &system,
                    Some(payment.status.as_str()),
                    Some("paid"),
                    &format!(
                        "Paid through {gateway} after the order was {}, its stock sold to others: the money goes back ({}).",
                        order.status, queued.status
                    ),
                )
                .await?;
                emit(
                    txn,
                    "payment.needs_refund",
                    &reference,
                    serde_json::json!({
                        "order_id": order.id,
                        "order_status": order.status,
                        "refund_id": queued.id,
                        "refund_status": queued.status,
                    }),
                )
                .await?;
            }
        }
        "cancelled" | "expired" => {
            // An unpaid order closes and gives its stock back; a closed one only records it.
            let order_status = if to == "expired" {
                "expired"
            } else {
                "cancelled"
            };
            let note = format!("{gateway} reports the payment {to}.");
            let closed = close_unpaid(txn, order.id, order_status, to, &system, &note).await?;
            stock_moved = closed;
            if !closed {
                set_payment_status(txn, order.id, to).await?;
            }
        }
        "refunded" | "partially_refunded" => {
            set_payment_status(txn, order.id, to).await?;
            record(
                txn,
                order.id,
                TimelineKind::Payment,
                &system,
                Some(order.payment_status.as_str()),
                Some(to),
                &if to == "refunded" {
                    format!("Refunded in full (confirmed by {gateway}).")
                } else {
                    format!("Partly refunded (confirmed by {gateway}).")
                },
            )
            .await?;
            // Refunded in full before it shipped: the sale is off and the goods are still
            // here. (A cancel from the shop already moved the order, so this runs once.)
            let unshipped = matches!(order.status.as_str(), "confirmed" | "processing");
            if to == "refunded" && unshipped {
                let now = Utc::now();
                let cancelled = order::Entity::update_many()
                    .col_expr(order::Column::Status, "cancelled".into())
                    .col_expr(order::Column::CancelledAt, Some(now).into())
                    .col_expr(order::Column::UpdatedAt, now.into())
                    .filter(order::Column::Id.eq(order.id))
                    .filter(order::Column::Status.eq(&order.status))
                    .exec(txn)
                    .await?
                    .rows_affected
                    == 1;
                if cancelled {
                    record(
                        txn,
                        order.id,
                        TimelineKind::Status,
                        &system,
                        Some(order.status.as_str()),
                        Some("cancelled"),
                        "Refunded in full before shipping.",
                    )
                    .await?;
                    let (moved, _) = super::workflow::undo_sale(txn, &order, &system, "").await?;
                    stock_moved = moved;
                }
            }
            emit(
                txn,
                &format!("order.{to}"),
                &reference,
                serde_json::json!({ "order_id": order.id }),
            )
            .await?;
        }
        _ => {}
    }
    Ok(stock_moved)
}

/// Brings a closed (expired or cancelled) order back when its payment arrives late and every
/// unit it had can be reserved again: the reservations are made anew (the same conditional
/// updates as checkout) and the order is confirmed, all inside a savepoint, so a line that
/// cannot be covered undoes the attempt and nothing else. `false` when the stock is gone.
async fn revive(
    txn: &DatabaseTransaction,
    order: &order::Model,
    reference: &str,
) -> Result<bool, DbErr> {
    if !matches!(order.status.as_str(), "expired" | "cancelled") {
        return Ok(false);
    }
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order.id))
        .all(txn)
        .await?;
    let Some(wanted) = items
        .iter()
        .map(|i| {
            i.variant_id.map(|variant_id| inventory::Wanted {
                variant_id,
                sku: &i.sku,
                quantity: i.quantity,
            })
        })
        .collect::<Option<Vec<_>>>()
    else {
        return Ok(false);
    };
    let savepoint = txn.begin().await?;
    let mut journal = inventory::Journal::default();
    let allocations =
        match inventory::reserve_lines(&savepoint, &wanted, reference, &mut journal).await {
            Ok(allocations) => allocations,
            Err(inventory::StockError::OutOfStock { .. }) => {
                savepoint.rollback().await?;
                return Ok(false);
            }
            Err(inventory::StockError::Db(e)) => return Err(e),
        };
    inventory::refresh_listings(&savepoint, &journal.variant_ids()).await?;
    journal.write(&savepoint).await?;
    let rows: Vec<order_reservation::ActiveModel> = wanted
        .iter()
        .zip(allocations)
        .flat_map(|(line, allocation)| {
            allocation.into_iter().map(move |(warehouse_id, units)| {
                order_reservation::ActiveModel {
                    order_id: Set(order.id),
                    variant_id: Set(line.variant_id),
                    warehouse_id: Set(warehouse_id),
                    quantity: Set(units),
                    state: Set("held".into()),
                    ..Default::default()
                }
            })
        })
        .collect();
    order_reservation::Entity::insert_many(rows)
        .exec(&savepoint)
        .await?;
    let now = Utc::now();
    order::Entity::update_many()
        .col_expr(order::Column::Status, "confirmed".into())
        .col_expr(order::Column::PaymentStatus, "paid".into())
        .col_expr(order::Column::PaidAt, Some(now).into())
        .col_expr(order::Column::UpdatedAt, now.into())
        .filter(order::Column::Id.eq(order.id))
        .exec(&savepoint)
        .await?;
    emit(
        &savepoint,
        "order.revived",
        reference,
        serde_json::json!({ "order_id": order.id, "was": order.status }),
    )
    .await?;
    savepoint.commit().await?;
    Ok(true)
}

async fn set_payment_status(
    txn: &impl ConnectionTrait,
    order_id: i32,
    status: &str,
) -> Result<(), DbErr> {
    order::Entity::update_many()
        .col_expr(order::Column::PaymentStatus, status.into())
        .col_expr(order::Column::UpdatedAt, Utc::now().into())
        .filter(order::Column::Id.eq(order_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The order's held units become sales: stock leaves on hand and reserved, with a `sell`
/// movement each, and the products' sales counts grow (listings sort by them).
async fn sell_reservations(
    txn: &impl ConnectionTrait,
    order_id: i32,
    reference: &str,
) -> Result<(), DbErr> {
    let sold = settle_reservations(txn, order_id, reference, Settlement::Sold).await?;
    let backend = txn.get_database_backend();
    let p = |n: usize| crate::server::catalog::placeholders(backend, n, 1);
    for r in &sold {
        txn.execute(sea_orm::Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE products SET sales_count = sales_count + {} \
                 WHERE id = (SELECT product_id FROM product_variants WHERE id = {})",
                p(1),
                p(2)
            ),
            [r.quantity.into(), r.variant_id.into()],
        ))
        .await?;
    }
    Ok(())
}
