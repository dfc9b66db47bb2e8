//! Store API for the analytics dashboard's data (staff).
use axum::{extract::State, Json};
use serde::Deserialize;
use tower_sessions::Session;
use utoipa::IntoParams;

use super::ApiQuery;
use crate::{
    error::AppError,
    model::{AnalyticsRange, AnalyticsView},
    server::{analytics, error::ErrorBody, session, state::AppState},
};

#[derive(Deserialize, IntoParams, Default)]
pub struct AnalyticsQuery {
    /// `today` (default), `7d` or `30d`.
    #[serde(default)]
    pub range: Option<String>,
}

/// Everything the dashboard shows for a period, against the period before: revenue, orders,
/// units, average order value, customers (new and returning), refunds, payment success rate,
/// the series per day, the top products and the payment methods.
#[utoipa::path(get, path = "/api/v1/admin/analytics", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, body = AnalyticsView), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
              (status = 503, description = "The counters cannot be read", body = ErrorBody)))]
pub async fn get_analytics(
    State(state): State<AppState>,
    session: Session,
    ApiQuery(query): ApiQuery<AnalyticsQuery>,
) -> Result<Json<AnalyticsView>, AppError> {
    session::require_staff(&state, &session).await?;
    let range = match query.range.as_deref().map(str::trim) {
        None | Some("") => AnalyticsRange::Today,
        Some(text) => AnalyticsRange::parse(text)
            .ok_or_else(|| AppError::field("range", "Choose today, 7d or 30d."))?,
    };
    Ok(Json(read(&state, range).await?))
}

/// Counts what the outbox holds, then reads: a figure is never behind by more than what is
/// being written right now, or by `[analytics] read_cache_ms` when the same period was read
/// that recently (then the view is served again).
pub async fn read(state: &AppState, range: AnalyticsRange) -> Result<AnalyticsView, AppError> {
    if let Some(view) = state.analytics.cached_view(range) {
        return Ok(view);
    }
    if let Err(e) = analytics::count_outbox(&state.db, &state.analytics).await {
        tracing::warn!(error = %e, "analytics: counting before a read failed");
    }
    analytics::view(&state.db, &state.analytics, range, chrono::Utc::now())
        .await
        .inspect(|view| state.analytics.keep_view(view))
        .map_err(|e| match e {
            analytics::CountError::Db(e) => AppError::from(e),
            analytics::CountError::Store(e) => {
                tracing::warn!(error = %e, "analytics: counters unreadable");
                AppError::Unavailable("The analytics counters cannot be read right now.".into())
            }
        })
}
