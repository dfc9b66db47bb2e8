//! Server functions: the browser's typed calls into the server. Each is thin: it reads the
//! session, checks the role, calls a domain module under `server::`, and maps the error.
pub mod accounts;
pub mod admin;
pub mod analytics;
pub mod catalog;
pub mod inventory;
pub mod manage;
pub mod orders;
pub mod shop;

pub use accounts::*;
pub use admin::*;
pub use analytics::*;
pub use catalog::*;
pub use inventory::*;
pub use manage::*;
pub use orders::*;
pub use shop::*;

/// A plain HTML form post (no JavaScript): the browser wants a page back, not data.
#[cfg(feature = "ssr")]
pub(crate) fn wants_html(parts: &http::request::Parts) -> bool {
    parts
        .headers
        .get(http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

/// Where a no-JavaScript form should be sent back to show `err`: the page it came from, with
/// `?error=` set. With JavaScript the error arrives as the action's value instead.
#[cfg(feature = "ssr")]
pub(crate) fn form_error<T>(err: crate::error::AppError) -> Result<T, crate::error::AppError> {
    use leptos::prelude::use_context;
    crate::server::set_status(err.status());
    let Some(parts) = use_context::<http::request::Parts>() else {
        return Err(err);
    };
    let accepts_html = wants_html(&parts);
    let referer = parts
        .headers
        .get(http::header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| url::Url::parse(v).ok());
    if let (true, Some(mut back)) = (accepts_html, referer) {
        let kept: Vec<(String, String)> = back
            .query_pairs()
            .filter(|(k, _)| k != "error" && k != "saved")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        back.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("error", &err.to_string());
        let location = match back.query() {
            Some(q) => format!("{}?{q}", back.path()),
            None => back.path().to_string(),
        };
        leptos_axum::redirect(&location);
    }
    Err(err)
}

/// A safe place to go after login: a path on the shop's own origin, else the home page. Browsers
/// drop tabs and newlines from URLs (`/\t/evil.example` becomes `//evil.example`, another site)
/// and treat `\\` like `/`, so a path with any control character, whitespace or backslash is
/// refused, as is one starting `//` (scheme-relative). What passes is a valid `Location`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path
                    .chars()
                    .any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_must_be_a_local_path() {
        assert_eq!(safe_next(Some("/account")), "/account");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(Some("/\t/evil.example")), "/", "tab");
        assert_eq!(safe_next(Some("/\n/evil.example")), "/", "newline");
        assert_eq!(
            safe_next(Some("/\r\nSet-Cookie: x=1")),
            "/",
            "header injection"
        );
        assert_eq!(safe_next(Some(" /account")), "/");
        assert_eq!(safe_next(Some("/a b")), "/");
        assert_eq!(safe_next(Some("/\u{0}x")), "/");
        assert_eq!(
            safe_next(Some("/search?q=batik%20pria")),
            "/search?q=batik%20pria"
        );
        assert_eq!(safe_next(Some("")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
