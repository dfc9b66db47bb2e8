//! The refund ledger's payment side: money to give back, queued in the same transaction as
//! what calls for it (a staff refund, a cancelled paid order, a payment that arrived after its
//! order closed and its stock went), so it is never silent; issued through the gateway where
//! its API can send money back (Stripe; Midtrans cards and e-wallets; the demo gateway moves
//! none), otherwise left for staff to refund by bank transfer and mark done at
//! `/admin/refunds`. The gateway's confirmation, not the request, settles a refund.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, Set,
};

use super::{demo, midtrans, stripe, PaymentError};
use crate::{
    model::{Currency, Money, RefundStatus, RefundView, TimelineKind},
    server::{
        cache::Cache,
        config::Settings,
        db::{order, payment, refund},
    },
};

/// Whether the gateway's API can refund a payment made this way.
pub fn refundable_by_api(gateway: &str, channel: &str) -> bool {
    match gateway {
        stripe::GATEWAY | demo::GATEWAY => true,
        midtrans::GATEWAY => midtrans::refundable_by_api(channel),
        _ => false,
    }
}

/// Queues the refund of a late payment, in the caller's transaction: `pending` when the gateway
/// can send it back, `manual` when staff must. One per payment (its key says so).
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
    insert(
        db,
        NewRefund {
            order,
            payment,
            channel,
            amount: payment.amount,
            reason: &reason,
            key: format!("late-payment-{}", payment.id),
            requested_by: None,
        },
    )
    .await
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
    // The payment is locked by the caller: the count is stable, so the key is unique.
    let earlier = refund::Entity::find()
        .filter(refund::Column::PaymentId.eq(payment.id))
        .count(db)
        .await?;
    insert(
        db,
        NewRefund {
            order,
            payment,
            channel: &payment.channel,
            amount,
            reason,
            key: format!("cancel-{}-{}", payment.id, earlier + 1),
            requested_by: None,
        },
    )
    .await
}

/// A refund about to be written.
pub struct NewRefund<'a> {
    pub order: &'a order::Model,
    pub payment: &'a payment::Model,
    pub channel: &'a str,
    pub amount: i64,
    pub reason: &'a str,
    pub key: String,
    pub requested_by: Option<i32>,
}

/// Writes a refund row, in the caller's transaction (which holds the payment's lock and has
/// checked the bounds).
pub async fn insert(db: &impl ConnectionTrait, new: NewRefund<'_>) -> Result<refund::Model, DbErr> {
    let now = Utc::now();
    let status = if refundable_by_api(&new.payment.gateway, new.channel) {
        RefundStatus::Pending
    } else {
        RefundStatus::Manual
    };
    refund::ActiveModel {
        order_id: Set(new.order.id),
        payment_id: Set(new.payment.id),
        gateway: Set(new.payment.gateway.clone()),
        channel: Set(new.channel.chars().take(32).collect()),
        amount: Set(new.amount),
        currency: Set(new.payment.currency.clone()),
        reason: Set(new.reason.chars().take(200).collect()),
        status: Set(status.as_str().into()),
        gateway_ref: Set(None),
        note: Set(String::new()),
        resolved_by: Set(None),
        idempotency_key: Set(Some(new.key.chars().take(128).collect())),
        requested_by: Set(new.requested_by),
        confirmed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// What a payment has given back or promised to: every refund of it, in any state (a failed
/// one stays outstanding until staff retry it or send it by hand).
pub async fn committed_for(db: &impl ConnectionTrait, payment_id: i32) -> Result<i64, DbErr> {
    Ok(refund::Entity::find()
        .filter(refund::Column::PaymentId.eq(payment_id))
        .all(db)
        .await?
        .iter()
        .map(|r| r.amount)
        .sum())
}

async fn set_outcome(
    db: &DatabaseConnection,
    id: i32,
    status: RefundStatus,
    gateway_ref: Option<String>,
    note: &str,
) -> Result<(), DbErr> {
    refund::Entity::update_many()
        .col_expr(refund::Column::Status, status.as_str().into())
        .col_expr(refund::Column::GatewayRef, gateway_ref.into())
        .col_expr(
            refund::Column::Note,
            note.chars().take(500).collect::<String>().into(),
        )
        .col_expr(refund::Column::UpdatedAt, Utc::now().into())
        .filter(refund::Column::Id.eq(id))
        .filter(refund::Column::Status.eq(RefundStatus::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Sends every `pending` refund through its gateway (after the commit that queued it: never a
/// network call inside a transaction). Each carries an idempotency key derived from its id, so
/// two processes, or a retry after a timeout, refund once. Accepted refunds are `issued`; the
/// payment's status follows when the gateway confirms (its webhook; the demo gateway confirms
/// at once, through the same event path). A refusal leaves it `failed` with the gateway's words
/// for staff. Returns how many were issued.
pub async fn issue_pending(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    settings: &Settings,
) -> Result<usize, DbErr> {
    let pending = refund::Entity::find()
        .filter(refund::Column::Status.eq(RefundStatus::Pending.as_str()))
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
                    "Accepted by the gateway; awaiting its confirmation."
                };
                set_outcome(db, r.id, RefundStatus::Issued, gateway_ref, note).await?;
                issued += 1;
                if r.gateway == demo::GATEWAY {
                    demo::confirm_refund(db, cache, &p, r.id).await?;
                }
            }
            Err(e) => {
                tracing::warn!(refund = r.id, gateway = %r.gateway, error = %e, "refund not issued");
                set_outcome(db, r.id, RefundStatus::Failed, None, &e.to_string()).await?;
            }
        }
    }
    Ok(issued)
}

/// The gateway confirms refunds of a payment (its webhook, in the event's transaction, the
/// payment row locked): issued refunds become `confirmed`, oldest first, as far as the
/// gateway's refunded total covers them (all of them when it does not say). Each one is noted
/// on the order's timeline. Returns how many were confirmed.
pub async fn confirm_issued(
    txn: &impl ConnectionTrait,
    payment: &payment::Model,
    refunded_total: Option<i64>,
) -> Result<usize, DbErr> {
    let all = refund::Entity::find()
        .filter(refund::Column::PaymentId.eq(payment.id))
        .order_by_asc(refund::Column::Id)
        .all(txn)
        .await?;
    let mut covered: i64 = all
        .iter()
        .filter(|r| r.status == RefundStatus::Confirmed.as_str())
        .map(|r| r.amount)
        .sum();
    let currency = Currency::parse(&payment.currency).unwrap_or(Currency::Idr);
    let mut confirmed = 0;
    for r in all
        .iter()
        .filter(|r| r.status == RefundStatus::Issued.as_str())
    {
        if refunded_total.is_some_and(|total| covered + r.amount > total) {
            break;
        }
        covered += r.amount;
        let now = Utc::now();
        refund::Entity::update_many()
            .col_expr(
                refund::Column::Status,
                RefundStatus::Confirmed.as_str().into(),
            )
            .col_expr(refund::Column::ConfirmedAt, Some(now).into())
            .col_expr(refund::Column::UpdatedAt, now.into())
            .filter(refund::Column::Id.eq(r.id))
            .exec(txn)
            .await?;
        crate::server::orders::record(
            txn,
            r.order_id,
            TimelineKind::Payment,
            &crate::server::orders::Actor::system(),
            None,
            None,
            &format!(
                "{} confirms the refund of {}.",
                payment.gateway,
                Money::new(r.amount, currency).format()
            ),
        )
        .await?;
        crate::server::orders::emit(
            txn,
            "refund.confirmed",
            &format!("order:{}", r.order_id),
            serde_json::json!({ "order_id": r.order_id, "refund_id": r.id, "amount": r.amount }),
        )
        .await?;
        confirmed += 1;
    }
    Ok(confirmed)
}

/// Staff send a failed refund through the gateway again (the same refund: the same key).
pub async fn retry(db: &DatabaseConnection, id: i32) -> Result<bool, DbErr> {
    let changed = refund::Entity::update_many()
        .col_expr(
            refund::Column::Status,
            RefundStatus::Pending.as_str().into(),
        )
        .col_expr(refund::Column::UpdatedAt, Utc::now().into())
        .filter(refund::Column::Id.eq(id))
        .filter(refund::Column::Status.eq(RefundStatus::Failed.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    Ok(changed == 1)
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
        .col_expr(refund::Column::Status, RefundStatus::Done.as_str().into())
        .col_expr(refund::Column::ResolvedBy, Some(staff_id).into())
        .col_expr(
            refund::Column::Note,
            note.trim().chars().take(500).collect::<String>().into(),
        )
        .col_expr(refund::Column::UpdatedAt, Utc::now().into())
        .filter(refund::Column::Id.eq(id))
        .filter(
            refund::Column::Status
                .is_in([RefundStatus::Manual.as_str(), RefundStatus::Failed.as_str()]),
        )
        .exec(db)
        .await?
        .rows_affected;
    Ok(changed == 1)
}
