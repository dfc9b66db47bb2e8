//! Local HTTP servers that play Stripe and Midtrans for the tests, speaking the documented
//! request and response shapes, so the shop's real client code (async-stripe, reqwest) runs.
//! They check what the real gateways check (auth, idempotency keys, item sums) and let a test
//! move a payment the way a shopper paying on the gateway's side would.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use base64::Engine;
use serde_json::{json, Value};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// Stripe's PaymentIntents API (`/v1/payment_intents`), form-encoded requests, Bearer auth.
#[derive(Clone, Default)]
pub struct FakeStripe {
    pub intents: Arc<Mutex<HashMap<String, Value>>>,
    /// Idempotency-Key → intent id.
    pub keys: Arc<Mutex<HashMap<String, String>>>,
    /// Every create request's form fields.
    pub creates: Arc<Mutex<Vec<HashMap<String, String>>>>,
    /// Every refund created: its form fields.
    pub refunds: Arc<Mutex<Vec<HashMap<String, String>>>>,
}

pub const STRIPE_SECRET: &str = "sk_test_pasar";
pub const STRIPE_WEBHOOK_SECRET: &str = "whsec_pasar_test";

impl FakeStripe {
    pub async fn start() -> (FakeStripe, String) {
        let fake = FakeStripe::default();
        let router = Router::new()
            .route("/v1/payment_intents", post(stripe_create))
            .route("/v1/payment_intents/{id}", get(stripe_retrieve))
            .route("/v1/payment_intents/{id}/cancel", post(stripe_cancel))
            .route("/v1/refunds", post(stripe_refund))
            .with_state(fake.clone());
        (fake, serve(router).await)
    }

    /// The shopper paid on Stripe's side.
    pub fn succeed(&self, id: &str) {
        let mut intents = self.intents.lock().unwrap();
        let intent = intents.get_mut(id).expect("known intent");
        intent["status"] = json!("succeeded");
        intent["amount_received"] = intent["amount"].clone();
    }

    pub fn intent(&self, id: &str) -> Value {
        self.intents.lock().unwrap()[id].clone()
    }
}

fn stripe_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "type": "invalid_request_error", "message": message } })),
    )
        .into_response()
}

async fn stripe_create(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {STRIPE_SECRET}"))
    {
        return stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(key) = &key {
        if let Some(id) = fake.keys.lock().unwrap().get(key) {
            return Json(fake.intents.lock().unwrap()[id].clone()).into_response();
        }
    }
    let Some(amount) = form.get("amount").and_then(|a| a.parse::<i64>().ok()) else {
        return stripe_error(StatusCode::BAD_REQUEST, "Missing required param: amount.");
    };
    let Some(currency) = form.get("currency").cloned() else {
        return stripe_error(StatusCode::BAD_REQUEST, "Missing required param: currency.");
    };
    fake.creates.lock().unwrap().push(form.clone());
    let n = fake.intents.lock().unwrap().len() + 1;
    let id = format!("pi_test_{n}");
    let metadata: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("metadata[")
                .and_then(|k| k.strip_suffix(']'))
                .map(|k| (k.to_string(), json!(v)))
        })
        .collect();
    // The documented PaymentIntent object (the fields every intent carries).
    let intent = json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "capture_method": "automatic",
        "client_secret": format!("{id}_secret_test"),
        "confirmation_method": "automatic",
        "created": 1_764_000_000,
        "currency": currency,
        "description": form.get("description"),
        "livemode": false,
        "metadata": metadata,
        "payment_method_types": ["card"],
        "status": "requires_payment_method",
        "receipt_email": form.get("receipt_email"),
    });
    fake.intents
        .lock()
        .unwrap()
        .insert(id.clone(), intent.clone());
    if let Some(key) = key {
        fake.keys.lock().unwrap().insert(key, id);
    }
    Json(intent).into_response()
}

async fn stripe_retrieve(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if headers.get("authorization").and_then(|v| v.to_str().ok())
        != Some(&format!("Bearer {STRIPE_SECRET}"))
    {
        return stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    match fake.intents.lock().unwrap().get(&id) {
        Some(intent) => Json(intent.clone()).into_response(),
        None => stripe_error(StatusCode::NOT_FOUND, "No such payment_intent"),
    }
}

fn stripe_authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {STRIPE_SECRET}"))
}

/// `POST /v1/payment_intents/{id}/cancel`: only an intent that has not succeeded.
async fn stripe_cancel(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !stripe_authorized(&headers) {
        return stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    let mut intents = fake.intents.lock().unwrap();
    let Some(intent) = intents.get_mut(&id) else {
        return stripe_error(StatusCode::NOT_FOUND, "No such payment_intent");
    };
    if intent["status"] == "succeeded" || intent["status"] == "canceled" {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "You cannot cancel this PaymentIntent because it has a status of succeeded.",
        );
    }
    intent["status"] = json!("canceled");
    Json(intent.clone()).into_response()
}

/// `POST /v1/refunds`: refunds a succeeded intent, once per idempotency key.
async fn stripe_refund(
    State(fake): State<FakeStripe>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !stripe_authorized(&headers) {
        return stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    let mut form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let intent_id = form.get("payment_intent").cloned().unwrap_or_default();
    let intent = fake.intents.lock().unwrap().get(&intent_id).cloned();
    let Some(intent) = intent else {
        return stripe_error(StatusCode::NOT_FOUND, "No such payment_intent");
    };
    if intent["status"] != "succeeded" {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "This PaymentIntent has no successful charge to refund.",
        );
    }
    if let Some(key) = headers.get("idempotency-key").and_then(|v| v.to_str().ok()) {
        form.insert("idempotency_key".into(), key.to_string());
    }
    let mut refunds = fake.refunds.lock().unwrap();
    let id = format!("re_test_{}", refunds.len() + 1);
    let amount = form
        .get("amount")
        .and_then(|a| a.parse::<i64>().ok())
        .unwrap_or_else(|| intent["amount"].as_i64().unwrap_or(0));
    refunds.push(form);
    Json(json!({
        "id": id, "object": "refund", "amount": amount, "created": 1_764_000_100,
        "currency": intent["currency"], "payment_intent": intent_id, "status": "succeeded",
    }))
    .into_response()
}

/// Midtrans Snap (`/snap/v1/transactions`) and the Core status API (`/v2/{order}/status`),
/// JSON with the server key as HTTP Basic auth.
#[derive(Clone, Default)]
pub struct FakeMidtrans {
    pub transactions: Arc<Mutex<HashMap<String, Value>>>,
    pub requests: Arc<Mutex<Vec<Value>>>,
    /// Refund requests: (order id, body).
    pub refunds: Arc<Mutex<Vec<(String, Value)>>>,
}

pub const MIDTRANS_SERVER_KEY: &str = "SB-Mid-server-pasar";
pub const MIDTRANS_CLIENT_KEY: &str = "SB-Mid-client-pasar";

fn midtrans_auth_ok(headers: &HeaderMap) -> bool {
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{MIDTRANS_SERVER_KEY}:"))
    );
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(expected.as_str())
}

impl FakeMidtrans {
    pub async fn start() -> (FakeMidtrans, String) {
        let fake = FakeMidtrans::default();
        let router = Router::new()
            .route("/snap/v1/transactions", post(snap_create))
            .route("/v2/{order_id}/status", get(midtrans_status))
            .route("/v2/{order_id}/expire", post(midtrans_expire))
            .route("/v2/{order_id}/refund", post(midtrans_refund))
            .with_state(fake.clone());
        (fake, serve(router).await)
    }

    /// The shopper's payment moved on Midtrans's side.
    pub fn set_status(&self, order_id: &str, transaction_status: &str, fraud: Option<&str>) {
        let mut all = self.transactions.lock().unwrap();
        let tx = all.get_mut(order_id).expect("known transaction");
        tx["transaction_status"] = json!(transaction_status);
        tx["fraud_status"] = json!(fraud);
        tx["status_code"] = json!(match transaction_status {
            "settlement" | "capture" => "200",
            "pending" => "201",
            "deny" => "202",
            _ => "407",
        });
    }

    /// How the shopper paid on Midtrans's page (`gopay` unless set).
    pub fn set_payment_type(&self, order_id: &str, payment_type: &str) {
        let mut all = self.transactions.lock().unwrap();
        all.get_mut(order_id).expect("known transaction")["payment_type"] = json!(payment_type);
    }

    /// A notification as Midtrans posts it, signed with the server key (or not, when `sign`
    /// is false), claiming `claimed_status`.
    pub fn notification(&self, order_id: &str, claimed_status: &str, sign: bool) -> Value {
        let tx = self.transactions.lock().unwrap()[order_id].clone();
        let gross = tx["gross_amount"].as_str().unwrap().to_string();
        let status_code = "200";
        let signature = if sign {
            app::server::payments::signatures::midtrans_signature(
                order_id,
                status_code,
                &gross,
                MIDTRANS_SERVER_KEY,
            )
        } else {
            "0".repeat(128)
        };
        json!({
            "transaction_time": "2026-11-26 10:00:00",
            "transaction_status": claimed_status,
            "transaction_id": tx["transaction_id"],
            "status_message": "midtrans payment notification",
            "status_code": status_code,
            "signature_key": signature,
            "payment_type": "gopay",
            "order_id": order_id,
            "merchant_id": "G000000000",
            "gross_amount": gross,
            "fraud_status": "accept",
            "currency": "IDR"
        })
    }
}

async fn snap_create(
    State(fake): State<FakeMidtrans>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !midtrans_auth_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error_messages": ["Access denied due to unauthorized transaction"] })),
        )
            .into_response();
    }
    fake.requests.lock().unwrap().push(body.clone());
    let order_id = body["transaction_details"]["order_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let gross = body["transaction_details"]["gross_amount"]
        .as_i64()
        .unwrap_or(-1);
    let sum: i64 = body["item_details"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| i["price"].as_i64().unwrap_or(0) * i["quantity"].as_i64().unwrap_or(0))
                .sum()
        })
        .unwrap_or(gross);
    if sum != gross {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error_messages": ["transaction_details.gross_amount is not equal to the sum of item_details"] })),
        )
            .into_response();
    }
    if order_id.is_empty()
        || order_id.len() > 50
        || fake.transactions.lock().unwrap().contains_key(&order_id)
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error_messages": ["transaction_details.order_id has already been taken"] })),
        )
            .into_response();
    }
    let token = format!("snap-token-{order_id}");
    fake.transactions.lock().unwrap().insert(
        order_id.clone(),
        json!({
            "order_id": order_id,
            "transaction_id": format!("tx-{order_id}"),
            "gross_amount": format!("{gross}.00"),
            "currency": "IDR",
            "transaction_status": "pending",
            "fraud_status": null,
            "status_code": "201",
            "payment_type": "gopay",
        }),
    );
    (
        StatusCode::CREATED,
        Json(json!({
            "token": token,
            "redirect_url": format!("https://app.sandbox.midtrans.com/snap/v4/redirection/{token}"),
        })),
    )
        .into_response()
}

async fn midtrans_status(
    State(fake): State<FakeMidtrans>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
) -> Response {
    if !midtrans_auth_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "status_code": "401" })),
        )
            .into_response();
    }
    match fake.transactions.lock().unwrap().get(&order_id) {
        Some(tx) => {
            let mut report = tx.clone();
            report["signature_key"] = json!(app::server::payments::signatures::midtrans_signature(
                &order_id,
                tx["status_code"].as_str().unwrap_or_default(),
                tx["gross_amount"].as_str().unwrap_or_default(),
                MIDTRANS_SERVER_KEY,
            ));
            report["status_message"] = json!("Success, transaction is found");
            Json(report).into_response()
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({ "status_code": "404", "status_message": "Transaction doesn't exist." })),
        )
            .into_response(),
    }
}

/// `POST /v2/{order_id}/expire`: a pending transaction becomes `expire`; anything else is
/// refused with Midtrans's 412 in the body.
async fn midtrans_expire(
    State(fake): State<FakeMidtrans>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
) -> Response {
    if !midtrans_auth_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "status_code": "401" })),
        )
            .into_response();
    }
    let mut all = fake.transactions.lock().unwrap();
    let Some(tx) = all.get_mut(&order_id) else {
        return Json(
            json!({ "status_code": "404", "status_message": "Transaction doesn't exist." }),
        )
        .into_response();
    };
    if tx["transaction_status"] != "pending" {
        return Json(json!({ "status_code": "412", "status_message": "Merchant cannot modify the status of the transaction" })).into_response();
    }
    tx["transaction_status"] = json!("expire");
    tx["status_code"] = json!("407");
    Json(json!({ "status_code": "407", "status_message": "Success, transaction is expired", "order_id": order_id, "transaction_status": "expire" })).into_response()
}

/// `POST /v2/{order_id}/refund`: settled card and e-wallet payments only, as Midtrans allows.
async fn midtrans_refund(
    State(fake): State<FakeMidtrans>,
    headers: HeaderMap,
    Path(order_id): Path<String>,
    Json(body): Json<Value>,
) -> Response {
    if !midtrans_auth_ok(&headers) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "status_code": "401" })),
        )
            .into_response();
    }
    let all = fake.transactions.lock().unwrap();
    let Some(tx) = all.get(&order_id) else {
        return Json(
            json!({ "status_code": "404", "status_message": "Transaction doesn't exist." }),
        )
        .into_response();
    };
    let refundable = matches!(
        tx["transaction_status"].as_str(),
        Some("settlement" | "capture")
    ) && matches!(
        tx["payment_type"].as_str(),
        Some("credit_card" | "gopay" | "shopeepay" | "qris" | "dana" | "ovo")
    );
    if !refundable {
        return Json(json!({ "status_code": "412", "status_message": "Transaction status cannot be updated." })).into_response();
    }
    fake.refunds
        .lock()
        .unwrap()
        .push((order_id.clone(), body.clone()));
    Json(json!({
        "status_code": "200", "status_message": "Success, refund request is approved",
        "order_id": order_id, "refund_key": body["refund_key"], "refund_amount": body["amount"],
    }))
    .into_response()
}
