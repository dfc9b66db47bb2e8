//! `documents`: issued invoices and credit notes, each stored once with the content it was
//! drawn from (see `server::orders::documents`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "documents")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// `invoice` or `credit_note`.
    pub kind: String,
    /// e.g. `INV/2026/000123`, `CN/2026/000004`.
    #[sea_orm(unique)]
    pub number: String,
    /// `invoice:<order id>` or `credit_note:<refund id>`: one document each.
    #[sea_orm(unique)]
    pub subject: String,
    pub order_id: i32,
    pub refund_id: Option<i32>,
    pub total: i64,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    #[sea_orm(column_type = "Blob")]
    pub pdf: Vec<u8>,
    pub sha256: String,
    pub issued_by: String,
    pub issued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
