//! `payments`: one attempt to pay an order through a gateway; its status only moves forward.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub order_id: i32,
    /// `demo`, `stripe`, `midtrans`.
    pub gateway: String,
    /// The gateway's id for it: PaymentIntent id, Midtrans order id, our order number (demo).
    pub gateway_ref: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    /// JSON: what the shopper's browser does next.
    pub next_action: String,
    pub failure_message: String,
    /// How the shopper paid (Midtrans `payment_type`, `card` for Stripe), once paid.
    pub channel: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
