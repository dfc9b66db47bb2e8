//! The built site's files under `/pkg` (WASM, JS, CSS, split chunks). A release build hashes
//! their names (cargo-leptos `hash-files`: `pasar.<hash>.wasm`, listed in `hash.txt` beside
//! the binary), so a name never changes content and browsers may keep each for a year; a new
//! build links new names. Without hashing (a development build) they must be revalidated.
use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{Arc, OnceLock},
};

use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::Next,
    response::Response,
};
use leptos::{config::LeptosOptions, nonce::use_nonce, prelude::*, WasmSplitManifest};

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

/// The site's entry files as every page links them. Worked out once per process: the names
/// change only with a new build, which is a new process (leptos's own `HashedStylesheet` and
/// `HydrationScripts` read `hash.txt` again on every render).
pub struct SiteFiles {
    /// `/pkg/pasar.<hash>.css`
    pub stylesheet: String,
    /// The wasm-bindgen glue module, `/pkg/pasar.<hash>.js`.
    pub script: String,
    /// `/pkg/pasar.<hash>.wasm`
    pub wasm: String,
    /// A split build's chunk manifest: lazy routes read it (from context) to preload their
    /// chunks on the pages that need them.
    split: Option<WasmSplitManifest>,
}

static SITE_FILES: OnceLock<SiteFiles> = OnceLock::new();

/// The files of the site this process serves (one site per process).
pub fn site_files(options: &LeptosOptions) -> &'static SiteFiles {
    SITE_FILES.get_or_init(|| SiteFiles::new(options, &hashes(options)))
}

/// The site's files once the router has been built (`None` before that).
pub fn installed_site_files() -> Option<&'static SiteFiles> {
    SITE_FILES.get()
}

impl SiteFiles {
    fn new(options: &LeptosOptions, hashes: &HashMap<String, String>) -> Self {
        let pkg = format!("/{}", options.site_pkg_dir);
        let name = |kind: &str, extension: &str| {
            let stem = options.output_name.as_ref();
            match hashes.get(kind) {
                Some(hash) => format!("{pkg}/{stem}.{hash}.{extension}"),
                // wasm-bindgen's own name, unless cargo-leptos (which sets this variable for
                // the whole build) renamed it; leptos decides the same way.
                None if kind == "wasm"
                    && !options.hash_files
                    && option_env!("LEPTOS_OUTPUT_NAME").is_none() =>
                {
                    format!("{pkg}/{stem}_bg.{extension}")
                }
                None => format!("{pkg}/{stem}.{extension}"),
            }
        };
        Self {
            stylesheet: name("css", "css"),
            script: name("js", "js"),
            wasm: name("wasm", "wasm"),
            split: split_manifest(options, hashes, &pkg),
        }
    }
}

/// `__wasm_split_manifest.<hash>.json`, written by `cargo leptos build --split`.
fn split_manifest(
    options: &LeptosOptions,
    hashes: &HashMap<String, String>,
    pkg: &str,
) -> Option<WasmSplitManifest> {
    let manifest = match hashes.get("manifest") {
        Some(hash) => format!("__wasm_split_manifest.{hash}.json"),
        None => "__wasm_split_manifest.json".to_string(),
    };
    let loader = match hashes.get("split") {
        Some(hash) => format!("__wasm_split.{hash}.js"),
        None => "__wasm_split.______________________.js".to_string(),
    };
    let path = PathBuf::from(options.site_root.as_ref())
        .join(options.site_pkg_dir.as_ref())
        .join(manifest);
    let text = std::fs::read_to_string(&path).ok()?;
    match serde_json::from_str(&text) {
        Ok(chunks) => Some(WasmSplitManifest(ArcStoredValue::new((
            pkg.to_string(),
            chunks,
            loader,
        )))),
        Err(error) => {
            tracing::error!(path = %path.display(), %error, "unreadable WASM split manifest; lazy pages will not preload their code");
            None
        }
    }
}

/// Starts the WASM once the page has loaded and the browser is idle, instead of preloading it
/// from `<head>` as leptos's `HydrationScripts` does (even with its `defer` prop, which keeps
/// the preloads at low priority: a preload that finishes before the largest paint is observed
/// is charged to that paint by Lighthouse's simulation). The server-rendered page works without
/// it (links and forms are plain HTML), so the first paint waits for nothing but the
/// stylesheet, and the page's pictures get the bandwidth first.
///
/// Hydration runs in slices (see `components::hydration`), and the router takes over link
/// clicks as soon as the first slice (the header) has hydrated. A click or a form submission
/// between that and the last slice would change the page under a view that is still being
/// hydrated from the old page's HTML, so while hydration runs such events are held and then
/// dispatched again, as the browser does with input that arrives during one long task. Before
/// hydration starts they are left alone: the plain HTML handles them. `<html data-hydrating>`
/// and `data-hydrated` (set by the WASM when the last slice is done) tell tests, and anyone
/// curious, where the page is.
const HYDRATE: &str = r#"(function (script, wasm) {
  const root = document.documentElement;
  const held = [];
  // What the router leaves to the browser anyway: modified clicks (new tab or window), links
  // that open elsewhere or download, forms that submit into another window. A replayed click
  // is not a user's, so the browser would block the new window as a pop-up.
  const elsewhere = (target) => !!target && target !== "_self";
  const leftToBrowser = (ev) => {
    if (ev.type === "submit") return elsewhere(ev.submitter?.getAttribute("formtarget") || ev.target.getAttribute("target"));
    if (ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return true;
    const link = ev.target.closest?.("a");
    return !!link && (link.hasAttribute("download") || /(^|\s)external(\s|$)/.test(link.getAttribute("rel") ?? "") || elsewhere(link.getAttribute("target")));
  };
  const hold = (ev) => {
    if (leftToBrowser(ev)) return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    held.push(ev);
  };
  const release = () => {
    removeEventListener("click", hold, true);
    removeEventListener("submit", hold, true);
    for (const ev of held.splice(0)) {
      if (ev.type === "submit") ev.target.requestSubmit(ev.submitter);
      else ev.target.dispatchEvent(new MouseEvent("click", ev));
    }
  };
  const start = () => import(script).then(async (app) => {
    await app.default({ module_or_path: wasm });
    addEventListener("click", hold, true);
    addEventListener("submit", hold, true);
    const done = new MutationObserver(() => {
      if (!root.hasAttribute("data-hydrated")) return;
      done.disconnect();
      release();
    });
    done.observe(root, { attributes: true, attributeFilter: ["data-hydrated"] });
    // A page whose hydration never finishes (a panic) must not keep its links held.
    setTimeout(() => { done.disconnect(); release(); }, 10000);
    root.setAttribute("data-hydrating", "");
    app.hydrate();
  });
  // The timeout keeps a page that is never idle from staying inert.
  const whenIdle = () => "requestIdleCallback" in window
    ? requestIdleCallback(start, { timeout: 1000 })
    : setTimeout(start, 0);
  if (document.readyState === "complete") whenIdle();
  else addEventListener("load", whenIdle, { once: true });
})"#;

/// The hydration script for `<head>` (see [`HYDRATE`]).
#[component]
pub fn DeferredHydrationScripts(options: LeptosOptions) -> impl IntoView {
    let files = site_files(&options);
    if let Some(split) = &files.split {
        provide_context(split.clone());
    }
    let quote = |s: &str| serde_json::Value::from(s).to_string();
    let call = format!(
        "{HYDRATE}({}, {});",
        quote(&files.script),
        quote(&files.wasm)
    );
    view! { <script type="module" nonce=use_nonce()>{call}</script> }
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

    fn options(hash_files: bool) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("pasar")
            .site_pkg_dir("pkg")
            .hash_files(hash_files)
            .build()
    }

    #[test]
    fn hashed_builds_link_each_file_by_its_hash() {
        let hashes = HashMap::from(
            [("css", "c55"), ("js", "J5"), ("wasm", "W-4")].map(|(k, v)| (k.into(), v.into())),
        );
        let files = SiteFiles::new(&options(true), &hashes);
        assert_eq!(files.stylesheet, "/pkg/pasar.c55.css");
        assert_eq!(files.script, "/pkg/pasar.J5.js");
        assert_eq!(files.wasm, "/pkg/pasar.W-4.wasm");
    }

    #[test]
    fn unhashed_builds_keep_the_plain_names() {
        let files = SiteFiles::new(&options(false), &HashMap::new());
        assert_eq!(files.stylesheet, "/pkg/pasar.css");
        assert_eq!(files.script, "/pkg/pasar.js");
        let wasm = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
            "/pkg/pasar.wasm"
        } else {
            "/pkg/pasar_bg.wasm"
        };
        assert_eq!(files.wasm, wasm);
    }
}
