//! The background round: unpaid orders past their time expire (after asking the gateway),
//! queued refunds are sent, lapsed carts are swept.
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};

use super::close_unpaid;
use crate::server::{
    cart,
    config::Settings,
    db::{order, payment},
};

/// Expires every pending order past its time; returns how many. Safe to run from several
/// processes at once.
///
/// A real gateway is asked first: a payment it reports as made is confirmed instead (a missed
/// webhook must not cost the shopper their order). If it cannot be reached the order waits for
/// the next round, for at most [`GATEWAY_SILENCE`], then expires anyway so stock is not held
/// for ever. Once expired, the payment is closed on the gateway's side too (the PaymentIntent
/// cancelled, the Midtrans transaction expired); money that still gets through is a late
/// payment (`payments::events`).
pub async fn expire_overdue(
    db: &DatabaseConnection,
    cache: &dyn crate::server::cache::Cache,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let overdue = order::Entity::find()
        .filter(order::Column::Status.eq("pending"))
        .filter(order::Column::ExpiresAt.lte(now))
        .order_by_asc(order::Column::ExpiresAt)
        .all(db)
        .await?;
    let mut expired = 0;
    for order in overdue {
        let open_payments = payment::Entity::find()
            .filter(payment::Column::OrderId.eq(order.id))
            .filter(payment::Column::Status.is_in(["pending", "failed"]))
            .all(db)
            .await?;
        let mut paid_meanwhile = false;
        let mut unreachable = false;
        for p in &open_payments {
            match crate::server::payments::ask_gateway(settings, p).await {
                Ok(Some(event)) if event.status.as_deref() == Some("paid") => {
                    crate::server::payments::apply_event(db, cache, event).await?;
                    paid_meanwhile = true;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(order = %order.number, gateway = %p.gateway, error = %e, "expiry: could not ask the gateway");
                    unreachable = true;
                }
            }
        }
        let silent_too_long = order
            .expires_at
            .is_some_and(|at| now - at > GATEWAY_SILENCE);
        if paid_meanwhile || (unreachable && !silent_too_long) {
            continue;
        }
        let txn = db.begin().await?;
        // Payment rows first, as the event path locks them: a payment event racing this
        // expiry waits for it (and then sees the expired order) instead of deadlocking.
        payment::Entity::find()
            .filter(payment::Column::OrderId.eq(order.id))
            .lock_exclusive()
            .all(&txn)
            .await?;
        let closed = close_unpaid(
            &txn,
            order.id,
            "expired",
            "expired",
            &super::Actor::system(),
            "Not paid in time.",
        )
        .await?;
        if closed {
            payment::Entity::update_many()
                .col_expr(payment::Column::Status, "expired".into())
                .col_expr(payment::Column::UpdatedAt, Utc::now().into())
                .filter(payment::Column::OrderId.eq(order.id))
                .filter(payment::Column::Status.is_in(["pending", "failed"]))
                .exec(&txn)
                .await?;
            expired += 1;
        }
        txn.commit().await?;
        if closed {
            crate::server::catalog::cache::invalidate(cache).await;
            for p in &open_payments {
                if let Err(e) = crate::server::payments::close_at_gateway(settings, p).await {
                    tracing::warn!(order = %order.number, gateway = %p.gateway, error = %e, "expiry: could not close the payment at the gateway");
                }
            }
        }
    }
    Ok(expired)
}

/// How long past its expiry an order waits for a gateway that does not answer.
pub const GATEWAY_SILENCE: Duration = Duration::hours(1);

/// Runs [`expire_overdue`] every `every`, for as long as the server runs, sends queued
/// refunds, and once an hour deletes lapsed carts. Orders live in the database, so a restart
/// loses nothing: the next round picks up whatever fell due meanwhile.
pub fn spawn_expiry_job(state: crate::server::state::AppState, every: std::time::Duration) {
    const CART_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Not at start-up: a lapsed cart already reads as empty, so the sweep is only
        // housekeeping and need not compete with start-up writes (seeding, imports).
        let mut carts_swept = std::time::Instant::now();
        loop {
            tick.tick().await;
            if carts_swept.elapsed() >= CART_SWEEP_EVERY {
                carts_swept = std::time::Instant::now();
                match cart::sweep_lapsed(&state.db).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(lines = n, "deleted lapsed carts"),
                    Err(e) => tracing::warn!(error = %e, "cart sweep failed; retrying in an hour"),
                }
            }
            match expire_overdue(&state.db, state.cache.as_ref(), &state.settings, Utc::now()).await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(orders = n, "expired unpaid orders"),
                Err(e) => tracing::warn!(error = %e, "order expiry failed; retrying next round"),
            }
            match crate::server::payments::refunds::issue_pending(
                &state.db,
                state.cache.as_ref(),
                &state.settings,
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(refunds = n, "refunds issued through the gateways"),
                Err(e) => tracing::warn!(error = %e, "refunds failed; retrying next round"),
            }
        }
    });
}
