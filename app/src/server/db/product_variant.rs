//! `product_variants`: the sellable unit (SKU), with its price in minor units.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_variants")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub product_id: i32,
    #[sea_orm(unique)]
    pub sku: String,
    pub title: String,
    /// JSON object of option name → value.
    pub options: String,
    pub price: i64,
    pub compare_at_price: Option<i64>,
    pub weight_grams: i32,
    pub barcode: Option<String>,
    pub active: bool,
    pub position: i32,
    /// Alert staff when available falls below this (null: the shop's default).
    pub low_stock_threshold: Option<i32>,
    /// Set while available is below the threshold (the alert went out); cleared when it is
    /// back at or above it.
    pub low_stock_alerted_at: Option<DateTimeUtc>,
    /// Days from ordering to the shelf, for reorder suggestions (null: the shop's default).
    pub lead_time_days: Option<i32>,
    /// Days of sales a reorder covers beyond the lead time (null: the shop's default).
    pub cover_days: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::product::Entity",
        from = "Column::ProductId",
        to = "super::product::Column::Id",
        on_delete = "Cascade"
    )]
    Product,
}

impl Related<super::product::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Product.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
