//! `stock_levels`: on hand and reserved units of one variant in one warehouse.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_levels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub variant_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub warehouse_id: i32,
    pub on_hand: i32,
    pub reserved: i32,
    /// Unavailable units (on hand, not for sale), by why.
    pub damaged: i32,
    pub quality_control: i32,
    pub safety_stock: i32,
    pub reorder_point: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
