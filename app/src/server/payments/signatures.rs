//! Webhook authenticity, by each gateway's documented algorithm. Nothing a webhook says is
//! acted on before its signature checks out; comparisons are constant-time.
//!
//! - Stripe: the `Stripe-Signature` header is `t=<unix time>,v1=<hex>[,v1=<hex>…]` (other
//!   schemes such as `v0` are ignored); each `v1` is HMAC-SHA256 with the endpoint's signing
//!   secret over `"<t>.<raw body>"`. Any matching `v1` is enough (several appear while a secret
//!   is being rolled), and `t` must be within the tolerance of now (replays are refused).
//! - Midtrans: the body's `signature_key` is the hex SHA-512 of
//!   `order_id + status_code + gross_amount + server_key`, with `gross_amount` exactly as sent
//!   (`"650000.00"`). It does not cover `transaction_status`, so a notification is only a hint:
//!   the status is then read back from Midtrans's status API before anything changes.
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};
use subtle::ConstantTimeEq;

/// Stripe's default tolerance for the signed timestamp.
pub const STRIPE_TOLERANCE_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing")]
    Missing,
    #[error("the signature header is malformed")]
    Malformed,
    #[error("the signed timestamp is outside the {0}-second tolerance")]
    Expired(i64),
    #[error("no signature matches")]
    Mismatch,
}

fn stripe_mac(secret: &str, timestamp: i64, payload: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The `Stripe-Signature` header Stripe would send for `payload` at `timestamp` (used by the
/// local Stripe stand-in and the tests).
pub fn stripe_signature_header(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let sig = stripe_mac(secret, timestamp, payload)
        .finalize()
        .into_bytes();
    format!("t={timestamp},v1={}", hex::encode(sig))
}

/// Checks a Stripe webhook; returns the signed timestamp.
pub fn verify_stripe_signature(
    payload: &[u8],
    header: Option<&str>,
    secret: &str,
    now: i64,
) -> Result<i64, SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                )
            }
            "v1" => signatures.push(hex::decode(value).map_err(|_| SignatureError::Malformed)?),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    let expected = stripe_mac(secret, timestamp, payload)
        .finalize()
        .into_bytes();
    if !signatures
        .iter()
        .any(|s| bool::from(s.as_slice().ct_eq(expected.as_slice())))
    {
        return Err(SignatureError::Mismatch);
    }
    if (now - timestamp).abs() > STRIPE_TOLERANCE_SECS {
        return Err(SignatureError::Expired(STRIPE_TOLERANCE_SECS));
    }
    Ok(timestamp)
}

/// Midtrans's `signature_key` for a notification.
pub fn midtrans_signature(
    order_id: &str,
    status_code: &str,
    gross_amount: &str,
    server_key: &str,
) -> String {
    let mut hash = Sha512::new();
    for part in [order_id, status_code, gross_amount, server_key] {
        hash.update(part.as_bytes());
    }
    hex::encode(hash.finalize())
}

/// Checks a Midtrans notification's `signature_key` (hex, either case).
pub fn verify_midtrans_signature(
    order_id: &str,
    status_code: &str,
    gross_amount: &str,
    server_key: &str,
    signature_key: Option<&str>,
) -> Result<(), SignatureError> {
    let given = signature_key.ok_or(SignatureError::Missing)?;
    let given = hex::decode(given.trim()).map_err(|_| SignatureError::Malformed)?;
    let expected = hex::decode(midtrans_signature(
        order_id,
        status_code,
        gross_amount,
        server_key,
    ))
    .map_err(|_| SignatureError::Malformed)?;
    if bool::from(given.as_slice().ct_eq(expected.as_slice())) {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &[u8] = br#"{"id":"evt_1","type":"payment_intent.succeeded"}"#;
    const SECRET: &str = "whsec_test_secret";
    const T: i64 = 1_764_172_800;
    /// HMAC-SHA256(SECRET, "1764172800." + PAYLOAD), computed independently with Python's
    /// `hmac` module.
    const KNOWN_V1: &str = "399a855fa02256588c835abf4fba81a73d0dbc5e0708ae3c793b9b7bc9eabec9";

    #[test]
    fn stripe_known_vector() {
        assert_eq!(
            stripe_signature_header(PAYLOAD, SECRET, T),
            format!("t={T},v1={KNOWN_V1}")
        );
        let header = format!("t={T},v1={KNOWN_V1}");
        assert_eq!(
            verify_stripe_signature(PAYLOAD, Some(&header), SECRET, T + 10),
            Ok(T)
        );
    }

    #[test]
    fn stripe_accepts_any_matching_v1_and_ignores_other_schemes() {
        let header = format!("t={T},v0=abcd,v1={},v1={KNOWN_V1}", "00".repeat(32));
        assert_eq!(
            verify_stripe_signature(PAYLOAD, Some(&header), SECRET, T),
            Ok(T)
        );
    }

    #[test]
    fn stripe_refuses_tampering_wrong_secrets_replays_and_junk() {
        let header = format!("t={T},v1={KNOWN_V1}");
        let tampered = br#"{"id":"evt_1","type":"payment_intent.succeeded","amount":1}"#;
        assert_eq!(
            verify_stripe_signature(tampered, Some(&header), SECRET, T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe_signature(PAYLOAD, Some(&header), "whsec_other", T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe_signature(PAYLOAD, Some(&header), SECRET, T + 301),
            Err(SignatureError::Expired(300))
        );
        // The timestamp is signed: moving it breaks the signature rather than the clock check.
        let moved = format!("t={},v1={KNOWN_V1}", T + 1000);
        assert_eq!(
            verify_stripe_signature(PAYLOAD, Some(&moved), SECRET, T + 1000),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_stripe_signature(PAYLOAD, None, SECRET, T),
            Err(SignatureError::Missing)
        );
        for junk in [
            "",
            "t=abc,v1=00",
            &format!("v1={KNOWN_V1}"),
            &format!("t={T}"),
            "t=1,v1=zz",
        ] {
            assert_eq!(
                verify_stripe_signature(PAYLOAD, Some(junk), SECRET, T),
                Err(SignatureError::Malformed),
                "{junk}"
            );
        }
    }

    /// SHA-512("PSR-20261126-0001" + "200" + "650000.00" + "SB-Mid-server-TEST"), computed
    /// independently with Python's `hashlib`.
    const MIDTRANS_KNOWN: &str = "82d00f785e34d2b3eafaf55e9964c24b70a180280efa787af9a8e0ef274af7ec6111938391eb9f46588090f5b2e86029d434549eb9c199065513cf2429ef95b4";

    #[test]
    fn midtrans_known_vector_and_refusals() {
        let key = "SB-Mid-server-TEST";
        assert_eq!(
            midtrans_signature("PSR-20261126-0001", "200", "650000.00", key),
            MIDTRANS_KNOWN
        );
        let ok = |sig: Option<&str>, gross: &str, key: &str| {
            verify_midtrans_signature("PSR-20261126-0001", "200", gross, key, sig)
        };
        assert_eq!(ok(Some(MIDTRANS_KNOWN), "650000.00", key), Ok(()));
        assert_eq!(
            ok(Some(&MIDTRANS_KNOWN.to_uppercase()), "650000.00", key),
            Ok(())
        );
        // The amount exactly as sent: "650000" is a different message.
        assert_eq!(
            ok(Some(MIDTRANS_KNOWN), "650000", key),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            ok(Some(MIDTRANS_KNOWN), "650000.00", "SB-Mid-server-OTHER"),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(ok(None, "650000.00", key), Err(SignatureError::Missing));
        assert_eq!(
            ok(Some("not hex"), "650000.00", key),
            Err(SignatureError::Malformed)
        );
    }
}
