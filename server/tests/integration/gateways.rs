//! Stripe and Midtrans end to end against local servers that speak their protocols: the real
//! client code creates intents and Snap transactions; webhooks are verified (signature,
//! tolerance, tampering), confirmed (Midtrans status API), applied once, never backwards, and
//! refused when the amount does not match; the reconciler catches a missed webhook.

use crate::common::{
    gateways::{
        FakeMidtrans, FakeStripe, MIDTRANS_CLIENT_KEY, MIDTRANS_SERVER_KEY, STRIPE_SECRET,
        STRIPE_WEBHOOK_SECRET,
    },
    spawn_app_with, variant_with_stock, TestApp,
};
use app::server::{
    db::{order, payment, payment_event},
    payments::signatures::stripe_signature_header,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

fn checkout_body(method: &str) -> Value {
    json!({
        "email": "ayu@contoh.co.id",
        "address": {
            "recipient": "Ayu Lestari", "phone": "081298765432", "street": "Jl. Kenanga 7",
            "district": "Sukajadi", "city": "Bandung", "province": "Jawa Barat", "postal_code": "40162"
        },
        "shipping_method": "reguler",
        "payment_method": method
    })
}

pub(crate) async fn place(
    app: &TestApp,
    client: &reqwest::Client,
    method: &str,
    key: &str,
) -> Value {
    let (_, sku, _) = variant_with_stock(&app.state.db, &[5, 5]).await;
    let res = client
        .post(app.url("/api/v1/cart/items"))
        .json(&json!({ "sku": sku, "quantity": 2 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = client
        .post(app.url("/api/v1/checkout"))
        .header("Idempotency-Key", key)
        .json(&checkout_body(method))
        .send()
        .await
        .unwrap();
    let status = res.status();
    let body: Value = res.json().await.unwrap();
    assert!(status == 201 || status == 200, "{status}: {body}");
    body
}

async fn order_row(app: &TestApp, number: &str) -> order::Model {
    order::Entity::find()
        .filter(order::Column::Number.eq(number))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

pub(crate) async fn stripe_app() -> (TestApp, FakeStripe) {
    let (fake, base) = FakeStripe::start().await;
    let app = spawn_app_with(&[
        ("STRIPE_SECRET_KEY", STRIPE_SECRET.to_string()),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_pasar".to_string()),
        ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET.to_string()),
        ("STRIPE_API_BASE", base),
    ])
    .await;
    (app, fake)
}

pub(crate) async fn post_stripe(
    app: &TestApp,
    body: &str,
    signature: Option<String>,
) -> reqwest::Response {
    let mut req = app
        .client
        .post(app.url("/webhooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(signature) = signature {
        req = req.header("Stripe-Signature", signature);
    }
    req.send().await.unwrap()
}

pub(crate) fn stripe_event(id: &str, kind: &str, intent: &str, amount: i64) -> String {
    json!({
        "id": id,
        "object": "event",
        "type": kind,
        "created": 1_764_000_000,
        "data": { "object": {
            "id": intent, "object": "payment_intent", "amount": amount,
            "amount_received": if kind == "payment_intent.succeeded" { amount } else { 0 },
            "currency": "idr", "status": "succeeded",
            "last_payment_error": if kind == "payment_intent.payment_failed" { json!({ "message": "Your card was declined." }) } else { Value::Null }
        } }
    })
    .to_string()
}

pub(crate) fn signed(body: &str) -> Option<String> {
    Some(stripe_signature_header(
        body.as_bytes(),
        STRIPE_WEBHOOK_SECRET,
        chrono::Utc::now().timestamp(),
    ))
}

#[tokio::test]
async fn stripe_intents_and_webhooks_are_verified_applied_once_and_never_backwards() {
    let (app, fake) = stripe_app().await;
    let client = app.new_client();
    let quote: Value = client
        .get(app.url("/api/v1/checkout/shipping-methods?province=Jawa%20Barat"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        quote["payment_methods"],
        json!(["stripe"]),
        "real keys: the demo is off"
    );

    let placed = place(&app, &client, "stripe", "s1").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let total = placed["order"]["totals"]["grand_total"]["amount"]
        .as_i64()
        .unwrap();
    assert_eq!(placed["next"]["kind"], "stripe");
    assert_eq!(placed["next"]["publishable_key"], "pk_test_pasar");
    let secret = placed["next"]["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(secret.starts_with("pi_test_1_secret"), "{secret}");

    // What reached "Stripe": rupiah × 100, lower-case currency, the order in the metadata.
    let creates = fake.creates.lock().unwrap().clone();
    assert_eq!(creates.len(), 1);
    assert_eq!(creates[0]["amount"], (total * 100).to_string());
    assert_eq!(creates[0]["currency"], "idr");
    assert_eq!(creates[0]["metadata[order_number]"], number);
    assert_eq!(creates[0]["automatic_payment_methods[enabled]"], "true");
    // A retried checkout shows the same intent, no second one.
    let again = place(&app, &client, "stripe", "s1").await;
    assert_eq!(again["next"]["client_secret"], secret.as_str());
    assert_eq!(fake.creates.lock().unwrap().len(), 1);
    let intent_id = "pi_test_1";
    let amount = total * 100;

    // Bad signatures: 400 and nothing changes.
    let body = stripe_event("evt_ok", "payment_intent.succeeded", intent_id, amount);
    assert_eq!(
        post_stripe(&app, &body, None).await.status(),
        400,
        "missing"
    );
    let wrong = stripe_signature_header(
        body.as_bytes(),
        "whsec_wrong",
        chrono::Utc::now().timestamp(),
    );
    assert_eq!(
        post_stripe(&app, &body, Some(wrong)).await.status(),
        400,
        "wrong secret"
    );
    let old = stripe_signature_header(
        body.as_bytes(),
        STRIPE_WEBHOOK_SECRET,
        chrono::Utc::now().timestamp() - 600,
    );
    assert_eq!(
        post_stripe(&app, &body, Some(old)).await.status(),
        400,
        "replayed"
    );
    let tampered = body.replace(&amount.to_string(), "100");
    assert_eq!(
        post_stripe(&app, &tampered, signed(&body)).await.status(),
        400,
        "tampered body"
    );
    assert_eq!(order_row(&app, &number).await.status, "pending");
    assert!(payment_event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .is_empty());

    // Signed, but for another amount: rejected, stored, the order untouched.
    let short = stripe_event(
        "evt_short",
        "payment_intent.succeeded",
        intent_id,
        amount - 100,
    );
    assert_eq!(
        post_stripe(&app, &short, signed(&short)).await.status(),
        400
    );
    assert_eq!(order_row(&app, &number).await.status, "pending");
    let rejected = payment_event::Entity::find()
        .filter(payment_event::Column::EventId.eq("evt_short"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rejected.outcome, "rejected");

    // The real thing.
    assert_eq!(post_stripe(&app, &body, signed(&body)).await.status(), 200);
    let paid = order_row(&app, &number).await;
    assert_eq!(
        (paid.status.as_str(), paid.payment_status.as_str()),
        ("confirmed", "paid")
    );
    // Delivered twice: acknowledged, stored once.
    assert_eq!(post_stripe(&app, &body, signed(&body)).await.status(), 200);
    let stored = payment_event::Entity::find()
        .filter(payment_event::Column::EventId.eq("evt_ok"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    // A failure that arrives late never undoes the payment.
    let late = stripe_event(
        "evt_late_fail",
        "payment_intent.payment_failed",
        intent_id,
        amount,
    );
    assert_eq!(post_stripe(&app, &late, signed(&late)).await.status(), 200);
    let still = order_row(&app, &number).await;
    assert_eq!(
        (still.status.as_str(), still.payment_status.as_str()),
        ("confirmed", "paid")
    );

    // A full refund.
    let refund = json!({
        "id": "evt_refund", "type": "charge.refunded",
        "data": { "object": { "id": "ch_1", "object": "charge", "amount": amount, "amount_refunded": amount, "currency": "idr", "payment_intent": intent_id } }
    })
    .to_string();
    assert_eq!(
        post_stripe(&app, &refund, signed(&refund)).await.status(),
        200
    );
    let refunded = order_row(&app, &number).await;
    assert_eq!(
        (refunded.status.as_str(), refunded.payment_status.as_str()),
        ("cancelled", "refunded")
    );
}

#[tokio::test]
async fn the_reconciler_confirms_a_stripe_payment_whose_webhook_never_came() {
    let (app, fake) = stripe_app().await;
    let client = app.new_client();
    let placed = place(&app, &client, "stripe", "r1").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let settings = &app.state.settings;
    let run = || {
        app::server::payments::reconcile_pending(
            &app.state.db,
            app.state.cache.as_ref(),
            settings,
            chrono::Duration::zero(),
        )
    };
    assert_eq!(run().await.unwrap(), 0, "still open on Stripe");
    fake.succeed("pi_test_1");
    assert_eq!(run().await.unwrap(), 1);
    assert_eq!(order_row(&app, &number).await.status, "confirmed");
    assert_eq!(run().await.unwrap(), 0, "nothing left to do");
    assert_eq!(fake.intent("pi_test_1")["status"], "succeeded");
}

async fn midtrans_app() -> (TestApp, FakeMidtrans) {
    let (fake, base) = FakeMidtrans::start().await;
    let app = spawn_app_with(&[
        ("MIDTRANS_SERVER_KEY", MIDTRANS_SERVER_KEY.to_string()),
        ("MIDTRANS_CLIENT_KEY", MIDTRANS_CLIENT_KEY.to_string()),
        ("MIDTRANS_API_BASE", base.clone()),
        ("MIDTRANS_SNAP_BASE", base),
        ("PASAR_DEMO_GATEWAY", "on".to_string()),
    ])
    .await;
    (app, fake)
}

#[tokio::test]
async fn midtrans_snap_and_notifications_are_verified_and_confirmed_with_the_status_api() {
    let (app, fake) = midtrans_app().await;
    let client = app.new_client();
    let placed = place(&app, &client, "midtrans", "m1").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let total = placed["order"]["totals"]["grand_total"]["amount"]
        .as_i64()
        .unwrap();
    assert_eq!(placed["next"]["kind"], "midtrans");
    assert_eq!(placed["next"]["token"], format!("snap-token-{number}"));
    assert_eq!(placed["next"]["client_key"], MIDTRANS_CLIENT_KEY);

    // The Snap request: whole rupiah, our order number, items summing to the gross amount.
    let request = fake.requests.lock().unwrap()[0].clone();
    assert_eq!(request["transaction_details"]["order_id"], number.as_str());
    assert_eq!(request["transaction_details"]["gross_amount"], total);
    let sum: i64 = request["item_details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["price"].as_i64().unwrap() * i["quantity"].as_i64().unwrap())
        .sum();
    assert_eq!(sum, total);
    assert_eq!(request["customer_details"]["email"], "ayu@contoh.co.id");

    let notify = |body: Value| {
        let app_client = app.client.clone();
        let url = app.url("/webhooks/midtrans");
        async move {
            app_client
                .post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Unsigned: 400, nothing stored.
    assert_eq!(
        notify(fake.notification(&number, "settlement", false)).await,
        400
    );
    // Signed, claims settlement, but Midtrans says it is still pending: nothing changes.
    assert_eq!(
        notify(fake.notification(&number, "settlement", true)).await,
        200
    );
    assert_eq!(order_row(&app, &number).await.status, "pending");
    // Paid on Midtrans's side: the next notification confirms it.
    fake.set_status(&number, "settlement", None);
    assert_eq!(
        notify(fake.notification(&number, "settlement", true)).await,
        200
    );
    let paid = order_row(&app, &number).await;
    assert_eq!(
        (paid.status.as_str(), paid.payment_status.as_str()),
        ("confirmed", "paid")
    );
    assert_eq!(
        notify(fake.notification(&number, "settlement", true)).await,
        200,
        "duplicate"
    );
    let applied = payment_event::Entity::find()
        .filter(payment_event::Column::Outcome.eq("applied"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(applied.len(), 1, "applied once");
    // An expiry reported afterwards cannot move it back.
    fake.set_status(&number, "expire", None);
    assert_eq!(
        notify(fake.notification(&number, "expire", true)).await,
        200
    );
    assert_eq!(order_row(&app, &number).await.payment_status, "paid");
}

#[tokio::test]
async fn midtrans_amount_mismatches_are_rejected_and_missed_notifications_reconciled() {
    let (app, fake) = midtrans_app().await;
    let client = app.new_client();
    let placed = place(&app, &client, "midtrans", "m2").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    // Midtrans reports another amount (say, the transaction was edited): rejected.
    {
        let mut all = fake.transactions.lock().unwrap();
        all.get_mut(&number).unwrap()["gross_amount"] = json!("1000.00");
    }
    fake.set_status(&number, "settlement", None);
    let body = fake.notification(&number, "settlement", true);
    let status = app
        .client
        .post(app.url("/webhooks/midtrans"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
    assert_eq!(order_row(&app, &number).await.status, "pending");

    // Put the right amount back; no notification arrives, the reconciler asks and confirms.
    let total = placed["order"]["totals"]["grand_total"]["amount"]
        .as_i64()
        .unwrap();
    {
        let mut all = fake.transactions.lock().unwrap();
        all.get_mut(&number).unwrap()["gross_amount"] = json!(format!("{total}.00"));
    }
    let changed = app::server::payments::reconcile_pending(
        &app.state.db,
        app.state.cache.as_ref(),
        &app.state.settings,
        chrono::Duration::zero(),
    )
    .await
    .unwrap();
    assert_eq!(changed, 1);
    assert_eq!(order_row(&app, &number).await.status, "confirmed");
    let p = payment::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.status, "paid");
    // The demo gateway was forced on beside Midtrans; both are offered.
    assert_eq!(
        app.state.settings.payments.enabled,
        vec!["demo".to_string(), "midtrans".to_string()]
    );
}

async fn payment_of(app: &TestApp, number: &str) -> payment::Model {
    let order = order_row(app, number).await;
    payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order.id))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn reserved_units(app: &TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .state
        .db
        .query_one(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT CAST(COALESCE(SUM(reserved), 0) AS BIGINT) AS r FROM stock_levels",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "r").unwrap()
}

#[tokio::test]
async fn a_declined_card_keeps_the_order_open_and_the_same_intent_can_still_pay() {
    let (app, fake) = stripe_app().await;
    let client = app.new_client();
    let placed = place(&app, &client, "stripe", "dec1").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let secret = placed["next"]["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let total = placed["order"]["totals"]["grand_total"]["amount"]
        .as_i64()
        .unwrap();
    assert_eq!(reserved_units(&app).await, 2);

    let declined = stripe_event(
        "evt_decline",
        "payment_intent.payment_failed",
        "pi_test_1",
        total * 100,
    );
    assert_eq!(
        post_stripe(&app, &declined, signed(&declined))
            .await
            .status(),
        200
    );
    let order = order_row(&app, &number).await;
    assert_eq!(
        (order.status.as_str(), order.payment_status.as_str()),
        ("pending", "pending"),
        "a declined card is not the end of the order"
    );
    assert_eq!(reserved_units(&app).await, 2, "its stock stays held");
    let p = payment_of(&app, &number).await;
    assert_eq!(p.status, "pending");
    assert_eq!(p.failure_message, "Your card was declined.");
    let attempt = payment_event::Entity::find()
        .filter(payment_event::Column::EventId.eq("evt_decline"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(attempt.outcome, "applied", "the attempt is recorded");
    // The payment page mounts the same intent again, with the decline said.
    let key = order.access_token.clone();
    let page = client
        .get(app.url(&format!("/pay/{number}?key={key}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&secret), "same intent");
    assert!(
        page.contains("Your card was declined."),
        "the message shows"
    );
    // The reconciler sees the intent waiting for a payment method: also just an attempt.
    app::server::payments::reconcile_pending(
        &app.state.db,
        app.state.cache.as_ref(),
        &app.state.settings,
        chrono::Duration::zero(),
    )
    .await
    .unwrap();
    assert_eq!(order_row(&app, &number).await.status, "pending");

    // Another card in the same Payment Element succeeds.
    fake.succeed("pi_test_1");
    let paid = stripe_event(
        "evt_paid",
        "payment_intent.succeeded",
        "pi_test_1",
        total * 100,
    );
    assert_eq!(post_stripe(&app, &paid, signed(&paid)).await.status(), 200);
    let order = order_row(&app, &number).await;
    assert_eq!(
        (order.status.as_str(), order.payment_status.as_str()),
        ("confirmed", "paid")
    );
    assert_eq!(reserved_units(&app).await, 0, "sold once: nothing held");
    let sold = app::server::db::stock_movement::Entity::find()
        .filter(app::server::db::stock_movement::Column::Kind.eq("sell"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(sold.iter().map(|m| m.quantity).sum::<i32>(), 2);
    assert_eq!(payment_of(&app, &number).await.failure_message, "");
}

/// Posts a webhook the way a gateway does: until it is acknowledged (2xx) or refused (400).
async fn deliver(app: &TestApp, body: &str) -> u16 {
    for _ in 0..50 {
        let status = post_stripe(app, body, signed(body)).await.status().as_u16();
        if status < 500 && status != 404 {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("webhook never acknowledged");
}

#[tokio::test]
async fn racing_events_for_one_payment_never_lose_the_charge() {
    let (app, _fake) = stripe_app().await;
    let mut orders = Vec::new();
    for i in 0..12 {
        let client = app.new_client();
        let placed = place(&app, &client, "stripe", &format!("race{i}")).await;
        let number = placed["order"]["number"].as_str().unwrap().to_string();
        let total = placed["order"]["totals"]["grand_total"]["amount"]
            .as_i64()
            .unwrap();
        let intent = payment_of(&app, &number).await.gateway_ref.unwrap();
        orders.push((number, intent, total * 100));
    }
    // Per payment, a cancellation and a success arrive at the same moment: two writers read
    // the same pending payment; whichever commits second must still apply to what it finds.
    let mut racers = Vec::new();
    for (i, (_, intent, amount)) in orders.iter().enumerate() {
        let cancel = stripe_event(
            &format!("evt_c{i}"),
            "payment_intent.canceled",
            intent,
            *amount,
        );
        let success = stripe_event(
            &format!("evt_s{i}"),
            "payment_intent.succeeded",
            intent,
            *amount,
        );
        let app = &app;
        racers.push(async move {
            let (a, b) = tokio::join!(deliver(app, &cancel), deliver(app, &success));
            assert_eq!((a, b), (200, 200));
        });
    }
    futures::future::join_all(racers).await;
    for (number, _, _) in &orders {
        let p = payment_of(&app, number).await;
        assert_eq!(p.status, "paid", "{number}: the charge is recorded");
        let order = order_row(&app, number).await;
        assert_eq!(order.payment_status, "paid", "{number}");
        assert!(
            matches!(order.status.as_str(), "confirmed" | "cancelled"),
            "{number}: {}",
            order.status
        );
    }
    assert_eq!(reserved_units(&app).await, 0, "nothing left held");
}

#[tokio::test]
async fn an_event_for_an_unknown_payment_is_not_acknowledged_or_stored() {
    let (app, _fake) = stripe_app().await;
    let body = stripe_event(
        "evt_unknown",
        "payment_intent.succeeded",
        "pi_nobody",
        100_000,
    );
    let res = post_stripe(&app, &body, signed(&body)).await;
    assert_eq!(res.status(), 404, "the gateway retries");
    assert!(payment_event::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .is_empty());
}

async fn expire_at(app: &TestApp, minutes_from_now: i64) -> u64 {
    app::server::orders::expire_overdue(
        &app.state.db,
        app.state.cache.as_ref(),
        &app.state.settings,
        chrono::Utc::now() + chrono::Duration::minutes(minutes_from_now),
    )
    .await
    .unwrap()
}

/// Takes away every unit of the order's products (sold elsewhere meanwhile).
async fn sell_out(app: &TestApp, number: &str) {
    use sea_orm::ConnectionTrait;
    let order = order_row(app, number).await;
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE stock_levels SET on_hand = reserved WHERE variant_id IN \
             (SELECT variant_id FROM order_items WHERE order_id = {})",
            order.id
        ))
        .await
        .unwrap();
}

#[tokio::test]
async fn expiry_asks_stripe_first_and_cancels_the_intent_of_an_unpaid_order() {
    let (app, fake) = stripe_app().await;
    let unpaid = place(&app, &app.new_client(), "stripe", "x1").await;
    let unpaid = unpaid["order"]["number"].as_str().unwrap().to_string();
    let paid = place(&app, &app.new_client(), "stripe", "x2").await;
    let paid = paid["order"]["number"].as_str().unwrap().to_string();
    // The second shopper paid, but the webhook never came.
    fake.succeed("pi_test_2");
    assert_eq!(expire_at(&app, 61).await, 1, "only the unpaid one expires");
    assert_eq!(order_row(&app, &unpaid).await.status, "expired");
    assert_eq!(
        fake.intent("pi_test_1")["status"],
        "canceled",
        "closed on Stripe too"
    );
    let confirmed = order_row(&app, &paid).await;
    assert_eq!(
        (confirmed.status.as_str(), confirmed.payment_status.as_str()),
        ("confirmed", "paid"),
        "confirmed instead of expired"
    );
    assert_eq!(reserved_units(&app).await, 0);
}

#[tokio::test]
async fn late_stripe_money_for_a_sold_out_order_goes_back_through_stripe() {
    let (app, fake) = stripe_app().await;
    let placed = place(&app, &app.new_client(), "stripe", "late1").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let total = placed["order"]["totals"]["grand_total"]["amount"]
        .as_i64()
        .unwrap();
    assert_eq!(expire_at(&app, 61).await, 1);
    sell_out(&app, &number).await;
    // The shopper's card went through just as the order expired.
    fake.succeed("pi_test_1");
    let body = stripe_event(
        "evt_late",
        "payment_intent.succeeded",
        "pi_test_1",
        total * 100,
    );
    assert_eq!(post_stripe(&app, &body, signed(&body)).await.status(), 200);
    let order = order_row(&app, &number).await;
    assert_eq!(
        (order.status.as_str(), order.payment_status.as_str()),
        ("expired", "paid")
    );
    let refunds = fake.refunds.lock().unwrap().clone();
    assert_eq!(refunds.len(), 1, "refunded through Stripe at once");
    assert_eq!(refunds[0]["payment_intent"], "pi_test_1");
    assert_eq!(refunds[0]["amount"], (total * 100).to_string());
    assert_eq!(refunds[0]["idempotency_key"], "pasar-refund-1");
    let r = app::server::db::refund::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.status.as_str(), r.gateway_ref.as_deref()),
        ("issued", Some("re_test_1"))
    );
    // The same event again changes nothing and refunds nothing more.
    assert_eq!(post_stripe(&app, &body, signed(&body)).await.status(), 200);
    assert_eq!(fake.refunds.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn midtrans_holds_follow_the_method_and_late_bank_transfers_wait_for_staff() {
    let (app, fake) = midtrans_app().await;
    let client = app.new_client();
    let placed = place(&app, &client, "midtrans", "mh1").await;
    let number = placed["order"]["number"].as_str().unwrap().to_string();
    let order = order_row(&app, &number).await;
    // Midtrans takes virtual accounts and convenience stores: a day's hold (Leptos.toml), and
    // Snap's own expiry ends with it.
    let held = order.expires_at.unwrap() - order.created_at;
    assert_eq!(held.num_minutes(), 1440);
    let request = fake.requests.lock().unwrap()[0].clone();
    assert_eq!(request["expiry"]["unit"], "minute");
    assert_eq!(request["expiry"]["duration"], 1440);
    let start = request["expiry"]["start_time"].as_str().unwrap();
    assert!(start.ends_with(" +0700"), "{start}");

    assert_eq!(expire_at(&app, 61).await, 0, "not after an hour");
    assert_eq!(expire_at(&app, 1441).await, 1);
    assert_eq!(
        fake.transactions.lock().unwrap()[&number]["transaction_status"],
        "expire",
        "expired on Midtrans too"
    );

    // A bank transfer that still settles (a race with the expiry), its stock gone meanwhile.
    sell_out(&app, &number).await;
    fake.set_status(&number, "settlement", None);
    fake.set_payment_type(&number, "bank_transfer");
    let status = app
        .client
        .post(app.url("/webhooks/midtrans"))
        .json(&fake.notification(&number, "settlement", true))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 200);
    assert_eq!(order_row(&app, &number).await.payment_status, "paid");
    assert!(
        fake.refunds.lock().unwrap().is_empty(),
        "Midtrans cannot refund a transfer"
    );
    let r = app::server::db::refund::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (r.status.as_str(), r.channel.as_str()),
        ("manual", "bank_transfer")
    );

    // Staff see it and mark it done once they sent the money.
    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    let page = staff
        .get(app.url("/admin/refunds"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Needs a bank refund"));
    assert!(page.contains(&number));
    let action = crate::common::form_action(&page, "admin_mark_refund_done");
    let res = staff
        .post(app.url(&action))
        .header("accept", "text/html")
        .form(&[
            ("id", r.id.to_string()),
            ("note", "BCA transfer, ref 0931".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    let r = app::server::db::refund::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, "done");
    assert_eq!(r.note, "BCA transfer, ref 0931");
    assert!(r.resolved_by.is_some());
}
