//! Who is asking. The client's address, for rate limits; and the shopper the cart belongs to:
//! the logged-in customer, or a guest known by a random token in the `pasar_cart` cookie
//! (HttpOnly, SameSite=Lax, 30 days). The cookie is set only when a guest first puts something
//! in the cart.
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderValue};
use tower_sessions::Session;

use crate::{
    error::AppError,
    model::User,
    server::{
        cart::{self, CartOwner, CART_TTL},
        session,
        state::AppState,
    },
};

pub const CART_COOKIE: &str = "pasar_cart";
const TOKEN_LEN: usize = 32;

/// The guest token from the request's cookies, if it has the shape we issue.
pub fn guest_token(headers: &HeaderMap) -> Option<String> {
    cookie_token(headers, CART_COOKIE, TOKEN_LEN)
}

/// The value of cookie `name` if it is one of our random tokens (`len` letters and digits);
/// anything else a client sends under that name is ignored.
pub fn cookie_token(headers: &HeaderMap, name: &str, len: usize) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == len && v.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn set_cookie(state: &AppState, token: &str) -> HeaderValue {
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    let value = format!(
        "{CART_COOKIE}={token}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        CART_TTL.as_secs()
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The request's cart owner. With `create`, a guest without a cart cookie gets a new token and
/// the `Set-Cookie` value to send; without it, such a guest has no cart (`None`).
pub async fn cart_owner(
    state: &AppState,
    session: &Session,
    headers: &HeaderMap,
    create: bool,
) -> Result<(Option<CartOwner>, Option<User>, Option<HeaderValue>), AppError> {
    let user = session::current_user(state, session).await?;
    if let Some(user) = &user {
        return Ok((Some(CartOwner::Customer(user.id)), Some(user.clone()), None));
    }
    if let Some(token) = guest_token(headers) {
        return Ok((Some(CartOwner::Guest(token)), None, None));
    }
    if !create {
        return Ok((None, None, None));
    }
    let token = crate::server::checkout::random_token(TOKEN_LEN);
    let cookie = set_cookie(state, &token);
    Ok((Some(CartOwner::Guest(token)), None, Some(cookie)))
}

/// At login or registration: the guest's cart joins the customer's (capped by stock). A
/// failure here must not fail the login; it is logged and the guest cart stays as it was.
pub async fn merge_guest_cart_at_login(state: &AppState, headers: &HeaderMap, user: &User) {
    let Some(token) = guest_token(headers) else {
        return;
    };
    if let Err(e) = cart::merge_guest_cart(&state.db, &token, user.id).await {
        tracing::warn!(error = %e, "could not merge the guest cart at login");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_tokens_are_read() {
        let mut headers = HeaderMap::new();
        let token = "a".repeat(32);
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("pasar_session=x; {CART_COOKIE}={token}")).unwrap(),
        );
        assert_eq!(guest_token(&headers), Some(token));
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("pasar_cart=../../etc"),
        );
        assert_eq!(guest_token(&headers), None);
    }
}

/// The client IP. Behind `trusted_hops` proxies of our own, each appends the address it saw to
/// `X-Forwarded-For`, so the client is the `trusted_hops`-th entry from the right: the right-most
/// one no proxy of ours could have been handed by the client. Anything left of it is whatever
/// the client sent. With no trusted proxy (or a short header) it is the socket's peer.
pub fn client_ip(
    headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    trusted_hops: u32,
) -> IpAddr {
    let from_socket = peer
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    if trusted_hops == 0 {
        return from_socket;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    let hops = trusted_hops as usize;
    if entries.len() < hops {
        return from_socket;
    }
    entries[entries.len() - hops].parse().unwrap_or(from_socket)
}

/// The client IP of the request a server function is answering.
pub async fn request_ip(trusted_hops: u32) -> IpAddr {
    let headers = leptos::prelude::use_context::<http::request::Parts>()
        .map(|p| p.headers)
        .unwrap_or_default();
    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>().await.ok();
    client_ip(&headers, peer.as_ref(), trusted_hops)
}

#[cfg(test)]
mod client_address_tests {
    use super::*;

    fn with_xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_client_is_the_right_most_untrusted_entry() {
        let peer = ConnectInfo(SocketAddr::from(([10, 0, 0, 2], 4000)));
        // The client forged "6.6.6.6"; our one proxy appended the address it saw.
        let h = with_xff(&["6.6.6.6, 203.0.113.7"]);
        assert_eq!(
            client_ip(&h, Some(&peer), 1),
            "203.0.113.7".parse::<IpAddr>().unwrap()
        );
        // Two proxies (CDN then load balancer), header split over two lines.
        let h = with_xff(&["6.6.6.6, 198.51.100.4", "172.16.0.9"]);
        assert_eq!(
            client_ip(&h, Some(&peer), 2),
            "198.51.100.4".parse::<IpAddr>().unwrap()
        );
        // No trusted proxy: the header is ignored.
        assert_eq!(client_ip(&h, Some(&peer), 0), peer.0.ip());
        // Fewer entries than proxies, or garbage: the socket.
        assert_eq!(
            client_ip(&with_xff(&["1.2.3.4"]), Some(&peer), 2),
            peer.0.ip()
        );
        assert_eq!(
            client_ip(&with_xff(&["nonsense"]), Some(&peer), 1),
            peer.0.ip()
        );
    }
}
