//! An index on `orders (email, paid_at)`: counting a paid order asks whether the same guest
//! (by email) paid before, and without it that question read every order in the shop
//! (a 30-day analytics rebuild spent most of its 430 s there).
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Email,
    PaidAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_orders_email_paid")
                    .table(Orders::Table)
                    .col(Orders::Email)
                    .col(Orders::PaidAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_orders_email_paid")
                    .table(Orders::Table)
                    .to_owned(),
            )
            .await
    }
}
