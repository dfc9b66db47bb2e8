//! What browsing and search need: per-product aggregates kept on the row (lowest/highest active
//! variant price, units available across warehouses) with indexes for each sort and filter, and
//! full-text search — PostgreSQL: a weighted `tsvector` (GIN) plus `pg_trgm` on the name for
//! typos and prefixes; SQLite: an FTS5 table and its vocabulary (for typo correction).
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

use crate::m20261126_000003_create_catalog::Products;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Search {
    PriceMin,
    PriceMax,
    Available,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let columns = [
            ColumnDef::new(Search::PriceMin)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Search::PriceMax)
                .big_integer()
                .not_null()
                .default(0)
                .to_owned(),
            ColumnDef::new(Search::Available)
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
        ];
        // SQLite takes one ADD COLUMN per statement.
        for column in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Products::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        let indexes: [(&str, Vec<DynIden>); 4] = [
            (
                "idx_products_status_price",
                vec![Products::Status.into_iden(), Search::PriceMin.into_iden()],
            ),
            (
                "idx_products_status_rating",
                vec![
                    Products::Status.into_iden(),
                    Products::RatingHundredths.into_iden(),
                ],
            ),
            (
                "idx_products_status_sales",
                vec![
                    Products::Status.into_iden(),
                    Products::SalesCount.into_iden(),
                ],
            ),
            (
                "idx_products_status_created",
                vec![
                    Products::Status.into_iden(),
                    Products::CreatedAt.into_iden(),
                ],
            ),
        ];
        for (name, cols) in indexes {
            let mut index = Index::create();
            index.name(name).table(Products::Table);
            for col in cols {
                index.col(col);
            }
            manager.create_index(index.to_owned()).await?;
        }

        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                for sql in [
                    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
                    "ALTER TABLE products ADD COLUMN search_vector tsvector NOT NULL DEFAULT ''::tsvector",
                    "CREATE INDEX idx_products_search ON products USING GIN (search_vector)",
                    "CREATE INDEX idx_products_name_trgm ON products USING GIN (lower(name) gin_trgm_ops)",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
            _ => {
                for sql in [
                    "CREATE VIRTUAL TABLE products_fts USING fts5(name, facets, description, tokenize = 'unicode61 remove_diacritics 2')",
                    "CREATE VIRTUAL TABLE products_fts_vocab USING fts5vocab(products_fts, 'row')",
                ] {
                    db.execute_unprepared(sql).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DbBackend::Postgres => {
                db.execute_unprepared("ALTER TABLE products DROP COLUMN search_vector")
                    .await?;
            }
            _ => {
                db.execute_unprepared("DROP TABLE products_fts_vocab")
                    .await?;
                db.execute_unprepared("DROP TABLE products_fts").await?;
            }
        }
        for name in [
            "idx_products_status_price",
            "idx_products_status_rating",
            "idx_products_status_sales",
            "idx_products_status_created",
        ] {
            manager
                .drop_index(Index::drop().name(name).table(Products::Table).to_owned())
                .await?;
        }
        for col in [Search::PriceMin, Search::PriceMax, Search::Available] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Products::Table)
                        .drop_column(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
