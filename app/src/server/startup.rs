//! Turning [`Settings`] into a running shop: connect, migrate, choose the cache and session
//! store, build the router, serve until Ctrl-C/SIGTERM.
use std::{sync::Arc, time::Duration};

use leptos::config::LeptosOptions;

use super::{
    accounts::LoginLimiter,
    cache::{self, Failover, MemoryCache, Prefixed, RedisHealth, SharedCache},
    config::{redact_url, ConfigError, Settings},
    db, http,
    session::SessionBackend,
    state::AppState,
};

/// Everything a server process holds: the state plus the chosen session store.
pub struct Shop {
    pub state: AppState,
    pub sessions: SessionBackend,
}

impl Shop {
    /// Connects to the database (and Redis when configured) and applies pending migrations.
    pub async fn open(
        settings: Settings,
        leptos_options: LeptosOptions,
    ) -> Result<Shop, ConfigError> {
        let db = db::connect(&settings.database_url).await?;
        db::migrate(&db)
            .await
            .map_err(|e| ConfigError::new("DATABASE_URL", format!("migrations failed: {e}")))?;
        crate::server::inventory::alerts::set_default_threshold(
            settings.inventory.low_stock_threshold,
        );
        // Variants created before every variant got its levels (or while a warehouse was
        // inactive) get them now, so each can be stocked.
        crate::server::inventory::ensure_levels(&db, None)
            .await
            .map_err(|e| ConfigError::new("DATABASE_URL", format!("stock levels: {e}")))?;
        let redis = match &settings.redis_url {
            Some(url) => {
                let connecting = cache::connect_redis(url, 8);
                let redis = tokio::time::timeout(Duration::from_secs(5), connecting)
                    .await
                    .map_err(|_| {
                        ConfigError::new(
                            "REDIS_URL",
                            format!("{} did not answer within 5 s", redact_url(url)),
                        )
                    })?
                    .map_err(|e| {
                        ConfigError::new("REDIS_URL", format!("{}: {e}", redact_url(url)))
                    })?;
                Some(redis)
            }
            None => None,
        };
        let health = redis.as_ref().map(RedisHealth::new);
        let sessions = SessionBackend::new(redis.as_ref().zip(health.clone()), &db).await?;
        let prefix = settings.cache_prefix.clone();
        let counters: Arc<dyn super::analytics::store::CounterStore> = match &redis {
            Some(redis) => Arc::new(super::analytics::store::RedisCounters::new(
                redis.pool().clone(),
                prefix.clone(),
            )),
            None => Arc::new(super::analytics::store::MemoryCounters::new()),
        };
        let analytics = super::analytics::Analytics::new(
            counters,
            &settings.shop.time_zone,
            settings.analytics.retention_days,
        )
        .with_read_cache(Duration::from_millis(settings.analytics.read_cache_ms));
        let cache: SharedCache = match (redis, health) {
            (Some(redis), Some(health)) => {
                Arc::new(Prefixed::new(prefix, Failover::new(redis, health)))
            }
            _ => Arc::new(Prefixed::new(prefix, MemoryCache::new())),
        };
        let login_limiter = LoginLimiter::new(
            settings.security.login_failures_per_account_per_minute,
            settings.security.login_attempts_per_ip_per_minute,
            settings
                .security
                .registrations_and_password_changes_per_ip_per_minute,
        );
        let checkout_limiter =
            super::checkout::CheckoutLimiter::new(settings.security.checkouts_per_ip_per_minute);
        super::catalog::cache::set_enabled(settings.catalog_cache);
        let media = super::media::MediaStore::new(settings.media_dir.clone());
        std::fs::create_dir_all(media.root()).map_err(|e| {
            ConfigError::new(
                "PASAR_MEDIA_DIR",
                format!("cannot create {}: {e}", media.root().display()),
            )
        })?;
        let state = AppState {
            media,
            pages: Default::default(),
            leptos_options,
            db,
            cache,
            analytics,
            settings: Arc::new(settings),
            checkout_limiter,
            login_limiter,
        };
        Ok(Shop { state, sessions })
    }

    /// The application router.
    pub fn router(&self) -> axum::Router {
        http::router(self.state.clone(), self.sessions.clone())
    }

    /// Serves on `listener` until the process is asked to stop.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        if self
            .state
            .settings
            .payments
            .enabled
            .iter()
            .any(|g| g == super::payments::demo::GATEWAY)
        {
            tracing::warn!(
                "THE DEMO PAYMENT GATEWAY IS ON: anyone can mark their own order paid and no money moves. \
                 Set Stripe or Midtrans keys (and leave PASAR_DEMO_GATEWAY unset) before selling for real."
            );
        }
        // Background work that lives with the server: unpaid orders give their stock back.
        super::orders::spawn_expiry_job(self.state.clone(), std::time::Duration::from_secs(30));
        super::payments::spawn_reconciler(self.state.clone());
        super::emails::spawn_worker(self.state.clone(), self.state.settings.mail_every);
        super::analytics::spawn_worker(self.state.clone(), self.state.settings.mail_every);
        let settings = self.state.settings.clone();
        let app = self.router();
        serve_connections(listener, app, &settings).await
    }
}

/// The accept loop: HTTP/1 and HTTP/2, each request tagged with the peer address, request
/// headers due within `header_read_timeout`; on a stop signal no new connections, and open ones
/// get `shutdown_grace` to finish before the process leaves anyway.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    settings: &super::config::Settings,
) -> std::io::Result<()> {
    use hyper_util::{
        rt::{TokioExecutor, TokioIo, TokioTimer},
        server::{conn::auto::Builder, graceful::GracefulShutdown},
        service::TowerToHyperService,
    };
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    builder.http2().timer(TokioTimer::new());
    let graceful = GracefulShutdown::new();
    let stop = shutdown_signal();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment, keep serving.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let service = tower::ServiceExt::map_request(
                    app.clone(),
                    move |mut req: axum::http::Request<hyper::body::Incoming>| {
                        req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                        req
                    },
                );
                let connection = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
                    .into_owned();
                let connection = graceful.watch(connection);
                tokio::spawn(async move {
                    // Clients that go away mid-request are routine, not errors.
                    if let Err(e) = connection.await {
                        tracing::debug!(error = %e, "connection ended");
                    }
                });
            }
            _ = &mut stop => break,
        }
    }
    drop(listener);
    tracing::info!(
        grace_secs = settings.shutdown_grace.as_secs(),
        "waiting for open requests"
    );
    if tokio::time::timeout(settings.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("shutdown grace passed with requests still open; closing them");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
