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
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("q", &self.q),
            ("status", &self.status),
            ("payment_status", &self.payment_status),
            ("method", &self.method),
            ("from", &self.from),
            ("to", &self.to),
            ("sort", &self.sort),
        ] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        if self.page > 1 {
            query.append_pair("page", &self.page.to_string());
        }
        query.finish()
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
