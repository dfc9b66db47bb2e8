//! Checkout and payments: the units each order holds in which warehouse, its payments, every
//! gateway event stored once, and the outbox that later features (emails, analytics) read.
//! Orders gain a random access token (guests see their order through it) and the cart it came
//! from (emptied when the payment succeeds).
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261126_000003_create_catalog::ProductVariants,
    m20261126_000004_create_inventory::Warehouses, m20261126_000006_reviews_and_orders::Orders,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for mut column in [
            string_len(NewOrderColumns::AccessToken, 64),
            string_len_null(NewOrderColumns::CartKey, 160),
            string_len(NewOrderColumns::PaymentMethod, 16),
        ] {
            if column.get_column_name() != "cart_key" {
                column.default("");
            }
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_status_expires")
                    .table(Orders::Table)
                    .col(Orders::Status)
                    .col(Orders::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        // Units an order holds per warehouse: `held` while unpaid, then `sold` or `released`.
        manager
            .create_table(
                Table::create()
                    .table(OrderReservations::Table)
                    .if_not_exists()
                    .col(pk_auto(OrderReservations::Id))
                    .col(integer(OrderReservations::OrderId))
                    .col(integer(OrderReservations::VariantId))
                    .col(integer(OrderReservations::WarehouseId))
                    .col(integer(OrderReservations::Quantity))
                    .col(string_len(OrderReservations::State, 16).default("held"))
                    .check(Expr::col(OrderReservations::Quantity).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reservations_order")
                            .from(OrderReservations::Table, OrderReservations::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reservations_variant")
                            .from(OrderReservations::Table, OrderReservations::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reservations_warehouse")
                            .from(OrderReservations::Table, OrderReservations::WarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_reservations_order")
                    .table(OrderReservations::Table)
                    .col(OrderReservations::OrderId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Payments::Table)
                    .if_not_exists()
                    .col(pk_auto(Payments::Id))
                    .col(integer(Payments::OrderId))
                    .col(string_len(Payments::Gateway, 16))
                    // PaymentIntent id (Stripe), order id (Midtrans, demo).
                    .col(string_len_null(Payments::GatewayRef, 128))
                    .col(big_integer(Payments::Amount))
                    .col(string_len(Payments::Currency, 3))
                    .col(string_len(Payments::Status, 24).default("pending"))
                    // What the shopper's browser does next (JSON): client secret, Snap token…
                    .col(text(Payments::NextAction).default("{}"))
                    .col(string_len(Payments::FailureMessage, 500).default(""))
                    .col(timestamp_with_time_zone(Payments::CreatedAt))
                    .col(timestamp_with_time_zone(Payments::UpdatedAt))
                    .check(Expr::col(Payments::Amount).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payments_order")
                            .from(Payments::Table, Payments::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_payments_order")
                    .table(Payments::Table)
                    .col(Payments::OrderId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_payments_gateway_ref")
                    .table(Payments::Table)
                    .col(Payments::Gateway)
                    .col(Payments::GatewayRef)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_payments_status_updated")
                    .table(Payments::Table)
                    .col(Payments::Status)
                    .col(Payments::UpdatedAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PaymentEvents::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(PaymentEvents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(PaymentEvents::Gateway, 16))
                    .col(string_len(PaymentEvents::EventId, 255))
                    .col(integer_null(PaymentEvents::PaymentId))
                    .col(string_len(PaymentEvents::Kind, 64))
                    // What the event did: applied, ignored (stale or duplicate state), rejected.
                    .col(string_len(PaymentEvents::Outcome, 16))
                    .col(string_len(PaymentEvents::Note, 500).default(""))
                    .col(text(PaymentEvents::Payload))
                    .col(timestamp_with_time_zone(PaymentEvents::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_payment_events_payment")
                            .from(PaymentEvents::Table, PaymentEvents::PaymentId)
                            .to(Payments::Table, Payments::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_payment_events_gateway_event")
                    .table(PaymentEvents::Table)
                    .col(PaymentEvents::Gateway)
                    .col(PaymentEvents::EventId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboxEvents::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(OutboxEvents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(string_len(OutboxEvents::Kind, 64))
                    .col(string_len(OutboxEvents::Reference, 64))
                    .col(text(OutboxEvents::Payload))
                    .col(timestamp_with_time_zone(OutboxEvents::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboxEvents::ProcessedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_unprocessed")
                    .table(OutboxEvents::Table)
                    .col(OutboxEvents::ProcessedAt)
                    .col(OutboxEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboxEvents::Table.into_iden(),
            PaymentEvents::Table.into_iden(),
            Payments::Table.into_iden(),
            OrderReservations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_orders_status_expires")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            NewOrderColumns::AccessToken,
            NewOrderColumns::CartKey,
            NewOrderColumns::PaymentMethod,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum NewOrderColumns {
    AccessToken,
    CartKey,
    PaymentMethod,
}

#[derive(DeriveIden)]
pub enum OrderReservations {
    Table,
    Id,
    OrderId,
    VariantId,
    WarehouseId,
    Quantity,
    State,
}

#[derive(DeriveIden)]
pub enum Payments {
    Table,
    Id,
    OrderId,
    Gateway,
    GatewayRef,
    Amount,
    Currency,
    Status,
    NextAction,
    FailureMessage,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum PaymentEvents {
    Table,
    Id,
    Gateway,
    EventId,
    PaymentId,
    Kind,
    Outcome,
    Note,
    Payload,
    ReceivedAt,
}

#[derive(DeriveIden)]
pub enum OutboxEvents {
    Table,
    Id,
    Kind,
    Reference,
    Payload,
    CreatedAt,
    ProcessedAt,
}
