//! The `pasar` binary's subcommands: help, migrate, create-admin, seed, and one-line failures.

use std::process::Command;

fn pasar() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pasar"));
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    cmd.env_remove("REDIS_URL");
    cmd
}

#[test]
fn help_lists_the_subcommands() {
    let out = pasar().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in ["serve", "migrate", "seed", "create-admin", "inventory"] {
        assert!(text.contains(sub), "{sub} in --help");
    }
    let out = pasar().args(["create-admin", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--email"));
}

#[tokio::test]
async fn migrate_seed_and_create_admin_work_and_repeat_safely() {
    let url = crate::common::fresh_database_url().await;
    let out = pasar()
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations done"));

    for round in 0..2 {
        let out = pasar()
            .arg("seed")
            .env("DATABASE_URL", &url)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "seed round {round}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        if round == 0 {
            assert!(
                text.contains("seed done: 3 users, 2 addresses and 204 products created"),
                "{text}"
            );
        } else {
            assert!(
                text.contains("seed done: 0 users, 0 addresses and 0 products created"),
                "idempotent: {text}"
            );
        }
    }

    let out = pasar()
        .args([
            "create-admin",
            "--email",
            "Boss@Toko.id",
            "--password",
            "boss-password",
        ])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("created admin boss@toko.id"));

    let out = pasar()
        .args(["seed", "--products", "1200"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("seed: synthetic products 500/1200"),
        "progress is printed: {text}"
    );
    assert!(text.contains("added 1200 synthetic products"), "{text}");

    let db = app::server::db::connect(&url).await.unwrap();
    {
        use app::server::db::{product, product_variant, stock_level, stock_movement};
        use sea_orm::{EntityTrait, PaginatorTrait};
        assert_eq!(
            product::Entity::find().count(&db).await.unwrap(),
            1200 + 204
        );
        let variants = product_variant::Entity::find().count(&db).await.unwrap();
        assert!(variants >= 1200 + 204, "{variants} variants");
        let levels = stock_level::Entity::find().all(&db).await.unwrap();
        assert_eq!(
            levels.len() as u64,
            variants * 2,
            "stock in both warehouses"
        );
        let movements = stock_movement::Entity::find().all(&db).await.unwrap();
        assert_eq!(
            movements.len(),
            levels.len(),
            "every opening level has its movement"
        );
        let total_on_hand: i64 = levels.iter().map(|l| i64::from(l.on_hand)).sum();
        let total_moved: i64 = movements.iter().map(|m| i64::from(m.quantity)).sum();
        assert_eq!(total_on_hand, total_moved, "movements sum to the stock");
    }
    let user = app::server::accounts::authenticate(&db, "boss@toko.id", "boss-password")
        .await
        .unwrap();
    assert_eq!(user.role, app::model::Role::Admin);

    let out = pasar()
        .args([
            "create-admin",
            "--email",
            "boss@toko.id",
            "--password",
            "short",
        ])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");

    // The invariant check: clean after the seeds, then a level changed behind the trail.
    let check = || {
        pasar()
            .args(["inventory", "check"])
            .env("DATABASE_URL", &url)
            .output()
            .unwrap()
    };
    let out = check();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("inventory ok"));
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(
        "UPDATE stock_levels SET on_hand = on_hand + 3 \
         WHERE variant_id = (SELECT MIN(variant_id) FROM stock_levels) \
           AND warehouse_id = (SELECT MIN(warehouse_id) FROM stock_levels)",
    )
    .await
    .unwrap();
    let out = check();
    assert!(!out.status.success(), "a tampered level fails the check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.matches("MISMATCH").count(), 1, "{text}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 of "));
}

#[test]
fn bad_configuration_stops_with_one_line_naming_the_setting() {
    let cases = [
        (
            "DATABASE_URL",
            "mysql://nope",
            "configuration error: DATABASE_URL:",
        ),
        (
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:1/none",
            "configuration error: DATABASE_URL: cannot connect",
        ),
        ("REDIS_URL", "http://x", "configuration error: REDIS_URL:"),
        (
            "PASAR_ADDR",
            "not-an-address",
            "configuration error: PASAR_ADDR:",
        ),
        // Half a gateway: the demo must not quietly take its place.
        (
            "MIDTRANS_SERVER_KEY",
            "SB-Mid-server-x",
            "configuration error: MIDTRANS_CLIENT_KEY: missing while MIDTRANS_SERVER_KEY is set",
        ),
        (
            "STRIPE_PUBLISHABLE_KEY",
            "pk_live_x",
            "configuration error: STRIPE_SECRET_KEY: missing while STRIPE_PUBLISHABLE_KEY is set",
        ),
        // An https shop with no keys would run the demo gateway: refused unless asked for.
        (
            "PASAR_PUBLIC_URL",
            "https://toko.example",
            "configuration error: PASAR_DEMO_GATEWAY: the demo gateway would be on for an https shop",
        ),
    ];
    for (name, value, expected) in cases {
        let out = pasar()
            .arg("migrate")
            .env(name, value)
            .env(
                "DATABASE_URL",
                if name == "DATABASE_URL" {
                    value
                } else {
                    "sqlite::memory:"
                },
            )
            .output()
            .unwrap();
        assert!(!out.status.success(), "{name}={value} must fail");
        let err = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = err.trim().lines().collect();
        assert_eq!(lines.len(), 1, "one line for {name}: {err}");
        assert!(lines[0].contains(expected), "{name}={value}: {err}");
    }
}

#[tokio::test]
async fn serve_stops_when_redis_is_unreachable() {
    let url = crate::common::fresh_database_url().await;
    let started = std::time::Instant::now();
    let out = pasar()
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("REDIS_URL", "redis://127.0.0.1:1")
        .env("PASAR_ADDR", "127.0.0.1:0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.trim().lines().last().unwrap_or_default();
    assert!(
        last.starts_with("pasar: configuration error: REDIS_URL:"),
        "{err}"
    );
    assert!(started.elapsed().as_secs() < 30, "fails fast");
}
