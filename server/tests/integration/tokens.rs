//! Staff API tokens: an admin makes one on the settings page (shown once, stored as a hash),
//! scripts call the staff API with it as that admin (no session, no cookie), and it stops
//! working when revoked or when its owner is no longer staff; it opens nothing outside the
//! staff API, and customers cannot make one. Runs on SQLite and on PostgreSQL + Redis.
use crate::common::{form_action, spawn_app, unique_name, variant_with_stock, TestApp};
use crate::orders::customer_with_paid_order;
use app::server::db::{api_token, order_event};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

async fn settings_page(app: &TestApp, client: &reqwest::Client) -> (u16, String) {
    let res = client.get(app.url("/admin/settings")).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Makes a token through the settings page's form, as the JavaScript would.
async fn make_token(app: &TestApp, admin: &reqwest::Client, name: &str) -> Value {
    let (status, page) = settings_page(app, admin).await;
    assert_eq!(status, 200);
    let action = form_action(&page, "create_api_token");
    let res = admin
        .post(app.url(&action))
        .form(&[("name", name)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// The status a script without cookies gets listing the orders with `token` (or none).
async fn list_orders_with(app: &TestApp, token: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().get(app.url("/api/v1/admin/orders"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_token_acts_as_its_admin_on_the_staff_api_until_revoked() {
    let app = spawn_app().await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[5, 0]).await;
    let (customer, number) = customer_with_paid_order(&app, &sku, 1).await;
    let admin = app.new_client();
    let admin_id = app.login_as_admin(&admin).await;

    // Customers have no settings page and cannot make tokens.
    let (_, page) = settings_page(&app, &customer).await;
    assert!(!page.contains("action=\"/api/create_api_token"));
    let (_, page) = settings_page(&app, &admin).await;
    let action = form_action(&page, "create_api_token");
    let res = customer
        .post(app.url(&action))
        .form(&[("name", "mine")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let made = make_token(&app, &admin, "Warehouse sync").await;
    let token = made["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("psr_") && token.len() == 68, "{token}");
    assert_eq!(made["view"]["name"], "Warehouse sync");
    assert_eq!(made["view"]["revoked"], false);
    // Only a hash is kept; the page lists the token by its first characters.
    let rows = api_token::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_ne!(rows[0].token_hash, token);
    assert!(!rows[0].token_hash.contains(&token[4..]));
    let (_, page) = settings_page(&app, &admin).await;
    assert!(page.contains(&token[..12]));
    assert!(!page.contains(&token));

    // A script: no cookies, the token in the header.
    let script = reqwest::Client::new();
    let res = script
        .get(app.url("/api/v1/admin/orders"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("set-cookie").is_none(), "no session made");
    let list: Value = res.json().await.unwrap();
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["number"] == number));
    let res = script
        .patch(app.url(&format!("/api/v1/admin/orders/{number}")))
        .bearer_auth(&token)
        .json(&json!({ "status": "processing", "note": "Picked by the warehouse" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let moved = order_event::Entity::find()
        .filter(order_event::Column::ToState.eq("processing"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.actor, "staff");
    assert_eq!(moved.actor_user_id, Some(admin_id as i32));
    let used = api_token::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(used.last_used_at.is_some());

    // Outside the staff API the token opens nothing.
    let res = script
        .get(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // A made-up token, or none, is refused.
    for bad in [format!("psr_{}", "0".repeat(64)), "hunter2".to_string()] {
        assert_eq!(list_orders_with(&app, Some(&bad)).await, 401);
    }
    assert_eq!(list_orders_with(&app, None).await, 401);

    // Revoked: refused at once.
    let (_, page) = settings_page(&app, &admin).await;
    let action = form_action(&page, "revoke_api_token");
    let res = admin
        .post(app.url(&action))
        .form(&[("id", made["view"]["id"].to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(list_orders_with(&app, Some(&token)).await, 401);

    // A token whose owner is no longer staff stops working too.
    let second = make_token(&app, &admin, &unique_name("report")).await;
    let second = second["token"].as_str().unwrap().to_string();
    assert_eq!(list_orders_with(&app, Some(&second)).await, 200);
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE users SET role = 'customer' WHERE id = {admin_id}"
        ))
        .await
        .unwrap();
    assert_eq!(list_orders_with(&app, Some(&second)).await, 401);
}
