//! `stock_transfers`: units moving between warehouses (see `server::inventory::transfers`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_transfers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub variant_id: i32,
    pub from_warehouse_id: i32,
    pub to_warehouse_id: i32,
    pub quantity: i32,
    /// `in_transit` or `received`.
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    pub shipped_by: Option<i32>,
    pub received_by: Option<i32>,
    pub shipped_at: DateTimeUtc,
    pub received_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
