//! `return_requests`: a customer asks to send back items of a shipped or delivered order, with
//! a reason; staff approve or reject it. At most one open request per order (checked with the
//! order locked). The money goes back through a refund, once the goods are in.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReturnRequests {
    Table,
    Id,
    OrderId,
    /// `requested`, `approved` or `rejected`.
    Status,
    Reason,
    /// JSON: `[{"item_id": 1, "quantity": 2}]`.
    Lines,
    RequestedBy,
    DecidedBy,
    DecisionNote,
    CreatedAt,
    DecidedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReturnRequests::Table)
                    .if_not_exists()
                    .col(pk_auto(ReturnRequests::Id))
                    .col(integer(ReturnRequests::OrderId))
                    .col(string_len(ReturnRequests::Status, 16).default("requested"))
                    .col(text(ReturnRequests::Reason))
                    .col(text(ReturnRequests::Lines))
                    .col(string_len(ReturnRequests::RequestedBy, 320))
                    .col(string_len(ReturnRequests::DecidedBy, 320).default(""))
                    .col(text(ReturnRequests::DecisionNote).default(""))
                    .col(timestamp_with_time_zone(ReturnRequests::CreatedAt))
                    .col(timestamp_with_time_zone_null(ReturnRequests::DecidedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_return_requests_order")
                            .from(ReturnRequests::Table, ReturnRequests::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_return_requests_order")
                    .table(ReturnRequests::Table)
                    .col(ReturnRequests::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_return_requests_status")
                    .table(ReturnRequests::Table)
                    .col(ReturnRequests::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReturnRequests::Table).to_owned())
            .await
    }
}
