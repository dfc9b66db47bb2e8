//! Turning [`Settings`] into a running shop: connect, migrate, choose the cache and session
//! store, build the router, serve until Ctrl-C/SIGTERM.
use std::{sync::Arc, time::Duration};

use leptos::config::LeptosOptions;

use super::{
    accounts::LoginLimiter,
    cache::{self, MemoryCache, Prefixed, SharedCache},
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
        let sessions = SessionBackend::new(redis.as_ref(), &db).await?;
        let prefix = settings.cache_prefix.clone();
        let cache: SharedCache = match redis {
            Some(redis) => Arc::new(Prefixed::new(prefix, redis)),
            None => Arc::new(Prefixed::new(prefix, MemoryCache::new())),
        };
        let login_limiter = LoginLimiter::new(
            settings.security.login_failures_per_account_per_minute,
            settings.security.login_attempts_per_ip_per_minute,
        );
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
            settings: Arc::new(settings),
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
        // Background work that lives with the server: unpaid orders give their stock back.
        super::checkout::spawn_expiry_job(
            self.state.db.clone(),
            std::time::Duration::from_secs(30),
        );
        super::payments::spawn_reconciler(self.state.clone());
        let app = self.router();
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await
    }
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
