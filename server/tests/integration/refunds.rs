//! Staff refunds over HTTP (`POST /api/v1/admin/orders/{order}/refunds`): by line with a
//! restock choice, by amount, the shipping fee; the ledger's bounds (never more than was paid,
//! never more units than were bought, shipping once), idempotency keys (a retry answers with the
//! refund it made), racing refunds under the row lock, a cancel after a full refund that puts
//! nothing back twice, the plain form on the admin order page, and a Stripe refund whose payment
//! status follows the webhook, not the button. Runs on SQLite and on PostgreSQL + Redis.
use crate::common::{spawn_app, unique_name, variant_with_stock, TestApp};
use crate::gateways;
use crate::orders::{customer_with_paid_order, stock};
use app::server::db::{refund, refund_line, stock_movement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};

async fn ask(
    app: &TestApp,
    staff: &reqwest::Client,
    number: &str,
    key: Option<&str>,
    body: Value,
) -> (u16, Value) {
    let mut req = staff
        .post(app.url(&format!("/api/v1/admin/orders/{number}/refunds")))
        .json(&body);
    if let Some(key) = key {
        req = req.header("Idempotency-Key", key);
    }
    let res = req.send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn staff_view(app: &TestApp, staff: &reqwest::Client, number: &str) -> Value {
    let res = staff
        .get(app.url(&format!("/api/v1/admin/orders/{number}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn amount(v: &Value) -> i64 {
    v["amount"].as_i64().unwrap()
}

async fn restocked(app: &TestApp, variant_id: i32) -> i32 {
    stock_movement::Entity::find()
        .filter(stock_movement::Column::VariantId.eq(variant_id))
        .filter(stock_movement::Column::Kind.eq("restock"))
        .all(&app.state.db)
        .await
        .unwrap()
        .iter()
        .map(|m| m.quantity)
        .sum()
}

async fn refund_rows(app: &TestApp, order_id: i64) -> Vec<refund::Model> {
    refund::Entity::find()
        .filter(refund::Column::OrderId.eq(order_id as i32))
        .all(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn staff_refund_an_order_line_by_line_within_what_was_paid() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[5, 0]).await;
    // Below the free-shipping threshold, so there is a shipping fee to refund.
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE product_variants SET price = 99999 WHERE id = {variant_id}"
        ))
        .await
        .unwrap();
    let (customer, number) = customer_with_paid_order(&app, &sku, 2).await;
    assert_eq!(stock(&app, variant_id).await, (3, 0));
    let staff = app.new_client();
    app.login_as_admin(&staff).await;

    let order = staff_view(&app, &staff, &number).await;
    let order_id = order["id"].as_i64().unwrap();
    let item = order["lines"][0]["item_id"].as_i64().unwrap();
    let grand = amount(&order["totals"]["grand_total"]);
    let shipping = amount(&order["totals"]["shipping"]);
    let goods = grand - shipping;
    assert!(shipping > 0 && goods > 0);

    // A customer is not staff.
    let (status, _) = ask(
        &app,
        &customer,
        &number,
        Some("k-customer"),
        json!({ "amount": 1000, "reason": "I want money" }),
    )
    .await;
    assert_eq!(status, 403);

    let one_back = json!({
        "lines": [{ "item_id": item, "quantity": 1, "restock": true }],
        "reason": "Wrong colour, returned unopened"
    });
    let (status, body) = ask(&app, &staff, &number, None, one_back.clone()).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("Idempotency-Key"));

    // One unit back on the shelf: half of the goods, PPN included.
    let key = unique_name("refund");
    let (status, first) = ask(&app, &staff, &number, Some(&key), one_back.clone()).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["created"], true);
    assert_eq!(amount(&first["refund"]["amount"]), goods / 2);
    assert_eq!(
        first["refund"]["status"], "confirmed",
        "the demo gateway confirms at once"
    );
    assert_eq!(first["refund"]["lines"][0]["quantity"], 1);
    assert_eq!(first["refund"]["lines"][0]["restock"], true);
    assert_eq!(first["order"]["payment_status"], "partially_refunded");
    assert_eq!(first["order"]["lines"][0]["refunded"], 1);
    assert_eq!(stock(&app, variant_id).await, (4, 0), "back on sale");
    assert_eq!(restocked(&app, variant_id).await, 1);

    // The same request again (a double click, a retry): the same refund, nothing new.
    let (status, again) = ask(&app, &staff, &number, Some(&key), one_back.clone()).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["created"], false);
    assert_eq!(again["refund"]["id"], first["refund"]["id"]);
    assert_eq!(refund_rows(&app, order_id).await.len(), 1);
    assert_eq!(stock(&app, variant_id).await, (4, 0));

    // The key is this order's: another order cannot reuse it.
    let (_, other) = customer_with_paid_order(&app, &sku, 1).await;
    let (status, body) = ask(&app, &staff, &other, Some(&key), one_back.clone()).await;
    assert_eq!(status, 409, "{body}");

    // The second unit arrived broken: refunded, not resellable.
    let (status, second) = ask(
        &app,
        &staff,
        &number,
        Some(&unique_name("refund")),
        json!({
            "lines": [{ "item_id": item, "quantity": 1, "restock": false }],
            "reason": "Arrived broken"
        }),
    )
    .await;
    assert_eq!(status, 201, "{second}");
    assert_eq!(
        amount(&second["refund"]["amount"]),
        goods - goods / 2,
        "the units add up to the line"
    );
    assert_eq!(
        stock(&app, variant_id).await,
        (3, 0),
        "written off, not restocked"
    );
    assert_eq!(restocked(&app, variant_id).await, 1);

    // Refused: a unit more than was bought, an amount above what is left, amount and lines,
    // a line of another order, nothing at all, no reason.
    let refusals = [
        (
            json!({ "lines": [{ "item_id": item, "quantity": 1, "restock": true }], "reason": "again" }),
            "lines",
        ),
        (
            json!({ "amount": shipping + 1, "reason": "too much" }),
            "amount",
        ),
        (
            json!({ "amount": 1, "lines": [{ "item_id": item, "quantity": 1, "restock": true }], "reason": "both" }),
            "lines",
        ),
        (
            json!({ "lines": [{ "item_id": 99_999_999, "quantity": 1, "restock": true }], "reason": "unknown" }),
            "lines",
        ),
        (json!({ "reason": "nothing" }), "lines"),
        (json!({ "amount": 1, "reason": "  " }), "reason"),
    ];
    for (body, field) in refusals {
        let (status, answer) = ask(&app, &staff, &number, Some(&unique_name("no")), body).await;
        assert_eq!(status, 422, "{answer}");
        assert!(
            answer["error"]["fields"][field].is_array(),
            "{field} explained: {answer}"
        );
    }
    let rows = refund_rows(&app, order_id).await;
    assert_eq!(rows.len(), 2, "refusals write nothing");

    // The shipping fee, once: now everything paid is back.
    let (status, last) = ask(
        &app,
        &staff,
        &number,
        Some(&unique_name("refund")),
        json!({ "shipping": true, "reason": "Our fault" }),
    )
    .await;
    assert_eq!(status, 201, "{last}");
    assert_eq!(amount(&last["refund"]["amount"]), shipping);
    assert_eq!(last["order"]["payment_status"], "refunded");
    let (status, body) = ask(
        &app,
        &staff,
        &number,
        Some(&unique_name("refund")),
        json!({ "shipping": true, "reason": "again" }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let rows = refund_rows(&app, order_id).await;
    assert_eq!(rows.iter().map(|r| r.amount).sum::<i64>(), grand);
    assert!(rows.iter().all(|r| r.status == "confirmed"));
    let lines = refund_line::Entity::find()
        .filter(refund_line::Column::RefundId.is_in(rows.iter().map(|r| r.id)))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(lines, 3);

    // Everything paid is back before it shipped: the sale is off (the order cancels itself),
    // and neither the restocked nor the written-off units go back on the shelf a second time.
    let after = staff_view(&app, &staff, &number).await;
    assert_eq!(after["status"], "cancelled");
    assert_eq!(
        refund_rows(&app, order_id).await.len(),
        3,
        "no refund of its own"
    );
    assert_eq!(stock(&app, variant_id).await, (3, 0));
    assert_eq!(restocked(&app, variant_id).await, 1);

    // The customer sees the refunds on the order page.
    let mine: Value = customer
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(mine["refunds"].as_array().unwrap().len(), 3);
    assert_eq!(mine["refunds"][1]["reason"], "Arrived broken");
    let timeline = mine["timeline"].to_string();
    assert!(timeline.contains("confirms the refund"), "{timeline}");
}

#[tokio::test]
async fn a_partial_cancel_by_amount_then_the_rest_of_the_order_cancelled_refunds_the_rest_once() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[4, 0]).await;
    let (_customer, number) = customer_with_paid_order(&app, &sku, 2).await;
    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    let order = staff_view(&app, &staff, &number).await;
    let grand = amount(&order["totals"]["grand_total"]);

    // A goodwill refund by amount moves no stock.
    let (status, body) = ask(
        &app,
        &staff,
        &number,
        Some(&unique_name("refund")),
        json!({ "amount": 10_000, "reason": "Late delivery" }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert!(body["refund"]["lines"].as_array().unwrap().is_empty());
    assert_eq!(stock(&app, variant_id).await, (2, 0));

    // Cancelling refunds what is left, not the whole total again, and restocks both units.
    let res = staff
        .patch(app.url(&format!("/api/v1/admin/orders/{number}")))
        .json(&json!({ "status": "cancelled" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rows = refund_rows(&app, order["id"].as_i64().unwrap()).await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.iter().map(|r| r.amount).sum::<i64>(), grand);
    assert_eq!(rows[1].amount, grand - 10_000);
    assert_eq!(stock(&app, variant_id).await, (4, 0));
    let after = staff_view(&app, &staff, &number).await;
    assert_eq!(after["payment_status"], "refunded");
}

#[tokio::test]
async fn racing_refunds_never_exceed_what_was_paid() {
    let app = spawn_app().await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[3, 0]).await;
    let (_customer, number) = customer_with_paid_order(&app, &sku, 1).await;
    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    let order = staff_view(&app, &staff, &number).await;
    let order_id = order["id"].as_i64().unwrap();
    let grand = amount(&order["totals"]["grand_total"]);
    let slice = grand * 2 / 5;

    // Eight staff tabs each refund 40% at once, with their own keys: two fit.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (app_url, staff, number) = (app.url(""), staff.clone(), number.clone());
        tasks.push(tokio::spawn(async move {
            staff
                .post(format!("{app_url}/api/v1/admin/orders/{number}/refunds"))
                .header("Idempotency-Key", unique_name("race"))
                .json(&json!({ "amount": slice, "reason": "Race" }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [201, 201, 422, 422, 422, 422, 422, 422]);
    let rows = refund_rows(&app, order_id).await;
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().map(|r| r.amount).sum::<i64>() <= grand);

    // Four retries of one request at once: one refund.
    let key = unique_name("same");
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (app_url, staff, number, key) =
            (app.url(""), staff.clone(), number.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            staff
                .post(format!("{app_url}/api/v1/admin/orders/{number}/refunds"))
                .header("Idempotency-Key", key)
                .json(&json!({ "amount": 1_000, "reason": "Retry" }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [200, 200, 200, 201]);
    assert_eq!(refund_rows(&app, order_id).await.len(), 3);
}

#[tokio::test]
async fn staff_refund_from_the_order_page_without_javascript() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[3, 0]).await;
    let (_customer, number) = customer_with_paid_order(&app, &sku, 1).await;
    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    let page = staff
        .get(app.url(&format!("/admin/orders/{number}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("refund-form"), "the form is on the page");
    let order = staff_view(&app, &staff, &number).await;
    let item = order["lines"][0]["item_id"].as_i64().unwrap();
    let form_key = unique_name("form");
    let form: Vec<(String, String)> = vec![
        ("key".into(), form_key),
        ("reason".into(), "Customer changed their mind".into()),
        ("amount".into(), String::new()),
        (format!("qty_{item}"), "1".into()),
        (format!("restock_{item}"), "on".into()),
    ];
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    // The form posts from the logged-in browser: reuse its cookies by logging in again.
    app.login_as_admin(&no_redirects).await;
    for _ in 0..2 {
        let res = no_redirects
            .post(app.url(&format!("/admin/orders/{number}/refund")))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let to = res.headers()["location"].to_str().unwrap().to_string();
        assert!(
            to.starts_with(&format!("/admin/orders/{number}?saved=")),
            "{to}"
        );
    }
    assert_eq!(
        refund_rows(&app, order["id"].as_i64().unwrap()).await.len(),
        1,
        "a resubmitted form makes one refund"
    );
    assert_eq!(stock(&app, variant_id).await, (3, 0));

    // Too much, by amount: the page says why.
    let res = no_redirects
        .post(app.url(&format!("/admin/orders/{number}/refund")))
        .form(&[
            ("key", unique_name("form")),
            ("reason", "Goodwill".to_string()),
            ("amount", "999.999.999".to_string()),
        ])
        .send()
        .await
        .unwrap();
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("error="), "{to}");
    let page = staff
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("can still be refunded"), "{page}");
    assert!(page.contains("refund-entry"), "the ledger lists the refund");
}

#[tokio::test]
async fn a_stripe_refund_shows_refunded_only_once_stripe_confirms_it() {
    let (app, fake) = gateways::stripe_app().await;
    let placed = gateways::place(&app, &app.new_client(), "stripe", "r1").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let total = amount(&placed["order"]["totals"]["grand_total"]);
    fake.succeed("pi_test_1");
    let paid = gateways::stripe_event(
        "evt_paid",
        "payment_intent.succeeded",
        "pi_test_1",
        total * 100,
    );
    let res = gateways::post_stripe(&app, &paid, gateways::signed(&paid)).await;
    assert_eq!(res.status(), 200);

    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    assert_eq!(
        staff_view(&app, &staff, &number).await["payment_status"],
        "paid"
    );
    let key = unique_name("refund");
    let (status, made) = ask(
        &app,
        &staff,
        &number,
        Some(&key),
        json!({ "amount": 50_000, "reason": "Price match" }),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(
        made["refund"]["status"], "issued",
        "sent, not yet confirmed"
    );
    assert_eq!(
        made["order"]["payment_status"], "paid",
        "not until Stripe says so"
    );
    let refund_id = made["refund"]["id"].as_i64().unwrap();
    let sent = fake.refunds.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["payment_intent"], "pi_test_1");
    assert_eq!(sent[0]["amount"], (50_000 * 100).to_string());
    assert_eq!(
        sent[0]["idempotency_key"],
        format!("pasar-refund-{refund_id}")
    );
    // A retry of the request sends nothing more to Stripe.
    let (status, _) = ask(
        &app,
        &staff,
        &number,
        Some(&key),
        json!({ "amount": 50_000, "reason": "Price match" }),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(fake.refunds.lock().unwrap().len(), 1);

    // Stripe's charge.refunded webhook confirms it; the order stays open.
    let event = json!({
        "id": "evt_refund_1", "type": "charge.refunded",
        "data": { "object": { "id": "ch_1", "object": "charge", "amount": total * 100,
            "amount_refunded": 50_000 * 100, "currency": "idr", "payment_intent": "pi_test_1" } }
    })
    .to_string();
    let res = gateways::post_stripe(&app, &event, gateways::signed(&event)).await;
    assert_eq!(res.status(), 200);
    let order = staff_view(&app, &staff, &number).await;
    assert_eq!(order["payment_status"], "partially_refunded");
    assert_eq!(order["status"], "confirmed");
    assert_eq!(order["refunds"][0]["status"], "confirmed");
}

#[tokio::test]
async fn refunded_units_that_come_back_damaged_are_on_hand_but_not_for_sale() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[5, 0]).await;
    let (_customer, number) = customer_with_paid_order(&app, &sku, 3).await;
    assert_eq!(stock(&app, variant_id).await, (2, 0));
    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    let order = staff_view(&app, &staff, &number).await;
    let item = order["lines"][0]["item_id"].as_i64().unwrap();

    // Both back on sale and damaged: refused, nothing written.
    let (status, body) = ask(
        &app,
        &staff,
        &number,
        Some(&unique_name("refund")),
        json!({ "lines": [{ "item_id": item, "quantity": 1, "restock": true, "damaged": true }],
                "reason": "Confused" }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["fields"]["lines"].is_array(), "{body}");

    // One unit comes back damaged: on hand again, but unavailable.
    let (status, done) = ask(
        &app,
        &staff,
        &number,
        Some(&unique_name("refund")),
        json!({ "lines": [{ "item_id": item, "quantity": 1, "damaged": true }],
                "reason": "Arrived with a torn seam" }),
    )
    .await;
    assert_eq!(status, 201, "{done}");
    assert_eq!(done["refund"]["lines"][0]["damaged"], true);
    assert_eq!(done["refund"]["lines"][0]["restock"], false);
    let levels = app::server::db::stock_level::Entity::find()
        .filter(app::server::db::stock_level::Column::VariantId.eq(variant_id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        (
            levels.iter().map(|l| l.on_hand).sum::<i32>(),
            levels.iter().map(|l| l.damaged).sum::<i32>()
        ),
        (3, 1)
    );
    let returned = stock_movement::Entity::find()
        .filter(stock_movement::Column::VariantId.eq(variant_id))
        .filter(stock_movement::Column::Kind.eq("return"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(returned.len(), 1);
    assert_eq!(returned[0].unavailable_state.as_deref(), Some("damaged"));
    assert_eq!(
        (
            returned[0].unavailable_before,
            returned[0].unavailable_after
        ),
        (0, 1)
    );
    assert_eq!(restocked(&app, variant_id).await, 0);

    // The admin's form offers the same choice per line.
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    app.login_as_admin(&no_redirects).await;
    let page = no_redirects
        .get(app.url(&format!("/admin/orders/{number}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("name=\"fate_{item}\"")),
        "the choice is on the form"
    );
    let res = no_redirects
        .post(app.url(&format!("/admin/orders/{number}/refund")))
        .form(&[
            ("key".to_string(), unique_name("form")),
            ("reason".to_string(), "Second one torn too".to_string()),
            (format!("qty_{item}"), "1".to_string()),
            (format!("fate_{item}"), "damaged".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let levels = app::server::db::stock_level::Entity::find()
        .filter(app::server::db::stock_level::Column::VariantId.eq(variant_id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(levels.iter().map(|l| l.damaged).sum::<i32>(), 2);
    assert_eq!(levels.iter().map(|l| l.on_hand).sum::<i32>(), 4);
    let audit = app::server::inventory::audit::check(&app.state.db)
        .await
        .unwrap();
    assert!(audit.discrepancies.is_empty(), "{:#?}", audit.discrepancies);
}
