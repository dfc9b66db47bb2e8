//! `return_requests`: customers' requests to send items back (see `server::orders::returns`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "return_requests")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub order_id: i32,
    /// `requested`, `approved` or `rejected`.
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    /// JSON: `[{"item_id": 1, "quantity": 2}]`.
    #[sea_orm(column_type = "Text")]
    pub lines: String,
    /// The customer's email.
    pub requested_by: String,
    pub decided_by: String,
    #[sea_orm(column_type = "Text")]
    pub decision_note: String,
    pub created_at: DateTimeUtc,
    pub decided_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
