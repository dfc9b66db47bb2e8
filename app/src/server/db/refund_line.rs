//! `refund_lines`: what a refund gives money back for: units of an order line (back on sale or
//! written off) or, with no line, the shipping fee.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refund_lines")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub refund_id: i32,
    /// `None`: the shipping fee.
    pub order_item_id: Option<i32>,
    pub quantity: i32,
    pub amount: i64,
    /// The units went back on sale; `false`: not resellable (damaged), written off.
    pub restock: bool,
    /// Not restocked but back in the warehouse as damaged (unavailable).
    pub damaged: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
