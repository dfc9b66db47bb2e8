//! The catalogue: a category tree, brands, products, their variants (the unit that is priced,
//! stocked and sold) and images. Money is an integer in the shop currency's smallest unit in
//! use (whole rupiah for IDR); ratings are kept as hundredths (4.35 → 435) to stay integral.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Categories::Table)
                    .if_not_exists()
                    .col(pk_auto(Categories::Id))
                    .col(integer_null(Categories::ParentId))
                    .col(string_len_uniq(Categories::Slug, 120))
                    .col(string_len(Categories::Name, 120))
                    .col(text(Categories::Description).default(""))
                    .col(integer(Categories::Position).default(0))
                    .col(timestamp_with_time_zone(Categories::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_categories_parent")
                            .from(Categories::Table, Categories::ParentId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Brands::Table)
                    .if_not_exists()
                    .col(pk_auto(Brands::Id))
                    .col(string_len_uniq(Brands::Slug, 120))
                    .col(string_len(Brands::Name, 120))
                    .col(timestamp_with_time_zone(Brands::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .if_not_exists()
                    .col(pk_auto(Products::Id))
                    .col(string_len_uniq(Products::Slug, 200))
                    .col(string_len(Products::Name, 200))
                    .col(text(Products::Description).default(""))
                    .col(integer_null(Products::BrandId))
                    .col(integer(Products::CategoryId))
                    .col(string_len(Products::Status, 16).default("draft"))
                    .col(integer(Products::RatingHundredths).default(0))
                    .col(integer(Products::RatingCount).default(0))
                    .col(big_integer(Products::SalesCount).default(0))
                    .col(timestamp_with_time_zone(Products::CreatedAt))
                    .col(timestamp_with_time_zone(Products::UpdatedAt))
                    .check(Expr::col(Products::Status).is_in(["draft", "active", "archived"]))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_products_brand")
                            .from(Products::Table, Products::BrandId)
                            .to(Brands::Table, Brands::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_products_category")
                            .from(Products::Table, Products::CategoryId)
                            .to(Categories::Table, Categories::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_products_category", Products::CategoryId),
            ("idx_products_brand", Products::BrandId),
            ("idx_products_status", Products::Status),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Products::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(ProductVariants::Table)
                    .if_not_exists()
                    .col(pk_auto(ProductVariants::Id))
                    .col(integer(ProductVariants::ProductId))
                    .col(string_len_uniq(ProductVariants::Sku, 64))
                    .col(string_len(ProductVariants::Title, 120).default(""))
                    // Option values as a JSON object, e.g. {"Ukuran":"M","Warna":"Hitam"}.
                    .col(text(ProductVariants::Options).default("{}"))
                    .col(big_integer(ProductVariants::Price))
                    .col(big_integer_null(ProductVariants::CompareAtPrice))
                    .col(integer(ProductVariants::WeightGrams).default(0))
                    .col(string_len_null(ProductVariants::Barcode, 64))
                    .col(boolean(ProductVariants::Active).default(true))
                    .col(integer(ProductVariants::Position).default(0))
                    .col(timestamp_with_time_zone(ProductVariants::CreatedAt))
                    .col(timestamp_with_time_zone(ProductVariants::UpdatedAt))
                    .check(Expr::col(ProductVariants::Price).gte(0))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_variants_product")
                            .from(ProductVariants::Table, ProductVariants::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_variants_product")
                    .table(ProductVariants::Table)
                    .col(ProductVariants::ProductId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProductImages::Table)
                    .if_not_exists()
                    .col(pk_auto(ProductImages::Id))
                    .col(integer(ProductImages::ProductId))
                    .col(integer(ProductImages::Position).default(0))
                    .col(string_len(ProductImages::Path, 255))
                    .col(string_len(ProductImages::Alt, 255).default(""))
                    .col(integer(ProductImages::Width))
                    .col(integer(ProductImages::Height))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_images_product")
                            .from(ProductImages::Table, ProductImages::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_images_product")
                    .table(ProductImages::Table)
                    .col(ProductImages::ProductId)
                    .col(ProductImages::Position)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProductImages::Table.into_iden(),
            ProductVariants::Table.into_iden(),
            Products::Table.into_iden(),
            Brands::Table.into_iden(),
            Categories::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
pub enum Categories {
    Table,
    Id,
    ParentId,
    Slug,
    Name,
    Description,
    Position,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Brands {
    Table,
    Id,
    Slug,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
pub enum Products {
    Table,
    Id,
    Slug,
    Name,
    Description,
    BrandId,
    CategoryId,
    Status,
    RatingHundredths,
    RatingCount,
    SalesCount,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
pub enum ProductVariants {
    Table,
    Id,
    ProductId,
    Sku,
    Title,
    Options,
    Price,
    CompareAtPrice,
    WeightGrams,
    Barcode,
    Active,
    Position,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProductImages {
    Table,
    Id,
    ProductId,
    Position,
    Path,
    Alt,
    Width,
    Height,
}
