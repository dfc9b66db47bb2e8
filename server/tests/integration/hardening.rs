//! The shop's defences around every request: security headers (CSP with a per-response nonce,
//! no framing, HSTS on https), the request deadline and the panic net (answers in the JSON
//! error shape for the API, a page for browsers), and the header-read timeout.

use std::time::Duration;

use crate::common::{spawn_app, spawn_app_with};
use app::server::http::safety;
use axum::{routing::get, Router};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The nonce the page's own scripts carry.
fn script_nonces(html: &str) -> Vec<String> {
    html.match_indices("nonce=\"")
        .map(|(i, m)| {
            let start = i + m.len();
            let end = html[start..].find('"').unwrap() + start;
            html[start..end].to_string()
        })
        .collect()
}

fn csp_nonce(res: &reqwest::Response) -> String {
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    let start = csp.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    let end = csp[start..].find('\'').unwrap() + start;
    csp[start..end].to_string()
}

#[tokio::test]
async fn pages_carry_a_policy_whose_nonce_matches_their_scripts_and_is_never_reused() {
    let app = spawn_app().await;
    let mut seen = Vec::new();
    // The second and third are served from the page cache: each still gets its own nonce.
    for _ in 0..3 {
        let res = app.new_client().get(app.url("/")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["x-frame-options"], "DENY");
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("object-src 'none'"), "{csp}");
        assert!(
            !csp.contains("stripe"),
            "gateways only on the payment page: {csp}"
        );
        assert!(
            !res.headers().contains_key("x-pasar-nonce"),
            "internal header removed"
        );
        assert!(
            !res.headers().contains_key("strict-transport-security"),
            "http: no HSTS"
        );
        let nonce = csp_nonce(&res);
        let html = res.text().await.unwrap();
        let nonces = script_nonces(&html);
        assert!(!nonces.is_empty(), "the hydration scripts carry a nonce");
        assert!(nonces.iter().all(|n| *n == nonce), "{nonces:?} vs {nonce}");
        seen.push(nonce);
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 3, "a fresh nonce per response, cached or not");

    let res = app
        .client
        .get(app.url("/pay/PSR-NONE"))
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("https://js.stripe.com"), "{csp}");
    let res = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.headers()["x-frame-options"], "DENY");
}

#[tokio::test]
async fn an_https_shop_sends_hsts() {
    let app = spawn_app_with(&[
        ("PASAR_PUBLIC_URL", "https://toko.example".into()),
        ("PASAR_DEMO_GATEWAY", "on".into()),
    ])
    .await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(
        res.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
}

async fn boom() -> &'static str {
    panic!("handler bug")
}

/// A router with the shop's safety nets around handlers that misbehave.
async fn misbehaving_server() -> String {
    let router = Router::new()
        .route("/api/v1/boom", get(boom))
        .route("/boom", get(boom))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
        .route(
            "/stalls-mid-body",
            get(|| async {
                let chunks = futures::stream::unfold(0, |n| async move {
                    if n == 1 {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                    }
                    Some((
                        Ok::<_, std::io::Error>(axum::body::Bytes::from("<p>chunk</p>")),
                        n + 1,
                    ))
                });
                axum::body::Body::from_stream(chunks)
            }),
        );
    let router = safety::wrap(router, Duration::from_millis(500));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_panic_answers_500_in_the_shape_the_client_expects() {
    let base = misbehaving_server().await;
    let client = crate::common::client();
    let res = client
        .get(format!("{base}/api/v1/boom"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "internal");
    assert!(
        !body.to_string().contains("handler bug"),
        "no internals leak"
    );
    let res = client
        .get(format!("{base}/boom"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
    let html = res.text().await.unwrap();
    assert!(html.contains("Something went wrong"), "{html}");
    // The server carries on.
    let res = client
        .get(format!("{base}/api/v1/boom"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 500);
}

#[tokio::test]
async fn a_response_past_its_deadline_is_a_503_or_a_closed_connection_never_a_hang() {
    let base = misbehaving_server().await;
    let client = crate::common::client();
    let res = client
        .get(format!("{base}/slow"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    assert_eq!(res.headers()["retry-after"], "5");
    assert!(res.text().await.unwrap().contains("took too long"));
    // A page whose body stalls is read whole before it is answered: rendered again, then,
    // still stalled, a 503 page.
    let res = client
        .get(format!("{base}/stalls-mid-body"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    // Anything else streams: headers sent, then the body stalls; it ends in an error
    // instead of never.
    let res = client
        .get(format!("{base}/stalls-mid-body"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body = tokio::time::timeout(Duration::from_secs(10), res.text())
        .await
        .expect("the body ends within the deadline");
    assert!(body.is_err(), "cut off, not completed: {body:?}");
}

#[tokio::test]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let app = spawn_app_with(&[("PASAR_HEADER_READ_TIMEOUT_SECS", "1".into())]).await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: shop\r\nX-Slow: ")
        .await
        .unwrap();
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(15), stream.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "the server closes the connection");
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "no page for half a request: {text}"
    );
}

#[tokio::test]
async fn the_login_redirect_stays_on_the_shop_whatever_next_says() {
    let app = spawn_app().await;
    let email = format!("{}@contoh.id", crate::common::unique_name("next"));
    app.register(&app.new_client(), "Next", &email, "rahasia-123")
        .await;
    let page = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action = crate::common::form_action(&page, "login");
    for (next, expected) in [
        ("/account/orders", "/account/orders"),
        ("/\t/evil.example", "/"),
        ("/\n/evil.example", "/"),
        ("/\r\nSet-Cookie: pwned=1", "/"),
        ("//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ] {
        let browser = app.new_client();
        let res = browser
            .post(app.url(&action))
            .header("accept", "text/html")
            .form(&[
                ("email", email.as_str()),
                ("password", "rahasia-123"),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 302, "{next:?}");
        assert_eq!(res.headers()["location"], expected, "{next:?}");
    }
}

async fn login_from(
    app: &crate::common::TestApp,
    forwarded: &str,
    email: &str,
    password: &str,
) -> u16 {
    app.new_client()
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", forwarded)
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_stranger_cannot_lock_the_owner_out_and_cannot_dodge_the_limit_by_forging_addresses() {
    // One proxy of ours in front: it appends the address it saw to X-Forwarded-For.
    let app = spawn_app_with(&[("PASAR_TRUSTED_PROXY_HOPS", "1".into())]).await;
    let email = format!("{}@contoh.id", crate::common::unique_name("owner"));
    app.register(&app.new_client(), "Owner", &email, "rahasia-123")
        .await;
    // The stranger (203.0.113.9 as our proxy saw it) forges a new left-most address each try.
    for i in 0..5 {
        let forged = format!("10.9.{i}.1, 203.0.113.9");
        assert_eq!(login_from(&app, &forged, &email, "tebak").await, 401);
    }
    assert_eq!(
        login_from(&app, "10.99.0.1, 203.0.113.9", &email, "tebak").await,
        429,
        "forged left-most entries do not reset the count"
    );
    // The owner, from their own address, logs in as ever.
    assert_eq!(
        login_from(&app, "198.51.100.20", &email, "rahasia-123").await,
        200
    );
}

#[tokio::test]
async fn registrations_from_one_address_are_limited() {
    let app = spawn_app_with(&[("PASAR_REGISTRATIONS_PER_IP_PER_MINUTE", "2".into())]).await;
    for i in 0..2 {
        let res = app
            .register(
                &app.new_client(),
                "Someone",
                &format!("{}@contoh.id", crate::common::unique_name(&format!("r{i}"))),
                "rahasia-123",
            )
            .await;
        assert_eq!(res.status(), 201);
    }
    let res = app
        .register(&app.new_client(), "Third", "third@contoh.id", "rahasia-123")
        .await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let email = format!("{}@contoh.id", crate::common::unique_name("pw"));
    let here = app.new_client();
    assert_eq!(
        app.register(&here, "Pw", &email, "rahasia-123")
            .await
            .status(),
        201
    );
    let phone = app.new_client();
    assert_eq!(app.login(&phone, &email, "rahasia-123").await.status(), 200);
    let me = |c: &reqwest::Client| {
        let c = c.clone();
        let url = app.url("/api/v1/me");
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!((me(&here).await, me(&phone).await), (200, 200));

    let page = here
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action = crate::common::form_action(&page, "change_password");
    let res = here
        .post(app.url(&action))
        .header("accept", "text/html")
        .form(&[
            ("current_password", "rahasia-123"),
            ("new_password", "lebih-rahasia-456"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "{:?}", res.headers().get("location"));
    assert_eq!(me(&here).await, 200, "the session that changed it stays");
    assert_eq!(me(&phone).await, 401, "every other session is ended");
    assert_eq!(
        app.login(&phone, &email, "lebih-rahasia-456")
            .await
            .status(),
        200
    );
}

/// `pasar serve` as its own process (a stop signal must not stop the test; process-wide limits
/// start fresh), on a fresh SQLite file, with a short shutdown grace and `extra` settings.
fn serve_with(grace_secs: u64, extra: &[(&str, &str)]) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let dir = std::env::temp_dir().join(crate::common::unique_name("pasar-grace"));
    std::fs::create_dir_all(&dir).unwrap();
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pasar"))
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .arg("serve")
        .env_remove("REDIS_URL")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/pasar.db?mode=rwc", dir.display()),
        )
        .env("PASAR_MEDIA_DIR", dir.join("media"))
        .env("PASAR_ADDR", format!("127.0.0.1:{port}"))
        .env("PASAR_SHUTDOWN_GRACE_SECS", grace_secs.to_string())
        .env("RUST_LOG", "warn")
        .envs(extra.iter().copied())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("start pasar serve");
    (child, port)
}

async fn wait_until_ready(port: u16) {
    let client = crate::common::client();
    for _ in 0..300 {
        if let Ok(res) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            if res.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("pasar serve on port {port} did not become ready");
}

/// A request whose body is only half sent: in flight until the rest comes.
async fn half_sent_request(port: u16) -> (tokio::net::TcpStream, &'static str) {
    let body = r#"{"sku":"NO-SUCH-SKU","quantity":1}"#;
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/cart/items HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nAccept: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body.as_bytes()[..10]).await.unwrap();
    (stream, &body[10..])
}

#[tokio::test]
async fn stopping_lets_open_requests_finish_within_the_grace_then_closes_the_rest() {
    let grace = 4;
    let (mut child, port) = serve_with(grace, &[]);
    wait_until_ready(port).await;

    let (mut finishing, rest) = half_sent_request(port).await;
    let (mut abandoned, _) = half_sent_request(port).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped = std::time::Instant::now();
    let signal = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(signal.success());
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "no new connections once stopping"
    );
    // The open request completes, with its real answer.
    finishing.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    finishing.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(answer.contains("\"error\""), "{answer}");

    // The one that never finishes is closed once the grace has passed, and the process ends.
    let mut exited = None;
    for _ in 0..(grace * 10 + 100) {
        if let Some(status) = child.try_wait().unwrap() {
            exited = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let status = exited.expect("the server exits after its grace");
    assert!(status.success(), "a clean exit: {status}");
    assert!(
        stopped.elapsed() >= Duration::from_secs(grace),
        "the abandoned request got the whole grace"
    );
    let mut rest_of_abandoned = Vec::new();
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        abandoned.read_to_end(&mut rest_of_abandoned),
    )
    .await
    .expect("the abandoned connection is closed, not left hanging");
    assert!(
        read.is_err() || !String::from_utf8_lossy(&rest_of_abandoned).starts_with("HTTP/1.1 2"),
        "the abandoned request never got a success"
    );
}

#[tokio::test]
async fn a_burst_of_password_hashing_waits_its_turn_then_gets_a_503_never_a_pile_up() {
    // Hashing slots are one per core; a request waits this long for one (5 s by default).
    let (mut child, port) = serve_with(
        5,
        &[
            ("PASAR_HASHING_WAIT_MS", "1"),
            ("PASAR_REGISTRATIONS_PER_IP_PER_MINUTE", "1000"),
        ],
    );
    wait_until_ready(port).await;
    let base = format!("http://127.0.0.1:{port}");
    let burst = (0..24).map(|i| {
        let url = format!("{base}/api/v1/auth/register");
        async move {
            let res = crate::common::client()
                .post(url)
                .json(&serde_json::json!({
                    "name": "Pembeli", "email": format!("burst{i}@contoh.co.id"), "password": "rahasia-123"
                }))
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            let retry = res.headers().get("retry-after").is_some();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            (status, retry, body)
        }
    });
    let answers = futures::future::join_all(burst).await;
    let created = answers.iter().filter(|(s, _, _)| *s == 201).count();
    let busy: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 503).collect();
    assert_eq!(
        created + busy.len(),
        answers.len(),
        "only 201 or 503: {answers:?}"
    );
    assert!(created >= 1, "the first ones get a slot");
    assert!(
        !busy.is_empty(),
        "the rest are turned away, not queued without end"
    );
    for (_, retry, body) in &busy {
        assert!(*retry, "a 503 says when to retry");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
    }
    // The burst is over: hashing works again.
    let res = crate::common::client()
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({
            "name": "Pembeli", "email": "after-burst@contoh.co.id", "password": "rahasia-123"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let _ = child.kill();
    let _ = child.wait();
}
