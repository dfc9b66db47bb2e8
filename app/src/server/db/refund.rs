//! `refunds`: money to give back (late payments for closed orders today), issued through the
//! gateway where it can be, or by staff by hand.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub order_id: i32,
    pub payment_id: i32,
    pub gateway: String,
    /// How the shopper paid: Midtrans `payment_type`, `card` for Stripe, `demo`.
    pub channel: String,
    pub amount: i64,
    pub currency: String,
    pub reason: String,
    /// `pending`, `issued`, `failed`, `manual`, `done`.
    pub status: String,
    /// The gateway's refund id once issued.
    pub gateway_ref: Option<String>,
    pub note: String,
    /// The staff member who marked a manual refund done.
    pub resolved_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
