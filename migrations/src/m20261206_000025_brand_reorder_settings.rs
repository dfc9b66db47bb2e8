//! Reorder settings per brand: `lead_time_days` and `cover_days` (null: the shop's defaults).
//! A variant's own setting wins over its brand's, which wins over the shop's (`[inventory]`).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Brands {
    Table,
    LeadTimeDays,
    CoverDays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Brands::LeadTimeDays, Brands::CoverDays] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Brands::Table)
                        .add_column(integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [Brands::LeadTimeDays, Brands::CoverDays] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Brands::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
