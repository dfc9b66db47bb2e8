//! Midtrans Snap: one transaction per order (GoPay, OVO, DANA, QRIS, bank transfer/VA,
//! Alfamart/Indomaret are chosen on Midtrans's own page), the status API to confirm every
//! notification before acting (its signature does not cover `transaction_status`), and the
//! mapping of Midtrans statuses to ours. The server key goes as HTTP Basic auth; sandbox or
//! production base URLs come from the settings.
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde_json::json;

use super::{
    amounts::{midtrans_gross_amount, midtrans_order_id, parse_midtrans_amount},
    signatures::verify_midtrans_signature,
    GatewayEvent, PaymentError,
};
use crate::{
    model::{AddressInput, Currency},
    server::{
        config::Settings,
        db::{order, order_item},
    },
};

pub const GATEWAY: &str = "midtrans";

fn server_key(settings: &Settings) -> Result<String, PaymentError> {
    settings
        .payments
        .midtrans_server_key
        .as_ref()
        .map(|k| k.expose_secret().to_string())
        .ok_or_else(|| PaymentError::Unavailable("Midtrans".into()))
}

fn http() -> Result<reqwest::Client, PaymentError> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(|e| PaymentError::Gateway(e.to_string()))
}

/// What Snap answers: the token for the popup and the page to redirect to instead.
#[derive(Debug, Clone, Deserialize)]
pub struct SnapTransaction {
    pub token: String,
    pub redirect_url: String,
}

/// The Snap `item_details`: the order's lines, then shipping and, when prices exclude tax,
/// PPN, so they add up to `gross_amount` exactly (Midtrans refuses them otherwise).
pub fn item_details(order: &order::Model, items: &[order_item::Model]) -> Vec<serde_json::Value> {
    let mut lines: Vec<serde_json::Value> = items
        .iter()
        .map(|i| {
            json!({
                "id": i.sku,
                "price": i.unit_price,
                "quantity": i.quantity,
                // Midtrans cuts names at 50 characters.
                "name": i.name.chars().take(50).collect::<String>(),
            })
        })
        .collect();
    if order.shipping_total > 0 {
        lines.push(json!({ "id": "SHIPPING", "price": order.shipping_total, "quantity": 1, "name": "Ongkos kirim" }));
    }
    let on_top = order.grand_total - order.subtotal - order.shipping_total;
    if on_top != 0 {
        lines.push(json!({ "id": "PPN", "price": on_top, "quantity": 1, "name": "PPN" }));
    }
    lines
}

/// The Snap `expiry`: from the order's creation (Jakarta time, as Midtrans wants it) for the
/// whole minutes until the order expires, so it ends no later than the order does.
pub fn snap_expiry(order: &order::Model) -> serde_json::Value {
    let jakarta = chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    let minutes = order
        .expires_at
        .map(|end| (end - order.created_at).num_minutes())
        .unwrap_or(60)
        .max(1);
    json!({
        "start_time": order.created_at.with_timezone(&jakarta).format("%Y-%m-%d %H:%M:%S %z").to_string(),
        "unit": "minute",
        "duration": minutes,
    })
}

/// Midtrans `payment_type`s whose money its refund API can send back (cards and e-wallets);
/// bank transfers, virtual accounts and convenience-store payments need a bank refund by hand.
pub fn refundable_by_api(payment_type: &str) -> bool {
    matches!(
        payment_type,
        "credit_card" | "gopay" | "shopeepay" | "qris" | "dana" | "ovo"
    )
}

/// POSTs to a Core API action on one transaction (`expire`, `refund`).
async fn transaction_action(
    settings: &Settings,
    order_id: &str,
    action: &str,
    body: Option<serde_json::Value>,
) -> Result<serde_json::Value, PaymentError> {
    let key = server_key(settings)?;
    let order_id = midtrans_order_id(order_id).map_err(|e| PaymentError::Gateway(e.to_string()))?;
    let mut req = http()?
        .post(format!(
            "{}/v2/{order_id}/{action}",
            settings.payments.midtrans_api_base.trim_end_matches('/')
        ))
        .basic_auth(key, Some(""))
        .header("Accept", "application/json");
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req
        .send()
        .await
        .map_err(|e| PaymentError::Gateway(e.without_url().to_string()))?;
    let http_status = res.status();
    let answer: serde_json::Value = res.json().await.unwrap_or_default();
    // Midtrans puts the outcome in `status_code` (HTTP 200 can still carry a refusal).
    let code = answer["status_code"].as_str().unwrap_or("");
    if !http_status.is_success() || !code.starts_with('2') {
        return Err(PaymentError::Gateway(format!(
            "Midtrans refused {action}: {} {}",
            if code.is_empty() {
                http_status.as_str()
            } else {
                code
            },
            answer["status_message"].as_str().unwrap_or("")
        )));
    }
    Ok(answer)
}

/// Closes a pending transaction on Midtrans's side (the order expired here).
pub async fn expire(settings: &Settings, order_id: &str) -> Result<(), PaymentError> {
    transaction_action(settings, order_id, "expire", None)
        .await
        .map(|_| ())
}

/// Sends `amount` back; `refund_key` makes a retry the same refund. Returns Midtrans's refund id.
pub async fn refund(
    settings: &Settings,
    order_id: &str,
    refund_key: &str,
    amount: i64,
    reason: &str,
) -> Result<String, PaymentError> {
    let answer = transaction_action(
        settings,
        order_id,
        "refund",
        Some(json!({ "refund_key": refund_key, "amount": amount, "reason": reason })),
    )
    .await?;
    Ok(answer["refund_key"]
        .as_str()
        .unwrap_or(refund_key)
        .to_string())
}

/// Creates the Snap transaction for an order.
pub async fn create_transaction(
    settings: &Settings,
    order: &order::Model,
    items: &[order_item::Model],
    finish_url: &str,
) -> Result<SnapTransaction, PaymentError> {
    let key = server_key(settings)?;
    let currency = Currency::parse(&order.currency).unwrap_or(Currency::Idr);
    let details = item_details(order, items);
    let sums: Vec<(i64, i64)> = details
        .iter()
        .map(|d| {
            (
                d["price"].as_i64().unwrap_or(0),
                d["quantity"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let gross = midtrans_gross_amount(order.grand_total, currency, &sums)
        .map_err(|e| PaymentError::Gateway(e.to_string()))?;
    let order_id =
        midtrans_order_id(&order.number).map_err(|e| PaymentError::Gateway(e.to_string()))?;
    let address: AddressInput = serde_json::from_str(&order.shipping_address).unwrap_or_default();
    let shipping_address = json!({
        "first_name": address.recipient,
        "phone": address.phone,
        "address": format!("{}, Kec. {}", address.street, address.district),
        "city": address.city,
        "postal_code": address.postal_code,
        "country_code": "IDN",
    });
    let body = json!({
        "transaction_details": { "order_id": order_id, "gross_amount": gross },
        "item_details": details,
        "customer_details": {
            "first_name": address.recipient,
            "email": order.email,
            "phone": address.phone,
            "shipping_address": shipping_address,
        },
        "callbacks": { "finish": finish_url },
        // Snap closes the transaction no later than the order gives its stock back, so no
        // payment can start on Midtrans's side for an order that is already closed.
        "expiry": snap_expiry(order),
    });
    let res = http()?
        .post(format!(
            "{}/snap/v1/transactions",
            settings.payments.midtrans_snap_base.trim_end_matches('/')
        ))
        .basic_auth(key, Some(""))
        .header("Accept", "application/json")
        .json(&body)
        .send()
        .await
        .map_err(|e| PaymentError::Gateway(e.without_url().to_string()))?;
    if !res.status().is_success() {
        return Err(PaymentError::Gateway(format!(
            "Midtrans answered {}",
            res.status()
        )));
    }
    res.json()
        .await
        .map_err(|e| PaymentError::Gateway(format!("unexpected Snap answer: {e}")))
}

/// A transaction's state as Midtrans reports it (notification or status API).
#[derive(Debug, Clone, Deserialize)]
pub struct Notification {
    pub order_id: String,
    pub status_code: String,
    pub gross_amount: String,
    #[serde(default)]
    pub signature_key: Option<String>,
    pub transaction_status: String,
    #[serde(default)]
    pub fraud_status: Option<String>,
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub status_message: Option<String>,
    /// How the shopper paid: `credit_card`, `gopay`, `qris`, `bank_transfer`, `cstore`…
    #[serde(default)]
    pub payment_type: Option<String>,
    /// On a refunded transaction: how much has been refunded in all.
    #[serde(default)]
    pub refund_amount: Option<String>,
}

/// Our payment status for a Midtrans transaction status; `None` while it is still open
/// (`pending`, or a card capture Midtrans is still reviewing for fraud).
pub fn map_status(transaction_status: &str, fraud_status: Option<&str>) -> Option<&'static str> {
    match (transaction_status, fraud_status) {
        ("capture", Some("accept") | None) => Some("paid"),
        ("capture", Some("deny")) => Some("failed"),
        ("capture", _) => None,
        ("settlement", _) => Some("paid"),
        ("deny" | "failure", _) => Some("failed"),
        ("cancel", _) => Some("cancelled"),
        ("expire", _) => Some("expired"),
        ("refund", _) => Some("refunded"),
        ("partial_refund", _) => Some("partially_refunded"),
        _ => None,
    }
}

/// Asks Midtrans for the current state of an order's transaction.
pub async fn status(settings: &Settings, order_id: &str) -> Result<Notification, PaymentError> {
    let key = server_key(settings)?;
    let order_id = midtrans_order_id(order_id).map_err(|e| PaymentError::Gateway(e.to_string()))?;
    let res = http()?
        .get(format!(
            "{}/v2/{order_id}/status",
            settings.payments.midtrans_api_base.trim_end_matches('/')
        ))
        .basic_auth(key, Some(""))
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| PaymentError::Gateway(e.without_url().to_string()))?;
    if !res.status().is_success() {
        return Err(PaymentError::Gateway(format!(
            "Midtrans answered {}",
            res.status()
        )));
    }
    res.json()
        .await
        .map_err(|e| PaymentError::Gateway(format!("unexpected status answer: {e}")))
}

/// Why a notification was not acted on.
#[derive(Debug, thiserror::Error)]
pub enum NotificationError {
    #[error("bad or missing signature")]
    Signature,
    #[error("malformed notification: {0}")]
    Malformed(String),
    #[error(transparent)]
    Gateway(#[from] PaymentError),
}

/// A notification body, verified by its signature and then confirmed by the status API: the
/// event carries the status Midtrans reports now, not the one the body claims.
pub async fn verified_event(
    settings: &Settings,
    payload: &str,
) -> Result<GatewayEvent, NotificationError> {
    let note: Notification =
        serde_json::from_str(payload).map_err(|e| NotificationError::Malformed(e.to_string()))?;
    let key = server_key(settings)?;
    verify_midtrans_signature(
        &note.order_id,
        &note.status_code,
        &note.gross_amount,
        &key,
        note.signature_key.as_deref(),
    )
    .map_err(|_| NotificationError::Signature)?;
    let confirmed = status(settings, &note.order_id).await?;
    Ok(to_event(confirmed, payload))
}

/// A status report as a gateway event. Midtrans sends no event id; the transaction, its status
/// and amount identify one, so a repeated notification of the same state is a duplicate.
pub fn to_event(report: Notification, payload: &str) -> GatewayEvent {
    let fraud = report.fraud_status.clone();
    GatewayEvent {
        gateway: GATEWAY.into(),
        // Each partial refund changes the refunded sum, so it is a new event.
        event_id: format!(
            "{}:{}:{}:{}{}",
            report
                .transaction_id
                .clone()
                .unwrap_or_else(|| report.order_id.clone()),
            report.transaction_status,
            fraud.as_deref().unwrap_or("-"),
            report.gross_amount,
            report
                .refund_amount
                .as_deref()
                .map(|r| format!(":{r}"))
                .unwrap_or_default()
        ),
        kind: report.transaction_status.clone(),
        payment_ref: report.order_id.clone(),
        channel: report.payment_type.clone().unwrap_or_default(),
        status: map_status(&report.transaction_status, fraud.as_deref()).map(str::to_string),
        // An amount with cents can never match a rupiah order: reject it.
        amount: Some(parse_midtrans_amount(&report.gross_amount).unwrap_or(-1)),
        currency: Some(report.currency.clone().unwrap_or_else(|| "IDR".into())),
        refunded: report
            .refund_amount
            .as_deref()
            .and_then(parse_midtrans_amount),
        message: match report.transaction_status.as_str() {
            "deny" | "failure" => "The payment was refused by the bank or Midtrans.".into(),
            "expire" => "The payment was not completed in time.".into(),
            "cancel" => "The payment was cancelled.".into(),
            _ => String::new(),
        },
        payload: payload.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_maps() {
        assert_eq!(map_status("capture", Some("accept")), Some("paid"));
        assert_eq!(map_status("capture", Some("challenge")), None);
        assert_eq!(map_status("capture", Some("deny")), Some("failed"));
        assert_eq!(map_status("settlement", None), Some("paid"));
        assert_eq!(map_status("pending", None), None);
        assert_eq!(map_status("deny", None), Some("failed"));
        assert_eq!(map_status("cancel", None), Some("cancelled"));
        assert_eq!(map_status("expire", None), Some("expired"));
        assert_eq!(map_status("refund", None), Some("refunded"));
        assert_eq!(
            map_status("partial_refund", None),
            Some("partially_refunded")
        );
        assert_eq!(map_status("failure", None), Some("failed"));
    }
}
