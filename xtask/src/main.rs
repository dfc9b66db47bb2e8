//! `cargo xtask`: the project's two commands and the tool installs they need.
//!
//! - `cargo xtask dev`  — install what is missing, build the debug server, create and migrate
//!   the embedded database, load the demo shop and serve it (prints URL and demo logins), then
//!   build the WASM while it serves; `--release` serves the release site instead.
//! - `cargo xtask test` — install what is missing, run every test: unit and integration on
//!   SQLite, again on PostgreSQL + Redis when `DATABASE_URL` / `REDIS_URL` point at them, and
//!   the browser tests in headless Chromium.
//!
//! Everything comes from the package registries: no step downloads binaries from elsewhere.
use std::{
    env,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, ExitCode, Stdio},
    time::{Duration, Instant},
};

const CARGO_LEPTOS_VERSION: &str = "0.3.11";
/// Must equal the `wasm-bindgen` crate pinned in Cargo.toml.
const WASM_BINDGEN_VERSION: &str = "0.2.130";

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    STARTED.get_or_init(Instant::now);
    let args: Vec<String> = env::args().skip(1).collect();
    let root = project_root();
    if let Err(e) = env::set_current_dir(&root) {
        eprintln!("xtask: cannot enter {}: {e}", root.display());
        return ExitCode::FAILURE;
    }
    let result = match args.first().map(String::as_str) {
        Some("dev") => dev(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("e2e") => install_tools(true).and_then(|_| e2e()),
        Some("setup") => install_tools(true),
        Some("build") => install_tools(false).and_then(|_| run(cargo().args(RELEASE_BUILD))),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  dev     build and serve the demo shop (debug server first, then the WASM; --release: the release site)\n  test    run every test (unit, integration on SQLite and, when DATABASE_URL/REDIS_URL are set, PostgreSQL/Redis; browser)\n  e2e     run only the browser tests\n  build   build the release site\n  setup   install the tools only"
            );
            Err("unknown command".into())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(cmd: &mut Command) -> Result {
    let shown = format!("{cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

static STARTED: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();

/// Time since xtask started, as `12m05s`.
fn elapsed() -> String {
    let secs = STARTED.get_or_init(Instant::now).elapsed().as_secs();
    format!("{}m{:02}s", secs / 60, secs % 60)
}

/// Runs `f` as a named stage and prints how long it took.
fn stage<T>(name: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    println!("\n==> {name}");
    let started = Instant::now();
    let result = f();
    let secs = started.elapsed().as_secs();
    println!(
        "<== {name}: {} in {}m{:02}s ({} since start)",
        if result.is_ok() { "ok" } else { "FAILED" },
        secs / 60,
        secs % 60,
        elapsed()
    );
    result
}

/// Installs whatever is missing: the wasm target, cargo-leptos, the wasm-bindgen CLI, the npm
/// packages (tailwindcss, wasm-opt, playwright-core), poppler's pdftotext (the invoice tests)
/// and, for browser tests, Chromium.
fn install_tools(browser: bool) -> Result {
    stage("tools", || {
        install_quick_tools()?;
        install_cargo_leptos()?;
        install_wasm_bindgen()?;
        // `pdftotext` reads the invoices back in the integration tests.
        if output(Command::new("pdftotext").arg("-v")).is_none()
            && !Path::new("/usr/bin/pdftotext").exists()
        {
            println!("installing Debian's poppler-utils (pdftotext) for the invoice tests");
            run(Command::new("apt-get").arg("update").arg("-q"))?;
            run(Command::new("apt-get")
                .args(["install", "-y", "-q", "poppler-utils"])
                .env("DEBIAN_FRONTEND", "noninteractive"))?;
        }
        // HAProxy: the scale-out test's load balancer, and `haproxy -c` of deploy/haproxy.cfg.
        if output(Command::new("haproxy").arg("-v")).is_none() {
            println!("installing Debian's haproxy for the scale-out test");
            run(Command::new("apt-get").arg("update").arg("-q"))?;
            run(Command::new("apt-get")
                .args(["install", "-y", "-q", "haproxy"])
                .env("DEBIAN_FRONTEND", "noninteractive"))?;
        }
        if browser && !Path::new("/usr/bin/chromium").exists() {
            println!("installing Debian's chromium for the browser tests");
            run(Command::new("apt-get").arg("update").arg("-q"))?;
            run(Command::new("apt-get")
                .args(["install", "-y", "-q", "chromium"])
                .env("DEBIAN_FRONTEND", "noninteractive"))?;
        }
        Ok(())
    })
}

fn install_wasm_bindgen() -> Result {
    let bindgen = output(Command::new("wasm-bindgen").arg("--version")).unwrap_or_default();
    if bindgen.contains(WASM_BINDGEN_VERSION) {
        return Ok(());
    }
    println!("installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} (about 8 minutes on 2 cores)");
    // `--locked` fails here: its lock file wants a crate version the registry lacks.
    run(cargo().args([
        "install",
        "wasm-bindgen-cli",
        "--version",
        WASM_BINDGEN_VERSION,
    ]))
}

fn modified(path: &Path) -> Option<std::time::SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// cargo-leptos 0.3.11's lock file needs rustc 1.96. On an older stable we build it from the
/// registry source with one dependency stepped back (`cargo-util-schemas` 0.14.1).
fn install_cargo_leptos() -> Result {
    let have = output(cargo().args(["leptos", "--version"])).unwrap_or_default();
    if have.contains(CARGO_LEPTOS_VERSION) {
        return Ok(());
    }
    println!("installing cargo-leptos {CARGO_LEPTOS_VERSION} (about 15 minutes on 2 cores)");
    let rustc = output(Command::new("rustc").arg("--version")).unwrap_or_default();
    let minor: u32 = rustc
        .split(['.', ' '])
        .nth(2)
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    if minor >= 96 {
        return run(cargo().args([
            "install",
            "cargo-leptos",
            "--version",
            CARGO_LEPTOS_VERSION,
            "--locked",
        ]));
    }
    let find_source = || -> Option<PathBuf> {
        let registry = PathBuf::from(
            env::var("CARGO_HOME")
                .unwrap_or_else(|_| format!("{}/.cargo", env::var("HOME").unwrap_or_default())),
        )
        .join("registry/src");
        std::fs::read_dir(registry)
            .ok()?
            .flatten()
            .map(|d| {
                d.path()
                    .join(format!("cargo-leptos-{CARGO_LEPTOS_VERSION}"))
            })
            .find(|p| p.is_dir())
    };
    if find_source().is_none() {
        // `cargo info` downloads and unpacks the crate into the registry cache.
        run(cargo()
            .args(["info", &format!("cargo-leptos@{CARGO_LEPTOS_VERSION}")])
            .stdout(Stdio::null()))?;
    }
    let source = find_source().ok_or("cargo-leptos source not found in the cargo registry")?;
    let work = env::temp_dir().join(format!("pasar-cargo-leptos-{CARGO_LEPTOS_VERSION}"));
    let _ = std::fs::remove_dir_all(&work);
    run(Command::new("cp").arg("-r").arg(&source).arg(&work))?;
    run(cargo()
        .args(["update", "-p", "cargo-util-schemas", "--precise", "0.14.1"])
        .current_dir(&work))?;
    run(cargo()
        .args(["install", "--path", ".", "--locked"])
        .current_dir(&work))
}

/// The release site: `--precompress` writes a brotli and a gzip copy beside every static file,
/// which the server sends to browsers that accept them (no compression work per request).
/// `--split` puts each lazy route's code in its own WASM chunk (see `lazy_pages!` in app).
/// `--lib-features split` turns lazy routes into split points (app's `split` feature).
const RELEASE_BUILD: [&str; 7] = [
    "leptos",
    "build",
    "--release",
    "--precompress",
    "--split",
    "--lib-features",
    "split",
];

/// Where cargo puts builds: `CARGO_TARGET_DIR` (`.ci/run` keeps CI builds in a cache outside
/// the clone), else `target/`. The site stays in `target/site` (its `site-root`) either way.
fn target_dir() -> PathBuf {
    env::var_os("CARGO_TARGET_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target"))
}

/// Command 1: build and serve the demo shop.
///
/// The first run on a fresh machine is mostly compiling on two cores, so the shop comes up in
/// the order a shopper needs it: the debug server and the stylesheet first (pages render and
/// their forms work as plain HTML), then, while it serves, the wasm-bindgen CLI and the
/// storefront's WASM, after which pages hydrate. Builds run one after the other rather than
/// fighting for the cores. cargo-leptos is not needed for this; `--release` builds the release
/// site with it instead (as benchmarks and the image do).
fn dev(args: &[String]) -> Result {
    if args.iter().any(|a| a == "--release") {
        install_tools(false)?;
        stage("build (release)", || run(cargo().args(RELEASE_BUILD)))?;
        println!("\nStarting the shop (Ctrl-C to stop)…");
        return run(Command::new(target_dir().join("release/pasar"))
            .args(["serve", "--demo"])
            .envs(site_env()));
    }
    stage(
        "quick tools (wasm target, npm packages)",
        install_quick_tools,
    )?;
    stage("server (debug build)", || {
        run(cargo()
            .args([
                "build",
                "--package=server",
                "--bin=pasar",
                "--no-default-features",
            ])
            .envs(dev_build_env()))
    })?;
    stage("stylesheet and static files", build_stylesheet)?;
    let addr = env::var("PASAR_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".into());
    let base_url = format!("http://{addr}");
    let server = Command::new(target_dir().join("debug/pasar"))
        .args(["serve", "--demo"])
        .envs(site_env())
        .env("PASAR_ADDR", &addr)
        .env(
            "RUST_LOG",
            env::var("RUST_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let mut guard = KillOnDrop(server);
    stage("demo shop (migrate, load demo data, start)", || {
        wait_until_ready(&base_url, &mut guard.0)
    })?;
    println!(
        "\nPasar is serving the demo shop at {base_url}  ({} since start)\n\
         \x20 admin    admin@pasar.test / pasar-admin-2026\n\
         \x20 customer budi@pasar.test  / belanja-2026\n\
         \x20 staff    sari@pasar.test  / staf-pasar-2026\n\
         Pages work as plain HTML now; the storefront's WASM is built next, then pages hydrate.",
        elapsed()
    );
    let wasm = stage(
        "storefront WASM (wasm-bindgen CLI, debug build)",
        build_dev_wasm,
    );
    match wasm {
        Ok(()) => println!(
            "\nThe WASM is in place ({} since start): reload the page and it hydrates. Ctrl-C stops the shop.",
            elapsed()
        ),
        Err(e) => println!(
            "\nThe WASM build failed ({e}); the shop keeps serving plain HTML. Ctrl-C stops it."
        ),
    }
    let status = guard.0.wait().map_err(|e| e.to_string())?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the server stopped ({status})"))
    }
}

/// The site layout the server expects (what cargo-leptos would pass it).
fn site_env() -> [(&'static str, &'static str); 3] {
    [
        ("LEPTOS_OUTPUT_NAME", "pasar"),
        ("LEPTOS_SITE_ROOT", "target/site"),
        ("LEPTOS_SITE_PKG_DIR", "pkg"),
    ]
}

/// What `cargo leptos build` (debug) sets, so its later builds reuse these: component type
/// erasure (much faster debug compiles) and the site layout.
fn dev_build_env() -> Vec<(&'static str, String)> {
    let mut envs: Vec<(&'static str, String)> = site_env()
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
    let rustflags = env::var("RUSTFLAGS").unwrap_or_default();
    envs.push((
        "RUSTFLAGS",
        format!("{rustflags} --cfg erase_components")
            .trim()
            .to_string(),
    ));
    envs
}

/// The wasm target and the npm packages (Tailwind, wasm-opt, playwright-core): a minute.
fn install_quick_tools() -> Result {
    let targets =
        output(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets.contains("wasm32-unknown-unknown") {
        run(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let stamp = Path::new("node_modules/.package-lock.json");
    let fresh = modified(stamp)
        .zip(modified(Path::new("package-lock.json")))
        .is_some_and(|(a, b)| a >= b);
    if !fresh {
        run(Command::new("npm").args(["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

/// Tailwind (the npm CLI cargo-leptos also runs) into `pkg/pasar.css`, and `public/` copied to
/// the site root, as cargo-leptos lays them out.
fn build_stylesheet() -> Result {
    std::fs::create_dir_all("target/site/pkg").map_err(|e| e.to_string())?;
    // A `cargo leptos build` left hashed names in `hash.txt` beside the binary; these files are
    // not hashed, and the server would ask for names that are not there.
    let _ = std::fs::remove_file(target_dir().join("debug/hash.txt"));
    run(Command::new("node_modules/.bin/tailwindcss").args([
        "--input",
        "style/main.css",
        "--output",
        "target/site/pkg/pasar.css",
    ]))?;
    run(Command::new("cp").args(["-r", "public/.", "target/site/"]))
}

/// The wasm-bindgen CLI (if missing), then the `frontend` crate for wasm32 as `cargo leptos
/// build` compiles it (same target directory and flags), bound into `pkg/pasar.{js,wasm}`.
fn build_dev_wasm() -> Result {
    install_wasm_bindgen()?;
    let front = target_dir().join("front");
    run(cargo()
        .args([
            "build",
            "--package=frontend",
            "--lib",
            "--target=wasm32-unknown-unknown",
        ])
        .arg(format!("--target-dir={}", front.display()))
        .arg("--no-default-features")
        .envs(dev_build_env()))?;
    let wasm = front.join("wasm32-unknown-unknown/debug/frontend.wasm");
    run(Command::new("wasm-bindgen")
        .args([
            "--target=web",
            "--out-name=pasar",
            "--out-dir=target/site/pkg",
        ])
        .arg(&wasm))?;
    // cargo-leptos's name, which the server's hydration script asks for.
    std::fs::rename(
        "target/site/pkg/pasar_bg.wasm",
        "target/site/pkg/pasar.wasm",
    )
    .map_err(|e| format!("cannot rename pasar_bg.wasm: {e}"))
}

/// Command 2: every test.
fn test(args: &[String]) -> Result {
    let skip_browser = args.iter().any(|a| a == "--no-browser");
    install_tools(!skip_browser)?;
    let database_url = env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"));
    let redis_url = env::var("REDIS_URL").ok().filter(|u| !u.is_empty());
    stage(
        "deployment files (workflow, compose, Kubernetes, HAProxy)",
        check_deploy_files,
    )?;

    stage(
        "unit + integration tests (SQLite, in-process cache)",
        || {
            run(cargo()
                .args(["test", "--workspace", "--exclude", "frontend"])
                .env_remove("DATABASE_URL")
                .env_remove("REDIS_URL"))?;
            // The Redis outage on the embedded database too: the test starts its own Redis.
            run(cargo()
                .args([
                    "test",
                    "-p",
                    "server",
                    "--test",
                    "integration",
                    "--",
                    "--include-ignored",
                    "resilience::",
                ])
                .env_remove("DATABASE_URL")
                .env_remove("REDIS_URL"))
        },
    )?;
    match &database_url {
        Some(url) if redis_url.is_none() => {
            return Err(format!(
                "DATABASE_URL points at PostgreSQL ({}) but REDIS_URL is not set: the PostgreSQL + Redis pass needs both",
                url.split('@').next_back().unwrap_or_default()
            ))
        }
        Some(url) => stage("integration tests (PostgreSQL + Redis)", || {
            drop_old_test_databases(url);
            let mut cmd = cargo();
            cmd.args([
                "test", "-p", "server", "--test", "integration",
                // The tests that need these services are `#[ignore]`d in the SQLite pass; here
                // they run, and fail (never pass quietly) when a service is missing. The
                // command-line tests are about the binary, not the database: SQLite covers them.
                "--", "--include-ignored", "--skip", "cli::",
                // Ignored as flaky (see the test); not run until it is fixed.
                "--skip", "operations::sentry_receives",
            ])
            .env("DATABASE_URL", url);
            match &redis_url {
                Some(redis) => cmd.env("REDIS_URL", redis),
                None => cmd.env_remove("REDIS_URL"),
            };
            run(&mut cmd)
        })?,
        None if env::var_os("CI").is_some() => {
            return Err("CI must run the PostgreSQL + Redis pass: set DATABASE_URL (postgres://…) and REDIS_URL".into())
        }
        None => println!("\nDATABASE_URL does not point at PostgreSQL: the PostgreSQL/Redis pass (and the tests it alone runs, shown as ignored above) skipped."),
    }
    if skip_browser {
        println!("\n--no-browser: browser tests skipped.");
        return Ok(());
    }
    e2e()
}

/// Validators from PyPI, pinned, in a virtualenv under target/.
const CHECK_JSONSCHEMA: &str = "check-jsonschema==0.39.0";
const KUBERNETES_VALIDATE: &str = "kubernetes-validate==1.37.0";

/// The files nothing else runs here: the GitHub workflow and compose.yaml against their
/// published schemas (check-jsonschema ships them), the Kubernetes manifests against the API
/// schemas (kubernetes-validate, strict: unknown fields fail), and the HAProxy configuration
/// with `haproxy -c`. (actionlint's PyPI wheel downloads its binary from GitHub when installed,
/// which cannot work here; the schema check is the registry-installable linter.)
fn check_deploy_files() -> Result {
    let venv = Path::new("target/tools/deploy-lint");
    let bin = |name: &str| venv.join("bin").join(name);
    if !bin("kubernetes-validate").exists() || !bin("check-jsonschema").exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
        run(Command::new(bin("pip")).args([
            "install",
            "-q",
            "--disable-pip-version-check",
            CHECK_JSONSCHEMA,
            KUBERNETES_VALIDATE,
        ]))?;
    }
    let workflows: Vec<PathBuf> = std::fs::read_dir(".github/workflows")
        .map_err(|e| format!(".github/workflows: {e}"))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    for schema in [
        "vendor.github-workflows",
        "custom.github-workflows-require-timeout",
    ] {
        run(Command::new(bin("check-jsonschema"))
            .args(["--builtin-schema", schema])
            .args(&workflows))?;
    }
    run(Command::new(bin("check-jsonschema")).args([
        "--builtin-schema",
        "vendor.compose-spec",
        "compose.yaml",
    ]))?;
    let manifests: Vec<PathBuf> = std::fs::read_dir("deploy/kubernetes")
        .map_err(|e| format!("deploy/kubernetes: {e}"))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    run(Command::new(bin("kubernetes-validate"))
        .args(["--strict", "--quiet"])
        .args(&manifests))?;
    run(Command::new("haproxy").args(["-c", "-q", "-f", "deploy/haproxy.cfg"]))
}

/// Each integration test creates its own `pasar_test_*` database; remove earlier runs' ones.
fn drop_old_test_databases(url: &str) {
    let list = output(Command::new("psql").args([
        url,
        "-Atc",
        "SELECT datname FROM pg_database WHERE datname LIKE 'pasar_test_%'",
    ]));
    for name in list.unwrap_or_default().lines().filter(|n| !n.is_empty()) {
        let _ = output(Command::new("psql").args([
            url,
            "-qc",
            &format!("DROP DATABASE IF EXISTS \"{name}\""),
        ]));
    }
}

/// Builds the site (debug), starts the server on a free port with a fresh SQLite database and
/// the demo data, and runs the Playwright journeys in headless Chromium.
const E2E_REFRESH_SECS: &str = "3";

fn e2e() -> Result {
    stage("build site (debug) for browser tests", || {
        // Split as the release build is, so the journeys load lazy routes' chunks as shoppers do.
        run(cargo().args(["leptos", "build", "--split", "--lib-features", "split"]))
    })?;
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| format!("no free port: {e}"))?
        .port();
    let data = env::temp_dir().join(format!("pasar-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
    let base_url = format!("http://127.0.0.1:{port}");
    let server = Command::new(target_dir().join("debug/pasar"))
        .args(["serve", "--demo"])
        .env("PASAR_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/e2e.db?mode=rwc", data.display()),
        )
        .env_remove("REDIS_URL")
        .envs(site_env())
        .env("RUST_LOG", "warn")
        // The dashboard journey waits one refresh for a new order to show.
        .env("PASAR_ANALYTICS_REFRESH_SECS", E2E_REFRESH_SECS)
        .spawn()
        .map_err(|e| format!("cannot start the server: {e}"))?;
    let mut guard = KillOnDrop(server);
    let result = stage("browser tests (headless Chromium)", || {
        wait_until_ready(&base_url, &mut guard.0)?;
        run(Command::new("node")
            .arg("end2end/run.mjs")
            .env("BASE_URL", &base_url)
            .env("PASAR_ANALYTICS_REFRESH_SECS", E2E_REFRESH_SECS))
    });
    drop(guard);
    let _ = std::fs::remove_dir_all(&data);
    result
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_until_ready(base_url: &str, server: &mut Child) -> Result {
    let addr = base_url.trim_start_matches("http://").to_string();
    let deadline = Instant::now() + Duration::from_secs(240);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = server.try_wait() {
            return Err(format!("the server exited before it was ready ({status})"));
        }
        if std::net::TcpStream::connect(&addr).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err(format!(
        "the server at {base_url} was not ready within 240 s (the debug build draws the demo pictures first)"
    ))
}
