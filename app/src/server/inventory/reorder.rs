//! Reorder suggestions from the last 30 days of sales (`sell` movements, by day in the shop's
//! time zone, days without sales counted as 0):
//!
//! - velocity v: an exponentially weighted average of daily units, oldest day first,
//!   `s₁ = x₁`, `sₜ = α·xₜ + (1 − α)·sₜ₋₁`, α = 2 / (7 + 1) = 0.25 (about a week's memory);
//! - σ: the standard deviation of the 30 daily values;
//! - days of cover = available / v;
//! - safety stock = z × σ × √L, z from the service level (0.95 → 1.645), L the lead time;
//! - reorder point = v × L + safety stock;
//! - suggested = ⌈v × (L + cover days) + safety stock − available − incoming⌉, at least 0.
//!
//! Lead time and cover days are the variant's own or the shop's (`[inventory]`). Floats are
//! fine here: these are forecasts of units, not money.
use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, FromQueryResult, Statement};

use super::available_units_sql;
use crate::{
    model::ReorderSuggestion,
    server::{catalog::placeholders, config::Settings},
};

/// Days of history.
pub const WINDOW_DAYS: usize = 30;
/// The smoothing factor: 2 / (span + 1) with a span of 7 days.
pub const ALPHA: f64 = 0.25;

/// The numbers for one variant, from its daily sales (oldest first).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub velocity: f64,
    pub sigma: f64,
    pub days_of_cover: Option<f64>,
    pub safety_stock: f64,
    pub reorder_point: f64,
    pub suggested: i64,
}

/// Exponentially weighted average of `daily` (oldest first); 0 for no days.
pub fn velocity(daily: &[f64]) -> f64 {
    let mut days = daily.iter();
    let Some(first) = days.next() else {
        return 0.0;
    };
    days.fold(*first, |s, x| ALPHA * x + (1.0 - ALPHA) * s)
}

/// Population standard deviation of `daily`.
pub fn sigma(daily: &[f64]) -> f64 {
    if daily.is_empty() {
        return 0.0;
    }
    let n = daily.len() as f64;
    let mean = daily.iter().sum::<f64>() / n;
    (daily.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt()
}

/// The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9):
/// z for a service level p, e.g. 0.95 → 1.645.
pub fn z_for(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let p = p.clamp(1e-9, 1.0 - 1e-9);
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The plan for one variant.
pub fn plan(
    daily: &[f64],
    available: i64,
    incoming: i64,
    lead_time_days: i32,
    cover_days: i32,
    z: f64,
) -> Plan {
    let v = velocity(daily);
    let s = sigma(daily);
    let lead = f64::from(lead_time_days.max(0));
    let safety_stock = z * s * lead.sqrt();
    let reorder_point = v * lead + safety_stock;
    let need = v * (lead + f64::from(cover_days.max(0))) + safety_stock
        - available as f64
        - incoming as f64;
    Plan {
        velocity: v,
        sigma: s,
        days_of_cover: (v > 0.0).then(|| available.max(0) as f64 / v),
        safety_stock,
        reorder_point,
        // A hair under a whole unit is that unit: no order for 2.0000000001.
        suggested: (need - 1e-9).ceil().max(0.0) as i64,
    }
}

#[derive(Debug, FromQueryResult)]
struct Sale {
    variant_id: i32,
    quantity: i32,
    created_at: chrono::DateTime<Utc>,
}

#[derive(Debug, FromQueryResult)]
struct Candidate {
    variant_id: i32,
    sku: String,
    title: String,
    product_name: String,
    lead_time_days: Option<i32>,
    cover_days: Option<i32>,
    available: i64,
    incoming: i64,
}

/// Suggestions for every active variant that sold in the window or is below its reorder point,
/// most urgent first (what must be ordered, by fewest days of cover), up to 500.
pub async fn suggestions(
    db: &DatabaseConnection,
    settings: &Settings,
) -> Result<Vec<ReorderSuggestion>, DbErr> {
    let tz: chrono_tz::Tz = settings
        .shop
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Asia::Jakarta);
    let today = Utc::now().with_timezone(&tz).date_naive();
    let first_day = today - Duration::days(WINDOW_DAYS as i64 - 1);
    let backend = db.get_database_backend();
    // From the start of the first day in the shop's zone (a day early in UTC covers it).
    let since = Utc::now() - Duration::days(WINDOW_DAYS as i64 + 1);
    let sales = Sale::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT variant_id, quantity, created_at FROM stock_movements \
             WHERE kind = 'sell' AND created_at >= {}",
            placeholders(backend, 1, 1)
        ),
        [since.into()],
    ))
    .all(db)
    .await?;
    let mut daily: HashMap<i32, Vec<f64>> = HashMap::new();
    for sale in sales {
        let day: NaiveDate = sale.created_at.with_timezone(&tz).date_naive();
        if day < first_day || day > today {
            continue;
        }
        let index = (day - first_day).num_days() as usize;
        daily
            .entry(sale.variant_id)
            .or_insert_with(|| vec![0.0; WINDOW_DAYS])[index] += f64::from(sale.quantity);
    }
    let candidates = Candidate::find_by_statement(Statement::from_string(
        backend,
        format!(
            "SELECT v.id AS variant_id, v.sku, v.title, p.name AS product_name, \
               COALESCE(v.lead_time_days, b.lead_time_days) AS lead_time_days, \
               COALESCE(v.cover_days, b.cover_days) AS cover_days, \
               CAST({} AS BIGINT) AS available, \
               CAST({} AS BIGINT) AS incoming \
             FROM product_variants v JOIN products p ON p.id = v.product_id \
             LEFT JOIN brands b ON b.id = p.brand_id \
             WHERE v.active AND p.status = 'active'",
            available_units_sql("v.id"),
            super::incoming_sql("v.id", None)
        ),
    ))
    .all(db)
    .await?;
    let z = z_for(settings.inventory.service_level);
    let lead_default = i32::try_from(settings.inventory.lead_time_days).unwrap_or(i32::MAX);
    let cover_default = i32::try_from(settings.inventory.cover_days).unwrap_or(i32::MAX);
    let zeros = vec![0.0; WINDOW_DAYS];
    let mut out: Vec<ReorderSuggestion> = candidates
        .into_iter()
        .filter_map(|c| {
            let days = daily.get(&c.variant_id).unwrap_or(&zeros);
            let lead = c.lead_time_days.unwrap_or(lead_default);
            let cover = c.cover_days.unwrap_or(cover_default);
            let p = plan(days, c.available, c.incoming, lead, cover, z);
            // Nothing sold and nothing to order: not worth a row.
            (p.velocity > 0.0 || p.suggested > 0).then_some(ReorderSuggestion {
                variant_id: c.variant_id,
                sku: c.sku,
                product_name: c.product_name,
                variant_title: c.title,
                velocity: p.velocity,
                sigma: p.sigma,
                available: c.available,
                incoming: c.incoming,
                days_of_cover: p.days_of_cover,
                lead_time_days: lead,
                cover_days: cover,
                safety_stock: p.safety_stock,
                reorder_point: p.reorder_point,
                suggested: p.suggested,
            })
        })
        .collect();
    // Most urgent first: rows to order, then by fewest days of cover, then by SKU.
    out.sort_by(|a, b| {
        (b.suggested > 0)
            .cmp(&(a.suggested > 0))
            .then_with(|| {
                let cover = |s: &ReorderSuggestion| s.days_of_cover.unwrap_or(f64::INFINITY);
                cover(a).total_cmp(&cover(b))
            })
            .then_with(|| a.sku.cmp(&b.sku))
    });
    out.truncate(500);
    Ok(out)
}

/// Sets a variant's own lead time and cover days (`None`: the shop's defaults).
pub async fn set_variant_days(
    db: &DatabaseConnection,
    variant_id: i32,
    lead_time_days: Option<i32>,
    cover_days: Option<i32>,
) -> Result<(), super::InventoryError> {
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let variant = crate::server::db::product_variant::Entity::find_by_id(variant_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            super::InventoryError::NotFound(format!("There is no variant #{variant_id}."))
        })?;
    let mut row = variant.into_active_model();
    row.lead_time_days = Set(lead_time_days);
    row.cover_days = Set(cover_days);
    row.update(db).await?;
    Ok(())
}

/// Sets a brand's lead time and cover days (`None`: the shop's defaults).
pub async fn set_brand_days(
    db: &DatabaseConnection,
    brand_id: i32,
    lead_time_days: Option<i32>,
    cover_days: Option<i32>,
) -> Result<(), super::InventoryError> {
    use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
    let brand = crate::server::db::brand::Entity::find_by_id(brand_id)
        .one(db)
        .await?
        .ok_or_else(|| {
            super::InventoryError::NotFound(format!("There is no brand #{brand_id}."))
        })?;
    let mut row = brand.into_active_model();
    row.lead_time_days = Set(lead_time_days);
    row.cover_days = Set(cover_days);
    row.update(db).await?;
    Ok(())
}

/// The suggestions as CSV (for a purchase order).
pub fn to_csv(rows: &[ReorderSuggestion]) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "sku",
        "product",
        "variant",
        "velocity_per_day",
        "sigma",
        "available",
        "incoming",
        "days_of_cover",
        "lead_time_days",
        "cover_days",
        "safety_stock",
        "reorder_point",
        "suggested",
    ])?;
    for r in rows {
        out.write_record([
            r.sku.clone(),
            r.product_name.clone(),
            r.variant_title.clone(),
            format!("{:.2}", r.velocity),
            format!("{:.2}", r.sigma),
            r.available.to_string(),
            r.incoming.to_string(),
            r.days_of_cover
                .map(|d| format!("{d:.1}"))
                .unwrap_or_default(),
            r.lead_time_days.to_string(),
            r.cover_days.to_string(),
            format!("{:.1}", r.safety_stock),
            format!("{:.1}", r.reorder_point),
            r.suggested.to_string(),
        ])?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-6
    }

    #[test]
    fn a_steady_seller_has_its_rate_as_velocity_and_no_variability() {
        let daily = [2.0; WINDOW_DAYS];
        let p = plan(&daily, 10, 0, 7, 14, z_for(0.95));
        assert!(close(p.velocity, 2.0));
        assert!(close(p.sigma, 0.0));
        assert!(close(p.safety_stock, 0.0));
        assert!(close(p.reorder_point, 14.0));
        assert_eq!(p.days_of_cover, Some(5.0));
        // 2 × (7 + 14) − 10 = 32.
        assert_eq!(p.suggested, 32);
        // Incoming counts against the order.
        assert_eq!(plan(&daily, 10, 12, 7, 14, 1.645).suggested, 20);
        // Plenty on hand: nothing to order.
        assert_eq!(plan(&daily, 100, 0, 7, 14, 1.645).suggested, 0);
    }

    #[test]
    fn the_average_weights_recent_days_and_variability_adds_safety_stock() {
        // 29 quiet days, then 8 units yesterday... today: s = 0.25 × 8 = 2.
        let mut daily = [0.0; WINDOW_DAYS];
        daily[WINDOW_DAYS - 1] = 8.0;
        assert!(close(velocity(&daily), 2.0));
        // One day back: 8 × 0.25 × 0.75 = 1.5.
        let mut earlier = [0.0; WINDOW_DAYS];
        earlier[WINDOW_DAYS - 2] = 8.0;
        assert!(close(velocity(&earlier), 1.5));
        // Alternating 0 and 4: mean 2, σ = 2.
        let alternating: Vec<f64> = (0..WINDOW_DAYS)
            .map(|d| if d % 2 == 0 { 0.0 } else { 4.0 })
            .collect();
        assert!(close(sigma(&alternating), 2.0));
        let p = plan(&alternating, 0, 0, 4, 10, 1.645);
        // Safety stock = 1.645 × 2 × √4 = 6.58.
        assert!(close(p.safety_stock, 6.58));
        // v × (4 + 10) + 6.58, rounded up.
        let expected = (velocity(&alternating) * 14.0 + 6.58).ceil() as i64;
        assert_eq!(p.suggested, expected);
        assert!(close(p.reorder_point, velocity(&alternating) * 4.0 + 6.58));
        assert_eq!(p.days_of_cover, Some(0.0));
    }

    #[test]
    fn service_levels_map_to_the_normal_quantiles() {
        assert!((z_for(0.95) - 1.644_853_6).abs() < 1e-6);
        assert!((z_for(0.99) - 2.326_347_9).abs() < 1e-6);
        assert!((z_for(0.5)).abs() < 1e-9);
        assert!((z_for(0.999) - 3.090_232_3).abs() < 1e-6);
    }

    #[test]
    fn nothing_sold_means_no_velocity_and_no_cover_figure() {
        let p = plan(&[0.0; WINDOW_DAYS], 3, 0, 7, 14, 1.645);
        assert_eq!(p.velocity, 0.0);
        assert_eq!(p.days_of_cover, None);
        assert_eq!(p.suggested, 0);
    }
}
