//! `refunds`: money to give back, one row per case. Today it holds payments that arrived after
//! their order closed and could not be matched to stock again: issued through the gateway where
//! its API can (Stripe; Midtrans card and e-wallet payments), otherwise waiting for staff to
//! send a bank transfer and mark it done. Nothing paid is ever left without a row here or a
//! confirmed order. The order-management screens build on the same table.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    OrderId,
    PaymentId,
    Gateway,
    /// How the shopper paid (Midtrans `payment_type`, `card` for Stripe), which decides
    /// whether the gateway can send the money back.
    Channel,
    Amount,
    Currency,
    Reason,
    /// `pending` (to issue through the gateway), `issued`, `failed` (the gateway refused; staff
    /// retry or pay by hand), `manual` (a bank refund staff must send), `done` (sent by hand).
    Status,
    GatewayRef,
    Note,
    ResolvedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Refunds::Table)
                    .if_not_exists()
                    .col(pk_auto(Refunds::Id))
                    .col(integer(Refunds::OrderId))
                    .col(integer(Refunds::PaymentId))
                    .col(string_len(Refunds::Gateway, 16))
                    .col(string_len(Refunds::Channel, 32).default(""))
                    .col(big_integer(Refunds::Amount))
                    .col(string_len(Refunds::Currency, 3))
                    .col(string_len(Refunds::Reason, 200))
                    .col(string_len(Refunds::Status, 16))
                    .col(string_len_null(Refunds::GatewayRef, 128))
                    .col(string_len(Refunds::Note, 500).default(""))
                    .col(integer_null(Refunds::ResolvedBy))
                    .col(timestamp_with_time_zone(Refunds::CreatedAt))
                    .col(timestamp_with_time_zone(Refunds::UpdatedAt))
                    .check(Expr::col(Refunds::Amount).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refunds_order")
                            .from(Refunds::Table, Refunds::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refunds_payment")
                            .from(Refunds::Table, Refunds::PaymentId)
                            .to(Payments::Table, Payments::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        // One refund per payment for late money: a redelivered event cannot queue a second.
        manager
            .create_index(
                Index::create()
                    .name("uq_refunds_payment")
                    .table(Refunds::Table)
                    .col(Refunds::PaymentId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refunds_status")
                    .table(Refunds::Table)
                    .col(Refunds::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Refunds::Table).to_owned())
            .await
    }
}
