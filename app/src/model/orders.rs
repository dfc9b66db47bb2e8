//! What staff see of orders: the filters of the orders table (kept in the URL) and its rows.
use serde::{Deserialize, Serialize};

use super::{OrderView, PriceView};

/// The orders table's filters, sort and page, as in the URL (`?q=&status=&payment_status=
/// &method=&from=&to=&sort=&page=`) and the staff API's query. Empty means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[serde(default)]
pub struct OrderFilter {
    /// Order number, customer email or recipient name (any part, any case).
    pub q: String,
    /// An order status, e.g. `confirmed`.
    pub status: String,
    /// A payment status, e.g. `paid`.
    pub payment_status: String,
    /// `demo`, `stripe` or `midtrans`.
    pub method: String,
    /// First day, `YYYY-MM-DD`, in the shop's time zone (WIB, UTC+7).
    pub from: String,
    /// Last day, `YYYY-MM-DD`, included.
    pub to: String,
    /// `newest` (default), `oldest`, `total_desc`, `total_asc`.
    pub sort: String,
    /// From 1.
    pub page: u64,
}

impl OrderFilter {
    /// The URL query that shows this filter (the page included when past the first).
    pub fn to_query(&self) -> String {
        super::filter_query(
            &[
                ("q", &self.q),
                ("status", &self.status),
                ("payment_status", &self.payment_status),
                ("method", &self.method),
                ("from", &self.from),
                ("to", &self.to),
                ("sort", &self.sort),
            ],
            self.page,
        )
    }
}

/// A row of the staff orders table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminOrderRow {
    pub number: String,
    /// RFC 3339.
    pub created_at: String,
    pub email: String,
    /// The recipient on the shipping address.
    pub customer_name: String,
    pub status: String,
    pub payment_status: String,
    pub payment_method: String,
    pub grand_total: PriceView,
    /// Units ordered.
    pub item_count: i64,
    /// Statuses staff may move it to from the table (shipping, which needs a tracking number,
    /// is done on the order's page).
    pub quick_moves: Vec<String>,
}

/// An order as staff work on it: the shopper's view with the whole timeline, its payments and
/// the gateways' events about them, and the moves open from its status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminOrderDetail {
    pub order: OrderView,
    pub payments: Vec<AdminPayment>,
    /// Statuses staff may move it to now, in workflow order.
    pub moves: Vec<String>,
    /// Whether the customer has an account (else a guest order).
    pub registered_customer: bool,
    /// What the captured payment can still give back (nothing captured: zero).
    pub refundable: PriceView,
    /// Whether the shipping fee can still be refunded.
    pub shipping_refundable: bool,
    /// A fresh idempotency key for the refund form: submitting the same form twice (a double
    /// click, a resubmitted page) makes one refund.
    pub refund_key: String,
}

/// A payment of an order, with what the gateway said about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminPayment {
    pub gateway: String,
    pub gateway_ref: String,
    pub channel: String,
    pub amount: PriceView,
    pub status: String,
    pub message: String,
    pub events: Vec<AdminGatewayEvent>,
}

/// One report of a gateway about a payment, as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdminGatewayEvent {
    /// RFC 3339.
    pub received_at: String,
    /// The gateway's name for it, e.g. `payment_intent.succeeded`.
    pub kind: String,
    /// `applied`, `ignored`, `rejected`.
    pub outcome: String,
    pub note: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_survives_the_url() {
        let filter = OrderFilter {
            q: "siti rahayu&co".into(),
            status: "confirmed".into(),
            page: 3,
            ..OrderFilter::default()
        };
        assert_eq!(
            filter.to_query(),
            "q=siti+rahayu%26co&status=confirmed&page=3"
        );
        assert_eq!(OrderFilter::default().to_query(), "");
    }
}

/// A refund staff ask for (`POST /api/v1/admin/orders/{number}/refunds`, with an
/// `Idempotency-Key` header): by `amount`, or by `lines` (each with a restock choice) and/or
/// the `shipping` fee, in which case the amount is what those cost the customer. The money
/// comes from the order's captured payment; the server recomputes and bounds every figure.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefundRequest {
    /// Whole rupiah. Alone: a refund of that much. With lines: at most what they cost (a
    /// partial refund of those lines).
    #[serde(default)]
    pub amount: Option<i64>,
    #[serde(default)]
    pub lines: Vec<RefundLineRequest>,
    /// Give back the shipping fee too (once per order).
    #[serde(default)]
    pub shipping: bool,
    /// Why, for the timeline, the customer's email and the gateway.
    pub reason: String,
}

/// Units of one order line to refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefundLineRequest {
    /// The line's `item_id` (see the order's `lines`).
    pub item_id: i32,
    pub quantity: i32,
    /// `true`: the units go back on sale; `false`: not resellable (see `damaged`).
    #[serde(default)]
    pub restock: bool,
    /// With `restock: false`, `true`: the units came back damaged, into the warehouse they
    /// were sold from as unavailable (on hand, not for sale: staff write them off or make
    /// them available once repaired); `false`: written off, never back.
    #[serde(default)]
    pub damaged: bool,
}

/// A refund of an order, as staff and the customer see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderRefund {
    pub id: i32,
    pub amount: PriceView,
    /// [`crate::model::RefundStatus`]: `pending`, `issued`, `confirmed`, `failed`, `manual`,
    /// `done`.
    pub status: String,
    pub status_label: String,
    pub reason: String,
    pub lines: Vec<OrderRefundLine>,
    /// RFC 3339.
    pub created_at: String,
}

/// A customer's request to send items back, and what staff decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderReturn {
    pub id: i32,
    /// [`crate::model::ReturnStatus`]: `requested`, `approved`, `rejected`.
    pub status: String,
    pub status_label: String,
    pub reason: String,
    pub lines: Vec<OrderReturnLine>,
    /// Staff's answer (shown to the customer).
    pub decision_note: String,
    /// RFC 3339.
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderReturnLine {
    pub item_id: i32,
    pub sku: String,
    pub name: String,
    pub quantity: i32,
}

/// What a customer asks to send back: a reason, and some units of the order's lines.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReturnRequestInput {
    pub reason: String,
    pub lines: Vec<ReturnLineInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReturnLineInput {
    pub item_id: i32,
    pub quantity: i32,
}

/// Staff's answer to a return request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReturnDecision {
    /// `approve` or `reject`.
    pub decision: String,
    /// Told to the customer (required when rejecting).
    #[serde(default)]
    pub note: String,
}

/// What one refund gave money back for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderRefundLine {
    /// Empty for the shipping fee.
    pub sku: String,
    pub name: String,
    pub quantity: i32,
    pub amount: PriceView,
    /// Back on sale (`false`: damaged, written off, or the shipping fee).
    pub restock: bool,
    /// Back in the warehouse damaged (unavailable).
    pub damaged: bool,
}

/// What a refund request did: the refund, and whether it was made now (`false`: the same
/// idempotency key had made it before, nothing new happened).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefundOutcome {
    pub refund: OrderRefund,
    pub created: bool,
    /// The order after it.
    pub order: OrderView,
}
