//! Each gateway's currency rules, applied where we talk to it. Our amounts are integers in the
//! currency's smallest unit in use (whole rupiah for IDR, cents for USD).
//!
//! - Stripe wants the smallest unit of the ISO currency, and does **not** treat IDR as
//!   zero-decimal: Rp 15.500.000 is sent as `1550000000` (rupiah × 100). USD cents go as they are.
//! - Midtrans takes whole rupiah only, and the `item_details` prices × quantities must add up
//!   exactly to `gross_amount` (shipping and any rounding go in as their own items).
//! - A Midtrans order id is at most 50 characters of letters, digits and `-_~.`.
use crate::model::Currency;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("{gateway} does not take {currency} payments")]
    Currency {
        gateway: &'static str,
        currency: &'static str,
    },
    #[error("the amount {0} is not payable")]
    NotPayable(i64),
    #[error("the items add up to {items}, not the order total {total}")]
    ItemsDoNotSum { items: i64, total: i64 },
    #[error("`{0}` is not a valid Midtrans order id (≤ 50 letters, digits, `-_~.`)")]
    OrderId(String),
}

/// The `amount` Stripe expects for one of our amounts.
pub fn stripe_amount(amount: i64, currency: Currency) -> Result<i64, AmountError> {
    if amount <= 0 {
        return Err(AmountError::NotPayable(amount));
    }
    let factor = match currency {
        // IDR is a two-decimal currency to Stripe even though rupiah have no cents in use.
        Currency::Idr => 100,
        Currency::Usd => 1,
    };
    amount
        .checked_mul(factor)
        .ok_or(AmountError::NotPayable(amount))
}

/// One of Stripe's amounts back in our units; `None` when it is not a whole number of them
/// (an IDR amount Stripe reports with cents cannot be one of our orders).
pub fn from_stripe_amount(amount: i64, currency: Currency) -> Option<i64> {
    match currency {
        Currency::Idr => (amount % 100 == 0).then_some(amount / 100),
        Currency::Usd => Some(amount),
    }
}

/// Midtrans's `gross_amount` as sent in notifications (`"650000.00"`) in whole rupiah; `None`
/// for anything with non-zero decimals or not a number.
pub fn parse_midtrans_amount(text: &str) -> Option<i64> {
    let (whole, cents) = text.split_once('.').unwrap_or((text, "0"));
    if !cents.chars().all(|c| c == '0') || whole.is_empty() {
        return None;
    }
    whole.parse().ok()
}

/// Stripe's lower-case currency code.
pub fn stripe_currency(currency: Currency) -> &'static str {
    match currency {
        Currency::Idr => "idr",
        Currency::Usd => "usd",
    }
}

/// The whole-rupiah `gross_amount` for Midtrans, after checking that the item lines (price ×
/// quantity) add up to it exactly.
pub fn midtrans_gross_amount(
    total: i64,
    currency: Currency,
    items: &[(i64, i64)],
) -> Result<i64, AmountError> {
    if currency != Currency::Idr {
        return Err(AmountError::Currency {
            gateway: "Midtrans",
            currency: currency.code(),
        });
    }
    if total <= 0 {
        return Err(AmountError::NotPayable(total));
    }
    let sum = items
        .iter()
        .try_fold(0i64, |acc, (price, qty)| {
            price
                .checked_mul(*qty)
                .and_then(|line| acc.checked_add(line))
        })
        .ok_or(AmountError::NotPayable(total))?;
    if sum != total {
        return Err(AmountError::ItemsDoNotSum { items: sum, total });
    }
    Ok(total)
}

/// Checks an order id against Midtrans's rules.
pub fn midtrans_order_id(id: &str) -> Result<&str, AmountError> {
    let valid = !id.is_empty()
        && id.len() <= 50
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '~' | '.'));
    if valid {
        Ok(id)
    } else {
        Err(AmountError::OrderId(id.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_amounts_come_back_to_whole_rupiah() {
        assert_eq!(
            from_stripe_amount(1_550_000_000, Currency::Idr),
            Some(15_500_000)
        );
        assert_eq!(from_stripe_amount(1_550_000_050, Currency::Idr), None);
        assert_eq!(from_stripe_amount(1234, Currency::Usd), Some(1234));
        assert_eq!(parse_midtrans_amount("650000.00"), Some(650_000));
        assert_eq!(parse_midtrans_amount("650000"), Some(650_000));
        assert_eq!(parse_midtrans_amount("650000.50"), None);
        assert_eq!(parse_midtrans_amount("abc.00"), None);
    }

    #[test]
    fn stripe_sends_rupiah_times_one_hundred() {
        assert_eq!(stripe_amount(15_500_000, Currency::Idr), Ok(1_550_000_000));
        assert_eq!(stripe_amount(1_999, Currency::Usd), Ok(1_999));
        assert_eq!(stripe_currency(Currency::Idr), "idr");
        assert_eq!(
            stripe_amount(0, Currency::Idr),
            Err(AmountError::NotPayable(0))
        );
        assert!(stripe_amount(i64::MAX / 10, Currency::Idr).is_err());
    }

    #[test]
    fn midtrans_items_must_sum_to_the_gross_amount() {
        let items = [(150_000, 2), (325_000, 1), (25_000, 1)];
        assert_eq!(
            midtrans_gross_amount(650_000, Currency::Idr, &items),
            Ok(650_000)
        );
        assert_eq!(
            midtrans_gross_amount(650_001, Currency::Idr, &items),
            Err(AmountError::ItemsDoNotSum {
                items: 650_000,
                total: 650_001
            })
        );
        assert!(matches!(
            midtrans_gross_amount(650_000, Currency::Usd, &items),
            Err(AmountError::Currency { .. })
        ));
    }

    #[test]
    fn midtrans_order_ids() {
        assert_eq!(
            midtrans_order_id("PSR-20261126-0001"),
            Ok("PSR-20261126-0001")
        );
        assert!(midtrans_order_id("a.b_c~d-1").is_ok());
        assert!(midtrans_order_id(&"x".repeat(50)).is_ok());
        assert!(midtrans_order_id(&"x".repeat(51)).is_err());
        assert!(midtrans_order_id("PSR 1").is_err());
        assert!(midtrans_order_id("PSR/1").is_err());
        assert!(midtrans_order_id("").is_err());
    }
}
