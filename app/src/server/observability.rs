//! What operators see of a running shop:
//! - a request id on every request: taken from `X-Request-Id` when the proxy in front set one,
//!   made here otherwise; echoed in the response, carried by every log line of the request (its
//!   span) and set as a tag on error reports;
//! - Prometheus metrics at `GET /metrics`: request latency by route, checkout outcomes, payment
//!   events, cache lookups, and, read when scraped, the outbox backlog and the database pool;
//! - error reports to Sentry when `SENTRY_DSN` is set (the binary installs the client; each
//!   request gets its own hub here, so reports of concurrent requests never mix their tags).
use std::{
    sync::{Arc, Mutex, OnceLock},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{header, HeaderName, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use chrono::Utc;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use sentry::SentryFutureExt;
use tracing::Instrument;

use super::state::AppState;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request latency buckets (seconds): a cached page answers in about a millisecond, a cold
/// listing in tens, a checkout in hundreds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed on first use (one per process: every shop
/// started in one test binary shares it).
pub fn prometheus() -> &'static PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets_for_metric(
                Matcher::Full("pasar_http_request_duration_seconds".into()),
                &LATENCY_BUCKETS,
            )
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!(
                "metrics: another recorder is installed; /metrics shows only scraped gauges"
            );
        }
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_histogram!(
        "pasar_http_request_duration_seconds",
        Unit::Seconds,
        "Time to answer a request, by method and route"
    );
    describe_counter!(
        "pasar_http_requests_total",
        "Requests answered, by method, route and status"
    );
    describe_counter!(
        "pasar_checkouts_total",
        "Checkout attempts by outcome (placed, replayed, out_of_stock, …)"
    );
    describe_counter!(
        "pasar_payment_events_total",
        "Gateway payment events by gateway, status and outcome"
    );
    describe_counter!(
        "pasar_cache_lookups_total",
        "Page and catalogue cache lookups, by cache and result (hit, miss)"
    );
    describe_gauge!(
        "pasar_outbox_pending",
        "Outbox facts not yet handled, by consumer (mail: emails and side effects; analytics)"
    );
    describe_gauge!(
        "pasar_outbox_oldest_pending_seconds",
        Unit::Seconds,
        "Age of the oldest fact a consumer has not handled (0 when none)"
    );
    describe_gauge!(
        "pasar_db_pool_connections",
        "Database pool connections by state (open, idle, max)"
    );
}

/// Counts one checkout attempt. `outcome` is one of a fixed set of words (never user input).
pub fn checkout_outcome(outcome: &'static str) {
    metrics::counter!("pasar_checkouts_total", "outcome" => outcome).increment(1);
}

/// Counts one payment event as applied (or not) by the payments domain.
pub fn payment_event(gateway: &str, status: &str, outcome: &'static str) {
    // Gateways and statuses are ours (mapped from the gateway's words), so the label set stays
    // small; anything unexpected is folded into "other".
    let gateway = match gateway {
        "stripe" | "midtrans" | "demo" => gateway.to_string(),
        _ => "other".into(),
    };
    let status = match status {
        "" => "none".to_string(),
        s if s.len() <= 20 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') => s.into(),
        _ => "other".into(),
    };
    metrics::counter!(
        "pasar_payment_events_total",
        "gateway" => gateway,
        "status" => status,
        "outcome" => outcome
    )
    .increment(1);
}

/// Counts one cache lookup (`cache`: a fixed name; `hit`: whether it answered).
pub fn cache_lookup(cache: &'static str, hit: bool) {
    let result = if hit { "hit" } else { "miss" };
    metrics::counter!("pasar_cache_lookups_total", "cache" => cache, "result" => result)
        .increment(1);
}

/// The route template a request matched, filled in by [`name_route`] once routing has run.
#[derive(Clone, Default)]
struct RouteSlot(Arc<Mutex<Option<String>>>);

impl RouteSlot {
    fn set(&self, route: &str) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some(route.to_string());
        }
    }

    fn take(&self) -> Option<String> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

/// Route layer: notes the matched route template (`/products/{slug}`, not the URL) for the
/// metrics. Runs once per router level; the innermost (most specific) match is kept.
pub async fn name_route(req: Request, next: Next) -> Response {
    if let (Some(path), Some(slot)) = (
        req.extensions().get::<MatchedPath>(),
        req.extensions().get::<RouteSlot>(),
    ) {
        if !path.as_str().contains("__private__") {
            slot.set(path.as_str());
        }
    }
    next.run(req).await
}

/// A request id we accept from the proxy: short, printable, no spaces.
fn acceptable_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The label of a request no route matched: files, the page cache, or nothing.
fn unrouted_label(path: &str, res: &Response) -> &'static str {
    if res
        .headers()
        .get("x-pasar-cache")
        .is_some_and(|v| v == "hit")
    {
        "(page cache)"
    } else if path.starts_with("/pkg/") || path.starts_with("/vendor/") || path == "/favicon.ico" {
        "(static)"
    } else {
        "(unmatched)"
    }
}

/// The outermost layer: gives the request its id, span and error-report scope, and records
/// its latency and status.
pub async fn observe(mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| acceptable_id(v))
        .map(str::to_string)
        .unwrap_or_else(|| super::checkout::random_token(20));
    if let Ok(value) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID, value);
    }
    let slot = RouteSlot::default();
    req.extensions_mut().insert(slot.clone());
    let method = method_label(req.method());
    let path = req.uri().path().to_string();
    let hub = Arc::new(sentry::Hub::new_from_top(sentry::Hub::current()));
    hub.configure_scope(|scope| {
        scope.set_tag("request_id", &id);
        scope.set_tag("http.method", method);
        scope.set_tag("http.path", &path);
    });
    // Sentry's tracing layer reports a logged error through the thread's current hub, which
    // `bind_hub` makes the request's own for every poll of the request's future.
    let run = {
        let (id, path) = (id.clone(), path.clone());
        async move {
            let span = tracing::info_span!("request", id = %id, method, path = %path);
            next.run(req).instrument(span).await
        }
    };
    let mut res = run.bind_hub(hub).await;
    let route = slot
        .take()
        .unwrap_or_else(|| unrouted_label(&path, &res).to_string());
    let status = res.status().as_u16().to_string();
    metrics::histogram!(
        "pasar_http_request_duration_seconds",
        "method" => method,
        "route" => route.clone()
    )
    .record(started.elapsed().as_secs_f64());
    metrics::counter!(
        "pasar_http_requests_total",
        "method" => method,
        "route" => route,
        "status" => status
    )
    .increment(1);
    if let Some(result) = res.headers().get("x-pasar-cache") {
        cache_lookup("page", result == "hit");
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    res
}

/// Sets the gauges read from the database (the outbox backlog, per consumer).
async fn scrape_outbox(state: &AppState) {
    use super::db::outbox_event::{Column, Entity};
    for (consumer, column) in [
        ("mail", Column::ProcessedAt),
        ("analytics", Column::CountedAt),
    ] {
        let waiting = || Entity::find().filter(column.is_null());
        let backlog = async {
            let pending = waiting().count(&state.db).await?;
            let oldest = waiting()
                .order_by_asc(Column::Id)
                .one(&state.db)
                .await?
                .map(|fact| fact.created_at);
            Ok::<_, sea_orm::DbErr>((pending, oldest))
        };
        match backlog.await {
            Ok((pending, oldest)) => {
                let age = oldest.map_or(0.0, |at| {
                    (Utc::now() - at).num_milliseconds().max(0) as f64 / 1e3
                });
                metrics::gauge!("pasar_outbox_pending", "consumer" => consumer).set(pending as f64);
                metrics::gauge!("pasar_outbox_oldest_pending_seconds", "consumer" => consumer)
                    .set(age);
            }
            Err(e) => tracing::warn!(error = %e, "metrics: reading the outbox backlog failed"),
        }
    }
}

fn scrape_pool(state: &AppState) {
    let (open, idle, max) = match state.db.get_database_backend() {
        DbBackend::Postgres => {
            let pool = state.db.get_postgres_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        DbBackend::Sqlite => {
            let pool = state.db.get_sqlite_connection_pool();
            (
                pool.size(),
                pool.num_idle(),
                pool.options().get_max_connections(),
            )
        }
        _ => return,
    };
    for (which, value) in [
        ("open", open as f64),
        ("idle", idle as f64),
        ("max", max as f64),
    ] {
        metrics::gauge!("pasar_db_pool_connections", "state" => which).set(value);
    }
}

/// `GET /metrics`: the Prometheus text format. Meant for the scraper on the internal network:
/// the load balancer in front should not pass it through (deploy/haproxy.cfg refuses it).
pub async fn metrics_endpoint(State(state): State<AppState>) -> Response {
    let handle = prometheus();
    scrape_outbox(&state).await;
    scrape_pool(&state);
    handle.run_upkeep();
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_short_request_ids_are_taken_from_the_proxy() {
        assert!(acceptable_id("5f1c2a9e-0b7d-4c1e-9a53-2f7d1c0e8b44"));
        assert!(acceptable_id("req_01HZX.abc:1"));
        assert!(!acceptable_id(""));
        assert!(!acceptable_id("has space"));
        assert!(!acceptable_id("new\nline"));
        assert!(!acceptable_id(&"a".repeat(65)));
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(
            method_label(&Method::from_bytes(b"PROPFIND").expect("a valid method")),
            "other"
        );
    }
}
