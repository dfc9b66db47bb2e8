//! `stock_transfers`: units moving between two warehouses. Shipping takes them out of the
//! origin (a `transfer_out` movement) and leaves them in transit, counted as incoming at the
//! destination; receiving puts them into the destination (`transfer_in`). Each step is one
//! transaction.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StockTransfers {
    Table,
    Id,
    VariantId,
    FromWarehouseId,
    ToWarehouseId,
    Quantity,
    /// `in_transit` or `received`.
    Status,
    Reason,
    ShippedBy,
    ReceivedBy,
    ShippedAt,
    ReceivedAt,
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

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StockTransfers::Table)
                    .if_not_exists()
                    .col(pk_auto(StockTransfers::Id))
                    .col(integer(StockTransfers::VariantId))
                    .col(integer(StockTransfers::FromWarehouseId))
                    .col(integer(StockTransfers::ToWarehouseId))
                    .col(
                        integer(StockTransfers::Quantity)
                            .check(Expr::col(StockTransfers::Quantity).gt(0)),
                    )
                    .col(string_len(StockTransfers::Status, 16).default("in_transit"))
                    .col(text(StockTransfers::Reason).default(""))
                    .col(integer_null(StockTransfers::ShippedBy))
                    .col(integer_null(StockTransfers::ReceivedBy))
                    .col(timestamp_with_time_zone(StockTransfers::ShippedAt))
                    .col(timestamp_with_time_zone_null(StockTransfers::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_transfers_variant")
                            .from(StockTransfers::Table, StockTransfers::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_transfers_from")
                            .from(StockTransfers::Table, StockTransfers::FromWarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_transfers_to")
                            .from(StockTransfers::Table, StockTransfers::ToWarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_transfers_shipped_by")
                            .from(StockTransfers::Table, StockTransfers::ShippedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_transfers_received_by")
                            .from(StockTransfers::Table, StockTransfers::ReceivedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // Incoming per destination, and a SKU's transfers.
        manager
            .create_index(
                Index::create()
                    .name("idx_stock_transfers_to_status")
                    .table(StockTransfers::Table)
                    .col(StockTransfers::ToWarehouseId)
                    .col(StockTransfers::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_stock_transfers_variant")
                    .table(StockTransfers::Table)
                    .col(StockTransfers::VariantId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StockTransfers::Table).to_owned())
            .await
    }
}
