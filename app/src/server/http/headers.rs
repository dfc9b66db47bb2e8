//! Security headers on every response: a Content-Security-Policy whose scripts are our own
//! bundle and the page's own inline scripts (by the render's nonce), plus Stripe's and
//! Midtrans's scripts on the gateway payment page only; no framing (`frame-ancestors 'none'`,
//! `X-Frame-Options: DENY`); HSTS when the shop is served over https.
use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};

use crate::server::state::AppState;

/// Set by the page render (`App`) to its nonce; taken off here and turned into the policy.
pub const NONCE_HEADER: HeaderName = HeaderName::from_static("x-pasar-nonce");

/// Whether `path` is the page that loads a real gateway's script (`/pay/{number}`).
fn is_gateway_page(path: &str) -> bool {
    path.strip_prefix("/pay/")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with("demo/"))
}

/// The policy for one response.
pub fn policy(nonce: Option<&str>, gateway_page: bool, midtrans_snap_base: &str) -> String {
    let mut script = String::from("'self' 'wasm-unsafe-eval'");
    if let Some(nonce) = nonce {
        script.push_str(&format!(" 'nonce-{nonce}'"));
    }
    let (mut connect, mut frame, mut img) = (
        String::from("'self'"),
        String::from("'none'"),
        String::from("'self' data:"),
    );
    if gateway_page {
        let snap = midtrans_snap_base.trim_end_matches('/');
        script.push_str(&format!(" https://js.stripe.com {snap}"));
        connect.push_str(&format!(" https://api.stripe.com {snap}"));
        frame = format!("https://js.stripe.com https://hooks.stripe.com {snap}");
        img.push_str(&format!(" https://*.stripe.com {snap}"));
    }
    format!(
        "default-src 'self'; script-src {script}; style-src 'self' 'unsafe-inline'; img-src {img}; \
         font-src 'self' data:; connect-src {connect}; frame-src {frame}; object-src 'none'; \
         base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let gateway_page = is_gateway_page(&path);
    let mut res = next.run(req).await;
    let mut nonce = res
        .headers_mut()
        .remove(NONCE_HEADER)
        .and_then(|v| v.to_str().ok().map(str::to_string));
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if nonce.is_none() && is_html {
        // A page whose render did not hand over its nonce (seen rarely after a form's
        // redirect): read it from the page's own scripts rather than block them.
        let (parts, body) = res.into_parts();
        let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024)
            .await
            .unwrap_or_default();
        nonce = nonce_in(&bytes);
        if nonce.is_some() {
            tracing::debug!(%path, "page nonce read from the body");
        }
        res = Response::from_parts(parts, axum::body::Body::from(bytes));
    }
    let csp = policy(
        nonce.as_deref(),
        gateway_page,
        &state.settings.payments.midtrans_snap_base,
    );
    let headers = res.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if state.settings.public_url.scheme() == "https" {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// The nonce of the page's own hydration script: the first `nonce="…"` inside `<head>`, which
/// holds only what the render wrote (titles and meta values are escaped, so no page content
/// can plant an attribute there).
fn nonce_in(html: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(html).ok()?;
    let head = &text[..text.find("</head>")?];
    let start =
        head.find("<script type=\"module\" nonce=\"")? + "<script type=\"module\" nonce=\"".len();
    let text = head;
    let end = text[start..].find('"')? + start;
    let nonce = &text[start..end];
    nonce
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        .then(|| nonce.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateways_are_allowed_on_the_payment_page_only() {
        assert!(is_gateway_page("/pay/PSR-1"));
        assert!(!is_gateway_page("/pay/demo/PSR-1"));
        assert!(!is_gateway_page("/cart"));
        let home = policy(Some("abc"), false, "https://app.midtrans.com");
        assert!(home.contains("script-src 'self' 'wasm-unsafe-eval' 'nonce-abc';"));
        assert!(!home.contains("stripe"));
        assert!(home.contains("frame-ancestors 'none'"));
        let pay = policy(Some("abc"), true, "https://app.midtrans.com/");
        assert!(pay.contains("https://js.stripe.com https://app.midtrans.com;"));
        assert!(!policy(None, false, "").contains("nonce-"));
        assert_eq!(
            nonce_in(b"<head><script type=\"module\" nonce=\"Ab-9_x\">1</script></head>")
                .as_deref(),
            Some("Ab-9_x")
        );
        assert_eq!(
            nonce_in(b"<head><script type=\"module\" nonce=\"x' ; script-src *\"></script></head>"),
            None
        );
        assert_eq!(
            nonce_in(b"<head></head><body><script type=\"module\" nonce=\"late\"></script>"),
            None,
            "only the head counts"
        );
    }
}
