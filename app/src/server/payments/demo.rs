//! The demo gateway: a page in the shop itself where the shopper approves or declines, for
//! local runs and tests without gateway keys. Labelled as a demo wherever it appears, off once
//! real keys are set (unless enabled explicitly), and its decisions travel the same event path
//! as real webhooks, so what it shows is what Stripe or Midtrans would do.
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::{apply_event, EventOutcome, GatewayEvent};
use crate::{
    error::AppError,
    model::OrderView,
    server::{
        cache::Cache,
        db::{order, payment},
        orders,
        state::AppState,
    },
};

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
            refunded: None,
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

/// Approves or declines a demo payment; shared by the API and the demo page.
pub async fn decide_for(
    state: &AppState,
    order: &order::Model,
    approve: bool,
) -> Result<OrderView, AppError> {
    if order.payment_method != GATEWAY {
        return Err(AppError::Conflict(
            "This order is not paid through the demo gateway.".into(),
        ));
    }
    match decide(&state.db, state.cache.as_ref(), &order.number, approve).await? {
        None => Err(AppError::NotFound("No such order.".into())),
        Some(EventOutcome::Rejected(why)) => Err(AppError::Conflict(why)),
        Some(EventOutcome::UnknownPayment) => Err(AppError::NotFound("No such order.".into())),
        Some(outcome) => {
            if outcome == EventOutcome::Applied {
                if let Err(e) =
                    super::refunds::issue_pending(&state.db, state.cache.as_ref(), &state.settings)
                        .await
                {
                    tracing::warn!(error = %e, "refunds: will retry next round");
                }
            }
            let fresh = orders::find_order(
                &state.db,
                &order.number,
                orders::Viewer::Token(&order.access_token),
            )
            .await?
            .ok_or(AppError::Internal)?;
            Ok(orders::order_view(&state.db, &fresh).await?)
        }
    }
}

/// The demo gateway confirms a refund it was given, as a real gateway's webhook would and
/// through the same event path: the refunded total so far, the payment refunded in full or in
/// part. A repeat is the same event id, a no-op.
pub async fn confirm_refund(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    payment: &payment::Model,
    refund_id: i32,
) -> Result<(), DbErr> {
    let sent: i64 = crate::server::db::refund::Entity::find()
        .filter(crate::server::db::refund::Column::PaymentId.eq(payment.id))
        .filter(crate::server::db::refund::Column::Status.is_in([
            crate::model::RefundStatus::Issued.as_str(),
            crate::model::RefundStatus::Confirmed.as_str(),
        ]))
        .all(db)
        .await?
        .iter()
        .map(|r| r.amount)
        .sum();
    let status = if sent >= payment.amount {
        "refunded"
    } else {
        "partially_refunded"
    };
    let reference = payment.gateway_ref.clone().unwrap_or_default();
    apply_event(
        db,
        cache,
        GatewayEvent {
            gateway: GATEWAY.into(),
            event_id: format!("demo-refund-{refund_id}"),
            kind: "demo.refund".into(),
            payment_ref: reference.clone(),
            channel: String::new(),
            status: Some(status.into()),
            amount: Some(payment.amount),
            currency: Some(payment.currency.clone()),
            refunded: Some(sent),
            message: String::new(),
            payload:
                serde_json::json!({ "order": reference, "refund": refund_id, "refunded": sent })
                    .to_string(),
        },
    )
    .await?;
    Ok(())
}
