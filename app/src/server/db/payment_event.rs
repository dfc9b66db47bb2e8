//! `payment_events`: every gateway event, stored once (unique gateway + event id) with what it
//! did, so a redelivered webhook changes nothing and the history can be audited.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub gateway: String,
    pub event_id: String,
    pub payment_id: Option<i32>,
    pub kind: String,
    /// `applied`, `ignored` or `rejected`.
    pub outcome: String,
    pub note: String,
    pub payload: String,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
