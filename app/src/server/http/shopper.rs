//! Who the shopper is for the cart: the logged-in customer, or a guest known by a random token
//! in the `pasar_cart` cookie (HttpOnly, SameSite=Lax, 30 days). The cookie is set only when a
//! guest first puts something in the cart.
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
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == CART_COOKIE)
        .map(|(_, value)| value.to_string())
        .filter(|v| v.len() == TOKEN_LEN && v.chars().all(|c| c.is_ascii_alphanumeric()))
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
