//! The shopper journey mix against a running shop (not a test; `bench/scale-out.sh` sets up one
//! process, then two behind HAProxy): `SHOPPERS` virtual shoppers (default 1,000) for
//! `SECONDS` (default 30) at `BASE_URL`, each browsing, searching, opening a product, adding to
//! the cart, reading it back, checking out and paying with the demo gateway. Prints a table of
//! requests, throughput and p50/p95/p99 per step, and the journeys, 5xx answers and lost carts.
#[path = "../tests/integration/common/journeys.rs"]
mod journeys;

use std::{sync::Arc, time::Duration};

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

#[tokio::main]
async fn main() {
    let mix = journeys::Mix {
        base: env("BASE_URL", "http://127.0.0.1:3480"),
        shoppers: env("SHOPPERS", "1000").parse().unwrap_or(1000),
        duration: Duration::from_secs(env("SECONDS", "30").parse().unwrap_or(30)),
        terms: env(
            "TERMS",
            "kemeja,sepatu,kopi,batik,tas,hijab,produk,sintetis",
        )
        .split(',')
        .map(str::to_string)
        .collect(),
        hot_sku: std::env::var("HOT_SKU").ok().filter(|s| !s.is_empty()),
        hot_every: 50,
    };
    let shoppers = mix.shoppers;
    let report = journeys::run(Arc::new(mix)).await;
    println!(
        "{shoppers} shoppers, {:.1} s: {} journeys ({:.0}/s), {} paid orders, {} requests ({:.0}/s), {} answers ≥ 500, {} without answer, {} lost carts, {} hot-SKU orders",
        report.elapsed.as_secs_f64(),
        report.journeys,
        report.journeys as f64 / report.elapsed.as_secs_f64(),
        report.paid.len(),
        report.requests(),
        report.requests() as f64 / report.elapsed.as_secs_f64(),
        report.server_errors(),
        report.failures(),
        report.lost_carts,
        report.hot_orders
    );
    print!("{}", report.table());
    if !report.samples.is_empty() {
        println!("first unexpected answers: {:#?}", report.samples);
    }
}
