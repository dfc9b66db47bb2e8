//! The order workflow: shipment details on the order (carrier, when shipped, when delivered,
//! when cancelled) and `order_events`, the order's timeline: one row per change (status,
//! payment, shipment, note), with who made it, written in the same transaction as the change.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Carrier,
    ShippedAt,
    DeliveredAt,
    CancelledAt,
}

#[derive(DeriveIden)]
enum Payments {
    Table,
    /// How the shopper paid (Midtrans `payment_type`, `card` for Stripe), recorded when the
    /// money arrives: it decides whether a refund can go back through the gateway.
    Channel,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    Id,
    OrderId,
    /// `status`, `payment`, `shipment`, `note`.
    Kind,
    /// `system`, `staff`, `customer`.
    Actor,
    ActorUserId,
    /// How the actor is shown (a staff member's email, "System").
    ActorName,
    FromState,
    ToState,
    Note,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one column at a time.
        for column in [
            ColumnDef::new(Orders::Carrier)
                .string_len(64)
                .null()
                .to_owned(),
            ColumnDef::new(Orders::ShippedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Orders::DeliveredAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
            ColumnDef::new(Orders::CancelledAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Orders::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Payments::Table)
                    .add_column(string_len(Payments::Channel, 32).default(""))
                    .to_owned(),
            )
            .await?;
        // Earlier versions marked a fully refunded order `refunded`; the workflow has no such
        // order status (the payment says refunded), and such an order never shipped.
        manager
            .get_connection()
            .execute_unprepared("UPDATE orders SET status = 'cancelled' WHERE status = 'refunded'")
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OrderEvents::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(OrderEvents::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(integer(OrderEvents::OrderId))
                    .col(string_len(OrderEvents::Kind, 16))
                    .col(string_len(OrderEvents::Actor, 16))
                    .col(integer_null(OrderEvents::ActorUserId))
                    .col(string_len(OrderEvents::ActorName, 200).default(""))
                    .col(string_len_null(OrderEvents::FromState, 32))
                    .col(string_len_null(OrderEvents::ToState, 32))
                    .col(string_len(OrderEvents::Note, 1000).default(""))
                    .col(timestamp_with_time_zone(OrderEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_events_order")
                            .from(OrderEvents::Table, OrderEvents::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_order_events_order")
                    .table(OrderEvents::Table)
                    .col(OrderEvents::OrderId)
                    .col(OrderEvents::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(OrderEvents::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Payments::Table)
                    .drop_column(Payments::Channel)
                    .to_owned(),
            )
            .await?;
        for column in [
            Orders::Carrier,
            Orders::ShippedAt,
            Orders::DeliveredAt,
            Orders::CancelledAt,
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
