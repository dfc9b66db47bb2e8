//! `cart_lines`: carts live in the database, so a restart, a Redis outage or a Redis flush never
//! empties a shopper's cart. One row per SKU in a cart; a cart is every row with its key
//! (`cart:user:<id>` or `cart:guest:<token>`, the key orders keep in `cart_key`). `touched_at`
//! is the time of the line's last change in Unix seconds: a cart whose newest line is older
//! than the cart lifetime is gone, and the sweep deletes it.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CartLines {
    Table,
    CartKey,
    Sku,
    Quantity,
    /// The unit price the shopper last saw for this line, to tell them it moved.
    PriceSeen,
    TouchedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CartLines::Table)
                    .if_not_exists()
                    .col(string_len(CartLines::CartKey, 80))
                    .col(string_len(CartLines::Sku, 64))
                    .col(integer(CartLines::Quantity))
                    .col(big_integer(CartLines::PriceSeen))
                    .col(big_integer(CartLines::TouchedAt))
                    .primary_key(Index::create().col(CartLines::CartKey).col(CartLines::Sku))
                    .check(Expr::col(CartLines::Quantity).gt(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_cart_lines_touched_at")
                    .table(CartLines::Table)
                    .col(CartLines::TouchedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CartLines::Table).to_owned())
            .await
    }
}
