//! HTTP behaviour of the real server: accounts, the Store API, sessions, rate limits, the
//! origin check, health endpoints, pages and no-JavaScript forms. Runs on SQLite by default and
//! on PostgreSQL/Redis when `DATABASE_URL`/`REDIS_URL` point at them.

use crate::common::{spawn_app, unique_name};
use serde_json::{json, Value};

async fn body(res: reqwest::Response) -> Value {
    res.json().await.expect("JSON body")
}

#[tokio::test]
async fn register_login_me_logout() {
    let app = spawn_app().await;
    let c = &app.client;
    let email = format!("{}@contoh.id", unique_name("budi"));

    let res = app
        .register(c, "Budi Santoso", &email.to_uppercase(), "rahasia-123")
        .await;
    assert_eq!(res.status(), 201);
    let user = body(res).await;
    assert_eq!(user["email"], email, "emails are stored lower-cased");
    assert_eq!(user["role"], "customer");
    assert!(user.get("password_hash").is_none());

    let me = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), 200, "registering logs in");
    assert_eq!(body(me).await["name"], "Budi Santoso");

    let out = c.post(app.url("/api/v1/auth/logout")).send().await.unwrap();
    assert_eq!(out.status(), 204);
    let me = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), 401);
    let err = body(me).await;
    assert_eq!(err["error"]["code"], "unauthorized");

    let res = app.login(c, &email, "rahasia-123").await;
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("pasar_session="))
        .expect("session cookie set at login")
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain-HTTP test server must not set Secure: {cookie}"
    );
    let me = c.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(body(me).await["email"], email);
}

#[tokio::test]
async fn session_id_changes_at_login() {
    let app = spawn_app().await;
    let email = format!("{}@contoh.id", unique_name("sari"));
    assert_eq!(
        app.register(&app.client, "Sari", &email, "rahasia-123")
            .await
            .status(),
        201
    );
    let session_of = |res: &reqwest::Response| {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("pasar_session="))
            .map(|v| v.split(';').next().unwrap_or_default().to_string())
    };
    let first = session_of(&app.login(&app.client, &email, "rahasia-123").await).expect("cookie");
    let second = session_of(&app.login(&app.client, &email, "rahasia-123").await).expect("cookie");
    assert_ne!(first, second, "a login always issues a new session id");
}

#[tokio::test]
async fn wrong_password_is_401_and_unknown_email_too() {
    let app = spawn_app().await;
    let email = format!("{}@contoh.id", unique_name("andi"));
    app.register(&app.client, "Andi", &email, "rahasia-123")
        .await;
    let other = app.new_client();
    let res = app.login(&other, &email, "salah-sekali").await;
    assert_eq!(res.status(), 401);
    let err = body(res).await;
    assert_eq!(err["error"]["code"], "unauthorized");
    assert_eq!(err["error"]["message"], "Wrong email or password.");
    let res = app.login(&other, "nobody@contoh.id", "salah-sekali").await;
    assert_eq!(
        res.status(),
        401,
        "unknown emails look the same as wrong passwords"
    );
    assert_eq!(
        body(res).await["error"]["message"],
        "Wrong email or password."
    );
}

#[tokio::test]
async fn sixth_rapid_failed_login_is_429() {
    let app = spawn_app().await;
    let email = format!("{}@contoh.id", unique_name("target"));
    app.register(&app.client, "Target", &email, "rahasia-123")
        .await;
    let attacker = app.new_client();
    for attempt in 1..=5 {
        let res = app.login(&attacker, &email, "tebak-tebak").await;
        assert_eq!(res.status(), 401, "attempt {attempt}");
    }
    let res = app.login(&attacker, &email, "tebak-tebak").await;
    assert_eq!(res.status(), 429);
    let retry_after: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after));
    let err = body(res).await;
    assert_eq!(err["error"]["code"], "rate_limited");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Too many login attempts"));
    // Even the right password is refused while limited.
    assert_eq!(
        app.login(&attacker, &email, "rahasia-123").await.status(),
        429
    );
}

#[tokio::test]
async fn admin_endpoints_check_the_role() {
    let app = spawn_app().await;
    let anonymous = app.new_client();
    let res = anonymous
        .get(app.url("/api/v1/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    let customer = app.new_client();
    let email = format!("{}@contoh.id", unique_name("cust"));
    let created = body(
        app.register(&customer, "Customer", &email, "rahasia-123")
            .await,
    )
    .await;
    let res = customer
        .get(app.url("/api/v1/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(body(res).await["error"]["code"], "forbidden");
    let res = customer
        .patch(app.url(&format!("/api/v1/admin/users/{}", created["id"])))
        .json(&json!({ "role": "admin" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "a customer cannot make themselves admin");

    let admin = app.new_client();
    let admin_id = app.login_as_admin(&admin).await;
    let res = admin
        .get(app.url(&format!(
            "/api/v1/admin/users?q={}&per_page=5",
            &email[..10]
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = body(res).await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["email"], email);
    assert_eq!(page["per_page"], 5);

    let res = admin
        .patch(app.url(&format!("/api/v1/admin/users/{}", created["id"])))
        .json(&json!({ "role": "staff" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["role"], "staff");

    // Deactivation ends the user's access at once, including their open session.
    let res = admin
        .patch(app.url(&format!("/api/v1/admin/users/{}", created["id"])))
        .json(&json!({ "active": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(body(res).await["active"], false);
    assert_eq!(
        customer
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let res = app.login(&app.new_client(), &email, "rahasia-123").await;
    assert_eq!(res.status(), 403);

    // Bad input: clear 4xx, never 500.
    let res = admin
        .patch(app.url(&format!("/api/v1/admin/users/{admin_id}")))
        .json(&json!({ "role": "customer" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409, "admins cannot demote themselves");
    let res = admin
        .patch(app.url("/api/v1/admin/users/999999"))
        .json(&json!({ "active": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = admin
        .patch(app.url(&format!("/api/v1/admin/users/{}", created["id"])))
        .json(&json!({ "role": "root" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = admin
        .patch(app.url("/api/v1/admin/users/abc"))
        .json(&json!({ "active": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = admin
        .get(app.url("/api/v1/admin/users?page=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = admin
        .get(app.url("/api/v1/admin/users?per_page=1000"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = admin
        .get(app.url("/api/v1/admin/users?page=-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(body(res).await["error"]["code"], "bad_request");
}

#[tokio::test]
async fn bad_registration_input_gets_clear_errors() {
    let app = spawn_app().await;
    let c = app.new_client();
    let res = app.register(&c, "", "not-an-email", "short").await;
    assert_eq!(res.status(), 422);
    let err = body(res).await;
    assert_eq!(err["error"]["code"], "validation_failed");
    for field in ["name", "email", "password"] {
        assert!(
            err["error"]["fields"][field].is_array(),
            "{field} reported: {err}"
        );
    }
    let email = format!("{}@contoh.id", unique_name("dup"));
    assert_eq!(
        app.register(&c, "Dup", &email, "rahasia-123")
            .await
            .status(),
        201
    );
    let res = app
        .register(&app.new_client(), "Dup", &email, "rahasia-456")
        .await;
    assert_eq!(res.status(), 422);
    assert!(body(res).await["error"]["fields"]["email"].is_array());

    let res = c
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = c
        .post(app.url("/api/v1/auth/register"))
        .body("name=x")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let res = c
        .post(app.url("/api/v1/auth/register"))
        .json(&json!({ "name": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = c.get(app.url("/api/v1/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(body(res).await["error"]["code"], "not_found");
    // A known path with the wrong method: 405, still the JSON error shape.
    let res = c.delete(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(body(res).await["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn cross_origin_posts_are_refused() {
    let app = spawn_app().await;
    let email = format!("{}@contoh.id", unique_name("victim"));
    app.register(&app.client, "Victim", &email, "rahasia-123")
        .await;

    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(body(res).await["error"]["code"], "forbidden");
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Server functions are covered too.
    let res = app
        .client
        .post(app.url("/api/logout"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(
        app.client
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "still logged in"
    );

    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204, "same-origin requests pass");
}

#[tokio::test]
async fn health_endpoints_report_components() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(body(res).await["status"], "ok");

    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let ready = body(res).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["components"]["database"]["status"], "up");
    assert_eq!(ready["components"]["cache"]["status"], "up");
    let expected_db = if app.database_url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(ready["components"]["database"]["backend"], expected_db);
    let expected_cache = if crate::common::redis_url().is_some() {
        "redis"
    } else {
        "memory"
    };
    assert_eq!(ready["components"]["cache"]["backend"], expected_cache);
}

#[tokio::test]
async fn openapi_document_lists_the_store_api() {
    let app = spawn_app().await;
    let doc = body(
        app.client
            .get(app.url("/api/v1/openapi.json"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/me",
        "/api/v1/admin/users",
        "/api/v1/admin/users/{id}",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    assert!(doc["components"]["schemas"]["User"].is_object());
    // docs/api.md lists every operation the OpenAPI document has, so the two cannot drift.
    let guide = include_str!("../../../docs/api.md");
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for method in operations.as_object().unwrap().keys() {
            let line = format!("`{} {path}", method.to_uppercase());
            assert!(guide.contains(&line), "docs/api.md lacks {line}`");
        }
    }
}

#[tokio::test]
async fn pages_render_on_the_server() {
    let app = spawn_app().await;
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Semua kebutuhanmu, satu pasar."));
    assert!(html.contains("/pkg/pasar.css"));
    assert!(html.contains("Pasar"));

    let res = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Page not found"));

    let res = app
        .client
        .get(app.url("/admin/users"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert!(
        res.status().is_redirection(),
        "visitors are sent to log in: {}",
        res.status()
    );
    assert_eq!(res.headers()["location"], "/login?next=/admin/users");

    let customer = app.new_client();
    app.register(
        &customer,
        "Cust",
        &format!("{}@contoh.id", unique_name("c")),
        "rahasia-123",
    )
    .await;
    let res = customer.get(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(res.status(), 403);

    let admin = app.new_client();
    app.login_as_admin(&admin).await;
    let res = admin.get(app.url("/admin/users")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("users-table"), "admin sees the user table");
}

#[tokio::test]
async fn login_form_works_without_javascript() {
    let app = spawn_app().await;
    let email = format!("{}@contoh.id", unique_name("nojs"));
    app.register(&app.new_client(), "No Script", &email, "rahasia-123")
        .await;

    let browser = app.new_client();
    let page = browser
        .get(app.url("/login?next=/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let action = crate::common::form_action(&page, "login");
    let referer = app.url("/login?next=/account");

    let res = browser
        .post(app.url(&action))
        .header("accept", "text/html")
        .header("referer", &referer)
        .form(&[
            ("email", email.as_str()),
            ("password", "salah"),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/login?next=%2Faccount&error=Wrong+email"),
        "{location}"
    );
    let page = browser
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Wrong email or password."),
        "the error shows on the page"
    );

    let res = browser
        .post(app.url(&action))
        .header("accept", "text/html")
        .header("referer", &referer)
        .form(&[
            ("email", email.as_str()),
            ("password", "rahasia-123"),
            ("next", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/account");
    let page = browser.get(app.url("/account")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(&email));
}

#[tokio::test]
async fn address_book_is_private_and_keeps_one_default() {
    use app::{model::AddressInput, server::accounts};
    let app = spawn_app().await;
    let db = &app.state.db;
    let a = body(
        app.register(
            &app.new_client(),
            "A",
            &format!("{}@contoh.id", unique_name("a")),
            "rahasia-123",
        )
        .await,
    )
    .await;
    let b = body(
        app.register(
            &app.new_client(),
            "B",
            &format!("{}@contoh.id", unique_name("b")),
            "rahasia-123",
        )
        .await,
    )
    .await;
    let (a, b) = (
        a["id"].as_i64().unwrap() as i32,
        b["id"].as_i64().unwrap() as i32,
    );
    let input = AddressInput {
        label: "Rumah".into(),
        recipient: "Ani".into(),
        phone: "0812 1111 2222".into(),
        street: "Jl. Melati 1".into(),
        district: "Coblong".into(),
        city: "Bandung".into(),
        province: "Jawa Barat".into(),
        postal_code: "40132".into(),
    };
    let first = accounts::save_address(db, a, None, &input, false)
        .await
        .unwrap();
    assert!(first.is_default, "the first address becomes the default");
    assert_eq!(first.fields.phone, "081211112222");
    let second = accounts::save_address(
        db,
        a,
        None,
        &AddressInput {
            label: "Kantor".into(),
            ..input.clone()
        },
        true,
    )
    .await
    .unwrap();
    let list = accounts::list_addresses(db, a).await.unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|x| x.is_default).count(), 1);
    assert_eq!(list[0].id, second.id, "default first");

    assert!(
        accounts::delete_address(db, b, first.id).await.is_err(),
        "B cannot delete A's address"
    );
    assert!(
        accounts::save_address(db, b, Some(first.id), &input, false)
            .await
            .is_err(),
        "nor edit it"
    );
    accounts::delete_address(db, a, second.id).await.unwrap();
    let list = accounts::list_addresses(db, a).await.unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].is_default, "deleting the default promotes another");

    let bad = accounts::save_address(
        db,
        a,
        None,
        &AddressInput {
            postal_code: "4013".into(),
            ..input
        },
        false,
    )
    .await;
    assert!(bad.is_err());
    assert_eq!(
        accounts::list_addresses(db, a).await.unwrap().len(),
        1,
        "nothing half-written"
    );
}

#[tokio::test]
#[ignore = "needs Redis (REDIS_URL): `cargo xtask test` runs it in the PostgreSQL + Redis pass"]
async fn redis_cache_layer_meets_the_contract() {
    let url = crate::common::redis_url().expect("REDIS_URL must point at Redis for this test");
    let redis = app::server::cache::connect_redis(&url, 2)
        .await
        .expect("connect to Redis");
    app::server::cache::exercise(&redis, &unique_name("pasar-test"))
        .await
        .expect("redis cache contract");
}

#[tokio::test]
async fn staff_and_admins_find_their_way_to_the_admin_from_the_header() {
    let app = spawn_app().await;
    let customer = app.new_client();
    app.register(
        &customer,
        "Cust",
        &format!("{}@contoh.id", unique_name("c")),
        "rahasia-123",
    )
    .await;
    let page = customer
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("admin-link"), "customers get no admin link");

    let admin = app.new_client();
    app.login_as_admin(&admin).await;
    let page = admin
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("href=\"/admin\""), "the shop admin link");
    assert!(
        page.contains("href=\"/admin/users\""),
        "and users, for admins"
    );
}
