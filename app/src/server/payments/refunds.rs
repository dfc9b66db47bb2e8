//! Money to give back. A payment that arrives after its order closed, when its stock is gone,
//! is queued here in the same transaction that records it, so it is never silent: issued
//! through the gateway where its API can send money back (Stripe; Midtrans cards and
//! e-wallets; the demo gateway moves none), otherwise left for staff to refund by bank
//! transfer and mark done at `/admin/refunds`.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set,
};

use super::{demo, midtrans, stripe, PaymentError};
use crate::{
    model::{Currency, Money, RefundView},
    server::{
        config::Settings,
        db::{order, payment, refund},
    },
};

/// Whether the gateway's API can refund a payment made this way.
fn refundable_by_api(gateway: &str, channel: &str) -> bool {
    match gateway {
        stripe::GATEWAY | demo::GATEWAY => true,
        midtrans::GATEWAY => midtrans::refundable_by_api(channel),
        _ => false,
    }
}

/// Queues the refund of a late payment, in the caller's transaction: `pending` when the gateway
/// can send it back, `manual` when staff must.
pub async fn queue_late_payment(
    db: &impl ConnectionTrait,
    order: &order::Model,
    payment: &payment::Model,
    channel: &str,
) -> Result<refund::Model, DbErr> {
    let reason = format!(
        "Paid after order {} was {} and its stock sold to others",
        order.number, order.status
    );
    insert(db, order, payment, channel, payment.amount, &reason).await
}

/// Queues a refund of `amount` of a payment (an order cancelled after payment), in the caller's
/// transaction; the channel recorded when it was paid decides whether the gateway can send it.
pub async fn queue(
    db: &impl ConnectionTrait,
    order: &order::Model,
    payment: &payment::Model,
    amount: i64,
    reason: &str,
) -> Result<refund::Model, DbErr> {
    insert(db, order, payment, &payment.channel, amount, reason).await
}

async fn insert(
    db: &impl ConnectionTrait,
    order: &order::Model,
    payment: &payment::Model,
    channel: &str,
    amount: i64,
    reason: &str,
) -> Result<refund::Model, DbErr> {
    let now = Utc::now();
    refund::ActiveModel {
        order_id: Set(order.id),
        payment_id: Set(payment.id),
        gateway: Set(payment.gateway.clone()),
        channel: Set(channel.chars().take(32).collect()),
        amount: Set(amount),
        currency: Set(payment.currency.clone()),
        reason: Set(reason.chars().take(200).collect()),
        status: Set(if refundable_by_api(&payment.gateway, channel) {
            "pending"
        } else {
            "manual"
        }
        .into()),
        gateway_ref: Set(None),
        note: Set(String::new()),
        resolved_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

async fn set_outcome(
    db: &DatabaseConnection,
    id: i32,
    status: &str,
    gateway_ref: Option<String>,
    note: &str,
) -> Result<(), DbErr> {
    refund::Entity::update_many()
        .col_expr(refund::Column::Status, status.into())
        .col_expr(refund::Column::GatewayRef, gateway_ref.into())
        .col_expr(
            refund::Column::Note,
            note.chars().take(500).collect::<String>().into(),
        )
        .col_expr(refund::Column::UpdatedAt, Utc::now().into())
        .filter(refund::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Sends every `pending` refund through its gateway (after the commit that queued it: never a
/// network call inside a transaction). Each carries an idempotency key derived from its id, so
/// two processes, or a retry after a timeout, refund once. A refusal leaves it `failed` with
/// the gateway's words for staff. Returns how many were issued.
pub async fn issue_pending(db: &DatabaseConnection, settings: &Settings) -> Result<usize, DbErr> {
    let pending = refund::Entity::find()
        .filter(refund::Column::Status.eq("pending"))
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await?;
    let mut issued = 0;
    for r in pending {
        let Some(p) = payment::Entity::find_by_id(r.payment_id).one(db).await? else {
            continue;
        };
        let key = format!("pasar-refund-{}", r.id);
        let result: Result<Option<String>, PaymentError> = match r.gateway.as_str() {
            demo::GATEWAY => Ok(None),
            stripe::GATEWAY => match p.gateway_ref.as_deref() {
                Some(intent) => {
                    let currency = Currency::parse(&r.currency).unwrap_or(Currency::Idr);
                    stripe::refund(settings, intent, r.amount, currency, &key)
                        .await
                        .map(Some)
                }
                None => Err(PaymentError::Gateway("no PaymentIntent on record".into())),
            },
            midtrans::GATEWAY => match p.gateway_ref.as_deref() {
                Some(order_id) => midtrans::refund(settings, order_id, &key, r.amount, &r.reason)
                    .await
                    .map(Some),
                None => Err(PaymentError::Gateway("no transaction on record".into())),
            },
            other => Err(PaymentError::Unavailable(other.to_string())),
        };
        match result {
            Ok(gateway_ref) => {
                let note = if r.gateway == demo::GATEWAY {
                    "Demo gateway: no money moved."
                } else {
                    "Refunded through the gateway."
                };
                set_outcome(db, r.id, "issued", gateway_ref, note).await?;
                issued += 1;
            }
            Err(e) => {
                tracing::warn!(refund = r.id, gateway = %r.gateway, error = %e, "refund not issued");
                set_outcome(db, r.id, "failed", None, &e.to_string()).await?;
            }
        }
    }
    Ok(issued)
}

/// Every refund, newest first, for staff.
pub async fn list(db: &DatabaseConnection) -> Result<Vec<RefundView>, DbErr> {
    let rows = refund::Entity::find()
        .order_by_desc(refund::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = rows.iter().map(|r| r.order_id).collect();
    let numbers: std::collections::HashMap<i32, String> = order::Entity::find()
        .filter(order::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.number))
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| {
            let currency = Currency::parse(&r.currency).unwrap_or(Currency::Idr);
            RefundView {
                id: r.id,
                order_number: numbers.get(&r.order_id).cloned().unwrap_or_default(),
                gateway: r.gateway,
                channel: r.channel,
                amount: Money::new(r.amount, currency).into(),
                reason: r.reason,
                status: r.status,
                note: r.note,
                created_at: r.created_at.to_rfc3339(),
            }
        })
        .collect())
}

/// Staff sent a manual (or failed) refund themselves: it is done. Only those two states can be
/// marked, so an issued refund is never counted twice. `false` when there was nothing to mark.
pub async fn mark_done(
    db: &DatabaseConnection,
    id: i32,
    staff_id: i32,
    note: &str,
) -> Result<bool, DbErr> {
    let changed = refund::Entity::update_many()
        .col_expr(refund::Column::Status, "done".into())
        .col_expr(refund::Column::ResolvedBy, Some(staff_id).into())
        .col_expr(
            refund::Column::Note,
            note.trim().chars().take(500).collect::<String>().into(),
        )
        .col_expr(refund::Column::UpdatedAt, Utc::now().into())
        .filter(refund::Column::Id.eq(id))
        .filter(refund::Column::Status.is_in(["manual", "failed"]))
        .exec(db)
        .await?
        .rows_affected;
    Ok(changed == 1)
}
