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
    db::{payment, payment_event},
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
    /// On a refund event: how much of the payment the gateway has refunded in all, when it
    /// says (Stripe `amount_refunded`, Midtrans `refund_amount`).
    pub refunded: Option<i64>,
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
    let gateway = event.gateway.clone();
    let status = event.status.clone().unwrap_or_default();
    let result = apply(db, cache, event).await;
    let outcome = match &result {
        Ok(EventOutcome::Applied) => "applied",
        Ok(EventOutcome::Duplicate) => "duplicate",
        Ok(EventOutcome::Ignored(_)) => "ignored",
        Ok(EventOutcome::Rejected(_)) => "rejected",
        Ok(EventOutcome::UnknownPayment) => "unknown_payment",
        Err(_) => "error",
    };
    crate::server::observability::payment_event(&gateway, &status, outcome);
    result
}

async fn apply(
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
    // A refund confirmation settles the refunds the gateway accepted, whether or not the
    // payment's status moves (a second partial refund leaves it partially refunded).
    let confirmed = if matches!(to, "refunded" | "partially_refunded") {
        super::refunds::confirm_issued(txn, payment, event.refunded).await?
    } else {
        0
    };
    if !can_move(&payment.status, to) {
        if confirmed > 0 {
            return Ok((EventOutcome::Applied, false));
        }
        return Ok((
            EventOutcome::Ignored(format!("stale: {} → {to} not allowed", payment.status)),
            false,
        ));
    }
    // The row is locked, so this matches; a miss means the lock did not hold (a bug): roll
    // back and let the gateway redeliver rather than acknowledge an event never applied.
    let mut update = payment::Entity::update_many();
    if to == "paid" && !event.channel.is_empty() {
        update = update.col_expr(
            payment::Column::Channel,
            event.channel.chars().take(32).collect::<String>().into(),
        );
    }
    let moved = update
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
    let stock_moved =
        crate::server::orders::on_payment_moved(txn, payment, to, &event.channel).await?;
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
    // Each gateway event is applied once (its id is stored), so each declined attempt is one
    // fact for analytics' payment success rate.
    crate::server::orders::emit(
        txn,
        "payment.failed",
        &format!("order:{}", payment.order_id),
        serde_json::json!({ "order_id": payment.order_id, "payment_id": payment.id, "gateway": payment.gateway }),
    )
    .await?;
    Ok(EventOutcome::Applied)
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
