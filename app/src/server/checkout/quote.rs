//! The review step: shipping methods and their prices for a parcel, and the totals with PPN.
use sea_orm::ConnectionTrait;

use super::CheckoutError;
use crate::{
    model::{compute_ppn, CheckoutQuote, Currency, Money, OrderTotals, ShippingOption, TaxRule},
    server::{
        cart::{self, CartOwner},
        config::Settings,
    },
};

/// The shipping methods for a parcel of `weight_grams` to `province`, with goods worth
/// `subtotal`: the first kilogram at the zone's rate, each further started kilogram at the next
/// rate; free with the methods that allow it once the subtotal reaches the threshold.
pub fn shipping_options(
    settings: &Settings,
    province: &str,
    subtotal: i64,
    weight_grams: i64,
) -> Vec<ShippingOption> {
    let shipping = &settings.shipping;
    let currency = settings.shop.currency();
    let Some(zone) = shipping.zone_of(province) else {
        return Vec::new();
    };
    let kilograms = ((weight_grams.max(1) + 999) / 1000).max(1);
    shipping
        .methods
        .iter()
        .filter_map(|method| {
            let rate = method.rates.iter().find(|r| r.zone == zone.code)?;
            let free = method.free_shipping
                && shipping.free_shipping_threshold > 0
                && subtotal >= shipping.free_shipping_threshold;
            let price = if free {
                0
            } else {
                rate.first_kg + rate.next_kg * (kilograms - 1)
            };
            Some(ShippingOption {
                code: method.code.clone(),
                name: method.name.clone(),
                eta: method.eta.clone(),
                price: Money::new(price, currency).into(),
                free,
            })
        })
        .collect()
}

/// Subtotal and shipping → DPP, PPN and the grand total, by the shop's tax rule. PPN is
/// computed once on goods + shipping (both are taxable deliveries).
pub fn totals(subtotal: i64, shipping: i64, rule: TaxRule, currency: Currency) -> OrderTotals {
    let tax = compute_ppn(subtotal + shipping, rule);
    let money = |amount: i64| Money::new(amount, currency).into();
    OrderTotals {
        subtotal: money(subtotal),
        shipping: money(shipping),
        dpp: money(tax.dpp),
        ppn: money(tax.ppn),
        grand_total: money(tax.gross),
        prices_include_tax: rule.prices_include_tax,
    }
}

/// The review step for the current cart: shipping options to `province` and totals with
/// `method` (or the first option).
pub async fn quote(
    db: &impl ConnectionTrait,
    settings: &Settings,
    owner: &CartOwner,
    province: &str,
    method: Option<&str>,
) -> Result<CheckoutQuote, CheckoutError> {
    let currency = settings.shop.currency();
    let view = cart::view(db, owner, currency).await?;
    let subtotal = view.subtotal.as_ref().map_or(0, |s| s.amount);
    let weight: i64 = view
        .lines
        .iter()
        .map(|l| i64::from(l.weight_grams) * i64::from(l.quantity))
        .sum();
    let options = if view.item_count > 0 && !province.is_empty() {
        shipping_options(settings, province, subtotal, weight)
    } else {
        Vec::new()
    };
    let chosen = method
        .and_then(|m| options.iter().find(|o| o.code == m))
        .or(options.first());
    Ok(CheckoutQuote {
        totals: chosen.map(|o| totals(subtotal, o.price.amount, settings.tax.rule(), currency)),
        shipping_options: options,
        payment_methods: settings.payments.enabled.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::from_toml(include_str!("../../../../Leptos.toml"), |_| None).expect("settings")
    }

    #[test]
    fn shipping_is_priced_by_zone_and_started_kilogram() {
        let s = settings();
        let jakarta = shipping_options(&s, "DKI Jakarta", 100_000, 1_000);
        let reguler = jakarta.iter().find(|o| o.code == "reguler").unwrap();
        assert_eq!(reguler.price.amount, 10_000);
        let heavier = shipping_options(&s, "DKI Jakarta", 100_000, 2_001);
        let reguler = heavier.iter().find(|o| o.code == "reguler").unwrap();
        // 2,001 g: first kilogram + two started ones.
        assert_eq!(reguler.price.amount, 10_000 + 2 * 6_000);
        let papua = shipping_options(&s, "Papua", 100_000, 500);
        assert_eq!(papua[0].price.amount, 45_000, "the catch-all zone");
    }

    #[test]
    fn free_shipping_applies_from_the_threshold_to_marked_methods_only() {
        let s = settings();
        let below = shipping_options(&s, "Bali", 499_999, 1_000);
        assert!(below.iter().all(|o| !o.free));
        let at = shipping_options(&s, "Bali", 500_000, 1_000);
        let reguler = at.iter().find(|o| o.code == "reguler").unwrap();
        let ekspres = at.iter().find(|o| o.code == "ekspres").unwrap();
        assert!(reguler.free && reguler.price.amount == 0);
        assert!(!ekspres.free && ekspres.price.amount > 0);
    }

    #[test]
    fn totals_include_ppn_on_goods_and_shipping() {
        let t = totals(
            1_000_000,
            10_000,
            TaxRule::INDONESIA,
            crate::model::Currency::Idr,
        );
        assert_eq!(t.grand_total.amount, 1_010_000, "prices include tax");
        let tax = compute_ppn(1_010_000, TaxRule::INDONESIA);
        assert_eq!(t.ppn.amount, tax.ppn);
        assert_eq!(t.dpp.amount, tax.dpp);
        let exclusive = TaxRule {
            prices_include_tax: false,
            ..TaxRule::INDONESIA
        };
        let t = totals(1_000_000, 0, exclusive, crate::model::Currency::Idr);
        // DPP 916,667 × 12% = 110,000.04 → 110,000 on top.
        assert_eq!(t.ppn.amount, 110_000);
        assert_eq!(t.grand_total.amount, 1_110_000);
    }
}
