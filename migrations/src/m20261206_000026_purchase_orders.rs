//! Purchase orders: units ordered from a supplier for one warehouse. While `ordered` their
//! lines count as incoming there (with transfers in transit); receiving one puts every line on
//! hand at once (a `receive` movement each, referencing `po:{id}`) in one transaction; a
//! cancelled one never arrives.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PurchaseOrders {
    Table,
    Id,
    Supplier,
    WarehouseId,
    /// `ordered`, `received` or `cancelled`.
    Status,
    Note,
    ExpectedOn,
    CreatedBy,
    ReceivedBy,
    CreatedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum PurchaseOrderLines {
    Table,
    Id,
    PurchaseOrderId,
    VariantId,
    Quantity,
}

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Warehouses {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PurchaseOrders::Table)
                    .if_not_exists()
                    .col(pk_auto(PurchaseOrders::Id))
                    .col(string_len(PurchaseOrders::Supplier, 120))
                    .col(integer(PurchaseOrders::WarehouseId))
                    .col(string_len(PurchaseOrders::Status, 16).default("ordered"))
                    .col(text(PurchaseOrders::Note).default(""))
                    .col(date_null(PurchaseOrders::ExpectedOn))
                    .col(integer_null(PurchaseOrders::CreatedBy))
                    .col(integer_null(PurchaseOrders::ReceivedBy))
                    .col(timestamp_with_time_zone(PurchaseOrders::CreatedAt))
                    .col(timestamp_with_time_zone_null(PurchaseOrders::ClosedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_purchase_orders_warehouse")
                            .from(PurchaseOrders::Table, PurchaseOrders::WarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_purchase_orders_status")
                    .table(PurchaseOrders::Table)
                    .col(PurchaseOrders::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PurchaseOrderLines::Table)
                    .if_not_exists()
                    .col(pk_auto(PurchaseOrderLines::Id))
                    .col(integer(PurchaseOrderLines::PurchaseOrderId))
                    .col(integer(PurchaseOrderLines::VariantId))
                    .col(
                        integer(PurchaseOrderLines::Quantity)
                            .check(Expr::col(PurchaseOrderLines::Quantity).gt(0)),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_purchase_order_lines_order")
                            .from(
                                PurchaseOrderLines::Table,
                                PurchaseOrderLines::PurchaseOrderId,
                            )
                            .to(PurchaseOrders::Table, PurchaseOrders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_purchase_order_lines_variant")
                            .from(PurchaseOrderLines::Table, PurchaseOrderLines::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            (
                "idx_purchase_order_lines_order",
                PurchaseOrderLines::PurchaseOrderId,
            ),
            (
                "idx_purchase_order_lines_variant",
                PurchaseOrderLines::VariantId,
            ),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(PurchaseOrderLines::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PurchaseOrderLines::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PurchaseOrders::Table).to_owned())
            .await
    }
}
