//! Shopper journeys under load, shared by the scale-out test and `server/benches/scale_out.rs`
//! (which includes this file by path): each virtual shopper browses the home page, searches,
//! opens a product, adds to the cart, reads the cart back (the line must be there, whichever
//! process answers), checks out and pays with the demo gateway, then starts over as a new
//! shopper. Every answer is timed per step; 5xx answers, transport failures and carts missing
//! their line are counted.
#![allow(dead_code)]

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::{json, Value};

pub const STEPS: [&str; 7] = [
    "browse",
    "search",
    "product",
    "add to cart",
    "cart",
    "checkout",
    "pay",
];

pub struct Mix {
    pub base: String,
    pub shoppers: usize,
    pub duration: Duration,
    pub terms: Vec<String>,
    /// Bought by every `hot_every`-th journey instead of the searched product.
    pub hot_sku: Option<String>,
    pub hot_every: usize,
}

#[derive(Default, Clone)]
pub struct Step {
    pub latencies: Vec<Duration>,
    pub statuses: BTreeMap<u16, usize>,
    /// No answer at all (connection refused or reset, time-out).
    pub failures: usize,
}

impl Step {
    pub fn count(&self) -> usize {
        self.statuses.values().sum::<usize>() + self.failures
    }

    pub fn server_errors(&self) -> usize {
        self.statuses
            .iter()
            .filter(|(s, _)| **s >= 500)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        if sorted.is_empty() {
            return Duration::ZERO;
        }
        let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[at.min(sorted.len() - 1)]
    }
}

#[derive(Default)]
pub struct Report {
    pub steps: BTreeMap<&'static str, Step>,
    pub journeys: usize,
    /// A cart read back without the line just added.
    pub lost_carts: usize,
    /// `(order number, access key)` of every order the demo gateway confirmed as paid.
    pub paid: Vec<(String, String)>,
    /// Orders placed for the hot SKU (paid or not).
    pub hot_orders: usize,
    /// The first few unexpected answers, for the failure message.
    pub samples: Vec<String>,
    pub elapsed: Duration,
}

impl Report {
    pub fn server_errors(&self) -> usize {
        self.steps.values().map(Step::server_errors).sum()
    }

    pub fn failures(&self) -> usize {
        self.steps.values().map(|s| s.failures).sum()
    }

    pub fn requests(&self) -> usize {
        self.steps.values().map(Step::count).sum()
    }

    /// One line per step: requests, statuses, p50/p95/p99.
    pub fn table(&self) -> String {
        let mut out = String::from(
            "| step | requests | req/s | p50 ms | p95 ms | p99 ms | statuses |\n| --- | ---: | ---: | ---: | ---: | ---: | --- |\n",
        );
        let secs = self.elapsed.as_secs_f64().max(0.001);
        for name in STEPS {
            let Some(step) = self.steps.get(name) else {
                continue;
            };
            let ms = |p| step.percentile(p).as_secs_f64() * 1e3;
            let mut statuses: Vec<String> = step
                .statuses
                .iter()
                .map(|(s, n)| format!("{s}×{n}"))
                .collect();
            if step.failures > 0 {
                statuses.push(format!("no answer×{}", step.failures));
            }
            out.push_str(&format!(
                "| {name} | {} | {:.0} | {:.1} | {:.1} | {:.1} | {} |\n",
                step.count(),
                step.count() as f64 / secs,
                ms(0.50),
                ms(0.95),
                ms(0.99),
                statuses.join(" ")
            ));
        }
        out
    }
}

/// One shopper's identity: the cart cookie the shop gave them, an address of their own (sent as
/// `X-Forwarded-For`, one trusted hop) so per-address limits see many shoppers.
struct Shopper {
    cookie: Option<String>,
    address: String,
}

struct Shared {
    report: Mutex<Report>,
}

impl Shared {
    fn record(&self, step: &'static str, started: Instant, status: Option<u16>, what: &str) {
        let mut report = self.report.lock().unwrap_or_else(|p| p.into_inner());
        let entry = report.steps.entry(step).or_default();
        entry.latencies.push(started.elapsed());
        match status {
            Some(status) => *entry.statuses.entry(status).or_default() += 1,
            None => entry.failures += 1,
        }
        if status.is_none_or(|s| s >= 500) && report.samples.len() < 10 {
            report.samples.push(format!(
                "{step}: {status:?} {}",
                what.chars().take(200).collect::<String>()
            ));
        }
    }
}

/// A client for many shoppers: connections are kept and shared (as a browser keeps its own);
/// each shopper carries only its cookie.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(2048)
        // Below the server's 10 s keep-alive time-out, so a reused connection is never one the
        // server is closing.
        .pool_idle_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

async fn send(
    shared: &Shared,
    step: &'static str,
    request: reqwest::RequestBuilder,
    shopper: &mut Shopper,
) -> Option<(u16, Value)> {
    let mut request = request.header("x-forwarded-for", &shopper.address);
    if let Some(cookie) = &shopper.cookie {
        request = request.header("cookie", cookie);
    }
    let started = Instant::now();
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            if let Some(set) = response
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.starts_with("pasar_cart="))
            {
                shopper.cookie = set.split(';').next().map(str::to_string);
            }
            let body = response.text().await.unwrap_or_default();
            shared.record(step, started, Some(status), &body);
            Some((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
        }
        Err(e) => {
            shared.record(step, started, None, &e.to_string());
            None
        }
    }
}

fn checkout_body(n: usize) -> Value {
    json!({
        "email": format!("scale{n}@pasar.test"),
        "address": {
            "recipient": "Pembeli Skala", "phone": "081234567890", "street": "Jl. Skala 1",
            "district": "Gambir", "city": "Jakarta Pusat", "province": "DKI Jakarta",
            "postal_code": "10110"
        },
        "shipping_method": "reguler",
        "payment_method": "demo"
    })
}

/// One journey; `false` when it could not go on (the step's failure is already counted).
async fn journey(http: &reqwest::Client, mix: &Mix, shared: &Shared, n: usize) -> bool {
    let base = &mix.base;
    let mut shopper = Shopper {
        cookie: None,
        address: format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255),
    };
    let home = http.get(format!("{base}/")).header("accept", "text/html");
    if send(shared, "browse", home, &mut shopper).await.is_none() {
        return false;
    }
    let term = &mix.terms[n % mix.terms.len()];
    let search = http.get(format!("{base}/api/v1/products?q={term}&per_page=12"));
    let Some((200, found)) = send(shared, "search", search, &mut shopper).await else {
        return false;
    };
    let items = found["items"].as_array().cloned().unwrap_or_default();
    let Some(slug) = items
        .get(n % items.len().max(1))
        .and_then(|i| i["slug"].as_str())
    else {
        return false;
    };
    let product = http.get(format!("{base}/api/v1/products/{slug}"));
    let Some((200, detail)) = send(shared, "product", product, &mut shopper).await else {
        return false;
    };
    let hot = mix.hot_every > 0 && n.is_multiple_of(mix.hot_every);
    let sku = match (&mix.hot_sku, hot) {
        (Some(hot_sku), true) => hot_sku.clone(),
        _ => {
            let variants = detail["variants"].as_array().cloned().unwrap_or_default();
            match variants
                .iter()
                .filter(|v| v["available"].as_i64().unwrap_or(1) > 0)
                .nth(n % variants.len().max(1))
                .or_else(|| variants.first())
                .and_then(|v| v["sku"].as_str())
            {
                Some(sku) => sku.to_string(),
                None => return false,
            }
        }
    };
    let add = http
        .post(format!("{base}/api/v1/cart/items"))
        .json(&json!({ "sku": sku, "quantity": 1 }));
    let Some((status, _)) = send(shared, "add to cart", add, &mut shopper).await else {
        return false;
    };
    if status != 200 {
        // Sold out (the hot SKU): a normal answer, the journey ends here.
        return status < 500;
    }
    let cart = http.get(format!("{base}/api/v1/cart"));
    let Some((200, cart)) = send(shared, "cart", cart, &mut shopper).await else {
        return false;
    };
    let has_line = cart["lines"]
        .as_array()
        .is_some_and(|lines| lines.iter().any(|l| l["sku"] == sku.as_str()));
    if !has_line {
        shared
            .report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .lost_carts += 1;
        return false;
    }
    let checkout = http
        .post(format!("{base}/api/v1/checkout"))
        .header("Idempotency-Key", format!("scale-{n}"))
        .json(&checkout_body(n));
    let Some((status, placed)) = send(shared, "checkout", checkout, &mut shopper).await else {
        return false;
    };
    if status != 201 {
        return status < 500;
    }
    if hot {
        shared
            .report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .hot_orders += 1;
    }
    let number = placed["order"]["number"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let key = placed["order_url"]
        .as_str()
        .and_then(|u| u.split_once("key=").map(|(_, k)| k.to_string()))
        .unwrap_or_default();
    let pay = http.post(format!(
        "{base}/api/v1/payments/demo/{number}/approve?key={key}"
    ));
    let Some((200, paid)) = send(shared, "pay", pay, &mut shopper).await else {
        return false;
    };
    if paid["payment_status"] == "paid" {
        shared
            .report
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .paid
            .push((number, key));
    }
    true
}

/// Runs `mix.shoppers` shoppers for `mix.duration`, each doing journey after journey.
pub async fn run(mix: Arc<Mix>) -> Report {
    let http = client();
    let shared = Arc::new(Shared {
        report: Mutex::new(Report::default()),
    });
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(1));
    let started = Instant::now();
    let deadline = started + mix.duration;
    let tasks: Vec<_> = (0..mix.shoppers)
        .map(|_| {
            let (http, mix, shared, next) =
                (http.clone(), mix.clone(), shared.clone(), next.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    journey(&http, &mix, &shared, n).await;
                    shared
                        .report
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .journeys += 1;
                }
            })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    let mut report = std::mem::take(&mut *shared.report.lock().unwrap_or_else(|p| p.into_inner()));
    report.elapsed = started.elapsed();
    report
}

/// An HAProxy in front of `backends` (`host:port`), round robin, health-checked on `/readyz`,
/// listening on `port`: the configuration text. (HAProxy needs two descriptors a connection:
/// 5,000 fits the usual 20,000 open-file limit.)
pub fn haproxy_config(port: u16, backends: &[String]) -> String {
    let servers: String = backends
        .iter()
        .enumerate()
        .map(|(i, addr)| format!("    server pasar-{i} {addr} check inter 1s fall 3 rise 2\n"))
        .collect();
    format!(
        "global\n    maxconn 5000\n\
         defaults\n    mode http\n    option http-server-close\n    timeout connect 2s\n    timeout client 65s\n    timeout server 65s\n    timeout check 10s\n    retries 2\n    option redispatch\n    retry-on conn-failure\n\
         frontend shop\n    bind 127.0.0.1:{port}\n    maxconn 5000\n    default_backend pasar\n\
         backend pasar\n    balance roundrobin\n    option httpchk GET /readyz\n    http-check expect status 200\n{servers}"
    )
}
