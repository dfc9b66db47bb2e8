//! `stock_movements`: the audit trail; one row per change of a stock level, written in the same
//! transaction as the change.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_movements")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub variant_id: i32,
    pub warehouse_id: i32,
    pub kind: String,
    pub quantity: i32,
    pub on_hand_before: i32,
    pub on_hand_after: i32,
    pub reserved_before: i32,
    pub reserved_after: i32,
    /// Which unavailable state this movement changed ([`crate::model::UnavailableState`]),
    /// and its value before and after; none (and 0, 0) for the others.
    pub unavailable_state: Option<String>,
    pub unavailable_before: i32,
    pub unavailable_after: i32,
    pub reference: String,
    pub note: String,
    pub actor_user_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
