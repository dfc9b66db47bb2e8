//! Stock per variant per warehouse, and the audit trail of every change. `on_hand` counts units
//! physically present; `reserved` those promised to unpaid orders; available = on_hand −
//! reserved. CHECK constraints make a negative or over-reserved level impossible even if a bug
//! slipped past the conditional updates that change them.
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261126_000001_create_users::Users, m20261126_000003_create_catalog::ProductVariants,
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Warehouses::Table)
                    .if_not_exists()
                    .col(pk_auto(Warehouses::Id))
                    .col(string_len_uniq(Warehouses::Code, 16))
                    .col(string_len(Warehouses::Name, 120))
                    .col(string_len(Warehouses::City, 80))
                    .col(string_len(Warehouses::Province, 80))
                    .col(boolean(Warehouses::Active).default(true))
                    .col(integer(Warehouses::Priority).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StockLevels::Table)
                    .if_not_exists()
                    .col(integer(StockLevels::VariantId))
                    .col(integer(StockLevels::WarehouseId))
                    .col(integer(StockLevels::OnHand).default(0))
                    .col(integer(StockLevels::Reserved).default(0))
                    .col(integer_null(StockLevels::ReorderPoint))
                    .col(timestamp_with_time_zone(StockLevels::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(StockLevels::VariantId)
                            .col(StockLevels::WarehouseId),
                    )
                    .check(Expr::col(StockLevels::OnHand).gte(0))
                    .check(Expr::col(StockLevels::Reserved).gte(0))
                    .check(Expr::col(StockLevels::Reserved).lte(Expr::col(StockLevels::OnHand)))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_variant")
                            .from(StockLevels::Table, StockLevels::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_stock_warehouse")
                            .from(StockLevels::Table, StockLevels::WarehouseId)
                            .to(Warehouses::Table, Warehouses::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StockMovements::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(StockMovements::Id)
                            .big_integer()
                            .not_null()
                            .auto_increment()
                            .primary_key(),
                    )
                    .col(integer(StockMovements::VariantId))
                    .col(integer(StockMovements::WarehouseId))
                    // receive, adjust, reserve, release, sell, return, transfer_in, transfer_out
                    .col(string_len(StockMovements::Kind, 24))
                    .col(integer(StockMovements::Quantity))
                    .col(integer(StockMovements::OnHandBefore))
                    .col(integer(StockMovements::OnHandAfter))
                    .col(integer(StockMovements::ReservedBefore))
                    .col(integer(StockMovements::ReservedAfter))
                    // What caused it: "order:123", "seed", "csv-import:…", "manual".
                    .col(string_len(StockMovements::Reference, 120))
                    .col(string_len(StockMovements::Note, 255).default(""))
                    .col(integer_null(StockMovements::ActorUserId))
                    .col(timestamp_with_time_zone(StockMovements::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_movements_level")
                            .from(
                                StockMovements::Table,
                                (StockMovements::VariantId, StockMovements::WarehouseId),
                            )
                            .to(
                                StockLevels::Table,
                                (StockLevels::VariantId, StockLevels::WarehouseId),
                            )
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_movements_actor")
                            .from(StockMovements::Table, StockMovements::ActorUserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_movements_variant_time")
                    .table(StockMovements::Table)
                    .col(StockMovements::VariantId)
                    .col(StockMovements::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            StockMovements::Table.into_iden(),
            StockLevels::Table.into_iden(),
            Warehouses::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Warehouses {
    Table,
    Id,
    Code,
    Name,
    City,
    Province,
    Active,
    Priority,
}

#[derive(DeriveIden)]
pub enum StockLevels {
    Table,
    VariantId,
    WarehouseId,
    OnHand,
    Reserved,
    ReorderPoint,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    VariantId,
    WarehouseId,
    Kind,
    Quantity,
    OnHandBefore,
    OnHandAfter,
    ReservedBefore,
    ReservedAfter,
    Reference,
    Note,
    ActorUserId,
    CreatedAt,
}
