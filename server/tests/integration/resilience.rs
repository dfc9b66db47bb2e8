//! The shop keeps selling when what it leans on goes away: carts survive a restart on the
//! embedded default, and with Redis configured, a Redis that stops mid-run (one this test
//! starts itself) leaves browsing, logging in, the cart and checkout working, then Redis is
//! used again once it is back.

use std::{
    net::TcpListener,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::common::{spawn_app_with, variant_with_stock, TestApp};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn checkout_body(email: &str) -> Value {
    json!({
        "email": email,
        "address": {
            "recipient": "Siti Rahayu",
            "phone": "0812-3456-7890",
            "street": "Jl. Melati No. 5 RT 02/RW 03",
            "district": "Tebet",
            "city": "Jakarta Selatan",
            "province": "DKI Jakarta",
            "postal_code": "12810"
        },
        "shipping_method": "reguler",
        "payment_method": "demo"
    })
}

async fn add_to_cart(app: &TestApp, client: &reqwest::Client, sku: &str, quantity: i32) -> Value {
    let res = client
        .post(app.url("/api/v1/cart/items"))
        .json(&json!({ "sku": sku, "quantity": quantity }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "add to cart");
    res.json().await.unwrap()
}

async fn cart_count(app: &TestApp, client: &reqwest::Client) -> i64 {
    let cart: Value = client
        .get(app.url("/api/v1/cart"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    cart["item_count"].as_i64().expect("item_count")
}

#[tokio::test]
async fn a_cart_survives_a_restart() {
    // The embedded default: no Redis, carts in the database.
    let first = spawn_app_with(&[("REDIS_URL", String::new())]).await;
    let (_, sku, _) = variant_with_stock(&first.state.db, &[10]).await;
    let client = first.client.clone();
    add_to_cart(&first, &client, &sku, 3).await;
    assert_eq!(cart_count(&first, &client).await, 3);
    first.stop();

    // A new process on the same database, with an empty in-process store. Cookies are per
    // host, not port, so the shopper's client brings its cart cookie along.
    let second = spawn_app_with(&[
        ("REDIS_URL", String::new()),
        ("DATABASE_URL", first.database_url.clone()),
    ])
    .await;
    assert!(
        client.get(first.url("/healthz")).send().await.is_err(),
        "the first server is gone"
    );
    assert_eq!(second.state.cache.backend(), "memory");
    let cart: Value = client
        .get(second.url("/api/v1/cart"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        cart["item_count"], 3,
        "the cart outlived the restart: {cart}"
    );
    assert_eq!(cart["lines"][0]["sku"], sku.as_str());
}

/// A Redis of our own on a free port, killed when dropped.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn free_port() -> u16 {
        TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port")
    }

    async fn start_on(port: u16) -> OwnRedis {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (the test starts its own Redis)");
        let redis = OwnRedis {
            port,
            child: Some(child),
        };
        for _ in 0..100 {
            if redis.ping().await {
                return redis;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("redis-server on port {port} did not answer");
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Sends one inline command and returns the raw reply.
    async fn command(&self, line: &str) -> Option<String> {
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .ok()?;
        stream
            .write_all(format!("{line}\r\n").as_bytes())
            .await
            .ok()?;
        let mut reply = vec![0u8; 256];
        let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut reply))
            .await
            .ok()?
            .ok()?;
        Some(String::from_utf8_lossy(&reply[..n]).into_owned())
    }

    async fn ping(&self) -> bool {
        self.command("PING")
            .await
            .is_some_and(|r| r.starts_with("+PONG"))
    }

    /// Number of keys Redis holds.
    async fn keys(&self) -> i64 {
        let reply = self.command("DBSIZE").await.unwrap_or_default();
        reply.trim().trim_start_matches(':').parse().unwrap_or(-1)
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One request, which must answer without waiting on Redis's time-outs (3 s in fred).
async fn quick(request: reqwest::RequestBuilder, what: &str) -> reqwest::Response {
    let started = Instant::now();
    let res = request.send().await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(2900),
        "{what} waited {:?}: it should not wait for Redis",
        started.elapsed()
    );
    res
}

#[tokio::test]
#[ignore = "starts its own redis-server; `cargo xtask test` runs it on SQLite and on PostgreSQL"]
async fn the_shop_keeps_selling_while_redis_is_away() {
    let mut redis = OwnRedis::start_on(OwnRedis::free_port()).await;
    let app = spawn_app_with(&[("REDIS_URL", redis.url())]).await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[20]).await;

    // Before: a customer logged in on Redis with something in the cart.
    let early = app.new_client();
    let res = app
        .register(&early, "Budi Santoso", "budi@contoh.co.id", "rahasia-123")
        .await;
    assert_eq!(res.status(), 201);
    add_to_cart(&app, &early, &sku, 2).await;
    assert!(redis.keys().await > 0, "the session is in Redis");

    redis.stop();

    // Browsing, as a browser (each page is also a tracked visit, which must not wait either).
    for path in ["/", "/search", "/search?q=kaos", "/cart", "/login"] {
        let res = quick(
            app.client.get(app.url(path)).header("accept", "text/html"),
            path,
        )
        .await;
        assert_eq!(res.status(), 200, "{path} while Redis is away");
        assert!(res.text().await.unwrap().contains("</html>"));
    }
    let ready = quick(app.client.get(app.url("/readyz")), "/readyz").await;
    assert_eq!(ready.status(), 200, "still ready: the shop is selling");
    let ready: Value = ready.json().await.unwrap();
    assert_eq!(
        ready["components"]["cache"]["status"], "degraded",
        "{ready}"
    );

    // A new customer registers, logs in and checks out.
    let during = app.new_client();
    let res = quick(
        during.post(app.url("/api/v1/auth/register")).json(&json!({
            "name": "Siti Rahayu", "email": "siti@contoh.co.id", "password": "rahasia-456"
        })),
        "register",
    )
    .await;
    assert_eq!(res.status(), 201, "registering while Redis is away");
    let out = quick(during.post(app.url("/api/v1/auth/logout")), "logout").await;
    assert_eq!(out.status(), 204);
    let res = quick(
        during.post(app.url("/api/v1/auth/login")).json(&json!({
            "email": "siti@contoh.co.id", "password": "rahasia-456"
        })),
        "login",
    )
    .await;
    assert_eq!(res.status(), 200, "logging in while Redis is away");
    let me = quick(during.get(app.url("/api/v1/me")), "me").await;
    assert_eq!(me.status(), 200, "the session holds while Redis is away");
    let res = quick(
        during
            .post(app.url("/api/v1/cart/items"))
            .json(&json!({ "sku": sku, "quantity": 3 })),
        "add to cart",
    )
    .await;
    assert_eq!(res.status(), 200, "adding to the cart while Redis is away");
    assert_eq!(cart_count(&app, &during).await, 3);
    let placed = quick(
        during
            .post(app.url("/api/v1/checkout"))
            .header("Idempotency-Key", "redis-away-1")
            .json(&checkout_body("siti@contoh.co.id")),
        "checkout",
    )
    .await;
    let status = placed.status();
    let placed: Value = placed.json().await.unwrap();
    assert_eq!(status, 201, "checking out while Redis is away: {placed}");
    let number = placed["order"]["number"].as_str().expect("order number");

    // Login throttling still counts (in this process) while Redis is away.
    let guesser = app.new_client();
    let mut statuses = Vec::new();
    for _ in 0..8 {
        let res = app.login(&guesser, "siti@contoh.co.id", "salah").await;
        statuses.push(res.status().as_u16());
    }
    assert!(
        statuses.contains(&401) && statuses.contains(&429),
        "{statuses:?}"
    );

    // The customer from before the outage: their session was only in Redis.
    let me = quick(early.get(app.url("/api/v1/me")), "me").await;
    assert_eq!(
        me.status(),
        401,
        "a Redis-only session is unreadable while Redis is away"
    );
    let res = app.login(&early, "budi@contoh.co.id", "rahasia-123").await;
    assert_eq!(res.status(), 200, "they can log in again");
    assert_eq!(
        cart_count(&app, &early).await,
        2,
        "their cart is in the database"
    );

    // Redis comes back (empty, on the same port): the shop uses it again.
    let redis = OwnRedis::start_on(redis.port).await;
    let mut back = false;
    for _ in 0..60 {
        let ready: Value = app
            .client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if ready["components"]["cache"]["status"] == "up" {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(back, "the shop reconnects to Redis by itself");
    let me = during.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(
        me.status(),
        200,
        "a session made during the outage outlives it"
    );
    let order = during
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        order.status(),
        200,
        "the order placed during the outage is there"
    );
    let later = app.new_client();
    let res = app.login(&later, "budi@contoh.co.id", "rahasia-123").await;
    assert_eq!(res.status(), 200);
    assert!(
        redis.keys().await > 0,
        "new sessions and counters go to Redis again"
    );
}
