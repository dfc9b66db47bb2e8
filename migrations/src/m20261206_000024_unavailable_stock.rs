//! Unavailable stock, as Shopify names it: units on hand that may not be sold, by why:
//! `damaged`, `quality_control` and `safety_stock` on each level. Available becomes on hand −
//! reserved − unavailable, and a CHECK keeps reserved + unavailable within on hand. Each stock
//! movement that changes one of them names it (`unavailable_state`) with its value before and
//! after, so the invariant check covers them too. A refunded unit can come back as damaged
//! (`refund_lines.damaged`): on hand, but not for sale.
use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StockLevels {
    Table,
    Damaged,
    QualityControl,
    SafetyStock,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    UnavailableState,
    UnavailableBefore,
    UnavailableAfter,
}

#[derive(DeriveIden)]
enum RefundLines {
    Table,
    Damaged,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let within = "damaged >= 0 AND quality_control >= 0 AND safety_stock >= 0 \
                      AND reserved + damaged + quality_control + safety_stock <= on_hand";
        // SQLite adds one column per ALTER and cannot add a table constraint: the last column
        // carries the check (SQLite lets a column's check read the row's other columns).
        for column in [StockLevels::Damaged, StockLevels::QualityControl] {
            manager
                .alter_table(
                    Table::alter()
                        .table(StockLevels::Table)
                        .add_column(integer(column).default(0))
                        .to_owned(),
                )
                .await?;
        }
        match manager.get_database_backend() {
            DatabaseBackend::Sqlite => {
                manager
                    .alter_table(
                        Table::alter()
                            .table(StockLevels::Table)
                            .add_column(
                                integer(StockLevels::SafetyStock)
                                    .default(0)
                                    .check(Expr::cust(within)),
                            )
                            .to_owned(),
                    )
                    .await?;
            }
            _ => {
                manager
                    .alter_table(
                        Table::alter()
                            .table(StockLevels::Table)
                            .add_column(integer(StockLevels::SafetyStock).default(0))
                            .to_owned(),
                    )
                    .await?;
                manager
                    .get_connection()
                    .execute_unprepared(&format!(
                        "ALTER TABLE stock_levels ADD CONSTRAINT stock_levels_unavailable_within \
                         CHECK ({within})"
                    ))
                    .await?;
            }
        }
        manager
            .alter_table(
                Table::alter()
                    .table(StockMovements::Table)
                    .add_column(string_null(StockMovements::UnavailableState))
                    .to_owned(),
            )
            .await?;
        for column in [
            StockMovements::UnavailableBefore,
            StockMovements::UnavailableAfter,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(StockMovements::Table)
                        .add_column(integer(column).default(0))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(RefundLines::Table)
                    .add_column(boolean(RefundLines::Damaged).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RefundLines::Table)
                    .drop_column(RefundLines::Damaged)
                    .to_owned(),
            )
            .await?;
        for column in [
            StockMovements::UnavailableState,
            StockMovements::UnavailableBefore,
            StockMovements::UnavailableAfter,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(StockMovements::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        if manager.get_database_backend() != DatabaseBackend::Sqlite {
            manager
                .get_connection()
                .execute_unprepared(
                    "ALTER TABLE stock_levels DROP CONSTRAINT stock_levels_unavailable_within",
                )
                .await?;
        }
        for column in [
            StockLevels::SafetyStock,
            StockLevels::QualityControl,
            StockLevels::Damaged,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(StockLevels::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
