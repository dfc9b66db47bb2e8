//! Safety nets around every request, for faults we did not foresee: a deadline on the whole
//! response (headers and body), and a panic caught and answered as a 500. Both answer in the
//! shape the client expects: the JSON error for the API, a small page for browsers.
use std::{panic::AssertUnwindSafe, time::Duration};

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use futures::{FutureExt, StreamExt};
use tokio::time::Instant;

use crate::error::AppError;

/// Whether the client wants JSON (the API, server functions called by fetch) rather than a page.
fn wants_json(req: &Request) -> bool {
    let path = req.uri().path();
    if path.starts_with("/api/") || path.starts_with("/webhooks/") || path == "/readyz" {
        return true;
    }
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

fn failure(json: bool, status: StatusCode, error: AppError, title: &str, text: &str) -> Response {
    if json {
        let mut res = error.into_response();
        *res.status_mut() = status;
        return res;
    }
    let page = format!(
        "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} · Pasar</title><link rel=\"stylesheet\" href=\"/pkg/pasar.css\"></head>\
         <body class=\"min-h-screen bg-stone-50 text-stone-900\"><main class=\"mx-auto max-w-lg px-4 py-16 text-center\"><h1 class=\"text-2xl font-bold\">{title}</h1><p class=\"mt-2 text-stone-600\">{text}</p><p class=\"mt-6\"><a class=\"font-semibold text-emerald-800 underline\" href=\"/\">Back to the shop</a></p></main></body></html>"
    );
    let mut res = (status, Html(page)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A response that is not complete within the configured time is cut off: before its headers
/// it becomes a 503 that says so; after them (a streamed body that stalls) the body ends with
/// an error, so the connection closes instead of hanging the client.
pub async fn deadline(limit: Duration, req: Request, next: Next) -> Response {
    let json = wants_json(&req);
    let path = req.uri().path().to_string();
    let until = Instant::now() + limit;
    let res = match tokio::time::timeout_at(until, next.run(req)).await {
        Ok(res) => res,
        Err(_) => {
            tracing::error!(%path, secs = limit.as_secs(), "request timed out before its response began");
            let mut res = failure(
                json,
                StatusCode::SERVICE_UNAVAILABLE,
                AppError::Unavailable("The shop took too long to answer. Please try again.".into()),
                "Taking too long",
                "The shop took too long to answer. Please try again in a moment.",
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return res;
        }
    };
    let (parts, body) = res.into_parts();
    // A body of known length is already complete; only streamed ones (page renders) can stall.
    if axum::body::HttpBody::size_hint(&body).exact().is_some() {
        return Response::from_parts(parts, body);
    }
    let chunks = futures::stream::unfold(Some(body.into_data_stream()), move |state| {
        let path = path.clone();
        async move {
            let mut stream = state?;
            match tokio::time::timeout_at(until, stream.next()).await {
                Ok(Some(chunk)) => Some((chunk, Some(stream))),
                Ok(None) => None,
                Err(_) => {
                    tracing::error!(%path, "response body timed out; closing the connection");
                    Some((Err(axum::Error::new("response deadline passed")), None))
                }
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(chunks))
}

/// Both nets around `router`: the deadline outside, so a request that panics late still ends.
pub fn wrap(router: axum::Router, request_timeout: Duration) -> axum::Router {
    router
        .layer(axum::middleware::from_fn(catch_panic))
        .layer(axum::middleware::from_fn(
            move |req: Request, next: Next| deadline(request_timeout, req, next),
        ))
}

/// A panic in a handler or a page render answers 500 (JSON error for the API, a page for
/// browsers) and is logged; the process and other requests carry on.
pub async fn catch_panic(req: Request, next: Next) -> Response {
    let json = wants_json(&req);
    let path = req.uri().path().to_string();
    match AssertUnwindSafe(next.run(req)).catch_unwind().await {
        Ok(res) => res,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            tracing::error!(%path, panic = %what, "request handler panicked");
            failure(
                json,
                StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Internal,
                "Something went wrong",
                "Something went wrong on our side. It has been logged; please try again.",
            )
        }
    }
}
