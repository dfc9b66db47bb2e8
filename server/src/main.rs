//! The `pasar` server binary: `serve` (default), `migrate`, `seed`, `create-admin`,
//! `inventory check`.
//! Every subcommand reads the same configuration (`Leptos.toml` + environment) and exits
//! non-zero with a one-line reason on failure.
use std::process::ExitCode;

use app::server::{
    accounts, catalog,
    config::{redact_url, Settings},
    db, seed,
    startup::Shop,
};
use clap::{Parser, Subcommand};
use leptos::config::{get_configuration, LeptosOptions};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "pasar", version, about = "Pasar: a full-stack Rust shop")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the shop (the default). Applies pending migrations first.
    Serve {
        /// Also load the demo shop before serving (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the demo shop (idempotent): accounts, addresses, warehouses.
    Seed {
        /// Also add N synthetic products (with variants and stock) for benchmarks.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        products: Option<u32>,
    },
    /// Create an admin account, or make an existing account an active admin with this password.
    CreateAdmin {
        #[arg(long)]
        email: String,
        /// At least 8 characters. Prefer the PASAR_NEW_ADMIN_PASSWORD environment variable, which
        /// keeps the password out of shell history.
        #[arg(long, env = "PASAR_NEW_ADMIN_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
    /// Inventory tools.
    Inventory {
        #[command(subcommand)]
        command: InventoryCommand,
    },
    /// Analytics tools.
    Analytics {
        #[command(subcommand)]
        command: AnalyticsCommand,
    },
}

#[derive(Subcommand)]
enum AnalyticsCommand {
    /// Rebuild the Redis counters of the shop days FROM..=TO (YYYY-MM-DD, the shop's time
    /// zone; default: every day still within the retention) from the database.
    Rebuild {
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand)]
enum InventoryCommand {
    /// Prove that every stock level equals the sum of its movements; exits non-zero, listing
    /// each level that does not, when one does not.
    Check,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let reporting = match error_reporting() {
        Ok(guard) => guard,
        Err(reason) => {
            eprintln!("pasar: configuration error: {reason}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(reason) = init_logging(reporting.is_some()) {
        eprintln!("pasar: configuration error: {reason}");
        return ExitCode::FAILURE;
    }
    let result = run(cli.command.unwrap_or(Command::Serve { demo: false })).await;
    // Sends what is still queued before the process ends.
    drop(reporting);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("pasar: {reason}");
            ExitCode::FAILURE
        }
    }
}

/// Sentry, when `SENTRY_DSN` is set: errors logged at ERROR level and panics become reports
/// (each tagged with its request id); warnings and info lines ride along as breadcrumbs. No
/// personal data is sent (`send_default_pii` stays off).
fn error_reporting() -> Result<Option<sentry::ClientInitGuard>, String> {
    let Some(dsn) = std::env::var("SENTRY_DSN")
        .ok()
        .map(|d| d.trim().to_string())
        .filter(|d| !d.is_empty())
    else {
        return Ok(None);
    };
    let dsn: sentry::types::Dsn = dsn
        .parse()
        .map_err(|e| format!("SENTRY_DSN: not a Sentry DSN ({e})"))?;
    Ok(Some(sentry::init(sentry::ClientOptions {
        dsn: Some(dsn),
        release: sentry::release_name!(),
        environment: std::env::var("SENTRY_ENVIRONMENT").ok().map(Into::into),
        ..Default::default()
    })))
}

/// Log lines on stderr: readable text by default, one JSON object per line with
/// `PASAR_LOG_FORMAT=json` (for log collectors). Either way a request's lines carry its span:
/// `request{id=… method=… path=…}`.
fn init_logging(report_errors: bool) -> Result<(), String> {
    use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt, Layer};
    let json = match std::env::var("PASAR_LOG_FORMAT").as_deref().map(str::trim) {
        Err(_) | Ok("") | Ok("text") => false,
        Ok("json") => true,
        Ok(other) => return Err(format!("PASAR_LOG_FORMAT: `{other}` is not text or json")),
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn,tower_sessions=warn".into());
    let lines = if json {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_target(false)
            .boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_target(false)
            .boxed()
    };
    tracing_subscriber::registry()
        .with(lines.with_filter(filter))
        // Only what becomes a report or a breadcrumb: debug and trace callsites stay off.
        // No spans: the layer would turn each into a Sentry span and switch the thread's hub
        // on every enter, keeping the switch in the span itself, so a span entered on two
        // threads at once leaves a worker thread on another request's hub (reports then went
        // out with the wrong request id, or none). Events go to the hub `observe` binds to
        // the request's future instead.
        .with(report_errors.then(|| {
            sentry::integrations::tracing::layer()
                .span_filter(|_| false)
                .with_filter(tracing_subscriber::filter::LevelFilter::INFO)
        }))
        .try_init()
        .map_err(|e| format!("logging: {e}"))
}

async fn run(command: Command) -> Result<(), String> {
    let settings = Settings::load().map_err(|e| e.to_string())?;
    match command {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Migrate => {
            let db = db::connect(&settings.database_url)
                .await
                .map_err(|e| e.to_string())?;
            let pending = db::pending_migrations(&db)
                .await
                .map_err(|e| e.to_string())?;
            if pending.is_empty() {
                println!(
                    "database {} is up to date",
                    redact_url(&settings.database_url)
                );
            }
            for name in &pending {
                println!("applying {name}");
            }
            db::migrate(&db)
                .await
                .map_err(|e| format!("migration failed: {e}"))?;
            println!("migrations done");
            Ok(())
        }
        Command::Seed { products } => {
            let db = migrated_database(&settings).await?;
            let (email, password) = seed::admin_credentials();
            let report = seed::seed_demo(&db, &email, &password, |line| println!("seed: {line}"))
                .await
                .map_err(|e| format!("seed failed: {e}"))?;
            println!(
                "seed done: {} users, {} addresses and {} products created",
                report.users_created, report.addresses_created, report.products_created
            );
            let media = app::server::media::MediaStore::new(settings.media_dir.clone());
            let drawn = seed::demo::seed_demo_images(&db, &media, |done, total| {
                println!("seed: demo pictures {done}/{total}")
            })
            .await
            .map_err(|e| format!("seed failed: demo pictures: {e}"))?;
            println!("seed: pictures drawn for {drawn} products");
            if let Some(n) = products {
                let started = std::time::Instant::now();
                let added = seed::generate_synthetic_products(&db, n as usize, |done, total| {
                    println!("seed: synthetic products {done}/{total}");
                })
                .await
                .map_err(|e| format!("synthetic products failed: {e}"))?;
                println!(
                    "added {added} synthetic products in {:.1} s",
                    started.elapsed().as_secs_f64()
                );
            }
            invalidate_catalog_cache(&settings).await;
            Ok(())
        }
        Command::CreateAdmin {
            email,
            password,
            name,
        } => {
            let db = migrated_database(&settings).await?;
            let (user, created) = accounts::ensure_admin(&db, &email, &password, &name)
                .await
                .map_err(|e| format!("create-admin failed: {e}"))?;
            println!(
                "{} admin {} (id {})",
                if created {
                    "created"
                } else {
                    "promoted/updated"
                },
                user.email,
                user.id
            );
            Ok(())
        }
        Command::Analytics {
            command: AnalyticsCommand::Rebuild { from, to },
        } => rebuild_analytics(&settings, from, to).await,
        Command::Inventory {
            command: InventoryCommand::Check,
        } => {
            let db = migrated_database(&settings).await?;
            let audit = app::server::inventory::audit::check(&db)
                .await
                .map_err(|e| format!("inventory check failed: {e}"))?;
            for d in &audit.discrepancies {
                println!("MISMATCH {d}");
            }
            if audit.discrepancies.is_empty() {
                println!(
                    "inventory ok: {} levels equal the sum of their {} movements",
                    audit.levels, audit.movements
                );
                Ok(())
            } else {
                Err(format!(
                    "{} of {} stock levels differ from their movements",
                    audit.discrepancies.len(),
                    audit.levels
                ))
            }
        }
    }
}

/// `pasar analytics rebuild`: the counters of a range of days, from the database.
async fn rebuild_analytics(
    settings: &Settings,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<(), String> {
    let Some(url) = &settings.redis_url else {
        return Err(
            "REDIS_URL is not set: without Redis the counters live in the server process, which \
             rebuilds them from the database when it starts"
                .into(),
        );
    };
    let db = migrated_database(settings).await?;
    let redis = app::server::cache::connect_redis(url, 2)
        .await
        .map_err(|e| format!("REDIS_URL: {e}"))?;
    let analytics = app::server::analytics::Analytics::new(
        std::sync::Arc::new(app::server::analytics::store::RedisCounters::new(
            redis.pool().clone(),
            settings.cache_prefix.clone(),
        )),
        &settings.shop.time_zone,
        settings.analytics.retention_days,
    );
    let (first, last) = analytics.window(chrono::Utc::now());
    let (from, to) = (from.unwrap_or(first), to.unwrap_or(last));
    if from > to {
        return Err(format!("--from {from} is after --to {to}"));
    }
    let done = app::server::analytics::rebuild(&db, &analytics, from, to)
        .await
        .map_err(|e| format!("analytics rebuild failed: {e}"))?;
    println!(
        "analytics rebuilt: {} days ({from} to {to}) from {} facts",
        done.days, done.facts
    );
    Ok(())
}

/// Connects and applies pending migrations, for the subcommands that write data.
async fn migrated_database(settings: &Settings) -> Result<db::DatabaseConnection, String> {
    let db = db::connect(&settings.database_url)
        .await
        .map_err(|e| e.to_string())?;
    db::migrate(&db)
        .await
        .map_err(|e| format!("migration failed: {e}"))?;
    Ok(db)
}

/// A running server may hold cached listings of the old catalogue in Redis: mark them stale.
async fn invalidate_catalog_cache(settings: &Settings) {
    if let Some(url) = &settings.redis_url {
        match app::server::cache::connect_redis(url, 1).await {
            Ok(redis) => {
                let cache = app::server::cache::Prefixed::new(settings.cache_prefix.clone(), redis);
                catalog::cache::invalidate(&cache).await;
            }
            Err(e) => {
                eprintln!("pasar: warning: could not reach Redis to refresh cached listings: {e}")
            }
        }
    }
}

/// Leptos's own options (output name, site root) come from the `LEPTOS_*` variables that
/// cargo-leptos sets; run directly (from the repository root, or deployed with `target/site`
/// beside it) the defaults below match `[[workspace.metadata.leptos]]` in Cargo.toml.
fn leptos_options(settings: &Settings) -> Result<LeptosOptions, String> {
    let from_env = std::env::var_os("LEPTOS_OUTPUT_NAME").is_some();
    let mut options = match from_env.then(|| get_configuration(None)) {
        Some(conf) => {
            conf.map_err(|e| format!("configuration error: LEPTOS_*: {e}"))?
                .leptos_options
        }
        None => {
            let var = |name: &str, default: &str| {
                std::env::var(name).unwrap_or_else(|_| default.to_string())
            };
            LeptosOptions::builder()
                .output_name(var("LEPTOS_OUTPUT_NAME", "pasar"))
                .site_root(var("LEPTOS_SITE_ROOT", "target/site"))
                .site_pkg_dir(var("LEPTOS_SITE_PKG_DIR", "pkg"))
                .build()
        }
    };
    options.site_addr = settings.addr;
    // A release build (cargo-leptos `hash-files`) leaves `hash.txt` beside the binary and names
    // its files after their hashes; `LEPTOS_HASH_FILES` overrides what is found.
    options.hash_files = match std::env::var("LEPTOS_HASH_FILES") {
        Ok(value) => value == "true",
        Err(_) => app::server::http::assets::build_hashed_files(&options),
    };
    Ok(options)
}

async fn serve(settings: Settings, demo: bool) -> Result<(), String> {
    let options = leptos_options(&settings)?;
    let addr = settings.addr;
    let public_url = settings.public_url.clone();
    let database = redact_url(&settings.database_url);
    let shop = Shop::open(settings, options)
        .await
        .map_err(|e| e.to_string())?;
    if demo {
        let (email, password) = seed::admin_credentials();
        seed::seed_demo(&shop.state.db, &email, &password, |line| {
            tracing::info!("seed: {line}")
        })
        .await
        .map_err(|e| format!("seed failed: {e}"))?;
        let started = std::time::Instant::now();
        let drawn =
            seed::demo::seed_demo_images(&shop.state.db, &shop.state.media, |done, total| {
                tracing::info!("seed: demo pictures {done}/{total}")
            })
            .await
            .map_err(|e| format!("seed failed: demo pictures: {e}"))?;
        if drawn > 0 {
            println!(
                "Drew pictures for {drawn} demo products in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
        println!("Demo admin:    {email} / {password}");
        println!(
            "Demo customer: {} / {}",
            seed::DEMO_CUSTOMER_EMAIL,
            seed::DEMO_CUSTOMER_PASSWORD
        );
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("configuration error: PASAR_ADDR: cannot listen on {addr}: {e}"))?;
    println!(
        "Pasar is running at {public_url}  (database {database}, cache {}, sessions {})",
        shop.state.cache.backend(),
        shop.sessions.name()
    );
    shop.serve(listener)
        .await
        .map_err(|e| format!("server error: {e}"))
}
