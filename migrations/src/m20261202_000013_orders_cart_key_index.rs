//! An index on `orders (cart_key, status)`: checking out replaces the cart's earlier unpaid
//! order, and without it that lookup read every pending order in the shop (checkout throughput
//! halved once thousands were pending).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    CartKey,
    Status,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_cart_key_status")
                    .table(Orders::Table)
                    .col(Orders::CartKey)
                    .col(Orders::Status)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_orders_cart_key_status")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await
    }
}
