//! The one error type a client can act on, shared by server functions, REST handlers and pages.
//!
//! Internal details never travel: server-side conversions (`server::error`) log the cause and
//! hand the client a bare [`AppError::Internal`].
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};

/// Field name → messages, for per-field form errors.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 400: the request itself is malformed (unparseable parameter, missing field).
    #[error("{0}")]
    BadRequest(String),
    /// 401: not logged in, or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: logged in but not allowed (wrong role, deactivated, cross-origin request).
    #[error("{0}")]
    Forbidden(String),
    /// 404: the thing asked for does not exist (or is not yours).
    #[error("{0}")]
    NotFound(String),
    /// 405: the path exists but not with this method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// 409: conflicts with the current state (email taken, out of stock…).
    #[error("{0}")]
    Conflict(String),
    /// 422: well-formed but invalid input, with messages per field.
    #[error("{message}")]
    Validation {
        message: String,
        fields: FieldErrors,
    },
    /// 429: too many attempts; try again after `retry_after_secs`.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    /// 402: a payment gateway refused or failed.
    #[error("{0}")]
    Payment(String),
    /// 503: busy or a part is down for a moment; the same request later should work.
    #[error("{0}")]
    Unavailable(String),
    /// 500: something went wrong on our side; details are in the server log only.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,
    /// The request never got a proper answer (network down, server unreachable).
    #[error("Could not reach the shop: {0}")]
    Transport(String),
}

impl AppError {
    /// A validation error for a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.insert(field.to_string(), vec![message.clone()]);
        AppError::Validation { message, fields }
    }

    /// Machine-readable code used in JSON error bodies.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound(_) => "not_found",
            AppError::MethodNotAllowed(_) => "method_not_allowed",
            AppError::Conflict(_) => "conflict",
            AppError::Validation { .. } => "validation_failed",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Payment(_) => "payment_failed",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal => "internal",
            AppError::Transport(_) => "transport",
        }
    }

    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized(_) => 401,
            AppError::Forbidden(_) => 403,
            AppError::NotFound(_) => 404,
            AppError::MethodNotAllowed(_) => 405,
            AppError::Conflict(_) => 409,
            AppError::Validation { .. } => 422,
            AppError::RateLimited { .. } => 429,
            AppError::Payment(_) => 402,
            AppError::Unavailable(_) => 503,
            AppError::Internal | AppError::Transport(_) => 500,
        }
    }

    /// Messages for one form field, if any.
    pub fn field_errors(&self, field: &str) -> Vec<String> {
        match self {
            AppError::Validation { fields, .. } => fields.get(field).cloned().unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                AppError::BadRequest(format!("Invalid form data: {msg}"))
            }
            ServerFnErrorErr::Request(msg) => AppError::Transport(msg),
            _ => AppError::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_helper_builds_a_422_with_the_field() {
        let err = AppError::field("email", "Enter a valid email address.");
        assert_eq!(err.status(), 422);
        assert_eq!(err.code(), "validation_failed");
        assert_eq!(
            err.field_errors("email"),
            vec!["Enter a valid email address.".to_string()]
        );
        assert!(err.field_errors("password").is_empty());
    }

    #[test]
    fn internal_error_text_is_generic() {
        assert_eq!(
            AppError::Internal.to_string(),
            "Something went wrong on our side. Please try again."
        );
        assert_eq!(AppError::Internal.status(), 500);
    }
}
