//! Server-side error plumbing: unexpected failures are logged here, once, and the client gets a
//! bare [`AppError::Internal`]; [`AppError`] becomes an HTTP response for REST handlers.
use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;

use crate::error::{AppError, FieldErrors};

/// Logs an unexpected error with its context and returns the opaque client error.
pub fn internal(context: &str, err: impl std::fmt::Display) -> AppError {
    tracing::error!(%err, "{context}");
    AppError::Internal
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        internal("database", err)
    }
}

impl From<super::cache::CacheError> for AppError {
    fn from(err: super::cache::CacheError) -> Self {
        internal("cache", err)
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        internal("session store", err)
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => AppError::Validation {
                message: format!("Invalid request body: {}", e.body_text()),
                fields: FieldErrors::new(),
            },
            JsonRejection::MissingJsonContentType(_) => AppError::BadRequest(
                "Send the body as JSON with `Content-Type: application/json`.".into(),
            ),
            other => AppError::BadRequest(format!("Invalid JSON body: {}", other.body_text())),
        }
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::BadRequest(format!(
            "Invalid query parameters: {}",
            rejection.body_text()
        ))
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::BadRequest(format!("Invalid path parameter: {}", rejection.body_text()))
    }
}

/// `{ "error": { "code", "message", "fields"? } }`
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `validation_failed`, `rate_limited`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// Per-field messages for `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldErrors>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let fields = match &self {
            AppError::Validation { fields, .. } if !fields.is_empty() => Some(fields.clone()),
            _ => None,
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.to_string(),
                fields,
            },
        };
        let mut response = (status, Json(body)).into_response();
        let retry_after = match &self {
            AppError::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            AppError::Unavailable(_) => Some(5),
            _ => None,
        };
        if let Some(value) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
