//! What operators rely on: request ids, Prometheus metrics, JSON logs, error reports to Sentry
//! (a local HTTP sink stands in for sentry.io, speaking its envelope endpoint), concurrent
//! migrations, and a backup that restores into a working shop.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{body::Bytes, extract::State, http::HeaderMap, routing::post, Router};
use sea_orm::{ConnectionTrait, Database, EntityTrait, PaginatorTrait};
use serde_json::{json, Value};

use crate::common::{self, spawn_app};

/// The sum of every sample of `name` whose labels include all of `labels`.
fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric_name, label_text) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            (metric_name == name
                && labels
                    .iter()
                    .all(|(k, v)| label_text.contains(&format!("{k}=\"{v}\""))))
            .then(|| value.parse::<f64>().ok())
            .flatten()
        })
        .sum()
}

fn has_series(text: &str, name: &str, labels: &[(&str, &str)]) -> bool {
    text.lines().any(|line| {
        line.starts_with(name)
            && labels
                .iter()
                .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
    })
}

async fn scrape(app: &common::TestApp) -> String {
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain")));
    res.text().await.unwrap()
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = spawn_app().await;
    let given = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "lb-7f3a.42:1")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "lb-7f3a.42:1");

    let mut seen = std::collections::HashSet::new();
    for bad in [None, Some("has space"), Some(&*"x".repeat(65))] {
        let mut req = app.client.get(app.url("/healthz"));
        if let Some(bad) = bad {
            req = req.header("x-request-id", bad);
        }
        let res = req.send().await.unwrap();
        let id = res.headers()["x-request-id"].to_str().unwrap().to_string();
        assert_eq!(id.len(), 20, "a new id instead of {bad:?}: {id}");
        assert!(id.chars().all(|c| c.is_ascii_alphanumeric()));
        assert!(seen.insert(id), "ids are not reused");
    }
    // Errors too: the id a shopper or a log line can quote.
    let missing = app
        .client
        .get(app.url("/api/v1/products/no-such-product"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.headers().contains_key("x-request-id"));
}

#[tokio::test]
async fn metrics_count_requests_by_route_checkouts_caches_and_the_backlog() {
    let app = spawn_app().await;
    let before = scrape(&app).await;
    for _ in 0..3 {
        let res = app
            .client
            .get(app.url("/api/v1/products?q=kemeja"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    // An empty cart cannot be checked out: one "empty_cart" checkout.
    let res = app
        .client
        .post(app.url("/api/v1/checkout"))
        .header("Idempotency-Key", common::unique_name("metrics"))
        .json(&json!({
            "email": "siti@contoh.co.id",
            "address": {
                "recipient": "Siti Rahayu", "phone": "0812-3456-7890",
                "street": "Jl. Melati No. 5", "district": "Tebet", "city": "Jakarta Selatan",
                "province": "DKI Jakarta", "postal_code": "12810"
            },
            "shipping_method": "reguler",
            "payment_method": "demo"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        409,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let after = scrape(&app).await;

    let route = [("route", "/api/v1/products"), ("method", "GET")];
    let ok = [route[0], route[1], ("status", "200")];
    // Other tests in this binary share the process's recorder: compare growth, not totals.
    assert!(
        metric(&after, "pasar_http_requests_total", &ok)
            - metric(&before, "pasar_http_requests_total", &ok)
            >= 3.0,
        "{after}"
    );
    assert!(
        metric(&after, "pasar_http_request_duration_seconds_count", &route)
            - metric(&before, "pasar_http_request_duration_seconds_count", &route)
            >= 3.0
    );
    assert!(has_series(
        &after,
        "pasar_http_request_duration_seconds_bucket",
        &[("route", "/api/v1/products"), ("le", "0.05")]
    ));
    // A route with a parameter is counted under its template, not each URL.
    assert!(!after.contains("route=\"/api/v1/products/no-such"));
    let empty = [("outcome", "empty_cart")];
    assert!(
        metric(&after, "pasar_checkouts_total", &empty)
            - metric(&before, "pasar_checkouts_total", &empty)
            >= 1.0
    );
    // The same search twice: the catalogue cache answered at least once.
    let hit = [("cache", "catalog"), ("result", "hit")];
    assert!(
        metric(&after, "pasar_cache_lookups_total", &hit)
            - metric(&before, "pasar_cache_lookups_total", &hit)
            >= 1.0
    );
    for consumer in ["mail", "analytics"] {
        assert!(has_series(
            &after,
            "pasar_outbox_pending",
            &[("consumer", consumer)]
        ));
        assert!(has_series(
            &after,
            "pasar_outbox_oldest_pending_seconds",
            &[("consumer", consumer)]
        ));
    }
    assert!(metric(&after, "pasar_db_pool_connections", &[("state", "max")]) >= 1.0);
    assert!(after.contains("# HELP pasar_checkouts_total"));
}

/// Envelopes as the sink received them (Sentry's `POST /api/{project}/envelope/`).
#[derive(Clone, Default)]
struct SentrySink(Arc<Mutex<Vec<(String, String)>>>);

async fn receive(State(sink): State<SentrySink>, headers: HeaderMap, body: Bytes) -> &'static str {
    let auth = headers
        .get("x-sentry-auth")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    sink.0
        .lock()
        .unwrap()
        .push((auth, String::from_utf8_lossy(&body).into_owned()));
    "{}"
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn sentry_receives_an_error_with_its_request_id_and_logs_are_json() {
    let sink = SentrySink::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let sink_port = listener.local_addr().unwrap().port();
    let routes = Router::new()
        .route("/api/{project}/envelope/", post(receive))
        .with_state(sink.clone());
    tokio::spawn(async move { axum::serve(listener, routes).await });

    let dir = std::env::temp_dir().join(common::unique_name("pasar-sentry"));
    std::fs::create_dir_all(&dir).unwrap();
    let database_url = format!("sqlite://{}/shop.db?mode=rwc", dir.display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pasar"))
        .arg("serve")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("DATABASE_URL", &database_url)
        .env_remove("REDIS_URL")
        .env("PASAR_ADDR", format!("127.0.0.1:{port}"))
        .env("PASAR_MEDIA_DIR", dir.join("media"))
        .env("PASAR_MAIL_DIR", dir.join("mail"))
        .env(
            "SENTRY_DSN",
            format!("http://publickey@127.0.0.1:{sink_port}/42"),
        )
        .env("SENTRY_ENVIRONMENT", "test")
        .env("PASAR_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pasar serve");
    let stderr = child.stderr.take().unwrap();
    let _server = Server(child);
    let log: Arc<Mutex<Vec<String>>> = Arc::default();
    {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                log.lock().unwrap().push(line);
            }
        });
    }
    let base = format!("http://127.0.0.1:{port}");
    let client = common::client();
    let mut ready = false;
    for _ in 0..900 {
        if client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ready, "server up; log: {:?}", log.lock().unwrap());

    // The database loses a table under the running server: the next product lookup fails.
    let db = Database::connect(&database_url).await.unwrap();
    db.execute_unprepared("ALTER TABLE products RENAME TO products_gone")
        .await
        .unwrap();
    let res = client
        .get(format!("{base}/api/v1/products/anything"))
        .header("x-request-id", "sentry-check-1")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    assert_eq!(res.headers()["x-request-id"], "sentry-check-1");
    let body: Value = res.json().await.unwrap();
    assert!(
        !body.to_string().contains("products_gone"),
        "no database detail reaches the client: {body}"
    );

    // Sentry sends from a background thread; the PostgreSQL pass runs this beside the
    // scale-out test, so give it time.
    let mut report = None;
    for _ in 0..600 {
        report = sink
            .0
            .lock()
            .unwrap()
            .iter()
            .find(|(_, envelope)| envelope.contains("sentry-check-1"))
            .cloned();
        if report.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let Some((auth, envelope)) = report else {
        // Say what did arrive: a report under another request's id means a mixed-up hub.
        let received = sink.0.lock().unwrap().clone();
        panic!(
            "the error did not reach the Sentry sink with its request id; it received {} envelopes: {received:?}; log: {:?}",
            received.len(),
            log.lock().unwrap()
        );
    };
    assert!(auth.contains("sentry_key=publickey"), "{auth}");
    // An envelope: a header line, then each item's header and its payload.
    let lines: Vec<Value> = envelope
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .collect();
    let event = lines
        .windows(2)
        .find(|pair| pair[0]["type"] == "event")
        .map(|pair| pair[1].clone())
        .unwrap_or_else(|| panic!("an event item in {envelope}"));
    // Error is the default level, which the event leaves out.
    assert!(
        event["level"].is_null() || event["level"] == "error",
        "{event}"
    );
    assert_eq!(event["tags"]["request_id"], "sentry-check-1", "{event}");
    assert_eq!(event["tags"]["http.path"], "/api/v1/products/anything");
    assert_eq!(event["environment"], "test");
    assert!(
        envelope.contains("products"),
        "the database error: {envelope}"
    );

    // The same failure on stderr as one JSON object, inside its request's span.
    let lines = log.lock().unwrap().clone();
    let logged = lines
        .iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|entry| entry["level"] == "ERROR" && entry["span"]["id"] == "sentry-check-1")
        .unwrap_or_else(|| panic!("a JSON error line for the request: {lines:?}"));
    assert_eq!(logged["span"]["path"], "/api/v1/products/anything");
    assert!(logged["timestamp"].is_string());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_malformed_sentry_dsn_or_log_format_stops_start_up_with_its_name() {
    let run = |key: &str, value: &str| {
        Command::new(env!("CARGO_BIN_EXE_pasar"))
            .args(["inventory", "check"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .env(key, value)
            .output()
            .unwrap()
    };
    let out = run("SENTRY_DSN", "not a dsn");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SENTRY_DSN"));
    let out = run("PASAR_LOG_FORMAT", "xml");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("PASAR_LOG_FORMAT"));
}

fn postgres_base() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

fn pasar(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pasar"));
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env("DATABASE_URL", database_url)
        .env_remove("REDIS_URL")
        .env("RUST_LOG", "warn");
    cmd
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL): `cargo xtask test` runs it in that pass"]
async fn replicas_migrating_at_once_take_turns() {
    let Some(_) = postgres_base() else {
        panic!("DATABASE_URL must point at PostgreSQL");
    };
    let url = common::fresh_database_url().await;
    let runs: Vec<_> = (0..3)
        .map(|_| {
            pasar(&url)
                .arg("migrate")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for run in runs {
        let out = run.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let db = Database::connect(&url).await.unwrap();
    let applied = db
        .query_one(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n, COUNT(DISTINCT version) AS d FROM seaql_migrations",
        ))
        .await
        .unwrap()
        .unwrap();
    let (n, d): (i64, i64) = (
        applied.try_get("", "n").unwrap(),
        applied.try_get("", "d").unwrap(),
    );
    assert!(n > 20, "{n} migrations");
    assert_eq!(n, d, "each migration applied once");
}

#[tokio::test]
#[ignore = "needs PostgreSQL (DATABASE_URL): `cargo xtask test` runs it in that pass"]
async fn a_dump_restores_into_a_working_shop() {
    use app::server::db::{order, product, stock_movement};
    let Some(_) = postgres_base() else {
        panic!("DATABASE_URL must point at PostgreSQL");
    };
    let original = common::fresh_database_url().await;
    let out = pasar(&original)
        .arg("seed")
        .env(
            "PASAR_MEDIA_DIR",
            std::env::temp_dir().join(common::unique_name("backup-media")),
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dump = std::env::temp_dir().join(common::unique_name("pasar-backup"));
    let out = Command::new("pg_dump")
        .args(["-Fc", "-f"])
        .arg(&dump)
        .arg(&original)
        .output()
        .expect("pg_dump (postgresql-client)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = common::fresh_database_url().await;
    let out = Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "-d", &restored])
        .arg(&dump)
        .output()
        .expect("pg_restore");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(&dump);

    let (a, b) = (
        Database::connect(&original).await.unwrap(),
        Database::connect(&restored).await.unwrap(),
    );
    let orders = order::Entity::find().count(&a).await.unwrap();
    assert!(orders > 0, "the demo shop has orders");
    assert_eq!(order::Entity::find().count(&b).await.unwrap(), orders);
    assert_eq!(
        product::Entity::find().count(&b).await.unwrap(),
        product::Entity::find().count(&a).await.unwrap()
    );
    assert_eq!(
        stock_movement::Entity::find().count(&b).await.unwrap(),
        stock_movement::Entity::find().count(&a).await.unwrap()
    );
    // Stock still equals its movements, and a server on the copy serves the same catalogue.
    let out = pasar(&restored)
        .args(["inventory", "check"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut totals = Vec::new();
    for url in [&original, &restored] {
        let app =
            common::spawn_app_with(&[("DATABASE_URL", url.clone()), ("REDIS_URL", String::new())])
                .await;
        let page: Value = app
            .client
            .get(app.url("/api/v1/products?per_page=1"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        totals.push(page["total"].as_u64().expect("a total"));
        app.stop();
    }
    assert!(totals[0] > 0);
    assert_eq!(totals[0], totals[1]);
}
