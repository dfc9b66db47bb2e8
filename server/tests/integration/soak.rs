//! Soak test: every public and account page rendered thousands of times by 24 concurrent
//! clients, first whole, then with a share of the requests abandoned half-way, then whole
//! again. Every response must complete (status line, the whole document and its closing
//! script): a
//! streamed server render that never finishes fails here, naming the page.
//!
//! A bounded loop, not a timed test: the per-request limit only turns a stall into a failure.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use crate::common::{spawn_app_with, TestApp};

const CLIENTS: usize = 24;

/// Rounds over the page list per client (`PASAR_SOAK_ROUNDS`, default 6): 24 × 6 × 15 pages
/// ≈ 2,200 whole renders, plus the abandoned and final phases.
fn rounds() -> usize {
    std::env::var("PASAR_SOAK_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|r| *r > 0)
        .unwrap_or(6)
}

/// The first `href` on `html` that starts with `prefix` (e.g. a product link).
fn first_link(html: &str, prefix: &str) -> Option<String> {
    let needle = format!("href=\"{prefix}");
    let start = html.find(&needle)? + "href=\"".len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

async fn pages(app: &TestApp) -> Vec<String> {
    let search = app
        .client
        .get(app.url("/search"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let product = first_link(&search, "/p/").expect("a product link on /search");
    let slug_of = |path: &'static str| {
        let client = app.client.clone();
        let url = app.url(path);
        async move {
            let list: serde_json::Value =
                client.get(url).send().await.unwrap().json().await.unwrap();
            list[0]["slug"].as_str().expect("a slug").to_string()
        }
    };
    let category = format!("/c/{}", slug_of("/api/v1/categories").await);
    let brand = format!("/b/{}", slug_of("/api/v1/brands").await);
    [
        "/",
        "/search",
        "/search?q=sepatu",
        "/search?q=kaos&sort=price_asc&page=2",
        &product,
        &category,
        &brand,
        "/cart",
        "/checkout",
        "/login?next=/account",
        "/register",
        "/account",
        "/account/addresses",
        "/account/orders",
        "/orders/PSR-DEMO-0001",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// A logged-in customer's client (the demo customer) or a guest's.
async fn visitor(app: &TestApp, logged_in: bool) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        // Below the server's 10 s keep-alive (header read) time-out: a connection the server
        // is about to close is not picked for the next request.
        .pool_idle_timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    if logged_in {
        let res = app
            .login(
                &client,
                app::server::seed::DEMO_CUSTOMER_EMAIL,
                app::server::seed::DEMO_CUSTOMER_PASSWORD,
            )
            .await;
        assert_eq!(res.status(), 200, "demo customer logs in");
    }
    client
}

/// Fetches `path` whole and checks the response completed. A request that could not be sent
/// (a kept-alive connection closing as it was reused) is sent once more, as browsers do; a
/// response that starts and never completes is a failure.
async fn fetch_whole(client: &reqwest::Client, base: &str, path: &str) -> Result<(), String> {
    let send = || {
        client
            .get(format!("{base}{path}"))
            .header("accept", "text/html")
            .send()
    };
    let res = match send().await {
        Ok(res) => res,
        Err(e) if e.is_request() && !e.is_timeout() => {
            eprintln!("soak: {path}: sent again after: {e}");
            send()
                .await
                .map_err(|e| format!("{path}: no response: {e}"))?
        }
        Err(e) => return Err(format!("{path}: no response: {e}")),
    };
    let status = res.status();
    let body = res
        .text()
        .await
        .map_err(|e| format!("{path}: body never completed ({status}): {e}"))?;
    if status.is_redirection() {
        return Ok(());
    }
    if !(status.is_success() || status == 404) {
        return Err(format!("{path}: status {status}"));
    }
    // A whole render: the document, then (when resources were read) the script that hands
    // their values to the browser, which always comes last.
    let body = body.trim_end();
    let whole = body.contains("</html>")
        && (body.ends_with("</html>") || body.ends_with("__INCOMPLETE_CHUNKS=[];</script>"));
    if !whole {
        let tail: String = body
            .chars()
            .rev()
            .take(200)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(format!(
            "{path}: body ends early ({} bytes): …{tail}",
            body.len()
        ));
    }
    Ok(())
}

/// Starts `path` and gives up after `after`: the server sees the connection close mid-render.
async fn abandon(client: &reqwest::Client, base: &str, path: &str, after: Duration) {
    let request = client.get(format!("{base}{path}")).send();
    let _ = tokio::time::timeout(after, async {
        if let Ok(res) = request.await {
            let _ = res.bytes().await;
        }
    })
    .await;
}

/// A phase may take this long; a server that stops answering fails the test here, naming how
/// far the phase got, instead of holding the whole run up request by request.
const PHASE_LIMIT: Duration = Duration::from_secs(8 * 60);

async fn phase(
    app: &TestApp,
    pages: Arc<Vec<String>>,
    rounds: usize,
    abandon_every: Option<usize>,
) -> usize {
    let progress = Arc::new(AtomicUsize::new(0));
    let total = CLIENTS * rounds * pages.len();
    let started = Instant::now();
    // A plain thread, so it still reports when the runtime's own threads are stuck: progress
    // every minute, and if even the phase's own deadline cannot fire (every runtime thread
    // blocked), the stacks of every thread (gdb, when installed) before the process stops.
    let watching = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let watchdog = {
        let (progress, watching) = (progress.clone(), watching.clone());
        std::thread::spawn(move || {
            let mut last = 0;
            while watching.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(250));
                let secs = started.elapsed().as_secs();
                if secs > 0 && secs.is_multiple_of(60) && secs != last {
                    last = secs;
                    eprintln!(
                        "soak: {}/{total} requests after {secs} s",
                        progress.load(Ordering::Relaxed)
                    );
                }
                if started.elapsed() > PHASE_LIMIT + Duration::from_secs(60) {
                    eprintln!("soak: the runtime stopped answering; every thread's stack:");
                    let _ = std::process::Command::new("gdb")
                        .args(["-p", &std::process::id().to_string(), "-batch"])
                        .args(["-ex", "thread apply all bt 40"])
                        .status();
                    std::process::abort();
                }
            }
        })
    };
    let result = tokio::time::timeout(
        PHASE_LIMIT,
        run_phase(app, pages, rounds, abandon_every, progress.clone()),
    )
    .await;
    watching.store(false, Ordering::Relaxed);
    let _ = watchdog.join();
    match result {
        Ok(completed) => completed,
        Err(_) => panic!(
            "the phase did not finish within {} s: {} of {total} requests answered",
            PHASE_LIMIT.as_secs(),
            progress.load(Ordering::Relaxed)
        ),
    }
}

async fn run_phase(
    app: &TestApp,
    pages: Arc<Vec<String>>,
    rounds: usize,
    abandon_every: Option<usize>,
    progress: Arc<AtomicUsize>,
) -> usize {
    let mut workers = Vec::new();
    for worker in 0..CLIENTS {
        let client = visitor(app, worker % 2 == 0).await;
        let base = app.base.clone();
        let pages = pages.clone();
        let progress = progress.clone();
        workers.push(tokio::spawn(async move {
            let mut done = 0usize;
            let mut failures = Vec::new();
            for round in 0..rounds {
                for (i, path) in pages.iter().enumerate() {
                    let n = round * pages.len() + i + worker;
                    match abandon_every {
                        Some(every) if n.is_multiple_of(every) => {
                            // 1–9 ms: mid-render on a debug build.
                            let after = Duration::from_millis(1 + (n % 9) as u64);
                            abandon(&client, &base, path, after).await;
                        }
                        _ => match fetch_whole(&client, &base, path).await {
                            Ok(()) => done += 1,
                            Err(e) => failures.push(e),
                        },
                    }
                    progress.fetch_add(1, Ordering::Relaxed);
                }
            }
            (done, failures)
        }));
    }
    let mut completed = 0;
    let mut failures = Vec::new();
    for worker in workers {
        let (done, failed) = worker.await.expect("soak worker");
        completed += done;
        failures.extend(failed);
    }
    assert!(
        failures.is_empty(),
        "{} of {} responses did not complete; first ones: {:#?}",
        failures.len(),
        completed + failures.len(),
        &failures[..failures.len().min(5)]
    );
    completed
}

/// The server on a multi-threaded runtime, as `pasar serve` runs it.
#[test]
fn every_page_response_completes_under_concurrent_load() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(soak());
    // Seen once (2026-12-08, PostgreSQL): after every phase had passed, one worker thread sat
    // deadlocked inside reactive_graph (an `Owner` dropped its last reference while
    // `use_context` held its lock, under an abandoned render), and dropping the runtime waited
    // for that thread forever. The responses are what this test checks; the deadlock is
    // recorded in docs/performance.md ("A render that never finishes") to be fixed upstream.
    runtime.shutdown_timeout(Duration::from_secs(30));
}

/// The same on one thread, as every other integration test runs its server: the thread count
/// changes how the render's tasks interleave.
#[test]
fn every_page_response_completes_on_a_single_threaded_runtime() {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(soak());
}

async fn soak() {
    // Uncached, so every request really renders.
    let app = spawn_app_with(&[("PASAR_CATALOG_CACHE", "off".into())]).await;
    let (email, password) = app::server::seed::admin_credentials();
    app::server::seed::seed_demo(&app.state.db, &email, &password, |_| {})
        .await
        .expect("demo shop");
    let pages = Arc::new(pages(&app).await);
    let rounds = rounds();

    let whole = phase(&app, pages.clone(), rounds, None).await;
    assert_eq!(whole, CLIENTS * rounds * pages.len());
    // A third of the requests abandoned after a few milliseconds, the rest read whole.
    let partly = phase(&app, pages.clone(), rounds.div_ceil(2), Some(3)).await;
    assert!(partly > 0);
    // The server is still whole afterwards: nothing is left stuck.
    let after = phase(&app, pages.clone(), 1, None).await;
    assert_eq!(after, CLIENTS * pages.len());
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
}
