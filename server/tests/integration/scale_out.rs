//! Two `pasar serve` processes behind HAProxy (Debian's), sharing PostgreSQL and Redis, under a
//! shopper journey mix (browse, search, product, add to cart, cart, checkout, pay): no 5xx, no
//! cart lost while requests alternate between the processes, a hot SKU sells exactly its stock;
//! then one process is killed (SIGKILL) mid-run and no paid order loses its email: the other
//! process takes over the outbox. `bench/scale-out.sh` runs the same mix with 1,000 shoppers on
//! the release build; this test runs it with `SCALE_SHOPPERS` (default 200) on the debug build.

use std::{
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use sea_orm::{ConnectionTrait, Database, Statement};

use crate::common::{
    self,
    journeys::{self, Mix},
};

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn wait_ready(url: &str) {
    let client = common::client();
    for _ in 0..600 {
        if client
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} did not answer 200");
}

/// The requests a process answered, from its own metrics.
async fn answered(port: u16) -> f64 {
    let text = common::client()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .filter(|l| l.starts_with("pasar_http_requests_total{"))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL, Redis and haproxy: `cargo xtask test` runs it in that pass"]
async fn two_processes_behind_haproxy_sell_exactly_and_survive_losing_one() {
    let (Some(_), Some(redis_url)) = (
        std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres")),
        common::redis_url(),
    ) else {
        panic!("DATABASE_URL (PostgreSQL) and REDIS_URL must be set");
    };
    let database_url = common::fresh_database_url().await;
    let dir = std::env::temp_dir().join(common::unique_name("pasar-scale"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let prefix = format!("{}:", common::unique_name("scale"));
    let pasar = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pasar"));
        cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .env("DATABASE_URL", &database_url)
            .env("REDIS_URL", &redis_url)
            .env("PASAR_CACHE_PREFIX", &prefix)
            .env("PASAR_MEDIA_DIR", dir.join("media"))
            .env("PASAR_MAIL_DIR", dir.join("mail"))
            .env("PASAR_MAIL_EVERY_SECS", "1")
            .env("PASAR_TRUSTED_PROXY_HOPS", "1")
            .env("RUST_LOG", "error");
        cmd
    };
    let seeded = pasar().arg("seed").output().expect("pasar seed");
    assert!(
        seeded.status.success(),
        "{}",
        String::from_utf8_lossy(&seeded.stderr)
    );
    // The hot SKU: 15 units that many shoppers want.
    const HOT_STOCK: i32 = 15;
    let db = Database::connect(&database_url).await.expect("database");
    // All of it in the first warehouse, none in the others.
    let (hot_variant, hot_sku, _) =
        common::variant_with_stock(&db, &[HOT_STOCK, 0, 0, 0, 0, 0]).await;

    let ports = [free_port(), free_port()];
    let mut processes: Vec<Option<Process>> = ports
        .iter()
        .map(|port| {
            Some(Process(
                pasar()
                    .arg("serve")
                    .env("PASAR_ADDR", format!("127.0.0.1:{port}"))
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .expect("pasar serve"),
            ))
        })
        .collect();
    for port in ports {
        wait_ready(&format!("http://127.0.0.1:{port}/readyz")).await;
    }
    let lb_port = free_port();
    let config = dir.join("haproxy.cfg");
    let backends: Vec<String> = ports.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    std::fs::write(&config, journeys::haproxy_config(lb_port, &backends)).expect("config");
    let _haproxy = Process(
        Command::new("haproxy")
            .args(["-db", "-f"])
            .arg(&config)
            .stdout(Stdio::null())
            .spawn()
            .expect("haproxy (Debian's package; `cargo xtask test` installs it)"),
    );
    let base = format!("http://127.0.0.1:{lb_port}");
    wait_ready(&format!("{base}/readyz")).await;

    let shoppers: usize = std::env::var("SCALE_SHOPPERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let mix = |seconds: u64| {
        Arc::new(Mix {
            base: base.clone(),
            shoppers,
            duration: Duration::from_secs(seconds),
            terms: ["kemeja", "sepatu", "kopi", "batik", "tas", "hijab"]
                .map(String::from)
                .to_vec(),
            hot_sku: Some(hot_sku.clone()),
            hot_every: 7,
        })
    };

    // 1. Both processes up: every answer below 500, every cart whole.
    let before = [answered(ports[0]).await, answered(ports[1]).await];
    let report = journeys::run(mix(20)).await;
    eprintln!(
        "scale-out, {shoppers} shoppers, two processes, {} journeys in {:.1} s:\n{}",
        report.journeys,
        report.elapsed.as_secs_f64(),
        report.table()
    );
    assert_eq!(report.server_errors(), 0, "{:?}", report.samples);
    assert_eq!(report.failures(), 0, "{:?}", report.samples);
    assert_eq!(report.lost_carts, 0);
    assert!(!report.paid.is_empty(), "some journeys paid");
    // Round robin: each process answered a fair share.
    for (i, port) in ports.iter().enumerate() {
        let share = answered(*port).await - before[i];
        assert!(
            share >= report.requests() as f64 / 4.0,
            "process {i} answered {share} of {} requests",
            report.requests()
        );
    }
    // The hot SKU: exactly its stock sold or held, never more, never below zero.
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT COALESCE(SUM(on_hand), 0)::bigint AS on_hand, COALESCE(SUM(reserved), 0)::bigint AS reserved, \
                 (SELECT COALESCE(SUM(i.quantity), 0)::bigint FROM order_items i JOIN orders o ON o.id = i.order_id \
                  WHERE i.variant_id = {hot_variant} AND o.status <> 'cancelled') AS ordered \
                 FROM stock_levels WHERE variant_id = {hot_variant}"
            ),
        ))
        .await
        .expect("hot SKU query")
        .expect("a row");
    let on_hand: i64 = row.try_get("", "on_hand").expect("on_hand");
    let reserved: i64 = row.try_get("", "reserved").expect("reserved");
    let ordered: i64 = row.try_get("", "ordered").expect("ordered");
    assert!(on_hand >= 0 && reserved >= 0 && reserved <= on_hand);
    assert!(
        report.hot_orders >= HOT_STOCK as usize,
        "the hot SKU was wanted more than its stock ({} orders)",
        report.hot_orders
    );
    assert_eq!(
        ordered,
        i64::from(HOT_STOCK),
        "exactly the stock was ordered"
    );
    assert_eq!(
        on_hand - reserved,
        0,
        "nothing of the hot SKU left to sell (on hand {on_hand}, reserved {reserved})"
    );

    // 2. One process killed outright mid-run.
    let second = tokio::spawn(journeys::run(mix(15)));
    tokio::time::sleep(Duration::from_secs(5)).await;
    if let Some(mut killed) = processes[0].take() {
        let _ = killed.0.kill();
        let _ = killed.0.wait();
    }
    let after_kill = second.await.expect("the second run");
    eprintln!(
        "after killing one process mid-run: {} journeys, {} answers ≥ 500 (in flight on the killed process), {} without answer:\n{}",
        after_kill.journeys,
        after_kill.server_errors(),
        after_kill.failures(),
        after_kill.table()
    );
    assert!(!after_kill.paid.is_empty(), "the survivor kept selling");
    assert_eq!(after_kill.lost_carts, 0);

    // Every order a shopper saw paid is paid, and gets exactly one payment email, sent by
    // whichever process is left.
    let paid: Vec<String> = report
        .paid
        .iter()
        .chain(after_kill.paid.iter())
        .map(|(number, _)| number.clone())
        .collect();
    let list = paid
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(",");
    let mut missing = Vec::new();
    for _ in 0..120 {
        let rows = db
            .query_all(Statement::from_string(
                db.get_database_backend(),
                format!(
                    "SELECT o.number, o.payment_status, \
                       COUNT(e.id) AS emails, COUNT(e.id) FILTER (WHERE e.status = 'sent') AS sent \
                     FROM orders o \
                     LEFT JOIN outbox_events f ON f.reference = 'order:' || o.id AND f.kind = 'order.paid' \
                     LEFT JOIN emails e ON e.outbox_event_id = f.id AND e.kind = 'order.paid' \
                     WHERE o.number IN ({list}) GROUP BY o.number, o.payment_status"
                ),
            ))
            .await
            .expect("orders and emails");
        assert_eq!(
            rows.len(),
            paid.len(),
            "every paid order is in the database"
        );
        missing = rows
            .iter()
            .filter_map(|r| {
                let number: String = r.try_get("", "number").ok()?;
                let status: String = r.try_get("", "payment_status").ok()?;
                let emails: i64 = r.try_get("", "emails").ok()?;
                let sent: i64 = r.try_get("", "sent").ok()?;
                assert_eq!(status, "paid", "{number}");
                assert!(emails <= 1, "{number}: {emails} payment emails");
                (sent != 1).then_some(number)
            })
            .collect();
        if missing.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        missing.is_empty(),
        "{} paid orders without their email: {:?}",
        missing.len(),
        missing.iter().take(5).collect::<Vec<_>>()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
