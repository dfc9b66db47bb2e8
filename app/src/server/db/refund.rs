//! `refunds`: the refund ledger. Money to give back for a payment (staff refunds by amount or
//! by line, cancelled paid orders, late payments for closed orders), issued through the gateway
//! where it can be, or by staff by hand; its lines are `refund_lines`.
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
    /// `pending` (to send), `issued` (the gateway accepted it), `confirmed` (the gateway's
    /// webhook says the money went back), `failed`, `manual` (staff send it), `done` (sent by
    /// hand).
    pub status: String,
    /// The gateway's refund id once issued.
    pub gateway_ref: Option<String>,
    pub note: String,
    /// The staff member who marked a manual refund done.
    pub resolved_by: Option<i32>,
    /// What it was asked with; unique, so a retried request finds this refund.
    pub idempotency_key: Option<String>,
    /// The staff member who asked for it (none: the shop itself, or a customer's cancel).
    pub requested_by: Option<i32>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
