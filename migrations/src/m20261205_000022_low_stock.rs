//! Low-stock alerts: `product_variants.low_stock_threshold` (null: the shop's default from
//! `[inventory] low_stock_threshold`) and `low_stock_alerted_at`, set when available falls below
//! the threshold (staff are emailed once) and cleared when it is back at or above it, so the
//! next fall alerts again.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    LowStockThreshold,
    LowStockAlertedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER.
        manager
            .alter_table(
                Table::alter()
                    .table(ProductVariants::Table)
                    .add_column(integer_null(ProductVariants::LowStockThreshold))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ProductVariants::Table)
                    .add_column(timestamp_with_time_zone_null(
                        ProductVariants::LowStockAlertedAt,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            ProductVariants::LowStockThreshold,
            ProductVariants::LowStockAlertedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ProductVariants::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
