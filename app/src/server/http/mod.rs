//! The HTTP surface: health checks, the JSON Store API, the Leptos pages and server functions,
//! static files, and the layers around them (sessions, origin check, tracing).
use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use leptos_axum::{generate_route_list, LeptosRoutes};
use serde_json::json;
use tower_http::{set_header::SetResponseHeaderLayer, trace::TraceLayer};

use super::{observability, session::SessionBackend, state::AppState};
use crate::{error::AppError, shell, App};

pub mod admin;
pub mod api;
pub mod assets;
pub mod headers;
pub mod page_cache;
pub mod returns;
pub mod safety;
pub mod seo;
pub mod webhooks;

/// Builds the whole application router. Tests drive this directly.
pub fn router(state: AppState, sessions: SessionBackend) -> Router {
    // Installed before the first request, so no count is lost to a missing recorder.
    observability::prometheus();
    // Named once, before the first page (the bare error pages link the stylesheet too).
    assets::site_files(&state.leptos_options);
    let routes = generate_route_list(App);
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, || {}, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn({
            let pkg: Arc<str> = format!("/{}/", state.leptos_options.site_pkg_dir).into();
            let hashed = state.leptos_options.hash_files;
            move |req: Request, next: Next| assets::cache_headers(pkg.clone(), hashed, req, next)
        }));

    let app = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(observability::metrics_endpoint))
        .route("/robots.txt", get(seo::robots))
        .route("/sitemap.xml", get(seo::sitemap))
        .nest(
            "/api/v1",
            api::router()
                .route_layer(middleware::from_fn(observability::name_route))
                .layer(middleware::from_fn_with_state(state.clone(), api::bearer)),
        )
        .merge(admin::router())
        .merge(returns::router())
        .merge(webhooks::router())
        .nest_service("/media", media_files(&state))
        .merge(pages)
        .route_layer(middleware::from_fn(observability::name_route))
        .with_state(state.clone());

    // The page cache sits outside the head tags, so a cached page already carries them.
    let app = app
        .layer(middleware::from_fn_with_state(
            state.clone(),
            seo::head_tags,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            page_cache::serve_cached,
        ))
        // Outside the page cache: a cached page is a view too, and its cookie is never cached.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            super::analytics::tracking::track_pages,
        ));
    let app = sessions.layer(app, &state.settings);
    let timeout = state.settings.request_timeout;
    let app = app
        .layer(middleware::from_fn_with_state(
            state.clone(),
            refuse_cross_origin,
        ))
        .layer(middleware::from_fn_with_state(
            state,
            headers::security_headers,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ));
    // Outside everything above, so a panic or a stall anywhere still gets an answer.
    // Outermost: the request id and span cover everything, the latency too.
    safety::wrap(app, timeout)
        .layer(TraceLayer::new_for_http())
        .layer(middleware::from_fn(observability::observe))
}

/// Uploaded pictures. Their names carry a hash of the content, so they never change and may be
/// cached for a year by browsers and CDNs.
fn media_files(state: &AppState) -> Router {
    Router::new()
        .fallback_service(tower_http::services::ServeDir::new(state.media.root()))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            |res: &Response| {
                res.status()
                    .is_success()
                    .then(|| HeaderValue::from_static("public, max-age=31536000, immutable"))
            },
        ))
}

/// `GET /healthz`: the process is up.
async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /readyz`: the database and the cache answer. 503 naming the failing part otherwise.
async fn readyz(State(state): State<AppState>) -> Response {
    let started = std::time::Instant::now();
    let database = match state.db.ping().await {
        Ok(()) => json!({
            "status": "up",
            "backend": if super::db::is_postgres(&state.db) { "postgres" } else { "sqlite" },
            "latency_ms": started.elapsed().as_millis() as u64,
        }),
        Err(e) => {
            tracing::warn!(error = %e, "readyz: database down");
            json!({ "status": "down", "error": "database is not answering" })
        }
    };
    let started = std::time::Instant::now();
    let cache = match state.cache.ping().await {
        Ok(()) => json!({
            "status": "up",
            "backend": state.cache.backend(),
            "latency_ms": started.elapsed().as_millis() as u64,
        }),
        // Still selling: sessions in the database, counters and caches in this process.
        Err(e) if state.cache.stand_in().is_some() => {
            tracing::warn!(error = %e, "readyz: Redis away; running on the stand-ins");
            json!({ "status": "degraded", "backend": state.cache.backend(), "error": "Redis is not answering; sessions are in the database and counters in this process until it is back" })
        }
        Err(e) => {
            tracing::warn!(error = %e, "readyz: cache down");
            json!({ "status": "down", "backend": state.cache.backend(), "error": "cache is not answering" })
        }
    };
    let ready = database["status"] == "up" && cache["status"] != "down";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "components": { "database": database, "cache": cache },
    });
    (status, Json(body)).into_response()
}

/// Refuses state-changing requests that a browser sent from another site (CSRF). Browsers
/// always send `Origin` (and `Sec-Fetch-Site`) on such requests; clients that send neither
/// (curl, server-to-server) carry no ambient cookies from a victim, so they pass. Gateway
/// webhooks are authenticated by signature instead.
async fn refuse_cross_origin(
    State(state): State<AppState>,
    req: Request<Body>,
    next: Next,
) -> Response {
    let safe = matches!(
        *req.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if safe || req.uri().path().starts_with("/webhooks/") {
        return next.run(req).await;
    }
    let headers = req.headers();
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let allowed = match origin {
        Some(origin) => {
            origin == state.settings.public_origin()
                || host.is_some_and(|host| {
                    origin
                        .split_once("://")
                        .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host))
                })
        }
        None => fetch_site != Some("cross-site"),
    };
    if allowed {
        next.run(req).await
    } else {
        tracing::warn!(origin, path = %req.uri().path(), "refused cross-origin request");
        AppError::Forbidden(
            "This request came from another website and was refused. Reload the shop and try again."
                .into(),
        )
        .into_response()
    }
}
