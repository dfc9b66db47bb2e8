//! `emails`: the mail queue. The outbox consumer writes each email here, rendered, in the same
//! transaction that marks its fact processed; the sender marks it sent or, after a failure,
//! counts the attempt and sets when to try again. One email per (fact, kind, address).
//! Facts recorded before this migration are marked processed: upgrading does not email
//! customers about old orders.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    OutboxEventId,
    Kind,
    ToAddress,
    Subject,
    TextBody,
    HtmlBody,
    /// `queued` or `sent`.
    Status,
    Attempts,
    NextAttemptAt,
    LastError,
    SentAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Emails::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(Emails::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(big_integer_null(Emails::OutboxEventId))
                    .col(string_len(Emails::Kind, 64))
                    .col(string_len(Emails::ToAddress, 320))
                    .col(string_len(Emails::Subject, 300))
                    .col(text(Emails::TextBody))
                    .col(text(Emails::HtmlBody))
                    .col(string_len(Emails::Status, 16).default("queued"))
                    .col(integer(Emails::Attempts).default(0))
                    .col(timestamp_with_time_zone(Emails::NextAttemptAt))
                    .col(text(Emails::LastError).default(""))
                    .col(timestamp_with_time_zone_null(Emails::SentAt))
                    .col(timestamp_with_time_zone(Emails::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_emails_event_kind_to")
                    .table(Emails::Table)
                    .col(Emails::OutboxEventId)
                    .col(Emails::Kind)
                    .col(Emails::ToAddress)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_emails_due")
                    .table(Emails::Table)
                    .col(Emails::Status)
                    .col(Emails::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE outbox_events SET processed_at = created_at WHERE processed_at IS NULL",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Emails::Table).to_owned())
            .await
    }
}
