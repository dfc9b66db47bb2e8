//! The refund ledger: a payment may be refunded many times (by amount, or by line items with a
//! restock choice each), so the one-refund-per-payment index goes; each refund carries the
//! idempotency key it was asked with (unique: a retried request finds the refund it made) and
//! who asked; `refund_lines` say which units (or the shipping fee) it gives money back for.
//! The bounds (never more than captured, per payment and per line) are checked by the code
//! under the payment's row lock, where pending refunds are counted too.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    IdempotencyKey,
    RequestedBy,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum RefundLines {
    Table,
    Id,
    RefundId,
    /// The order line; NULL for the shipping fee.
    OrderItemId,
    Quantity,
    Amount,
    /// Whether the units went back on sale (`true`) or were written off as not resellable.
    Restock,
}

#[derive(DeriveIden)]
enum OrderItems {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // `partially_refunded` (18 characters) did not fit the order's payment status on
        // PostgreSQL (SQLite does not enforce lengths, nor can it alter a column).
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE orders ALTER COLUMN payment_status TYPE varchar(24)",
                )
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("uq_refunds_payment")
                    .table(Refunds::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            ColumnDef::new(Refunds::IdempotencyKey)
                .string_len(128)
                .null()
                .to_owned(),
            ColumnDef::new(Refunds::RequestedBy)
                .integer()
                .null()
                .to_owned(),
            ColumnDef::new(Refunds::ConfirmedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Refunds::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        // Refunds made before the ledger: the late-payment ones keep their old uniqueness
        // (one per payment) through their key.
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE refunds SET idempotency_key = CASE \
                 WHEN reason LIKE 'Paid after%' THEN 'late-payment-' || CAST(payment_id AS TEXT) \
                 ELSE 'refund-' || CAST(id AS TEXT) END",
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_refunds_idempotency_key")
                    .table(Refunds::Table)
                    .col(Refunds::IdempotencyKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RefundLines::Table)
                    .if_not_exists()
                    .col(pk_auto(RefundLines::Id))
                    .col(integer(RefundLines::RefundId))
                    .col(integer_null(RefundLines::OrderItemId))
                    .col(integer(RefundLines::Quantity))
                    .col(big_integer(RefundLines::Amount))
                    .col(boolean(RefundLines::Restock).default(false))
                    .check(Expr::col(RefundLines::Quantity).gt(0))
                    .check(Expr::col(RefundLines::Amount).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refund_lines_refund")
                            .from(RefundLines::Table, RefundLines::RefundId)
                            .to(Refunds::Table, Refunds::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_refund_lines_item")
                            .from(RefundLines::Table, RefundLines::OrderItemId)
                            .to(OrderItems::Table, OrderItems::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_refund_lines_refund")
                    .table(RefundLines::Table)
                    .col(RefundLines::RefundId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RefundLines::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("uq_refunds_idempotency_key")
                    .table(Refunds::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Refunds::IdempotencyKey,
            Refunds::RequestedBy,
            Refunds::ConfirmedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Refunds::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
