//! `outbox_events`: facts other parts of the shop act on later (emails, analytics), written in
//! the same transaction as the change that caused them, so none is lost between commit and send.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// e.g. `order.placed`, `order.paid`, `order.expired`.
    pub kind: String,
    /// What it is about, e.g. `order:42`.
    pub reference: String,
    /// JSON.
    pub payload: String,
    pub created_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
    /// When analytics counted it (its own cursor; see `server::analytics`).
    pub counted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
