//! The order workflow over HTTP: staff move a paid order through processing and shipping
//! (refused moves answered with 409/422/403), the customer follows it with its timeline and
//! tracking number, a customer cancels a paid order (stock back exactly once, refund queued),
//! a guest cancels an unpaid one with its key, and racing changes on one order: one wins.
//! Runs on SQLite and on PostgreSQL + Redis.
use crate::common::{spawn_app, unique_name, variant_with_stock, TestApp};
use app::server::db::{order_event, refund, stock_level, stock_movement};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

pub(crate) fn checkout_body() -> Value {
    json!({
        "email": "budi@contoh.co.id",
        "address": {
            "recipient": "Budi Santoso",
            "phone": "0812-1111-2222",
            "street": "Jl. Kenanga No. 9",
            "district": "Coblong",
            "city": "Bandung",
            "province": "Jawa Barat",
            "postal_code": "40132"
        },
        "shipping_method": "reguler",
        "payment_method": "demo"
    })
}

/// Puts `quantity` of `sku` in the client's cart and checks out with the demo gateway; returns
/// the order as placed.
pub(crate) async fn place(
    app: &TestApp,
    client: &reqwest::Client,
    sku: &str,
    quantity: i32,
) -> Value {
    let res = client
        .post(app.url("/api/v1/cart/items"))
        .json(&json!({ "sku": sku, "quantity": quantity }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .post(app.url("/api/v1/checkout"))
        .header("Idempotency-Key", unique_name("order"))
        .json(&checkout_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// A registered customer's client with a paid order of `quantity` units; returns the client and
/// the order number.
pub(crate) async fn customer_with_paid_order(
    app: &TestApp,
    sku: &str,
    quantity: i32,
) -> (reqwest::Client, String) {
    let customer = app.new_client();
    let email = format!("{}@contoh.id", unique_name("buyer"));
    assert_eq!(
        app.register(&customer, "Budi", &email, "rahasia-sekali-1")
            .await
            .status(),
        201
    );
    let placed = place(app, &customer, sku, quantity).await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let res = customer
        .post(app.url(&format!("/api/v1/payments/demo/{number}/approve")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let paid: Value = res.json().await.unwrap();
    assert_eq!(paid["status"], "confirmed");
    (customer, number)
}

async fn patch(app: &TestApp, client: &reqwest::Client, number: &str, body: Value) -> (u16, Value) {
    let res = client
        .patch(app.url(&format!("/api/v1/admin/orders/{number}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// (on_hand, reserved) summed over the warehouses.
pub(crate) async fn stock(app: &TestApp, variant_id: i32) -> (i32, i32) {
    let levels = stock_level::Entity::find()
        .filter(stock_level::Column::VariantId.eq(variant_id))
        .all(&app.state.db)
        .await
        .unwrap();
    (
        levels.iter().map(|l| l.on_hand).sum(),
        levels.iter().map(|l| l.reserved).sum(),
    )
}

fn moves(order: &Value) -> Vec<(String, String, String)> {
    order["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "status")
        .map(|e| {
            (
                e["from"].as_str().unwrap_or_default().to_string(),
                e["to"].as_str().unwrap_or_default().to_string(),
                e["actor"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn mv(from: &str, to: &str, actor: &str) -> (String, String, String) {
    (from.into(), to.into(), actor.into())
}

#[tokio::test]
async fn staff_ship_a_paid_order_and_the_customer_follows_it() {
    let app = spawn_app().await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[5, 0]).await;
    let (customer, number) = customer_with_paid_order(&app, &sku, 2).await;
    let staff = app.new_client();
    app.login_as_admin(&staff).await;

    // Customers cannot use the staff endpoint; nobody logged in cannot either.
    let (status, body) = patch(&app, &customer, &number, json!({ "status": "processing" })).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = patch(
        &app,
        &app.new_client(),
        &number,
        json!({ "status": "processing" }),
    )
    .await;
    assert_eq!(status, 401);

    // Refused moves say why and change nothing.
    let (status, body) = patch(&app, &staff, &number, json!({ "status": "delivered" })).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be moved"),
        "{body}"
    );
    let (status, body) = patch(&app, &staff, &number, json!({ "status": "lost" })).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = patch(&app, &staff, &number, json!({ "status": "pending" })).await;
    assert_eq!(status, 409, "{body}");
    let (status, body) = patch(&app, &staff, &number, json!({ "status": "expired" })).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("cannot be moved"),
        "a paid order never expires: {body}"
    );

    let (status, body) = patch(
        &app,
        &staff,
        &number,
        json!({ "status": "processing", "note": "Picked and packed" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "processing");

    // Shipping needs a carrier and a tracking number.
    let (status, body) = patch(
        &app,
        &staff,
        &number,
        json!({ "status": "shipped", "carrier": "JNE" }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["fields"]["tracking_number"].is_array(),
        "{body}"
    );
    let (status, body) = patch(
        &app,
        &staff,
        &number,
        json!({ "status": "shipped", "carrier": "JNE", "tracking_number": "JNE0123456789" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tracking_number"], "JNE0123456789");
    // Staff see who did what.
    let last = body["timeline"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "staff");
    assert!(last["actor_name"]
        .as_str()
        .unwrap()
        .ends_with("@pasar.test"));
    assert!(last["note"].as_str().unwrap().contains("JNE0123456789"));

    // The customer sees the order shipped, with its tracking number and its timeline, but not
    // the staff member's address; a shipped order can no longer be cancelled.
    let mine: Value = customer
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["status"], "shipped");
    assert_eq!(mine["carrier"], "JNE");
    assert_eq!(mine["tracking_number"], "JNE0123456789");
    assert_eq!(mine["cancellable"], false);
    assert_eq!(
        moves(&mine),
        [
            mv("pending", "confirmed", "system"),
            mv("confirmed", "processing", "staff"),
            mv("processing", "shipped", "staff"),
        ]
    );
    assert!(!mine.to_string().contains("@pasar.test"), "{mine}");
    let res = customer
        .post(app.url(&format!("/api/v1/orders/{number}/cancel")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    // Another customer: no such order, for reading and for cancelling.
    let stranger = app.new_client();
    let email = format!("{}@contoh.id", unique_name("stranger"));
    app.register(&stranger, "Lain", &email, "rahasia-sekali-2")
        .await;
    let res = stranger
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = stranger
        .post(app.url(&format!("/api/v1/orders/{number}/cancel")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    let (status, body) = patch(&app, &staff, &number, json!({ "status": "delivered" })).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = patch(&app, &staff, &number, json!({ "status": "cancelled" })).await;
    assert_eq!(status, 409, "delivered is final");
}

#[tokio::test]
async fn a_customer_cancels_a_paid_order_and_its_stock_comes_back_exactly_once() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[3, 0]).await;
    let (customer, number) = customer_with_paid_order(&app, &sku, 2).await;
    assert_eq!(stock(&app, variant_id).await, (1, 0), "two units sold");

    // A double click: both requests race, one cancels.
    let url = app.url(&format!("/api/v1/orders/{number}/cancel"));
    let (a, b) = tokio::join!(
        customer
            .post(&url)
            .json(&json!({ "reason": "Ordered the wrong size" }))
            .send(),
        customer
            .post(&url)
            .json(&json!({ "reason": "Ordered the wrong size" }))
            .send(),
    );
    let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);

    assert_eq!(
        stock(&app, variant_id).await,
        (3, 0),
        "back on the shelf once"
    );
    let restocks = stock_movement::Entity::find()
        .filter(stock_movement::Column::VariantId.eq(variant_id))
        .filter(stock_movement::Column::Kind.eq("restock"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(restocks.iter().map(|m| m.quantity).sum::<i32>(), 2);

    let mine: Value = customer
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["status"], "cancelled");
    assert_eq!(mine["cancellable"], false);
    let cancels: Vec<_> = moves(&mine)
        .into_iter()
        .filter(|m| m.1 == "cancelled")
        .collect();
    assert_eq!(cancels, [mv("confirmed", "cancelled", "customer")]);
    let timeline = mine["timeline"].to_string();
    assert!(timeline.contains("Ordered the wrong size"), "{timeline}");
    assert!(timeline.contains("Refund of Rp"), "{timeline}");

    // One refund of everything paid, through the (demo) gateway.
    let order_id = mine["id"].as_i64().unwrap() as i32;
    let refunds = refund::Entity::find()
        .filter(refund::Column::OrderId.eq(order_id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(refunds.len(), 1);
    assert_eq!(
        refunds[0].amount,
        mine["totals"]["grand_total"]["amount"].as_i64().unwrap()
    );
    assert_eq!(
        refunds[0].status, "confirmed",
        "the demo gateway confirms at once"
    );
    assert_eq!(mine["refunds"][0]["status"], "confirmed");
}

#[tokio::test]
async fn a_guest_cancels_an_unpaid_order_with_its_key() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[4, 0]).await;
    let guest = app.new_client();
    let placed = place(&app, &guest, &sku, 3).await;
    let number = placed["order"]["number"].as_str().unwrap();
    let order_url = placed["order_url"].as_str().unwrap();
    let key = order_url.split("key=").nth(1).unwrap();
    assert_eq!(stock(&app, variant_id).await, (4, 3));
    assert_eq!(placed["order"]["cancellable"], true);

    // Without the key, from another browser: no such order.
    let res = app
        .new_client()
        .post(app.url(&format!("/api/v1/orders/{number}/cancel")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    let res = app
        .new_client()
        .post(app.url(&format!("/api/v1/orders/{number}/cancel?key={key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cancelled: Value = res.json().await.unwrap();
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["payment_status"], "cancelled");
    assert_eq!(moves(&cancelled), [mv("pending", "cancelled", "customer")]);
    assert_eq!(stock(&app, variant_id).await, (4, 0), "released");

    // Paying it now is refused by the payment rules, and cancelling again by the workflow.
    let res = guest
        .post(app.url(&format!("/api/v1/orders/{number}/cancel")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn racing_status_changes_on_one_order_leave_one_winner_and_a_consistent_timeline() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[6, 0]).await;
    let (_, number) = customer_with_paid_order(&app, &sku, 2).await;
    let staff = app.new_client();
    app.login_as_admin(&staff).await;

    // Eight staff clicks at once on "processing": one moves it, the others are told it moved.
    let attempts = (0..8).map(|_| patch(&app, &staff, &number, json!({ "status": "processing" })));
    let results = futures::future::join_all(attempts).await;
    let won = results.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(results.iter().all(|(s, _)| *s == 200 || *s == 409));

    // Shipping and cancelling at the same moment: one of them, never both.
    let ship = patch(
        &app,
        &staff,
        &number,
        json!({ "status": "shipped", "carrier": "SiCepat", "tracking_number": "SC-1" }),
    );
    let cancel = patch(&app, &staff, &number, json!({ "status": "cancelled" }));
    let ((s1, _), (s2, _)) = tokio::join!(ship, cancel);
    let mut statuses = [s1, s2];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);

    let order_id: i32 = {
        let (_, view) = patch(&app, &staff, &number, json!({ "status": "nothing" })).await;
        assert!(view["error"].is_object());
        let found = app::server::db::order::Entity::find()
            .filter(app::server::db::order::Column::Number.eq(number.as_str()))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        // Exactly the status the timeline ends with.
        let entries = order_event::Entity::find()
            .filter(order_event::Column::OrderId.eq(found.id))
            .filter(order_event::Column::Kind.eq("status"))
            .all(&app.state.db)
            .await
            .unwrap();
        let chain: Vec<_> = entries
            .iter()
            .map(|e| {
                (
                    e.from_state.clone().unwrap_or_default(),
                    e.to_state.clone().unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(chain.len(), 3, "{chain:?}");
        for pair in chain.windows(2) {
            assert_eq!(
                pair[0].1, pair[1].0,
                "each move starts where the last ended"
            );
        }
        assert_eq!(chain.last().unwrap().1, found.status);
        found.id
    };
    assert!(order_id > 0);
    let (on_hand, reserved) = stock(&app, variant_id).await;
    assert_eq!(reserved, 0);
    // Shipped: 4 left; cancelled: all 6 back.
    assert!(on_hand == 4 || on_hand == 6, "{on_hand}");
}

#[tokio::test]
async fn staff_find_orders_in_the_table_and_work_on_one_without_javascript() {
    let app = spawn_app().await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[9, 0]).await;
    let (_, paid_number) = customer_with_paid_order(&app, &sku, 1).await;
    let guest = app.new_client();
    let unpaid = place(&app, &guest, &sku, 2).await;
    let unpaid_number = unpaid["order"]["number"].as_str().unwrap().to_string();
    let staff = app.new_client();
    app.login_as_admin(&staff).await;

    let list = |query: String| {
        let staff = staff.clone();
        let url = app.url(&format!("/api/v1/admin/orders?{query}"));
        async move {
            let res = staff.get(url).send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap())
        }
    };
    let numbers = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["number"].as_str().unwrap().to_string())
            .collect()
    };

    // By status, by the recipient's name in any case, by order number, by payment method.
    let (status, page) = list("status=pending".into()).await;
    assert_eq!(status, 200);
    assert_eq!(numbers(&page), [unpaid_number.as_str()]);
    assert_eq!(page["items"][0]["item_count"], 2);
    let (_, page) = list("payment_status=paid&q=BUDI%20santoso".into()).await;
    assert_eq!(numbers(&page), [paid_number.as_str()]);
    assert_eq!(
        page["items"][0]["quick_moves"],
        json!(["processing", "cancelled"])
    );
    let (_, page) = list(format!("q={}", &paid_number[paid_number.len() - 5..])).await;
    assert_eq!(numbers(&page), [paid_number.as_str()]);
    let (_, page) = list("method=stripe".into()).await;
    assert_eq!(page["total"], 0);
    // Dates are shop days; both orders are from today, none from tomorrow.
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%d")
        .to_string();
    let (_, page) = list(format!("from={tomorrow}")).await;
    assert_eq!(page["total"], 0);
    let (_, page) = list(format!("to={tomorrow}&sort=oldest")).await;
    assert_eq!(
        numbers(&page),
        [paid_number.as_str(), unpaid_number.as_str()]
    );
    // Wildcards are searched for, not expanded.
    let (_, page) = list("q=%25".into()).await;
    assert_eq!(page["total"], 0);
    // Bad filters are named.
    let (status, body) = list("status=lost".into()).await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = list("from=03-12-2026".into()).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["from"].is_array(), "{body}");
    // Customers are kept out.
    let res = guest
        .get(app.url("/api/v1/admin/orders"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // The table page, rendered on the server, with the count of new (paid) orders.
    let html = staff
        .get(app.url("/admin/orders?status=confirmed"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&paid_number), "the paid order is listed");
    assert!(!html.contains(&unpaid_number), "the filter applies");
    assert!(html.contains("new-orders-count"));

    // The order page: a plain form post moves it and comes back to the page.
    let html = staff
        .get(app.url(&format!("/admin/orders/{paid_number}")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Timeline") && html.contains("Mark shipped"));
    let action = crate::common::form_action(&html, "admin_move_order");
    let res = staff
        .post(app.url(&action))
        .header("accept", "text/html")
        .form(&[
            ("number", paid_number.as_str()),
            ("status", "shipped"),
            ("carrier", "J&T"),
            ("tracking_number", "JT778899"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("/admin/orders/{paid_number}")),
        "{location}"
    );
    // A refused one comes back with the reason.
    let res = staff
        .post(app.url(&action))
        .header("accept", "text/html")
        .header("referer", app.url(&format!("/admin/orders/{paid_number}")))
        .form(&[("number", paid_number.as_str()), ("status", "processing")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .contains("error="));
    let (_, detail) = patch(&app, &staff, &paid_number, json!({ "status": "nothing" })).await;
    assert!(detail["error"].is_object());
    let view: Value = staff
        .get(app.url(&format!("/api/v1/admin/orders/{paid_number}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "shipped");
    assert_eq!(view["carrier"], "J&T");
}

#[tokio::test]
async fn a_customers_order_history_comes_in_pages_of_twenty_newest_first() {
    use sea_orm::{ActiveModelTrait, Set};
    let app = spawn_app().await;
    let customer = app.new_client();
    let email = format!("{}@contoh.id", unique_name("loyal"));
    let res = app
        .register(&customer, "Setia", &email, "rahasia-sekali-3")
        .await;
    let user: Value = res.json().await.unwrap();
    let user_id = user["id"].as_i64().unwrap() as i32;
    let start = chrono::Utc::now() - chrono::Duration::days(30);
    for n in 0..23 {
        let at = start + chrono::Duration::hours(n);
        app::server::db::order::ActiveModel {
            number: Set(format!("PSR-HIST-{n:03}-{}", &unique_name("x")[..6])),
            user_id: Set(Some(user_id)),
            email: Set(email.clone()),
            status: Set("delivered".into()),
            payment_status: Set("paid".into()),
            currency: Set("IDR".into()),
            subtotal: Set(10_000),
            shipping_total: Set(0),
            dpp: Set(0),
            ppn: Set(0),
            grand_total: Set(10_000),
            shipping_address: Set("{}".into()),
            created_at: Set(at),
            updated_at: Set(at),
            ..Default::default()
        }
        .insert(&app.state.db)
        .await
        .unwrap();
    }
    let page = |n: u64| {
        let customer = customer.clone();
        let url = app.url(&format!("/account/orders?page={n}"));
        async move {
            customer
                .get(url)
                .header("accept", "text/html")
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let first = page(1).await;
    assert_eq!(first.matches(">PSR-HIST-").count(), 20, "twenty on a page");
    assert!(first.contains(">PSR-HIST-022"), "the newest first");
    assert!(!first.contains(">PSR-HIST-002"));
    assert!(first.contains("Page 1 of 2"));
    let second = page(2).await;
    assert_eq!(second.matches(">PSR-HIST-").count(), 3);
    assert!(second.contains(">PSR-HIST-000"));
}

#[tokio::test]
async fn staff_move_the_selected_orders_at_once_and_see_what_was_refused() {
    let app = spawn_app().await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[9, 0]).await;
    let (_, first) = customer_with_paid_order(&app, &sku, 1).await;
    let (customer, second) = customer_with_paid_order(&app, &sku, 1).await;
    let guest = app.new_client();
    let unpaid = place(&app, &guest, &sku, 1).await;
    let unpaid = unpaid["order"]["number"].as_str().unwrap().to_string();
    let staff = app.new_client();
    app.login_as_admin(&staff).await;

    let body = |numbers: &[&str], status: &str| {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for n in numbers {
            form.append_pair("number", n);
        }
        form.append_pair("status", status)
            .append_pair("back", "/admin/orders?payment_status=paid")
            .finish()
    };
    let post = |client: &reqwest::Client, body: String| {
        client
            .post(app.url("/admin/orders/bulk"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .body(body)
            .send()
    };

    // Customers cannot.
    let res = post(&customer, body(&[&second], "processing"))
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let res = post(
        &staff,
        body(&[&first, &second, &unpaid, &first], "processing"),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with("/admin/orders?payment_status=paid&saved="),
        "{location}"
    );
    let decoded: String =
        url::form_urlencoded::parse(location.split('?').nth(1).unwrap().as_bytes())
            .find(|(k, _)| k == "saved")
            .map(|(_, v)| v.into_owned())
            .unwrap();
    assert!(decoded.starts_with("2 moved to Processing."), "{decoded}");
    assert!(
        decoded.contains(&unpaid),
        "the unpaid one is named: {decoded}"
    );
    for (number, status) in [
        (&first, "processing"),
        (&second, "processing"),
        (&unpaid, "pending"),
    ] {
        let (_, view) = patch(&app, &staff, number, json!({ "status": "x" })).await;
        assert!(view["error"].is_object());
        let order: Value = staff
            .get(app.url(&format!("/api/v1/admin/orders/{number}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(order["status"], status, "{number}");
    }

    // Staff cannot mark an unpaid order paid: only its payment does that.
    let (status, refused) = patch(&app, &staff, &unpaid, json!({ "status": "confirmed" })).await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("by itself"),
        "{refused}"
    );

    // Nothing selected, or nothing movable: an error back on the table, nothing changed.
    let res = post(&staff, body(&[], "delivered")).await.unwrap();
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .contains("error="));
    let res = post(&staff, body(&[&first], "delivered")).await.unwrap();
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .contains("error="));
}
