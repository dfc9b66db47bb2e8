//! PPN (Indonesian VAT) on integer amounts, as the current model computes it: a rate (12%)
//! applied to a tax base (DPP) that is a fraction (11/12) of the price net of tax, so the
//! effective rate is 11%. Shared by the cart page (an estimate) and checkout (the order's
//! stored figures); the server always recomputes.
//!
//! Rounding, in the currency's smallest unit in use (whole rupiah for IDR), applied once to the
//! order's taxable total (goods + shipping), never per line:
//! - prices **include** tax: net = gross × 100·d / (100·d + rate·n), rounded half up; PPN is
//!   the rest (gross − net), so net + PPN always equals what the shopper was shown;
//! - prices **exclude** tax: PPN = DPP × rate / 100, rounded half up, added on top;
//! - DPP = net × n / d, rounded half up.
//!
//! With integer amounts at 12% of 11/12 the PPN differs from `DPP × 12%` by at most one unit
//! (the tests check this for every amount up to 100,000 and for large ones).
use serde::{Deserialize, Serialize};

/// How PPN applies to the shop's prices (`[tax]` in Leptos.toml).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRule {
    /// Percent, e.g. 12.
    pub rate_percent: u32,
    /// The tax base is `dpp_numerator / dpp_denominator` of the net price (11/12).
    pub dpp_numerator: u32,
    pub dpp_denominator: u32,
    /// Whether catalogue prices already include PPN.
    pub prices_include_tax: bool,
}

impl TaxRule {
    /// PPN 12% on a DPP of 11/12, prices including tax: Indonesia from 2025.
    pub const INDONESIA: TaxRule = TaxRule {
        rate_percent: 12,
        dpp_numerator: 11,
        dpp_denominator: 12,
        prices_include_tax: true,
    };
}

/// The tax figures of one taxable amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxBreakdown {
    /// The amount before tax.
    pub net: i64,
    /// Dasar Pengenaan Pajak: the base the rate applies to.
    pub dpp: i64,
    /// Pajak Pertambahan Nilai.
    pub ppn: i64,
    /// What the shopper pays: net + PPN.
    pub gross: i64,
}

/// `numerator / denominator` rounded half away from zero, in 128 bits (no overflow for any
/// `i64` amount times a small rate).
fn div_round(numerator: i128, denominator: i128) -> i64 {
    let q = (2 * numerator.abs() + denominator) / (2 * denominator);
    let q = if numerator < 0 { -q } else { q };
    q as i64
}

/// Splits a taxable `amount` (the sum of line totals and shipping) into net, DPP, PPN and
/// gross according to `rule`. A rule with a zero denominator is treated as untaxed.
pub fn compute_ppn(amount: i64, rule: TaxRule) -> TaxBreakdown {
    let rate = i128::from(rule.rate_percent);
    let n = i128::from(rule.dpp_numerator);
    let d = i128::from(rule.dpp_denominator);
    if d == 0 || rate == 0 || n == 0 {
        return TaxBreakdown {
            net: amount,
            dpp: 0,
            ppn: 0,
            gross: amount,
        };
    }
    let dpp_of = |net: i64| div_round(i128::from(net) * n, d);
    if rule.prices_include_tax {
        let net = div_round(i128::from(amount) * 100 * d, 100 * d + rate * n);
        TaxBreakdown {
            net,
            dpp: dpp_of(net),
            ppn: amount - net,
            gross: amount,
        }
    } else {
        let dpp = dpp_of(amount);
        let ppn = div_round(i128::from(dpp) * rate, 100);
        TaxBreakdown {
            net: amount,
            dpp,
            ppn,
            gross: amount + ppn,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXCLUSIVE: TaxRule = TaxRule {
        prices_include_tax: false,
        ..TaxRule::INDONESIA
    };

    #[test]
    fn a_phone_at_rp_15_500_000_including_tax() {
        let t = compute_ppn(15_500_000, TaxRule::INDONESIA);
        // 15,500,000 × 1200 / 1332 = 13,963,963.96…
        assert_eq!(t.net, 13_963_964);
        assert_eq!(t.ppn, 1_536_036);
        assert_eq!(t.dpp, 12_800_300); // 13,963,964 × 11/12 = 12,800,300.33
        assert_eq!(t.gross, 15_500_000);
        assert_eq!(t.dpp * 12 / 100, 1_536_036, "12% of the DPP");
    }

    #[test]
    fn excluding_tax_adds_an_effective_eleven_percent() {
        let t = compute_ppn(1_000_000, EXCLUSIVE);
        assert_eq!(t.dpp, 916_667); // 916,666.67
        assert_eq!(t.ppn, 110_000); // 110,000.04
        assert_eq!(t.gross, 1_110_000);
        assert_eq!(t.net, 1_000_000);
    }

    #[test]
    fn parts_always_add_up_and_stay_within_a_unit_of_twelve_percent_of_dpp() {
        let big = [999_999_999_999, 123_456_789_012, 15_500_000, 1_332, 1, 0];
        for amount in (0..100_000).chain(big) {
            for rule in [TaxRule::INDONESIA, EXCLUSIVE] {
                let t = compute_ppn(amount, rule);
                assert_eq!(t.net + t.ppn, t.gross, "{amount} {rule:?}");
                assert!(t.ppn >= 0 && t.dpp >= 0 && t.net >= 0, "{amount}");
                let exact = t.dpp as f64 * 0.12;
                assert!(
                    (t.ppn as f64 - exact).abs() <= 1.0,
                    "{amount}: ppn {} vs 12% of dpp {exact}",
                    t.ppn
                );
            }
        }
    }

    #[test]
    fn effective_rate_is_eleven_percent() {
        let t = compute_ppn(111_000_000, TaxRule::INDONESIA);
        assert_eq!(t.net, 100_000_000);
        assert_eq!(t.ppn, 11_000_000);
        assert_eq!(t.dpp, 91_666_667);
    }

    #[test]
    fn zero_rate_is_untaxed() {
        let rule = TaxRule {
            rate_percent: 0,
            ..TaxRule::INDONESIA
        };
        let t = compute_ppn(50_000, rule);
        assert_eq!((t.net, t.dpp, t.ppn, t.gross), (50_000, 0, 0, 50_000));
    }
}
