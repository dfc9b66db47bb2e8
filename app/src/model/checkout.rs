//! Checkout and orders as the shopper (and the Store API) sees them. Every amount here was
//! computed by the server; a client sends only what it wants (address, method), never a price.
use serde::{Deserialize, Serialize};

use super::{AddressInput, PriceView};

/// A way to ship the current cart to a province, priced by the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShippingOption {
    pub code: String,
    pub name: String,
    /// e.g. "2–5 hari".
    pub eta: String,
    pub price: PriceView,
    /// Free because the goods reached the free-shipping threshold.
    pub free: bool,
}

/// What the shopper chooses at checkout. Prices and totals are not part of it: the server
/// computes them (any extra field a client sends is ignored).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutInput {
    /// Where the receipt goes; a logged-in customer's own email when empty.
    #[serde(default)]
    pub email: String,
    /// A saved address of the logged-in customer; otherwise `address` is used.
    #[serde(default)]
    pub address_id: Option<i32>,
    #[serde(default)]
    pub address: AddressInput,
    pub shipping_method: String,
    pub payment_method: String,
    /// The grand total the shopper was shown; when it no longer matches, the order is refused
    /// (409) so nothing changes without them seeing it.
    #[serde(default)]
    pub expected_total: Option<i64>,
}

/// The money of an order (or of a checkout before it is placed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderTotals {
    pub subtotal: PriceView,
    pub shipping: PriceView,
    /// Dasar Pengenaan Pajak: the base PPN applies to.
    pub dpp: PriceView,
    pub ppn: PriceView,
    pub grand_total: PriceView,
    /// Whether catalogue prices include PPN (then PPN is part of the subtotal, not added).
    pub prices_include_tax: bool,
}

/// A line of a placed order: what the shopper saw when ordering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderLine {
    /// Names the line in a refund request.
    #[serde(default)]
    pub item_id: i32,
    pub sku: String,
    pub name: String,
    pub unit_price: PriceView,
    pub quantity: i32,
    pub line_total: PriceView,
    /// Units refunded so far.
    #[serde(default)]
    pub refunded: i32,
}

/// A placed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderView {
    pub id: i32,
    pub number: String,
    /// pending, confirmed, processing, shipped, delivered, cancelled, expired
    /// ([`crate::model::OrderStatus`]).
    pub status: String,
    /// pending, failed, paid, cancelled, expired, partially_refunded, refunded.
    pub payment_status: String,
    pub payment_method: String,
    pub email: String,
    pub address: AddressInput,
    pub shipping_method: String,
    pub lines: Vec<OrderLine>,
    pub totals: OrderTotals,
    /// RFC 3339.
    pub created_at: String,
    /// When an unpaid order gives its stock back (RFC 3339).
    pub expires_at: Option<String>,
    /// The last payment failure, said plainly ("The demo payment was declined.").
    pub payment_message: String,
    /// Set once the order ships.
    #[serde(default)]
    pub carrier: Option<String>,
    #[serde(default)]
    pub tracking_number: Option<String>,
    /// Whether the customer may still cancel it (not yet shipped).
    #[serde(default)]
    pub cancellable: bool,
    /// What happened to the order, oldest first.
    #[serde(default)]
    pub timeline: Vec<TimelineEntry>,
    /// Money given back, oldest first.
    #[serde(default)]
    pub refunds: Vec<crate::model::OrderRefund>,
    /// The customer's return requests, oldest first.
    #[serde(default)]
    pub returns: Vec<crate::model::OrderReturn>,
    /// Whether the customer may ask to return items now (shipped or delivered, paid, no
    /// request open).
    #[serde(default)]
    pub returnable: bool,
}

/// One entry of an order's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    /// RFC 3339.
    pub at: String,
    /// `status`, `payment`, `shipment`, `note`.
    pub kind: String,
    /// `system`, `staff`, `customer`.
    pub actor: String,
    /// Shown to staff only; shoppers see "Shop" or "You".
    pub actor_name: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub note: String,
}

/// What the shopper's browser does after the order is placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NextStep {
    /// Open the labelled demo payment page.
    Demo { url: String },
    /// Mount Stripe's Payment Element with this client secret.
    Stripe {
        client_secret: String,
        publishable_key: String,
        return_url: String,
    },
    /// Open Snap with this token (or go to the redirect URL).
    Midtrans {
        token: String,
        redirect_url: String,
        client_key: String,
        snap_js: String,
    },
    /// Nothing to pay (already paid, or the order is closed).
    None,
}

/// The answer to placing an order (also to a retry with the same idempotency key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutResult {
    pub order: OrderView,
    pub next: NextStep,
    /// Where the shopper sees the order (with the guest access key when needed).
    pub order_url: String,
    /// True when this answers a retry of an order already placed with the same key.
    pub replayed: bool,
}

impl CheckoutResult {
    /// Where the browser goes after placing the order: the demo page, our page that mounts
    /// Stripe's Payment Element, Midtrans's Snap page, or the order itself.
    pub fn next_url(&self) -> String {
        let key = self
            .order_url
            .split_once("?key=")
            .map(|(_, k)| k)
            .unwrap_or_default();
        match &self.next {
            NextStep::Demo { url } => url.clone(),
            NextStep::Stripe { .. } => format!("/pay/{}?key={key}", self.order.number),
            NextStep::Midtrans { redirect_url, .. } => redirect_url.clone(),
            NextStep::None => self.order_url.clone(),
        }
    }
}

/// The review step: the re-checked cart, the shipping choices and the totals for the chosen one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CheckoutQuote {
    pub shipping_options: Vec<ShippingOption>,
    /// Totals with the chosen (or first) shipping option.
    pub totals: Option<OrderTotals>,
    /// Gateways offered, in order (`demo`, `stripe`, `midtrans`).
    pub payment_methods: Vec<String>,
}

/// How the shop names a payment method to shoppers.
pub fn payment_method_label(code: &str) -> &'static str {
    code.parse::<super::Gateway>()
        .map_or("Unknown method", super::Gateway::label)
}

/// Order and payment statuses in words (orders and payments share `pending`, `cancelled` and
/// `expired`, which read the same for both).
pub fn status_label(status: &str) -> &'static str {
    if let Ok(order) = status.parse::<super::OrderStatus>() {
        return order.label();
    }
    status
        .parse::<super::PaymentStatus>()
        .map_or("Unknown", super::PaymentStatus::label)
}

/// A refund as staff see it at `/admin/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundView {
    pub id: i32,
    pub order_number: String,
    /// `stripe`, `midtrans`, `demo`.
    pub gateway: String,
    /// How the shopper paid (`card`, `gopay`, `bank_transfer`…).
    pub channel: String,
    pub amount: crate::model::PriceView,
    pub reason: String,
    /// `pending`, `issued`, `failed`, `manual`, `done`.
    pub status: String,
    pub note: String,
    /// RFC 3339.
    pub created_at: String,
}
