//! What the analytics dashboard and `GET /api/v1/admin/analytics` show.
use serde::{Deserialize, Serialize};

/// The period a figure covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum AnalyticsRange {
    /// Since local midnight, against yesterday.
    #[default]
    #[serde(rename = "today")]
    Today,
    /// The last 7 days including today, against the 7 before.
    #[serde(rename = "7d")]
    Week,
    /// The last 30 days including today, against the 30 before.
    #[serde(rename = "30d")]
    Month,
}

impl AnalyticsRange {
    pub const ALL: [AnalyticsRange; 3] = [
        AnalyticsRange::Today,
        AnalyticsRange::Week,
        AnalyticsRange::Month,
    ];

    pub fn days(self) -> u32 {
        match self {
            AnalyticsRange::Today => 1,
            AnalyticsRange::Week => 7,
            AnalyticsRange::Month => 30,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AnalyticsRange::Today => "today",
            AnalyticsRange::Week => "7d",
            AnalyticsRange::Month => "30d",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            AnalyticsRange::Today => "Today",
            AnalyticsRange::Week => "7 days",
            AnalyticsRange::Month => "30 days",
        }
    }
}

/// A figure for the period and the one before, with the change in per cent (none when the
/// previous figure is 0: no division by zero, never NaN or ∞).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Figure {
    pub current: i64,
    pub previous: i64,
    pub change_percent: Option<f64>,
}

impl Figure {
    pub fn new(current: i64, previous: i64) -> Self {
        let change_percent = (previous != 0)
            .then(|| (current - previous) as f64 * 100.0 / previous.abs() as f64)
            .filter(|c| c.is_finite());
        Self {
            current,
            previous,
            change_percent,
        }
    }
}

/// A rate (0–100 %) for the period and the one before; none without a denominator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Rate {
    pub current: Option<f64>,
    pub previous: Option<f64>,
}

/// `part / whole` in per cent, none when `whole` is 0.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0)
        .then(|| part as f64 * 100.0 / whole as f64)
        .filter(|p| p.is_finite())
}

/// One day of the series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct DayFigures {
    /// `YYYY-MM-DD`, the shop's calendar day.
    pub day: String,
    /// Whole rupiah, refunds of the day subtracted.
    pub revenue: i64,
    pub orders: i64,
    pub new_customers: i64,
    pub returning_customers: i64,
}

/// A product in a top list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TopProduct {
    pub product_id: i32,
    pub name: String,
    /// Whole rupiah of its lines (before shipping), in the period.
    pub revenue: i64,
    pub units: i64,
}

/// Payments by method in the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MethodFigures {
    pub method: String,
    pub succeeded: i64,
    pub failed: i64,
}

/// What visitors did in the period, in the order they do it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Funnel {
    pub sessions: i64,
    pub product_views: i64,
    pub add_to_cart: i64,
    pub checkouts_started: i64,
    pub orders_placed: i64,
}

/// Everything the dashboard shows, in one answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AnalyticsView {
    pub range: AnalyticsRange,
    /// First and last day of the period (`YYYY-MM-DD`, the shop's time zone).
    pub from: String,
    pub to: String,
    /// Whole rupiah: paid orders' grand totals less refunds, by the day each happened.
    pub revenue: Figure,
    /// Paid orders.
    pub orders: Figure,
    pub units: Figure,
    /// Revenue ÷ orders, whole rupiah (0 without orders).
    pub average_order_value: Figure,
    /// Distinct customers with a paid order.
    pub customers: Figure,
    pub new_customers: Figure,
    pub returning_customers: Figure,
    /// Refunded, whole rupiah.
    pub refunded: Figure,
    /// Paid ÷ (paid + declined attempts).
    pub payment_success_rate: Rate,
    /// Customers of the period with an earlier paid order ÷ customers of the period.
    pub returning_customer_rate: Rate,
    /// Distinct visitors seen in the last 5 minutes (not tied to the range).
    pub visitors_now: i64,
    /// Distinct visitors (a day's visitor counted once; across days an estimate, since a
    /// visitor's hash changes every day).
    pub visitors: Figure,
    pub page_views: Figure,
    /// Visits: a session ends after 30 minutes without activity.
    pub sessions: Figure,
    /// Sessions that placed an order ÷ sessions.
    pub conversion_rate: Rate,
    /// Sessions → product views → adds to cart → checkouts started → orders placed.
    pub funnel: Funnel,
    /// Per day of the period, oldest first.
    pub series: Vec<DayFigures>,
    pub top_by_revenue: Vec<TopProduct>,
    pub top_by_units: Vec<TopProduct>,
    pub payment_methods: Vec<MethodFigures>,
    /// RFC 3339, UTC.
    pub generated_at: String,
}

/// A variant in stock that has not sold for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SlowMover {
    pub sku: String,
    pub product_id: i32,
    pub product_name: String,
    pub variant_title: String,
    pub available: i64,
    /// The last paid sale (RFC 3339, UTC); none if it never sold.
    pub last_sold: Option<String>,
}

/// The dashboard's one answer: the figures and the lists staff act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    pub view: AnalyticsView,
    pub slow_movers: Vec<SlowMover>,
    pub slow_mover_days: u32,
    /// Out of stock (available 0) and low, lowest first.
    pub low_stock: Vec<crate::model::LowStockItem>,
    /// Seconds between polls.
    pub refresh_seconds: u32,
    pub currency: crate::model::Currency,
    /// When these figures were read, in the shop's time zone (`14:32:05 WIB`).
    pub updated_at_local: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_from_nothing_has_no_percentage() {
        assert_eq!(Figure::new(500, 0).change_percent, None);
        assert_eq!(Figure::new(0, 0).change_percent, None);
        assert_eq!(Figure::new(150, 100).change_percent, Some(50.0));
        assert_eq!(Figure::new(50, 100).change_percent, Some(-50.0));
        assert_eq!(Figure::new(-50, -100).change_percent, Some(50.0));
        assert_eq!(percent(1, 0), None);
        assert_eq!(percent(1, 4), Some(25.0));
    }

    #[test]
    fn ranges_read_and_write_the_same_words() {
        for r in AnalyticsRange::ALL {
            assert_eq!(AnalyticsRange::parse(r.as_str()), Some(r));
            assert_eq!(
                serde_json::to_string(&r).unwrap(),
                format!("\"{}\"", r.as_str())
            );
        }
        assert_eq!(AnalyticsRange::parse("1y"), None);
    }
}
