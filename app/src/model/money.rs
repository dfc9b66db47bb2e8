//! Money as integers in the currency's smallest unit in use (whole rupiah for IDR, cents for
//! USD), and how each currency is written.
use serde::{Deserialize, Serialize};

/// The currencies the shop can be configured with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Idr,
    Usd,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Idr => "IDR",
            Currency::Usd => "USD",
        }
    }

    /// How many minor units our integer amounts carry (IDR is kept in whole rupiah).
    pub fn decimals(self) -> u32 {
        match self {
            Currency::Idr => 0,
            Currency::Usd => 2,
        }
    }

    pub fn parse(code: &str) -> Option<Currency> {
        match code.trim().to_ascii_uppercase().as_str() {
            "IDR" => Some(Currency::Idr),
            "USD" => Some(Currency::Usd),
            _ => None,
        }
    }
}

/// An amount of money: integer minor units plus the currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Self {
        Money { amount, currency }
    }

    /// `Rp 15.500.000` for IDR, `$1,234.50` for USD.
    pub fn format(&self) -> String {
        format_money(self.amount, self.currency)
    }
}

/// Formats an integer amount the way shoppers of that currency read it.
pub fn format_money(amount: i64, currency: Currency) -> String {
    let sign = if amount < 0 { "-" } else { "" };
    let abs = amount.unsigned_abs();
    match currency {
        Currency::Idr => format!("{sign}Rp {}", group_thousands(abs, '.')),
        Currency::Usd => format!(
            "{sign}${}.{:02}",
            group_thousands(abs / 100, ','),
            abs % 100
        ),
    }
}

fn group_thousands(mut value: u64, separator: char) -> String {
    let mut groups = Vec::new();
    loop {
        groups.push(value % 1000);
        value /= 1000;
        if value == 0 {
            break;
        }
    }
    let mut out = groups.pop().map(|g| g.to_string()).unwrap_or_default();
    while let Some(g) = groups.pop() {
        out.push(separator);
        out.push_str(&format!("{g:03}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rupiah_uses_dots_and_no_decimals() {
        assert_eq!(format_money(15_500_000, Currency::Idr), "Rp 15.500.000");
        assert_eq!(format_money(0, Currency::Idr), "Rp 0");
        assert_eq!(format_money(999, Currency::Idr), "Rp 999");
        assert_eq!(format_money(1_000, Currency::Idr), "Rp 1.000");
        assert_eq!(format_money(-25_000, Currency::Idr), "-Rp 25.000");
    }

    #[test]
    fn dollars_use_commas_and_cents() {
        assert_eq!(format_money(123_450, Currency::Usd), "$1,234.50");
        assert_eq!(format_money(5, Currency::Usd), "$0.05");
    }
}
