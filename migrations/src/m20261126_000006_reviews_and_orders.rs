//! Reviews, and the order tables they depend on: only a customer who bought a product may review
//! it, and "bought" means an order of theirs that was paid. The order columns follow
//! `docs/data-model.md`; checkout (the next issue) writes them, with totals computed on the
//! server. Money is an integer in the shop currency's smallest unit in use.
use sea_orm_migration::{prelude::*, schema::*};

use crate::{
    m20261126_000001_create_users::Users,
    m20261126_000003_create_catalog::{ProductVariants, Products},
};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Whether WebP renditions exist next to the JPEG ones (kept only when smaller).
        manager
            .alter_table(
                Table::alter()
                    .table(ProductImages::Table)
                    .add_column(boolean(ProductImages::Webp).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Reviews::Table)
                    .if_not_exists()
                    .col(pk_auto(Reviews::Id))
                    .col(integer(Reviews::ProductId))
                    .col(integer(Reviews::UserId))
                    .col(small_integer(Reviews::Rating))
                    .col(string_len(Reviews::Title, 120).default(""))
                    .col(text(Reviews::Body).default(""))
                    .col(timestamp_with_time_zone(Reviews::CreatedAt))
                    .col(timestamp_with_time_zone(Reviews::UpdatedAt))
                    .check(Expr::col(Reviews::Rating).between(1, 5))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reviews_product")
                            .from(Reviews::Table, Reviews::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_reviews_user")
                            .from(Reviews::Table, Reviews::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One review per customer per product, enforced by the database.
        manager
            .create_index(
                Index::create()
                    .name("uq_reviews_product_user")
                    .table(Reviews::Table)
                    .col(Reviews::ProductId)
                    .col(Reviews::UserId)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Orders::Table)
                    .if_not_exists()
                    .col(pk_auto(Orders::Id))
                    .col(string_len_uniq(Orders::Number, 32))
                    .col(integer_null(Orders::UserId))
                    .col(string_len(Orders::Email, 254))
                    .col(string_len(Orders::Status, 16).default("pending"))
                    .col(string_len(Orders::PaymentStatus, 16).default("pending"))
                    .col(string_len(Orders::Currency, 3))
                    .col(big_integer(Orders::Subtotal))
                    .col(big_integer(Orders::ShippingTotal).default(0))
                    .col(big_integer(Orders::Dpp).default(0))
                    .col(big_integer(Orders::Ppn).default(0))
                    .col(big_integer(Orders::GrandTotal))
                    // Shipping address snapshot: the order keeps what was used, whatever the
                    // address book says later.
                    .col(text(Orders::ShippingAddress).default("{}"))
                    .col(string_len_null(Orders::ShippingMethod, 64))
                    .col(string_len_null(Orders::IdempotencyKey, 128).unique_key())
                    .col(string_len_null(Orders::TrackingNumber, 64))
                    .col(timestamp_with_time_zone_null(Orders::ExpiresAt))
                    .col(timestamp_with_time_zone_null(Orders::PaidAt))
                    .col(timestamp_with_time_zone(Orders::CreatedAt))
                    .col(timestamp_with_time_zone(Orders::UpdatedAt))
                    .check(Expr::col(Orders::GrandTotal).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_orders_user")
                            .from(Orders::Table, Orders::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_orders_user", Orders::UserId),
            ("idx_orders_status", Orders::Status),
            ("idx_orders_created", Orders::CreatedAt),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Orders::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(OrderItems::Table)
                    .if_not_exists()
                    .col(pk_auto(OrderItems::Id))
                    .col(integer(OrderItems::OrderId))
                    .col(integer(OrderItems::ProductId))
                    .col(integer_null(OrderItems::VariantId))
                    .col(integer_null(OrderItems::WarehouseId))
                    .col(string_len(OrderItems::Sku, 64))
                    .col(string_len(OrderItems::Name, 200))
                    .col(text(OrderItems::Options).default("{}"))
                    .col(big_integer(OrderItems::UnitPrice))
                    .col(integer(OrderItems::Quantity))
                    .col(big_integer(OrderItems::LineTotal))
                    .check(Expr::col(OrderItems::Quantity).gt(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_items_order")
                            .from(OrderItems::Table, OrderItems::OrderId)
                            .to(Orders::Table, Orders::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_items_product")
                            .from(OrderItems::Table, OrderItems::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_order_items_variant")
                            .from(OrderItems::Table, OrderItems::VariantId)
                            .to(ProductVariants::Table, ProductVariants::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_order_items_order", OrderItems::OrderId),
            ("idx_order_items_product", OrderItems::ProductId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(OrderItems::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OrderItems::Table.into_iden(),
            Orders::Table.into_iden(),
            Reviews::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(ProductImages::Table)
                    .drop_column(ProductImages::Webp)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum ProductImages {
    Table,
    Webp,
}

#[derive(DeriveIden)]
pub enum Reviews {
    Table,
    Id,
    ProductId,
    UserId,
    Rating,
    Title,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum Orders {
    Table,
    Id,
    Number,
    UserId,
    Email,
    Status,
    PaymentStatus,
    Currency,
    Subtotal,
    ShippingTotal,
    Dpp,
    Ppn,
    GrandTotal,
    ShippingAddress,
    ShippingMethod,
    IdempotencyKey,
    TrackingNumber,
    ExpiresAt,
    PaidAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum OrderItems {
    Table,
    Id,
    OrderId,
    ProductId,
    VariantId,
    WarehouseId,
    Sku,
    Name,
    Options,
    UnitPrice,
    Quantity,
    LineTotal,
}
