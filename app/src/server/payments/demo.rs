//! The demo gateway: a page in the shop itself where the shopper approves or declines, for
//! local runs and tests without gateway keys. Labelled as a demo wherever it appears, off once
//! real keys are set (unless enabled explicitly), and its decisions travel the same event path
//! as real webhooks, so what it shows is what Stripe or Midtrans would do.
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::{apply_event, EventOutcome, GatewayEvent};
use crate::server::{cache::Cache, db::payment};

pub const GATEWAY: &str = "demo";

/// The demo payment page of an order (`key` lets a guest in).
pub fn payment_url(number: &str, access_token: &str) -> String {
    format!("/pay/demo/{number}?key={access_token}")
}

/// Approves or declines the demo payment of an order. Pressing a button twice sends the same
/// event id, which the event store turns into a no-op.
pub async fn decide(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    order_number: &str,
    approve: bool,
) -> Result<Option<EventOutcome>, DbErr> {
    let Some(payment) = payment::Entity::find()
        .filter(payment::Column::Gateway.eq(GATEWAY))
        .filter(payment::Column::GatewayRef.eq(order_number))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let decision = if approve { "approve" } else { "decline" };
    let outcome = apply_event(
        db,
        cache,
        GatewayEvent {
            gateway: GATEWAY.into(),
            event_id: format!("demo-{order_number}-{decision}"),
            kind: format!("demo.{decision}"),
            payment_ref: order_number.into(),
            channel: GATEWAY.into(),
            status: Some(if approve { "paid" } else { "failed" }.into()),
            amount: Some(payment.amount),
            currency: Some(payment.currency.clone()),
            message: if approve {
                String::new()
            } else {
                "The demo payment was declined. Nothing was charged; you can try again.".into()
            },
            payload: serde_json::json!({ "order": order_number, "decision": decision }).to_string(),
        },
    )
    .await?;
    Ok(Some(outcome))
}
