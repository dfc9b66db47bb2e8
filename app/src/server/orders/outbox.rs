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
        counted_at: Set(None),
        ..Default::default()
    }
}

/// Hands unprocessed facts to their consumers (emails today; analytics later), oldest first,
/// each marked processed in the same transaction as what its consumers wrote: a fact is
/// handled once. On PostgreSQL the rows are claimed with `FOR UPDATE SKIP LOCKED`, so several
/// processes drain side by side without taking the same fact; SQLite has one writer. Returns
/// how many facts were handled.
pub async fn drain(
    db: &sea_orm::DatabaseConnection,
    settings: &crate::server::config::Settings,
) -> Result<usize, DbErr> {
    use sea_orm::{
        sea_query::{LockBehavior, LockType},
        ColumnTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
        TransactionTrait,
    };
    const BATCH: u64 = 50;
    let mut handled = 0;
    loop {
        let txn = db.begin().await?;
        if db.get_database_backend() == DbBackend::Sqlite {
            // Take the write lock first: a second drain waits here instead of failing to
            // upgrade its read later.
            txn.execute_unprepared(
                "UPDATE outbox_events SET processed_at = processed_at WHERE id = 0",
            )
            .await?;
        }
        let mut query = outbox_event::Entity::find()
            .filter(outbox_event::Column::ProcessedAt.is_null())
            .order_by_asc(outbox_event::Column::Id)
            .limit(BATCH);
        if db.get_database_backend() == DbBackend::Postgres {
            query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let batch = query.all(&txn).await?;
        if batch.is_empty() {
            txn.rollback().await?;
            return Ok(handled);
        }
        let now = Utc::now();
        for event in &batch {
            crate::server::emails::plan(&txn, settings, event).await?;
            outbox_event::Entity::update_many()
                .col_expr(outbox_event::Column::ProcessedAt, Some(now).into())
                .filter(outbox_event::Column::Id.eq(event.id))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        handled += batch.len();
        if (batch.len() as u64) < BATCH {
            return Ok(handled);
        }
    }
}
