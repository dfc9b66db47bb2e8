//! `order_events`: an order's timeline, one row per change (status, payment, shipment, note),
//! written in the same transaction as the change (see `orders::workflow`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "order_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub order_id: i32,
    /// `status`, `payment`, `shipment`, `note` (`model::TimelineKind`).
    pub kind: String,
    /// `system`, `staff`, `customer` (`model::ActorKind`).
    pub actor: String,
    pub actor_user_id: Option<i32>,
    /// How the actor is shown: a staff member's email, the customer's, or "System".
    pub actor_name: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub note: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
