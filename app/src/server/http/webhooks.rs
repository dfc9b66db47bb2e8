//! Gateway webhooks: `POST /webhooks/stripe` and `POST /webhooks/midtrans`. Authenticated by
//! signature, not by cookie or origin. A bad or missing signature is 400 and changes nothing;
//! a duplicate is acknowledged (200) and changes nothing; an event whose amount or currency does
//! not match its order is 400, stored and logged; an event for a payment we do not know is 404
//! and not stored, so the gateway's retry is processed once the payment exists.
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use secrecy::ExposeSecret;
use serde_json::json;

use crate::server::{
    payments::{self, midtrans, signatures::verify_stripe_signature, stripe, EventOutcome},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/webhooks/stripe", post(stripe_webhook))
        .route("/webhooks/midtrans", post(midtrans_webhook))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn apply(state: &AppState, event: payments::GatewayEvent) -> Response {
    match payments::apply_event(&state.db, state.cache.as_ref(), event).await {
        Ok(EventOutcome::Rejected(why)) => refuse(StatusCode::BAD_REQUEST, &why),
        // Not acknowledged: the gateway redelivers, by when the payment may be stored.
        Ok(EventOutcome::UnknownPayment) => refuse(StatusCode::NOT_FOUND, "unknown payment"),
        Ok(outcome) => {
            if outcome == EventOutcome::Applied {
                // A late payment may have queued a refund: send it now rather than next round.
                if let Err(e) = payments::refunds::issue_pending(
                    &state.db,
                    state.cache.as_ref(),
                    &state.settings,
                )
                .await
                {
                    tracing::warn!(error = %e, "refunds: will retry next round");
                }
            }
            Json(json!({ "received": true, "outcome": format!("{outcome:?}") })).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook: database");
            // 5xx: the gateway retries later.
            refuse(StatusCode::SERVICE_UNAVAILABLE, "try again later")
        }
    }
}

async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(secret) = state.settings.payments.stripe_webhook_secret.as_ref() else {
        return refuse(StatusCode::NOT_FOUND, "Stripe webhooks are not configured");
    };
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let now = chrono::Utc::now().timestamp();
    if let Err(e) = verify_stripe_signature(&body, header, secret.expose_secret(), now) {
        tracing::warn!(error = %e, "stripe webhook refused");
        return refuse(StatusCode::BAD_REQUEST, "invalid signature");
    }
    let Ok(payload) = std::str::from_utf8(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "body is not UTF-8");
    };
    match stripe::parse_event(payload) {
        Err(e) => refuse(StatusCode::BAD_REQUEST, &e),
        Ok(None) => Json(json!({ "received": true, "outcome": "not handled" })).into_response(),
        Ok(Some(event)) => apply(&state, event).await,
    }
}

async fn midtrans_webhook(State(state): State<AppState>, body: Bytes) -> Response {
    if state.settings.payments.midtrans_server_key.is_none() {
        return refuse(
            StatusCode::NOT_FOUND,
            "Midtrans notifications are not configured",
        );
    }
    let Ok(payload) = std::str::from_utf8(&body) else {
        return refuse(StatusCode::BAD_REQUEST, "body is not UTF-8");
    };
    match midtrans::verified_event(&state.settings, payload).await {
        Ok(event) => apply(&state, event).await,
        Err(midtrans::NotificationError::Signature) => {
            tracing::warn!("midtrans notification with a bad signature refused");
            refuse(StatusCode::BAD_REQUEST, "invalid signature")
        }
        Err(midtrans::NotificationError::Malformed(e)) => refuse(StatusCode::BAD_REQUEST, &e),
        Err(midtrans::NotificationError::Gateway(e)) => {
            tracing::warn!(error = %e, "midtrans status check failed");
            refuse(
                StatusCode::BAD_GATEWAY,
                "could not confirm the status with Midtrans",
            )
        }
    }
}
