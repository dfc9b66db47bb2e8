//! Safety nets around every request, for faults we did not foresee: a deadline on the whole
//! response (headers and body), one fresh render of a page whose render stalls, and a panic
//! caught and answered as a 500. They answer in the shape the client expects: the JSON error
//! for the API, a small page for browsers.
use std::{panic::AssertUnwindSafe, time::Duration};

use axum::{
    body::Body,
    extract::Request,
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use futures::{FutureExt, StreamExt};
use tokio::time::{error::Elapsed, Instant};

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
    let stylesheet = super::assets::installed_site_files()
        .map_or("/pkg/pasar.css", |files| files.stylesheet.as_str());
    let page = format!(
        "<!DOCTYPE html><html lang=\"id\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title} · Pasar</title><link rel=\"stylesheet\" href=\"{stylesheet}\"></head>\
         <body class=\"min-h-screen bg-stone-50 text-stone-900\"><main class=\"mx-auto max-w-lg px-4 py-16 text-center\"><h1 class=\"text-2xl font-bold\">{title}</h1><p class=\"mt-2 text-stone-600\">{text}</p><p class=\"mt-6\"><a class=\"font-semibold text-emerald-800 underline\" href=\"/\">Back to the shop</a></p></main></body></html>"
    );
    let mut res = (status, Html(page)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A page a browser asked for with GET or HEAD: rendering it has no effect a second render
/// would repeat, so a stalled render may be started again.
fn is_page_read(req: &Request, json: bool) -> bool {
    !json && (req.method() == Method::GET || req.method() == Method::HEAD)
}

/// The same request again, for a second render. Only for page reads, whose body is empty.
fn copy_of(req: &Request) -> Request {
    let mut copy = Request::new(Body::empty());
    *copy.method_mut() = req.method().clone();
    *copy.uri_mut() = req.uri().clone();
    *copy.version_mut() = req.version();
    *copy.headers_mut() = req.headers().clone();
    *copy.extensions_mut() = req.extensions().clone();
    copy
}

/// Runs a page read and reads its streamed body to the end, so a render counts as answered only
/// once it is whole. A body of known length (a static file) is passed through as it is.
async fn render_whole(next: Next, req: Request) -> Response {
    let res = next.run(req).await;
    let (parts, body) = res.into_parts();
    if axum::body::HttpBody::size_hint(&body).exact().is_some() {
        return Response::from_parts(parts, body);
    }
    match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => Response::from_parts(parts, Body::from(bytes)),
        Err(error) => {
            tracing::error!(%error, "page render failed mid-body");
            failure(
                false,
                StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Internal,
                "Something went wrong",
                "Something went wrong on our side. It has been logged; please try again.",
            )
        }
    }
}

/// Runs `req`; a page read that is not whole after a third of `limit` is rendered once more,
/// and whichever render completes first wins.
///
/// Why: Leptos 0.8's server render can, rarely and only under heavy CPU contention, miss the
/// wake-up that tells a `Suspense` its data has arrived (leptos issues 4851, 4673): every query
/// has finished, yet the page, or the script that follows it, never completes. A fresh render
/// does not share that state and finishes in the usual milliseconds. Both renders keep running,
/// so a render that was merely slow still answers first. Pages render `SsrMode::Async`, so
/// reading the body whole before answering costs no streaming. Anything but a page read waits
/// for the whole `limit` as before.
async fn run_with_second_render(
    limit: Duration,
    req: Request,
    next: Next,
    json: bool,
) -> Result<Response, Elapsed> {
    let until = Instant::now() + limit;
    if !is_page_read(&req, json) {
        return tokio::time::timeout_at(until, next.run(req)).await;
    }
    let copy = copy_of(&req);
    let path = req.uri().path().to_string();
    let mut first = Box::pin(render_whole(next.clone(), req));
    if let Ok(res) = tokio::time::timeout(limit / 3, &mut first).await {
        return Ok(res);
    }
    tracing::warn!(%path, "page render stalled; rendering it again");
    let second = Box::pin(render_whole(next, copy));
    let either = futures::future::select(first, second).map(|won| won.factor_first().0);
    tokio::time::timeout_at(until, either).await
}

/// A response that is not complete within the configured time is cut off: before its headers
/// it becomes a 503 that says so; after them (a streamed body that stalls) the body ends with
/// an error, so the connection closes instead of hanging the client.
pub async fn deadline(limit: Duration, req: Request, next: Next) -> Response {
    let json = wants_json(&req);
    let path = req.uri().path().to_string();
    let until = Instant::now() + limit;
    let res = match run_with_second_render(limit, req, next, json).await {
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

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    };

    use axum::{routing::get, Router};
    use tower::ServiceExt;

    use super::*;

    /// A router whose handler never answers its first call (a stalled render) and answers
    /// every later one, counting the calls.
    fn stalls_once() -> (Router, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let handler = move || {
            let counter = Arc::clone(&counter);
            async move {
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    std::future::pending::<()>().await;
                }
                "rendered"
            }
        };
        let router = Router::new().route("/p/kemeja", get(handler.clone()).post(handler));
        (wrap(router, Duration::from_millis(600)), calls)
    }

    /// A router whose first page answers its headers and a first chunk, then never ends its
    /// body (a stalled streamed render); every later call answers whole.
    fn body_stalls_once() -> (Router, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let handler = move || {
            let counter = Arc::clone(&counter);
            async move {
                let chunks = futures::stream::iter([Ok::<_, std::io::Error>("<html>")]);
                if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                    Body::from_stream(chunks.chain(futures::stream::pending()))
                } else {
                    Body::from_stream(chunks.chain(futures::stream::iter([Ok("</html>")])))
                }
            }
        };
        let router = Router::new().route("/p/kemeja", get(handler));
        (wrap(router, Duration::from_millis(600)), calls)
    }

    async fn body_of(res: Response) -> String {
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn a_stalled_page_render_is_rendered_again() {
        let (router, calls) = stalls_once();
        let req = Request::get("/p/kemeja")
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        let res = router.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(body_of(res).await, "rendered");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "one stalled render, one fresh one"
        );
    }

    #[tokio::test]
    async fn a_page_whose_body_stalls_after_its_headers_is_rendered_again() {
        let (router, calls) = body_stalls_once();
        let req = Request::get("/p/kemeja")
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        let res = router.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(body_of(res).await, "<html></html>");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_stalled_post_is_not_repeated_and_times_out() {
        let (router, calls) = stalls_once();
        let req = Request::post("/p/kemeja")
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap();
        let res = router.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()[header::RETRY_AFTER], "5");
        assert!(body_of(res).await.contains("Taking too long"));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "a form post runs once");
    }

    #[tokio::test]
    async fn a_stalled_json_read_is_not_repeated() {
        let (router, calls) = stalls_once();
        let req = Request::get("/p/kemeja")
            .header(header::ACCEPT, "application/json")
            .body(Body::empty())
            .unwrap();
        let res = router.oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body: serde_json::Value = serde_json::from_str(&body_of(res).await).unwrap();
        assert_eq!(body["error"]["code"], "unavailable");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
