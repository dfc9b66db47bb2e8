//! Cart and checkout load against a running server (not a test; `bench/checkout.sh` sets it up):
//!
//! 1. add-to-cart: 32 shoppers add random SKUs for `SECONDS` → latency percentiles; each
//!    shopper fills a cart of `CART_LINES` lines, then a new shopper starts (run once per size
//!    in the comma-separated list, default `5,40`: a usual cart and a large one);
//! 2. checkout: carts of 3 random SKUs are filled first, then `CHECKOUT_CLIENTS` shoppers place
//!    orders (demo gateway) as fast as they can → orders/s and latency percentiles;
//! 3. hot SKU: 64 buyers race for one SKU with `HOT_STOCK` units → how many orders (must be
//!    exactly `HOT_STOCK`).
//!
//! `BASE_URL` (default http://127.0.0.1:3478), `SKUS` (a file of SKUs, one per line),
//! `HOT_SKU`, `HOT_STOCK`, `SECONDS` (default 20), `CHECKOUT_CLIENTS` (default 32),
//! `CART_LINES` (default `5,40`).
//!
//! Like browsers, shoppers keep their connections open; one shared client holds them (each
//! shopper carries only its own cart cookie), so the generator spends its CPU on requests, not
//! on new connections and cookie jars.
use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use serde_json::json;

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

/// One shopper: the shared client plus their own cart cookie once the server set it, and an
/// address of their own (sent as `X-Forwarded-For`; bench/checkout.sh trusts one proxy hop),
/// so the per-address limits and counts see many shoppers, as they would in production.
#[derive(Clone)]
struct Shopper {
    client: reqwest::Client,
    cookie: Option<String>,
    address: String,
}

static SHOPPERS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl Shopper {
    fn new(client: &reqwest::Client) -> Self {
        let n = SHOPPERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Shopper {
            client: client.clone(),
            cookie: None,
            address: format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255),
        }
    }

    fn post(&self, url: String) -> reqwest::RequestBuilder {
        let request = self
            .client
            .post(url)
            .header("x-forwarded-for", &self.address);
        match &self.cookie {
            Some(cookie) => request.header(reqwest::header::COOKIE, cookie),
            None => request,
        }
    }

    /// Keeps the cart cookie the server sets on the first add.
    fn remember(&mut self, response: &reqwest::Response) {
        if let Some(set) = response
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
        {
            if let Some(pair) = set.split(';').next() {
                self.cookie = Some(pair.to_string());
            }
        }
    }
}

/// A tiny xorshift so every task picks its own SKUs without a shared RNG.
struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn percentiles(mut samples: Vec<Duration>) -> String {
    if samples.is_empty() {
        return "no samples".into();
    }
    samples.sort();
    let at = |p: f64| {
        let i = ((samples.len() as f64 * p).ceil() as usize).clamp(1, samples.len()) - 1;
        samples[i].as_secs_f64() * 1000.0
    };
    format!(
        "n={} p50={:.1} ms p95={:.1} ms p99={:.1} ms max={:.1} ms",
        samples.len(),
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0)
    )
}

fn body(buyer: usize) -> serde_json::Value {
    json!({
        "email": format!("load{buyer}@pasar.test"),
        "address": {
            "recipient": "Pembeli Beban", "phone": "081234567890", "street": "Jl. Beban 1",
            "district": "Gambir", "city": "Jakarta Pusat", "province": "DKI Jakarta",
            "postal_code": "10110"
        },
        "shipping_method": "reguler",
        "payment_method": "demo"
    })
}

/// Places the shopper's order (demo gateway); the answer's status, its body read as a browser
/// would.
async fn checkout(shopper: &Shopper, base: &str, key: &str, buyer: usize) -> u16 {
    match shopper
        .post(format!("{base}/api/v1/checkout"))
        .header("Idempotency-Key", key)
        .json(&body(buyer))
        .send()
        .await
    {
        Ok(response) => {
            let status = response.status().as_u16();
            let _ = response.bytes().await;
            status
        }
        Err(_) => 0,
    }
}

async fn add(shopper: &mut Shopper, base: &str, sku: &str) -> (u16, Duration) {
    let started = Instant::now();
    let response = shopper
        .post(format!("{base}/api/v1/cart/items"))
        .json(&json!({ "sku": sku, "quantity": 1 }))
        .send()
        .await;
    let status = match response {
        Ok(response) => {
            shopper.remember(&response);
            let status = response.status().as_u16();
            // Read the whole answer (the cart), as a browser would.
            let _ = response.bytes().await;
            status
        }
        Err(_) => 0,
    };
    (status, started.elapsed())
}

#[tokio::main]
async fn main() {
    let base = env("BASE_URL", "http://127.0.0.1:3478");
    let seconds: u64 = env("SECONDS", "20").parse().unwrap_or(20);
    let checkout_clients: usize = env("CHECKOUT_CLIENTS", "32").parse().unwrap_or(32);
    let cart_sizes: Vec<usize> = env("CART_LINES", "5,40")
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .map(|n: usize| n.clamp(1, 50))
        .collect();
    let http = client();
    let skus: Arc<Vec<String>> = Arc::new(
        std::fs::read_to_string(env("SKUS", "/tmp/pasar-bench-skus.txt"))
            .expect("SKUS file")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect(),
    );
    assert!(skus.len() >= 10, "need SKUs to buy");

    // 1. Add to cart, once per cart size.
    for &cart_lines in &cart_sizes {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let mut tasks = Vec::new();
        for t in 0..32u64 {
            let (base, skus, http) = (base.clone(), skus.clone(), http.clone());
            tasks.push(tokio::spawn(async move {
                let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ (t + 1));
                let mut samples = Vec::new();
                let mut errors = 0;
                let mut shopper = Shopper::new(&http);
                let mut lines = 0;
                while Instant::now() < deadline {
                    if lines == cart_lines {
                        shopper = Shopper::new(&http);
                        lines = 0;
                    }
                    let (status, took) =
                        add(&mut shopper, &base, &skus[rng.next(skus.len())]).await;
                    if status == 200 {
                        samples.push(took);
                    } else {
                        errors += 1;
                    }
                    lines += 1;
                }
                (samples, errors)
            }));
        }
        let (mut samples, mut errors) = (Vec::new(), 0);
        for task in tasks {
            let (s, e) = task.await.unwrap();
            samples.extend(s);
            errors += e;
        }
        let adds = samples.len();
        println!(
            "add_to_cart (32 clients, carts of {cart_lines} lines, {seconds}s): {:.0} req/s, {} errors, {}",
            adds as f64 / seconds as f64,
            errors,
            percentiles(samples)
        );
    }

    // 2. Checkout: fill carts first (3 random SKUs each), then place orders.
    let carts_wanted = checkout_clients * 600;
    let filled = Arc::new(AtomicUsize::new(0));
    let mut fill = Vec::new();
    let per = carts_wanted / 16;
    for t in 0..16u64 {
        let (base, skus, filled, http) = (base.clone(), skus.clone(), filled.clone(), http.clone());
        fill.push(tokio::spawn(async move {
            let mut rng = Rng(0xD1B5_4A32_D192_ED03 ^ (t + 7));
            let mut carts = Vec::new();
            for _ in 0..per {
                let mut shopper = Shopper::new(&http);
                let mut ok = true;
                for _ in 0..3 {
                    ok &= add(&mut shopper, &base, &skus[rng.next(skus.len())])
                        .await
                        .0
                        == 200;
                }
                if ok {
                    carts.push(shopper);
                    filled.fetch_add(1, Ordering::Relaxed);
                }
            }
            carts
        }));
    }
    let mut carts = Vec::new();
    for task in fill {
        carts.extend(task.await.unwrap());
    }
    println!("filled {} carts of 3 lines", carts.len());
    let carts = Arc::new(std::sync::Mutex::new(carts));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let next_buyer = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..checkout_clients {
        let (base, carts, next_buyer) = (base.clone(), carts.clone(), next_buyer.clone());
        tasks.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut failures = 0;
            while Instant::now() < deadline {
                let Some(shopper) = carts.lock().unwrap().pop() else {
                    break;
                };
                let buyer = next_buyer.fetch_add(1, Ordering::Relaxed);
                let t = Instant::now();
                let status = checkout(&shopper, &base, &format!("load-{buyer}"), buyer).await;
                if status == 201 {
                    samples.push(t.elapsed());
                } else {
                    failures += 1;
                }
            }
            (samples, failures)
        }));
    }
    let (mut samples, mut failures) = (Vec::new(), 0);
    for task in tasks {
        let (s, f) = task.await.unwrap();
        samples.extend(s);
        failures += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "checkout ({checkout_clients} clients, 3 lines, demo gateway): {:.0} orders/s over {:.1}s, {} refused, {}",
        samples.len() as f64 / elapsed,
        elapsed,
        failures,
        percentiles(samples)
    );

    // 3. Hot SKU.
    if let (Ok(hot), Ok(stock)) = (std::env::var("HOT_SKU"), std::env::var("HOT_STOCK")) {
        let stock: usize = stock.parse().expect("HOT_STOCK");
        let mut tasks = Vec::new();
        for buyer in 0..64 {
            let (base, hot, http) = (base.clone(), hot.clone(), http.clone());
            tasks.push(tokio::spawn(async move {
                let mut shopper = Shopper::new(&http);
                if add(&mut shopper, &base, &hot).await.0 != 200 {
                    return 0u16;
                }
                checkout(&shopper, &base, &format!("hot-{buyer}"), 1_000_000 + buyer).await
            }));
        }
        let mut placed = 0;
        for task in tasks {
            if task.await.unwrap() == 201 {
                placed += 1;
            }
        }
        println!("hot SKU: 64 buyers, {stock} units → {placed} orders");
        assert_eq!(placed, stock, "exactly the stock was sold");
    }
}
