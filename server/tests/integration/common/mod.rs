//! Test harness: spawns the real app on a random port with a fresh database (a new PostgreSQL
//! database when `DATABASE_URL` points at PostgreSQL, a new SQLite file otherwise; Redis when
//! `REDIS_URL` is set) and returns a cookie-keeping HTTP client.
#![allow(dead_code)]

pub mod gateways;
pub mod journeys;
pub mod smtp;

use std::{
    net::SocketAddr,
    sync::atomic::{AtomicU32, Ordering},
};

use app::server::{config::Settings, startup::Shop, state::AppState};
use leptos::config::LeptosOptions;
use sea_orm::{ConnectionTrait, Database, EntityTrait, QueryOrder, TransactionTrait};

pub const SETTINGS: &str = include_str!("../../../../Leptos.toml");

static COUNTER: AtomicU32 = AtomicU32::new(0);

pub fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, empty database URL for one test.
pub async fn fresh_database_url() -> String {
    match std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
    {
        Some(base) => {
            let name = unique_name("pasar_test");
            let admin = Database::connect(&base)
                .await
                .expect("connect to DATABASE_URL");
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create test database");
            let mut url = url::Url::parse(&base).expect("DATABASE_URL is a URL");
            url.set_path(&format!("/{name}"));
            url.to_string()
        }
        None => {
            let dir = std::env::temp_dir().join(unique_name("pasar-test"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            format!("sqlite://{}/pasar.db?mode=rwc", dir.display())
        }
    }
}

pub fn redis_url() -> Option<String> {
    std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty())
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub database_url: String,
    server: tokio::task::JoinHandle<()>,
}

impl TestApp {
    /// Stops serving (a process going down); the database stays.
    pub fn stop(&self) {
        self.server.abort();
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A second client with its own cookie jar (another visitor).
    pub fn new_client(&self) -> reqwest::Client {
        client()
    }

    pub async fn register(
        &self,
        client: &reqwest::Client,
        name: &str,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/api/v1/auth/register"))
            .json(&serde_json::json!({ "name": name, "email": email, "password": password }))
            .send()
            .await
            .expect("register request")
    }

    pub async fn login(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .expect("login request")
    }

    /// Creates an admin directly in the database and logs `client` in as them.
    pub async fn login_as_admin(&self, client: &reqwest::Client) -> i64 {
        let email = format!("{}@pasar.test", unique_name("admin"));
        let (user, _) = app::server::accounts::ensure_admin(
            &self.state.db,
            &email,
            "admin-password-1",
            "Admin",
        )
        .await
        .expect("create admin");
        let res = self.login(client, &email, "admin-password-1").await;
        assert_eq!(res.status(), 200, "admin login");
        i64::from(user.id)
    }
}

/// Finds the `action` of the server-function form on a page.
pub fn form_action(html: &str, fn_name: &str) -> String {
    let needle = format!("action=\"/api/{fn_name}");
    let start = html
        .find(&needle)
        .unwrap_or_else(|| panic!("{fn_name} form on page"))
        + "action=\"".len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        // A response that never ends fails its test within a minute instead of stalling CI.
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("http client")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// Like [`spawn_app`], with extra settings from "environment" pairs (gateway keys and URLs).
pub async fn spawn_app_with(extra: &[(&str, String)]) -> TestApp {
    // Server-side errors (logged, never sent to clients) show in the failing test's output.
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_env_filter("warn")
        .try_init();
    let given = |name: &str| {
        extra
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    };
    // A test may reopen an existing database (a restart) or bring its own Redis ("" for none).
    let database_url = match given("DATABASE_URL") {
        Some(url) => url,
        None => fresh_database_url().await,
    };
    let redis = given("REDIS_URL")
        .or_else(redis_url)
        .filter(|u| !u.is_empty());
    // Every app gets its own cache namespace: tests share one Redis.
    let cache_prefix = format!("{}:", unique_name("pasar-test"));
    let media_dir = std::env::temp_dir().join(unique_name("pasar-media"));
    let mail_dir = given("PASAR_MAIL_DIR").unwrap_or_else(|| {
        std::env::temp_dir()
            .join(unique_name("pasar-mail"))
            .display()
            .to_string()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let settings = Settings::from_toml(SETTINGS, |name| match name {
        "DATABASE_URL" => Some(database_url.clone()),
        "REDIS_URL" => redis.clone(),
        "PASAR_ADDR" => Some(addr.to_string()),
        "PASAR_CACHE_PREFIX" => Some(cache_prefix.clone()),
        "PASAR_MEDIA_DIR" => Some(media_dir.display().to_string()),
        "PASAR_MAIL_DIR" => Some(mail_dir.clone()),
        // Every test client comes from 127.0.0.1: the per-address checkout limits would
        // throttle the load tests. Tests of those limits set them themselves.
        // Tests read the dashboard right after what they count; the cache has its own test.
        "PASAR_ANALYTICS_READ_CACHE_MS" => given(name).or_else(|| Some("0".into())),
        "PASAR_CHECKOUTS_PER_IP_PER_MINUTE" | "PASAR_UNPAID_ORDERS_PER_IP" => extra
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
            .or_else(|| Some("1000000".into())),
        other => extra
            .iter()
            .find(|(k, _)| *k == other)
            .map(|(_, v)| v.clone()),
    })
    .expect("test settings");
    let options = LeptosOptions::builder()
        .output_name("pasar")
        .site_root("target/site")
        .site_addr(addr)
        .build();
    let shop = Shop::open(settings, options).await.expect("open shop");
    let state = shop.state.clone();
    let server = tokio::spawn(async move {
        let _ = shop.serve(listener).await;
    });
    TestApp {
        addr,
        base: format!("http://{addr}"),
        client: client(),
        state,
        database_url,
        server,
    }
}

/// A variant with `stock` units per warehouse (in priority order) and nothing reserved. The
/// stock is set as staff would set it (an adjustment with its movement), so the audit trail
/// stays whole.
pub async fn variant_with_stock(
    db: &sea_orm::DatabaseConnection,
    stock: &[i32],
) -> (i32, String, Vec<i32>) {
    let warehouses = app::server::inventory::ensure_demo_warehouses(db)
        .await
        .unwrap();
    app::server::seed::generate_synthetic_products(db, 1, |_, _| {})
        .await
        .unwrap();
    let variant = app::server::db::product_variant::Entity::find()
        .order_by_desc(app::server::db::product_variant::Column::Id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let ids: Vec<i32> = warehouses.iter().map(|w| w.id).collect();
    app::server::inventory::ensure_levels(db, Some(&[variant.id]))
        .await
        .unwrap();
    let txn = db.begin().await.unwrap();
    let mut journal = app::server::inventory::Journal::default();
    for (warehouse_id, units) in ids.iter().zip(stock) {
        app::server::inventory::adjust(
            &txn,
            app::server::inventory::LevelKey {
                variant_id: variant.id,
                warehouse_id: *warehouse_id,
            },
            app::server::inventory::Change::Set(*units),
            None,
            "test stock",
            &mut journal,
        )
        .await
        .unwrap();
    }
    journal.write(&txn).await.unwrap();
    app::server::inventory::refresh_listings(&txn, &[variant.id])
        .await
        .unwrap();
    txn.commit().await.unwrap();
    (variant.id, variant.sku, ids)
}
