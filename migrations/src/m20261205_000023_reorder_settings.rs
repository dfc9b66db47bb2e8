//! Reorder suggestions per variant: its own `lead_time_days` and `cover_days` (null: the shop's
//! defaults from `[inventory]`).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProductVariants {
    Table,
    LeadTimeDays,
    CoverDays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ProductVariants::LeadTimeDays, ProductVariants::CoverDays] {
            manager
                .alter_table(
                    Table::alter()
                        .table(ProductVariants::Table)
                        .add_column(integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [ProductVariants::LeadTimeDays, ProductVariants::CoverDays] {
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
