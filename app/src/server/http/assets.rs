//! The built site's files under `/pkg` (WASM, JS, CSS, split chunks). A release build hashes
//! their names (cargo-leptos `hash-files`: `pasar.<hash>.wasm`, listed in `hash.txt` beside
//! the binary), so a name never changes content and browsers may keep each for a year; a new
//! build links new names. Without hashing (a development build) they must be revalidated.
use std::{collections::HashMap, path::PathBuf, sync::OnceLock};

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

/// The site's package prefix (`/pkg/`) and whether its names are hashed.
static PKG: OnceLock<(String, bool)> = OnceLock::new();

/// Set once, when the router is built (one site per process).
pub fn init(options: &LeptosOptions) {
    let _ = PKG.set((format!("/{}/", options.site_pkg_dir), options.hash_files));
}

/// `Cache-Control` for `/pkg/…`: a year and `immutable` for hashed names, `no-cache` (use it,
/// but ask first) otherwise.
pub async fn cache_headers(req: Request, next: Next) -> Response {
    let Some((prefix, hashed)) = PKG.get() else {
        return next.run(req).await;
    };
    let is_pkg = req.uri().path().starts_with(prefix.as_str());
    let mut res = next.run(req).await;
    if is_pkg && res.status().is_success() {
        let value = if *hashed {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    }
    res
}
