//! The transactional outbox: facts about orders and payments (placed, paid, cancelled, refund
//! needed), written in the same transaction as the change, for later consumers (emails, the
//! staff's queues, analytics).
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, Set};

use crate::server::db::outbox_event;

/// Records a fact for later consumers (emails, analytics) in the caller's transaction.
pub async fn emit(
    db: &impl ConnectionTrait,
    kind: &str,
    reference: &str,
    payload: serde_json::Value,
) -> Result<(), DbErr> {
    outbox_row(kind, reference, payload).insert(db).await?;
    Ok(())
}

pub fn outbox_row(
    kind: &str,
    reference: &str,
    payload: serde_json::Value,
) -> outbox_event::ActiveModel {
    outbox_event::ActiveModel {
        kind: Set(kind.into()),
        reference: Set(reference.into()),
        payload: Set(payload.to_string()),
        created_at: Set(Utc::now()),
        processed_at: Set(None),
        ..Default::default()
    }
}
