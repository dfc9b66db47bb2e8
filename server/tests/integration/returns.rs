//! Return requests over HTTP: refused before the order ships, checked (a reason, units the
//! customer bought), one open at a time, hidden from others, answered once by staff (a
//! rejection needs a note), on the timeline the customer sees and in the outbox for the emails;
//! and the plain forms of the order pages. Runs on SQLite and on PostgreSQL + Redis.
use crate::common::{spawn_app, unique_name, variant_with_stock, TestApp};
use crate::orders::customer_with_paid_order;
use app::server::db::outbox_event;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

async fn post_json(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let res = client.post(url).json(&body).send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn ship(app: &TestApp, staff: &reqwest::Client, number: &str) {
    for body in [
        json!({ "status": "processing" }),
        json!({ "status": "shipped", "carrier": "JNE", "tracking_number": "JNE777" }),
    ] {
        let res = staff
            .patch(app.url(&format!("/api/v1/admin/orders/{number}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
}

async fn outbox_kinds(app: &TestApp, order_id: i64) -> Vec<String> {
    outbox_event::Entity::find()
        .filter(outbox_event::Column::Reference.eq(format!("order:{order_id}")))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect()
}

#[tokio::test]
async fn a_customer_asks_to_return_a_shipped_order_and_staff_answer_once() {
    let app = spawn_app().await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[10, 0]).await;
    let (customer, number) = customer_with_paid_order(&app, &sku, 2).await;
    let url = app.url(&format!("/api/v1/orders/{number}/returns"));
    let order: Value = customer
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["returnable"], false, "not shipped yet");
    let item = order["lines"][0]["item_id"].as_i64().unwrap();
    let order_id = order["id"].as_i64().unwrap();
    let ask = |quantity: i64, reason: &str| json!({ "reason": reason, "lines": [{ "item_id": item, "quantity": quantity }] });

    let (status, body) = post_json(&customer, url.clone(), ask(1, "Too small")).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("cancelled instead"));

    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    ship(&app, &staff, &number).await;

    // Refused: no reason, no items, more than were bought, a line of no order.
    for (body, field) in [
        (ask(1, "  "), "reason"),
        (json!({ "reason": "x", "lines": [] }), "lines"),
        (ask(3, "All of them"), "lines"),
        (
            json!({ "reason": "x", "lines": [{ "item_id": 99_999_999, "quantity": 1 }] }),
            "lines",
        ),
    ] {
        let (status, answer) = post_json(&customer, url.clone(), body).await;
        assert_eq!(status, 422, "{answer}");
        assert!(answer["error"]["fields"][field].is_array(), "{answer}");
    }
    // Nobody else may ask.
    let stranger = app.new_client();
    let email = format!("{}@contoh.id", unique_name("other"));
    app.register(&stranger, "Sari", &email, "rahasia-sekali-2")
        .await;
    let (status, _) = post_json(&stranger, url.clone(), ask(1, "Mine now")).await;
    assert_eq!(status, 404);

    let (status, asked) = post_json(&customer, url.clone(), ask(1, "Too small")).await;
    assert_eq!(status, 201, "{asked}");
    assert_eq!(asked["returns"][0]["status"], "requested");
    assert_eq!(asked["returns"][0]["lines"][0]["quantity"], 1);
    assert_eq!(asked["returns"][0]["reason"], "Too small");
    assert_eq!(asked["returnable"], false, "one request open at a time");
    let return_id = asked["returns"][0]["id"].as_i64().unwrap();
    let (status, body) = post_json(&customer, url.clone(), ask(1, "Again")).await;
    assert_eq!(status, 409, "{body}");

    // Staff: customers cannot answer; a rejection needs a note; an approval from the form.
    let decide = app.url(&format!("/api/v1/admin/returns/{return_id}"));
    let (status, _) = post_json(&customer, decide.clone(), json!({ "decision": "approve" })).await;
    assert_eq!(status, 403);
    let (status, body) = post_json(&staff, decide.clone(), json!({ "decision": "reject" })).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = post_json(&staff, decide.clone(), json!({ "decision": "maybe" })).await;
    assert_eq!(status, 422, "{body}");
    let res = staff
        .post(app.url(&format!("/admin/returns/{return_id}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("decision=approve&note=Send+it+with+JNE")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("/admin/orders/{number}?saved=")),
        "{location}"
    );
    // Answered once: a second answer (a colleague at the same time) is refused.
    let (status, body) = post_json(
        &staff,
        decide.clone(),
        json!({ "decision": "reject", "note": "No" }),
    )
    .await;
    assert_eq!(status, 409, "{body}");

    let mine: Value = customer
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["returns"][0]["status"], "approved");
    assert_eq!(mine["returns"][0]["decision_note"], "Send it with JNE");
    assert_eq!(mine["returnable"], true, "another request may follow");
    let returns: Vec<&Value> = mine["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "return")
        .collect();
    assert_eq!(returns.len(), 2);
    assert_eq!(returns[0]["to"], "requested");
    assert_eq!(returns[0]["actor_name"], "You");
    assert_eq!(returns[1]["to"], "approved");
    assert_eq!(returns[1]["actor_name"], "Shop");
    let kinds = outbox_kinds(&app, order_id).await;
    assert!(kinds.contains(&"return.requested".to_string()), "{kinds:?}");
    assert!(kinds.contains(&"return.decided".to_string()), "{kinds:?}");

    // The order page's plain form: a second request, refused with the reason in the URL, then
    // made.
    let form = |body: String| {
        customer
            .post(app.url(&format!("/orders/{number}/returns")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let res = form(format!("qty_{item}=1&reason=")).await.unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with(&format!("/orders/{number}?error=")));
    let res = form(format!("qty_{item}=1&reason=Other+one+too+small"))
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with(&format!("/orders/{number}?saved=")));
    let staff_view: Value = staff
        .get(app.url(&format!("/api/v1/admin/orders/{number}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(staff_view["returns"].as_array().unwrap().len(), 2);
    assert_eq!(staff_view["returns"][1]["status"], "requested");
}
