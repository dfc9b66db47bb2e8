//! Payments: the gateways (Stripe Payment Intents, Midtrans Snap, the labelled demo gateway),
//! their currency rules and webhook signatures. Checkout creates a pending payment per order;
//! gateway events move it, once each (idempotent by event id) and never backwards.
pub mod amounts;
pub mod demo;
pub mod events;
pub mod midtrans;
pub mod refunds;
pub mod signatures;
pub mod stripe;

pub use events::{apply_event, can_move, EventOutcome, GatewayEvent};

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use super::{config::Settings, db::order, db::payment};
use crate::{error::AppError, model::NextStep};

/// Why a payment could not be started.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error("The payment service did not answer ({0}). Your order is saved; try paying again in a moment.")]
    Gateway(String),
    #[error("{0} is not available in this shop.")]
    Unavailable(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<PaymentError> for AppError {
    fn from(e: PaymentError) -> Self {
        match e {
            PaymentError::Gateway(_) => AppError::Payment(e.to_string()),
            PaymentError::Unavailable(_) => AppError::Conflict(e.to_string()),
            PaymentError::Db(e) => e.into(),
        }
    }
}

/// What the shopper's browser does next to pay `order`: the demo page, Stripe's Payment
/// Element or Midtrans Snap. Nothing once the order is no longer awaiting payment.
pub async fn next_step(
    db: &impl ConnectionTrait,
    settings: &Settings,
    order: &order::Model,
) -> Result<NextStep, PaymentError> {
    if order.status != "pending" {
        return Ok(NextStep::None);
    }
    let Some(payment) = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order.id))
        .order_by_desc(payment::Column::Id)
        .one(db)
        .await?
    else {
        return Ok(NextStep::None);
    };
    next_step_for(db, settings, order, &payment).await
}

/// [`next_step`] for the order's latest payment, already at hand (just created at checkout).
pub async fn next_step_for(
    db: &impl ConnectionTrait,
    settings: &Settings,
    order: &order::Model,
    payment: &payment::Model,
) -> Result<NextStep, PaymentError> {
    if order.status != "pending" || payment.status != "pending" {
        return Ok(NextStep::None);
    }
    let next: serde_json::Value = serde_json::from_str(&payment.next_action).unwrap_or_default();
    let finish_url = format!(
        "{}orders/{}?key={}",
        settings.public_url, order.number, order.access_token
    );
    match payment.gateway.as_str() {
        demo::GATEWAY => Ok(NextStep::Demo {
            url: demo::payment_url(&order.number, &order.access_token),
        }),
        stripe::GATEWAY => {
            let publishable_key = settings
                .payments
                .stripe_publishable_key
                .clone()
                .ok_or_else(|| PaymentError::Unavailable("Stripe".into()))?;
            let client_secret = match next["client_secret"].as_str() {
                Some(secret) => secret.to_string(),
                None => {
                    let intent = stripe::create_intent(settings, order).await?;
                    remember(
                        db,
                        payment,
                        Some(intent.id),
                        serde_json::json!({ "client_secret": intent.client_secret }),
                    )
                    .await?;
                    intent.client_secret
                }
            };
            Ok(NextStep::Stripe {
                client_secret,
                publishable_key,
                return_url: finish_url,
            })
        }
        midtrans::GATEWAY => {
            let client_key = settings
                .payments
                .midtrans_client_key
                .clone()
                .ok_or_else(|| PaymentError::Unavailable("Midtrans".into()))?;
            let (token, redirect_url) = match (
                next["token"].as_str(),
                next["redirect_url"].as_str(),
            ) {
                (Some(t), Some(r)) => (t.to_string(), r.to_string()),
                _ => {
                    let items = super::db::order_item::Entity::find()
                        .filter(super::db::order_item::Column::OrderId.eq(order.id))
                        .order_by_asc(super::db::order_item::Column::Id)
                        .all(db)
                        .await?;
                    let snap =
                        midtrans::create_transaction(settings, order, &items, &finish_url).await?;
                    remember(
                        db,
                        payment,
                        payment.gateway_ref.clone(),
                        serde_json::json!({ "token": snap.token, "redirect_url": snap.redirect_url }),
                    )
                    .await?;
                    (snap.token, snap.redirect_url)
                }
            };
            Ok(NextStep::Midtrans {
                token,
                redirect_url,
                client_key,
                snap_js: format!(
                    "{}/snap/snap.js",
                    settings.payments.midtrans_snap_base.trim_end_matches('/')
                ),
            })
        }
        other => Err(PaymentError::Unavailable(other.to_string())),
    }
}

/// Keeps what the gateway gave us for this payment (its id, the browser's next step).
async fn remember(
    db: &impl ConnectionTrait,
    payment: &payment::Model,
    gateway_ref: Option<String>,
    next_action: serde_json::Value,
) -> Result<(), DbErr> {
    payment::Entity::update_many()
        .col_expr(payment::Column::GatewayRef, gateway_ref.into())
        .col_expr(payment::Column::NextAction, next_action.to_string().into())
        .col_expr(payment::Column::UpdatedAt, chrono::Utc::now().into())
        .filter(payment::Column::Id.eq(payment.id))
        .exec(db)
        .await?;
    Ok(())
}

/// Asks the gateways about payments still pending after `older_than`, so a missed webhook
/// cannot leave a paid order unconfirmed (or an abandoned one open past the gateway's own
/// expiry). Each answer goes through the same event path as a webhook. Returns how many
/// payments changed.
pub async fn reconcile_pending(
    db: &sea_orm::DatabaseConnection,
    cache: &dyn super::cache::Cache,
    settings: &Settings,
    older_than: chrono::Duration,
) -> Result<usize, DbErr> {
    let cutoff = chrono::Utc::now() - older_than;
    let stale = payment::Entity::find()
        .filter(payment::Column::Status.eq("pending"))
        .filter(payment::Column::Gateway.is_in([stripe::GATEWAY, midtrans::GATEWAY]))
        .filter(payment::Column::UpdatedAt.lte(cutoff))
        .all(db)
        .await?;
    let mut changed = 0;
    for p in stale {
        let event = match ask_gateway(settings, &p).await {
            Ok(Some(event)) => event,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(payment = p.id, gateway = %p.gateway, error = %e, "reconcile: gateway not reachable");
                continue;
            }
        };
        if event.status.is_none() {
            continue;
        }
        if apply_event(db, cache, event).await? == EventOutcome::Applied {
            changed += 1;
        }
    }
    Ok(changed)
}

/// What the gateway says about a payment now, as an event for [`apply_event`]: the Stripe
/// PaymentIntent read back, the Midtrans status API. `None` for the demo gateway and for a
/// payment the gateway has not been given yet.
pub async fn ask_gateway(
    settings: &Settings,
    p: &payment::Model,
) -> Result<Option<GatewayEvent>, PaymentError> {
    let Some(reference) = p.gateway_ref.clone() else {
        return Ok(None);
    };
    match p.gateway.as_str() {
        stripe::GATEWAY => {
            let intent = stripe::retrieve_intent(settings, &reference).await?;
            Ok(Some(GatewayEvent {
                gateway: stripe::GATEWAY.into(),
                event_id: format!(
                    "reconcile:{}:{}",
                    intent.id,
                    intent.status.unwrap_or("open")
                ),
                kind: "reconcile".into(),
                payment_ref: intent.id,
                channel: "card".into(),
                status: intent.status.map(str::to_string),
                amount: intent.amount,
                currency: Some(intent.currency),
                refunded: None,
                message: intent.failure,
                payload: String::new(),
            }))
        }
        midtrans::GATEWAY => Ok(Some(midtrans::to_event(
            midtrans::status(settings, &reference).await?,
            "",
        ))),
        _ => Ok(None),
    }
}

/// Closes a payment on the gateway's side after its order expired here, so it cannot take
/// money any more: the PaymentIntent is cancelled, the Midtrans transaction expired. Money that
/// still gets through (a race with the shopper) arrives as a late payment and is handled there.
pub async fn close_at_gateway(settings: &Settings, p: &payment::Model) -> Result<(), PaymentError> {
    let Some(reference) = p.gateway_ref.as_deref() else {
        return Ok(());
    };
    match p.gateway.as_str() {
        stripe::GATEWAY => stripe::cancel_intent(settings, reference).await,
        midtrans::GATEWAY => midtrans::expire(settings, reference).await,
        _ => Ok(()),
    }
}

/// Runs [`reconcile_pending`] every minute for payments pending over two minutes.
pub fn spawn_reconciler(state: super::state::AppState) {
    let has_gateway = state
        .settings
        .payments
        .enabled
        .iter()
        .any(|g| g == stripe::GATEWAY || g == midtrans::GATEWAY);
    if !has_gateway {
        return;
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match reconcile_pending(
                &state.db,
                state.cache.as_ref(),
                &state.settings,
                chrono::Duration::minutes(2),
            )
            .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(payments = n, "reconciled payments with the gateways"),
                Err(e) => tracing::warn!(error = %e, "reconcile failed; retrying next round"),
            }
        }
    });
}
