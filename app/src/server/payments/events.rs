//! The one path every gateway event takes (Stripe and Midtrans webhooks, the reconciler, the
//! demo gateway's buttons): stored once by event id, checked against the order's amount and
//! currency, applied only if it moves the payment forward, and its effects on the order and
//! the stock written in the same transaction.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};

use crate::model::PaymentStatus;
use crate::server::{
    cache::Cache,
    cart,
    checkout::{close_unpaid, emit, settle_reservations, Settlement},
    db::{order, order_item, order_reservation, payment, payment_event},
    inventory,
};

/// A gateway's report about one payment, already authenticated (signature or status API).
#[derive(Debug, Clone)]
pub struct GatewayEvent {
    pub gateway: String,
    /// The gateway's id for this event (unique per gateway).
    pub event_id: String,
    /// The gateway's name for it, e.g. `payment_intent.succeeded`, `settlement`.
    pub kind: String,
    /// The payment's `gateway_ref`: PaymentIntent id, Midtrans/demo order id.
    pub payment_ref: String,
    /// How the shopper paid, when the gateway says (Midtrans `payment_type`, `card`), which
    /// decides whether a refund can go back through the gateway.
    pub channel: String,
    /// Our status it maps to; `None` when it changes nothing (e.g. Midtrans `pending`).
    pub status: Option<String>,
    /// In our units (whole rupiah for IDR), when the event states an amount.
    pub amount: Option<i64>,
    pub currency: Option<String>,
    /// Why it failed, in words for the shopper.
    pub message: String,
    /// The raw body, kept for audits.
    pub payload: String,
}

/// What an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOutcome {
    /// The payment (and maybe the order) moved.
    Applied,
    /// Seen before (same gateway and event id): acknowledged, nothing changed.
    Duplicate,
    /// Valid but changes nothing: stale (would move backwards) or already in that state.
    Ignored(String),
    /// Does not match the order (amount or currency): stored, logged, nothing changed.
    Rejected(String),
    /// About a payment this shop does not know (yet: a webhook can overtake the commit that
    /// stores the gateway's id). Nothing is stored, so the gateway's redelivery is processed.
    UnknownPayment,
}

/// Whether a payment may go from `from` to `to` ([`PaymentStatus::can_move_to`]). A state
/// this version does not know never moves.
pub fn can_move(from: &str, to: &str) -> bool {
    match (from.parse::<PaymentStatus>(), to.parse::<PaymentStatus>()) {
        (Ok(from), Ok(to)) => from.can_move_to(to),
        _ => false,
    }
}

/// Stores and applies one event. Commits everything it changes at once; on error nothing is
/// kept (not even the event row, so a redelivery is processed again). The payment row is read
/// `FOR UPDATE` (PostgreSQL; SQLite serialises writers itself), so two events for one payment
/// apply one after the other, each to what the other left: none is lost to a race.
pub async fn apply_event(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    event: GatewayEvent,
) -> Result<EventOutcome, DbErr> {
    let txn = db.begin().await?;
    let stored = payment_event::ActiveModel {
        gateway: Set(event.gateway.clone()),
        event_id: Set(event.event_id.clone()),
        payment_id: Set(None),
        kind: Set(event.kind.chars().take(64).collect()),
        outcome: Set("received".into()),
        note: Set(String::new()),
        payload: Set(event.payload.clone()),
        received_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let stored = match stored {
        Ok(row) => row,
        Err(e) if crate::server::db::is_unique_violation(&e) => {
            txn.rollback().await?;
            return Ok(EventOutcome::Duplicate);
        }
        Err(e) => return Err(e),
    };
    let (outcome, payment_id, stock_moved) = apply_stored(&txn, &event).await?;
    let (label, note) = match &outcome {
        EventOutcome::Applied => ("applied", String::new()),
        EventOutcome::Duplicate => ("ignored", "duplicate".to_string()),
        EventOutcome::Ignored(why) => ("ignored", why.clone()),
        EventOutcome::Rejected(why) => ("rejected", why.clone()),
        EventOutcome::UnknownPayment => {
            txn.rollback().await?;
            tracing::warn!(gateway = %event.gateway, event = %event.event_id, payment = %event.payment_ref, "event for an unknown payment; not stored, the gateway will retry");
            return Ok(EventOutcome::UnknownPayment);
        }
    };
    let mut row: payment_event::ActiveModel = stored.into();
    row.outcome = Set(label.into());
    row.note = Set(note.chars().take(500).collect());
    row.payment_id = Set(payment_id);
    row.update(&txn).await?;
    txn.commit().await?;
    if stock_moved {
        // Units went back on sale or were taken again: cached listings must show it.
        crate::server::catalog::cache::invalidate(cache).await;
    }
    if let EventOutcome::Rejected(why) = &outcome {
        tracing::warn!(gateway = %event.gateway, event = %event.event_id, %why, "payment event rejected");
    }
    Ok(outcome)
}

/// The event's effects, inside the transaction. Returns the outcome, the payment the event is
/// about (if known), and whether units became available or were taken again (so cached
/// listings are refreshed).
async fn apply_stored(
    txn: &DatabaseTransaction,
    event: &GatewayEvent,
) -> Result<(EventOutcome, Option<i32>, bool), DbErr> {
    let Some(payment) = payment::Entity::find()
        .filter(payment::Column::Gateway.eq(&event.gateway))
        .filter(payment::Column::GatewayRef.eq(&event.payment_ref))
        .lock_exclusive()
        .one(txn)
        .await?
    else {
        return Ok((EventOutcome::UnknownPayment, None, false));
    };
    let (outcome, stock_moved) = apply_to_payment(txn, event, &payment).await?;
    Ok((outcome, Some(payment.id), stock_moved))
}

/// Checks the event against a known payment and applies it.
async fn apply_to_payment(
    txn: &DatabaseTransaction,
    event: &GatewayEvent,
    payment: &payment::Model,
) -> Result<(EventOutcome, bool), DbErr> {
    if let Some(amount) = event.amount {
        if amount != payment.amount {
            return Ok((
                EventOutcome::Rejected(format!(
                    "amount {amount} does not match the order's {}",
                    payment.amount
                )),
                false,
            ));
        }
    }
    if let Some(currency) = &event.currency {
        if !currency.eq_ignore_ascii_case(&payment.currency) {
            return Ok((
                EventOutcome::Rejected(format!(
                    "currency {currency} does not match the order's {}",
                    payment.currency
                )),
                false,
            ));
        }
    }
    let Some(to) = event.status.as_deref() else {
        return Ok((EventOutcome::Ignored("no change of status".into()), false));
    };
    if to == "failed" {
        let outcome = record_declined_attempt(txn, event, payment).await?;
        return Ok((outcome, false));
    }
    if !can_move(&payment.status, to) {
        return Ok((
            EventOutcome::Ignored(format!("stale: {} → {to} not allowed", payment.status)),
            false,
        ));
    }
    // The row is locked, so this matches; a miss means the lock did not hold (a bug): roll
    // back and let the gateway redeliver rather than acknowledge an event never applied.
    let moved = payment::Entity::update_many()
        .col_expr(payment::Column::Status, to.into())
        .col_expr(
            payment::Column::FailureMessage,
            if matches!(to, "cancelled" | "expired") {
                event.message.chars().take(500).collect::<String>()
            } else {
                String::new()
            }
            .into(),
        )
        .col_expr(payment::Column::UpdatedAt, Utc::now().into())
        .filter(payment::Column::Id.eq(payment.id))
        .filter(payment::Column::Status.eq(&payment.status))
        .exec(txn)
        .await?
        .rows_affected;
    if moved != 1 {
        return Err(DbErr::Custom(format!(
            "payment {} changed while locked; event {} not applied",
            payment.id, event.event_id
        )));
    }
    let Some(order) = order::Entity::find_by_id(payment.order_id).one(txn).await? else {
        return Ok((EventOutcome::Applied, false));
    };
    let reference = format!("order:{}", order.id);
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
                let queued =
                    super::refunds::queue_late_payment(txn, &order, payment, &event.channel)
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
            let closed = close_unpaid(txn, order.id, order_status, to).await?;
            stock_moved = closed;
            if !closed {
                set_payment_status(txn, order.id, to).await?;
            }
        }
        "refunded" | "partially_refunded" => {
            let mut active: order::ActiveModel = order.clone().into();
            active.payment_status = Set(to.into());
            if to == "refunded" {
                active.status = Set("refunded".into());
            }
            active.updated_at = Set(Utc::now());
            active.update(txn).await?;
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
    Ok((EventOutcome::Applied, stock_moved))
}

/// A declined card (Stripe `payment_failed`, Midtrans `deny`, the demo's Decline) ends that
/// attempt, not the payment: the shopper can try again (another card in the same Payment
/// Element, Snap's retry), so the order keeps its stock and stays pending until it expires or
/// is cancelled. The attempt and its message are kept (the event row, the payment's message).
async fn record_declined_attempt(
    txn: &impl ConnectionTrait,
    event: &GatewayEvent,
    payment: &payment::Model,
) -> Result<EventOutcome, DbErr> {
    if !matches!(payment.status.as_str(), "pending" | "failed") {
        return Ok(EventOutcome::Ignored(format!(
            "stale: a declined attempt on a {} payment",
            payment.status
        )));
    }
    let message: String = if event.message.is_empty() {
        "The payment was declined.".to_string()
    } else {
        event.message.chars().take(500).collect()
    };
    payment::Entity::update_many()
        .col_expr(payment::Column::FailureMessage, message.into())
        .col_expr(payment::Column::UpdatedAt, Utc::now().into())
        .filter(payment::Column::Id.eq(payment.id))
        .exec(txn)
        .await?;
    Ok(EventOutcome::Applied)
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

#[cfg(test)]
mod tests {
    use super::can_move;

    #[test]
    fn payments_only_move_forward() {
        assert!(can_move("pending", "paid"));
        assert!(can_move("pending", "failed"));
        assert!(
            can_move("failed", "paid"),
            "a retried card can still succeed"
        );
        assert!(can_move("paid", "refunded"));
        assert!(
            can_move("expired", "paid"),
            "late money is recorded, then refunded"
        );
        assert!(!can_move("paid", "pending"));
        assert!(!can_move("paid", "failed"));
        assert!(!can_move("paid", "paid"));
        assert!(!can_move("refunded", "paid"));
        assert!(!can_move("cancelled", "pending"));
    }
}
