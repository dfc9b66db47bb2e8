//! The built site's files under `/pkg` (WASM, JS, CSS, split chunks). A release build hashes
//! their names (cargo-leptos `hash-files`: `pasar.<hash>.wasm`, listed in `hash.txt` beside
//! the binary), so a name never changes content and browsers may keep each for a year; a new
//! build links new names. Without hashing (a development build) they must be revalidated.
use std::{collections::HashMap, path::PathBuf, sync::Arc};

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};
use leptos::config::LeptosOptions;

/// `hash.txt` where leptos looks for it: beside the running executable.
fn hash_file(options: &LeptosOptions) -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    Some(exe.parent()?.join(options.hash_file.as_ref()))
}

/// Whether the build beside this executable hashed its file names.
pub fn build_hashed_files(options: &LeptosOptions) -> bool {
    hash_file(options).is_some_and(|path| path.is_file())
}

/// `css`, `js`, `wasm`… → hash, from `hash.txt` (empty when names are not hashed).
fn hashes(options: &LeptosOptions) -> HashMap<String, String> {
    if !options.hash_files {
        return HashMap::new();
    }
    let text = hash_file(options)
        .and_then(|path| std::fs::read_to_string(path).ok())
        .unwrap_or_default();
    text.lines()
        .filter_map(|line| line.split_once(':'))
        .map(|(kind, hash)| (kind.trim().to_string(), hash.trim().to_string()))
        .collect()
}

/// The stylesheet's URL, as `HashedStylesheet` writes it into every page.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    let name = match hashes(options).get("css") {
        Some(hash) => format!("{}.{hash}.css", options.output_name),
        None => format!("{}.css", options.output_name),
    };
    format!("/{}/{name}", options.site_pkg_dir)
}

/// `Cache-Control` for the site's `/pkg/…` files: a year and `immutable` when their names are
/// hashed, `no-cache` (use it, but ask first) otherwise. Other responses pass untouched.
pub async fn cache_headers(
    pkg_prefix: Arc<str>,
    hashed: bool,
    req: Request,
    next: Next,
) -> Response {
    let is_pkg = req.uri().path().starts_with(pkg_prefix.as_ref());
    let mut res = next.run(req).await;
    if is_pkg && res.status().is_success() {
        let value = if hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    res
}

#[cfg(test)]
mod tests {
    use axum::{body::Body, http::StatusCode, middleware, routing::get, Router};
    use tower::ServiceExt;

    use super::*;

    fn site(hashed: bool) -> Router {
        Router::new()
            .route("/pkg/pasar.Ab3_x.wasm", get(|| async { "wasm" }))
            .route("/", get(|| async { "page" }))
            .layer(middleware::from_fn(move |req: Request, next: Next| {
                cache_headers(Arc::from("/pkg/"), hashed, req, next)
            }))
    }

    async fn cache_control(app: Router, path: &str) -> (StatusCode, Option<String>) {
        let req = Request::get(path).body(Body::empty()).expect("request");
        let res = app.oneshot(req).await.expect("response");
        let value = res
            .headers()
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (res.status(), value)
    }

    #[tokio::test]
    async fn hashed_files_are_cached_for_a_year_and_nothing_else_is_touched() {
        let (status, value) = cache_control(site(true), "/pkg/pasar.Ab3_x.wasm").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            value.as_deref(),
            Some("public, max-age=31536000, immutable")
        );
        // A missing file must not be cached as if it were one.
        let (status, value) = cache_control(site(true), "/pkg/pasar.old.wasm").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(value, None);
        assert_eq!(cache_control(site(true), "/").await.1, None);
    }

    #[tokio::test]
    async fn unhashed_files_are_revalidated() {
        let (_, value) = cache_control(site(false), "/pkg/pasar.Ab3_x.wasm").await;
        assert_eq!(value.as_deref(), Some("no-cache"));
    }

    #[test]
    fn the_stylesheet_keeps_its_plain_name_when_names_are_not_hashed() {
        let options = LeptosOptions::builder().output_name("pasar").build();
        assert_eq!(stylesheet_href(&options), "/pkg/pasar.css");
    }
}
