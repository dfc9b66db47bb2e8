//! Stripe Payment Intents through `async-stripe`: create an intent per order (idempotent on
//! Stripe's side too), read it back for the reconciler, and turn webhook events into gateway
//! events. Card data never reaches us: the browser mounts Stripe's Payment Element with the
//! intent's client secret.
use secrecy::ExposeSecret;
use serde::Deserialize;
use stripe_client_core::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::{
    payment_intent::{
        CancelPaymentIntent, CreatePaymentIntent, CreatePaymentIntentAutomaticPaymentMethods,
        RetrievePaymentIntent,
    },
    refund::CreateRefund,
};

use super::{
    amounts::{from_stripe_amount, stripe_amount, stripe_currency},
    GatewayEvent, PaymentError,
};
use crate::{
    model::Currency,
    server::{config::Settings, db::order},
};

pub const GATEWAY: &str = "stripe";

fn client(settings: &Settings) -> Result<stripe::Client, PaymentError> {
    let key = settings
        .payments
        .stripe_secret_key
        .as_ref()
        .ok_or_else(|| PaymentError::Unavailable("Stripe".into()))?;
    let base = format!(
        "{}/",
        settings.payments.stripe_api_base.trim_end_matches('/')
    );
    stripe::ClientBuilder::new(key.expose_secret())
        .url(base)
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(|e| PaymentError::Gateway(e.to_string()))
}

/// A PaymentIntent as far as we need it.
pub struct Intent {
    pub id: String,
    pub client_secret: String,
    /// Our status it maps to, if it changes anything.
    pub status: Option<&'static str>,
    pub amount: Option<i64>,
    pub currency: String,
    pub failure: String,
}

fn currency_of(order: &order::Model) -> Currency {
    Currency::parse(&order.currency).unwrap_or(Currency::Idr)
}

/// Creates the order's PaymentIntent. Stripe's idempotency key is derived from the order, so a
/// retry after a timeout returns the same intent rather than a second one.
pub async fn create_intent(
    settings: &Settings,
    order: &order::Model,
) -> Result<Intent, PaymentError> {
    let client = client(settings)?;
    let currency = currency_of(order);
    let amount = stripe_amount(order.grand_total, currency)
        .map_err(|e| PaymentError::Gateway(e.to_string()))?;
    let stripe_currency: stripe_types::Currency = stripe_currency(currency)
        .parse()
        .map_err(|_| PaymentError::Gateway("currency".into()))?;
    let key = IdempotencyKey::new(format!("pasar-order-{}", order.number))
        .map_err(|e| PaymentError::Gateway(e.to_string()))?;
    let intent = CreatePaymentIntent::new(amount, stripe_currency)
        .automatic_payment_methods(CreatePaymentIntentAutomaticPaymentMethods::new(true))
        .description(format!("Order {}", order.number))
        .receipt_email(order.email.clone())
        .metadata([
            ("order_id".to_string(), order.id.to_string()),
            ("order_number".to_string(), order.number.clone()),
        ])
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(&client)
        .await
        .map_err(|e| PaymentError::Gateway(short(&e)))?;
    Ok(to_intent(intent))
}

/// Reads an intent back (the reconciler's safety net for missed webhooks).
pub async fn retrieve_intent(settings: &Settings, id: &str) -> Result<Intent, PaymentError> {
    let client = client(settings)?;
    let intent = RetrievePaymentIntent::new(id.to_string())
        .send(&client)
        .await
        .map_err(|e| PaymentError::Gateway(short(&e)))?;
    Ok(to_intent(intent))
}

/// Cancels an intent nobody paid, so it can no longer take money (its order expired here).
pub async fn cancel_intent(settings: &Settings, id: &str) -> Result<(), PaymentError> {
    let client = client(settings)?;
    CancelPaymentIntent::new(id.to_string())
        .send(&client)
        .await
        .map_err(|e| PaymentError::Gateway(short(&e)))?;
    Ok(())
}

/// Refunds `amount` (our units) of an intent's charge; `key` makes a retry the same refund.
/// Returns Stripe's refund id.
pub async fn refund(
    settings: &Settings,
    intent_id: &str,
    amount: i64,
    currency: Currency,
    key: &str,
) -> Result<String, PaymentError> {
    let client = client(settings)?;
    let amount =
        stripe_amount(amount, currency).map_err(|e| PaymentError::Gateway(e.to_string()))?;
    let key = IdempotencyKey::new(key).map_err(|e| PaymentError::Gateway(e.to_string()))?;
    let refund = CreateRefund::new()
        .payment_intent(intent_id.to_string())
        .amount(amount)
        .customize()
        .request_strategy(RequestStrategy::Idempotent(key))
        .send(&client)
        .await
        .map_err(|e| PaymentError::Gateway(short(&e)))?;
    Ok(refund.id.to_string())
}

fn short(e: &stripe::StripeError) -> String {
    match e {
        stripe::StripeError::Stripe(_, status) => format!("Stripe answered {status}"),
        other => other.to_string().chars().take(200).collect(),
    }
}

fn to_intent(intent: stripe_shared::PaymentIntent) -> Intent {
    use stripe_shared::PaymentIntentStatus as S;
    let currency_code = intent.currency.to_string();
    let ours = Currency::parse(&currency_code);
    let failure = intent
        .last_payment_error
        .as_ref()
        .and_then(|e| e.message.clone())
        .unwrap_or_default();
    let status = match intent.status {
        S::Succeeded => Some("paid"),
        S::Canceled => Some("cancelled"),
        S::RequiresPaymentMethod if !failure.is_empty() => Some("failed"),
        _ => None,
    };
    Intent {
        id: intent.id.to_string(),
        client_secret: intent.client_secret.unwrap_or_default(),
        status,
        amount: ours.and_then(|c| from_stripe_amount(intent.amount, c)),
        currency: currency_code.to_ascii_uppercase(),
        failure,
    }
}

/// The parts of a Stripe webhook event we act on. Parsed here rather than with the generated
/// types so an event from a newer API version still reads.
#[derive(Debug, Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Debug, Deserialize)]
struct EventData {
    object: EventObject,
}

#[derive(Debug, Deserialize)]
struct EventObject {
    id: String,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    amount_received: Option<i64>,
    #[serde(default)]
    amount_refunded: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    /// On a charge: its PaymentIntent.
    #[serde(default)]
    payment_intent: Option<String>,
    #[serde(default)]
    last_payment_error: Option<LastError>,
}

#[derive(Debug, Deserialize)]
struct LastError {
    #[serde(default)]
    message: Option<String>,
}

/// Turns a verified webhook body into a gateway event; `Ok(None)` for event types we do not
/// act on (acknowledged, nothing stored).
pub fn parse_event(payload: &str) -> Result<Option<GatewayEvent>, String> {
    let event: Event =
        serde_json::from_str(payload).map_err(|e| format!("not a Stripe event: {e}"))?;
    let object = event.data.object;
    let currency = object.currency.as_deref().and_then(Currency::parse);
    let ours = |amount: Option<i64>| match (amount, currency) {
        // An amount that is not a whole number of our units can never match an order.
        (Some(a), Some(c)) => Some(from_stripe_amount(a, c).unwrap_or(-1)),
        _ => None,
    };
    let refunded = ours(object.amount_refunded);
    let (status, payment_ref, amount, message) = match event.kind.as_str() {
        "payment_intent.succeeded" => (
            "paid",
            object.id.clone(),
            ours(object.amount_received.or(object.amount)),
            String::new(),
        ),
        "payment_intent.payment_failed" => (
            "failed",
            object.id.clone(),
            ours(object.amount),
            object
                .last_payment_error
                .and_then(|e| e.message)
                .unwrap_or_else(|| "The card was declined.".into()),
        ),
        "payment_intent.canceled" => (
            "cancelled",
            object.id.clone(),
            ours(object.amount),
            String::new(),
        ),
        "charge.refunded" => {
            let full = object.amount_refunded.is_some() && object.amount_refunded == object.amount;
            (
                if full {
                    "refunded"
                } else {
                    "partially_refunded"
                },
                object.payment_intent.clone().unwrap_or_default(),
                ours(object.amount),
                String::new(),
            )
        }
        _ => return Ok(None),
    };
    Ok(Some(GatewayEvent {
        gateway: GATEWAY.into(),
        event_id: event.id,
        kind: event.kind,
        payment_ref,
        // The Payment Element takes cards (and wallets that refund like cards).
        channel: "card".into(),
        status: Some(status.into()),
        amount,
        currency: object.currency.map(|c| c.to_ascii_uppercase()),
        refunded,
        message,
        payload: payload.to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::parse_event;

    #[test]
    fn events_map_to_our_statuses_in_our_units() {
        let e = parse_event(r#"{"id":"evt_1","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","object":"payment_intent","amount":1550000000,"amount_received":1550000000,"currency":"idr"}}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(e.status.as_deref(), Some("paid"));
        assert_eq!(e.amount, Some(15_500_000));
        assert_eq!(e.currency.as_deref(), Some("IDR"));
        assert_eq!(e.payment_ref, "pi_1");
        let e = parse_event(r#"{"id":"evt_2","type":"charge.refunded","data":{"object":{"id":"ch_1","amount":1000,"amount_refunded":500,"currency":"idr","payment_intent":"pi_1"}}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(e.status.as_deref(), Some("partially_refunded"));
        assert_eq!(e.payment_ref, "pi_1");
        assert!(parse_event(
            r#"{"id":"evt_3","type":"customer.created","data":{"object":{"id":"cus_1"}}}"#
        )
        .unwrap()
        .is_none());
        assert!(parse_event("not json").is_err());
    }
}
