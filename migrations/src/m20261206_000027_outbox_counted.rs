//! Analytics reads the outbox on its own cursor: `outbox_events.counted_at` is set once a fact
//! is in the counters, independent of `processed_at` (emails), so Redis being away never holds
//! up an email and an email failing never holds up the counters.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    CountedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEvents::Table)
                    .add_column(timestamp_with_time_zone_null(OutboxEvents::CountedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_events_counted")
                    .table(OutboxEvents::Table)
                    .col(OutboxEvents::CountedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_outbox_events_counted")
                    .table(OutboxEvents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxEvents::Table)
                    .drop_column(OutboxEvents::CountedAt)
                    .to_owned(),
            )
            .await
    }
}
