//! `purchase_orders`: units ordered from a supplier for one warehouse (see
//! `server::inventory::purchases`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "purchase_orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub supplier: String,
    pub warehouse_id: i32,
    /// [`crate::model::PurchaseOrderStatus`].
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub note: String,
    pub expected_on: Option<Date>,
    pub created_by: Option<i32>,
    pub received_by: Option<i32>,
    pub created_at: DateTimeUtc,
    /// When it was received or cancelled.
    pub closed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
