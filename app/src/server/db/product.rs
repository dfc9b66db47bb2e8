//! `products`: what shoppers browse; priced and stocked through its variants.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "products")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    /// Markdown; rendered safely on the product page.
    pub description: String,
    pub brand_id: Option<i32>,
    pub category_id: i32,
    /// `draft`, `active` or `archived`.
    pub status: String,
    /// Average rating × 100 (4.35 → 435).
    pub rating_hundredths: i32,
    pub rating_count: i32,
    pub sales_count: i64,
    /// Lowest and highest price among active variants (kept by `catalog::refresh_products`).
    pub price_min: i64,
    pub price_max: i64,
    /// Units available (on hand − reserved) across warehouses, active variants only.
    pub available: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::product_variant::Entity")]
    Variant,
}

impl Related<super::product_variant::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Variant.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
