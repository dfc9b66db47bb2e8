//! Order reservations reference the stock level they hold units of — `(variant_id,
//! warehouse_id)` → `stock_levels` — instead of the variant and the warehouse separately.
//!
//! Why: PostgreSQL checks a foreign key by taking a `FOR KEY SHARE` lock on the referenced row.
//! Every checkout referenced one of the two warehouse rows, so all concurrent checkouts shared
//! locks on the same row, and each new sharer made PostgreSQL build a new multixact of all of
//! them: measured at 32 clients, 449 → 569 orders/s once gone. The level row is one the
//! checkout has just updated itself, so checking it costs nothing, and it proves as much (a
//! level exists only for an existing variant and warehouse). SQLite locks the whole database
//! for a write anyway and cannot alter constraints in place; it keeps the original keys.
use sea_orm_migration::{prelude::*, sea_orm::DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE order_reservations \
                   DROP CONSTRAINT fk_reservations_variant, \
                   DROP CONSTRAINT fk_reservations_warehouse, \
                   ADD CONSTRAINT fk_reservations_level FOREIGN KEY (variant_id, warehouse_id) \
                     REFERENCES stock_levels (variant_id, warehouse_id) ON DELETE RESTRICT",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared(
                "ALTER TABLE order_reservations \
                   DROP CONSTRAINT fk_reservations_level, \
                   ADD CONSTRAINT fk_reservations_variant FOREIGN KEY (variant_id) \
                     REFERENCES product_variants (id) ON DELETE RESTRICT, \
                   ADD CONSTRAINT fk_reservations_warehouse FOREIGN KEY (warehouse_id) \
                     REFERENCES warehouses (id) ON DELETE RESTRICT",
            )
            .await?;
        Ok(())
    }
}
