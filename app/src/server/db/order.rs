//! `orders`: what a shopper bought, with totals computed on the server and an address snapshot.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub number: String,
    pub user_id: Option<i32>,
    pub email: String,
    /// pending → confirmed → processing → shipped → delivered; cancelled, expired
    /// (`model::OrderStatus`; transitions in `orders::workflow`).
    pub status: String,
    /// pending, failed, paid, cancelled, expired, partially_refunded, refunded.
    pub payment_status: String,
    pub currency: String,
    pub subtotal: i64,
    pub shipping_total: i64,
    pub dpp: i64,
    pub ppn: i64,
    pub grand_total: i64,
    /// JSON snapshot of the shipping address.
    pub shipping_address: String,
    pub shipping_method: Option<String>,
    #[sea_orm(unique)]
    pub idempotency_key: Option<String>,
    pub tracking_number: Option<String>,
    pub expires_at: Option<DateTimeUtc>,
    pub paid_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Random; a guest reaches their order (and the demo payment page) with it.
    pub access_token: String,
    /// The cart the order came from, emptied when the payment succeeds.
    pub cart_key: Option<String>,
    /// `demo`, `stripe` or `midtrans`.
    pub payment_method: String,
    /// The address the order was placed from (caps unpaid orders per address).
    pub client_ip: Option<String>,
    /// Who carries the parcel (with `tracking_number`), set when it ships.
    pub carrier: Option<String>,
    pub shipped_at: Option<DateTimeUtc>,
    pub delivered_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
