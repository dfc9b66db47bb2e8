//! A micro-cache of the storefront's HTML for anonymous visitors, in process memory.
//!
//! An anonymous visitor's catalogue page is the same for everyone (the cart badge of a guest is
//! filled in by the browser), so the rendered HTML of `/`, `/search`, `/c/…`, `/b/…` and `/p/…`
//! is kept for a minute under the URL, the grid/list cookie and the catalogue version. Any
//! product, price or stock change bumps that version (`catalog::cache::invalidate`, shared
//! through Redis by every process), so no visitor sees a stale price. Logged-in visitors, and
//! anything but a plain `200 text/html` GET, always get a fresh render. Responses say
//! `Cache-Control: no-cache` either way: shared caches must revalidate, since a page can show a
//! visitor's own cart once they log in.
use std::{sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

use crate::server::{catalog, session::COOKIE_NAME, state::AppState};

const TTL: Duration = Duration::from_secs(60);
const MAX_PAGES: u64 = 2_000;
const MAX_PAGE_BYTES: usize = 512 * 1024;

/// A rendered page and the nonce its inline scripts carry.
pub struct CachedPage {
    nonce: Option<String>,
    html: Bytes,
}

impl CachedPage {
    /// The page for one more visitor: a nonce of its own (a nonce must never repeat across
    /// responses, or the Content-Security-Policy it unlocks is only as secret as the cache).
    fn serve(&self) -> (Option<String>, Bytes) {
        let Some(old) = &self.nonce else {
            return (None, self.html.clone());
        };
        let fresh = leptos::nonce::Nonce::new().to_string();
        // Random base64, so it occurs nowhere else (Leptos also copies it into `crossorigin`).
        let text = String::from_utf8_lossy(&self.html).replace(old.as_str(), &fresh);
        (Some(fresh), Bytes::from(text))
    }
}

/// The process-wide store of rendered pages.
#[derive(Clone)]
pub struct PageCache(moka::sync::Cache<String, Arc<CachedPage>>);

impl Default for PageCache {
    fn default() -> Self {
        PageCache(
            moka::sync::Cache::builder()
                .max_capacity(MAX_PAGES)
                .time_to_live(TTL)
                .build(),
        )
    }
}

fn cacheable_path(path: &str) -> bool {
    path == "/"
        || path == "/search"
        || path.starts_with("/c/")
        || path.starts_with("/b/")
        || path.starts_with("/p/")
}

/// The cache key, or `None` when this request must be rendered afresh.
fn key_for(req: &Request, version: &str) -> Option<String> {
    if req.method() != Method::GET || !cacheable_path(req.uri().path()) {
        return None;
    }
    let query = req.uri().query().unwrap_or("");
    // `view=` sets a cookie, `error`/`saved` carry one-off messages.
    if form_urlencoded::parse(query.as_bytes())
        .any(|(k, _)| matches!(k.as_ref(), "view" | "error" | "saved"))
    {
        return None;
    }
    let cookies: Vec<&str> = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim)
        .collect();
    // A session or a guest cart makes the page personal (account menu, cart badge).
    let cart_cookie = format!("{}=", crate::server::visitor::CART_COOKIE);
    if cookies
        .iter()
        .any(|c| c.starts_with(&format!("{COOKIE_NAME}=")) || c.starts_with(&cart_cookie))
    {
        return None;
    }
    let view = cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{}=", crate::model::VIEW_COOKIE)))
        .unwrap_or("");
    Some(format!("v{version}|{view}|{}?{query}", req.uri().path()))
}

pub async fn serve_cached(State(state): State<AppState>, req: Request, next: Next) -> Response {
    // Everything else (the API, health checks, assets) passes straight through: no cache lookup.
    if !catalog::cache::enabled()
        || req.method() != Method::GET
        || !cacheable_path(req.uri().path())
    {
        return no_cache(next.run(req).await);
    }
    let version = match catalog::cache::current_version(state.cache.as_ref()).await {
        Some(v) => v,
        None => return no_cache(next.run(req).await),
    };
    let Some(key) = key_for(&req, &version) else {
        return no_cache(next.run(req).await);
    };
    if let Some(page) = state.pages.0.get(&key) {
        let (nonce, html) = page.serve();
        let mut res = (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
                (
                    header::HeaderName::from_static("x-pasar-cache"),
                    HeaderValue::from_static("hit"),
                ),
            ],
            Body::from(html),
        )
            .into_response();
        if let Some(value) = nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
            res.headers_mut()
                .insert(super::headers::NONCE_HEADER, value);
        }
        return res;
    }
    let response = next.run(req).await;
    let storable = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::SET_COOKIE)
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
    if !storable {
        return no_cache(response);
    }
    let (parts, body) = response.into_parts();
    match axum::body::to_bytes(body, MAX_PAGE_BYTES).await {
        Ok(bytes) => {
            let nonce = parts
                .headers
                .get(super::headers::NONCE_HEADER)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            state.pages.0.insert(
                key,
                Arc::new(CachedPage {
                    nonce,
                    html: bytes.clone(),
                }),
            );
            let mut response = Response::from_parts(parts, Body::from(bytes));
            response.headers_mut().insert(
                header::HeaderName::from_static("x-pasar-cache"),
                HeaderValue::from_static("miss"),
            );
            no_cache(response)
        }
        // Too big to keep: the body is gone, so render again rather than send half a page.
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

fn no_cache(mut response: Response) -> Response {
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html && !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, cookie: Option<&str>) -> Request {
        let mut builder = axum::http::Request::builder().uri(uri);
        if let Some(c) = cookie {
            builder = builder.header(header::COOKIE, c);
        }
        builder.body(Body::empty()).expect("request")
    }

    #[test]
    fn only_anonymous_catalogue_pages_are_kept() {
        assert_eq!(
            key_for(&request("/search?q=kemeja", None), "7").as_deref(),
            Some("v7||/search?q=kemeja")
        );
        assert_eq!(
            key_for(&request("/c/sepatu", Some("pasar_view=list")), "7").as_deref(),
            Some("v7|list|/c/sepatu?")
        );
        assert!(key_for(&request("/c/sepatu", Some("a=b; pasar_session=xyz")), "7").is_none());
        assert!(
            key_for(&request("/c/sepatu", Some("pasar_cart=abc")), "7").is_none(),
            "a guest with a cart sees their badge"
        );
        assert!(key_for(&request("/account", None), "7").is_none());
        assert!(key_for(&request("/admin/products", None), "7").is_none());
        assert!(key_for(&request("/c/sepatu?view=list", None), "7").is_none());
        assert!(key_for(&request("/p/x?error=oops", None), "7").is_none());
    }
}
