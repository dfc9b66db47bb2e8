//! The analytics dashboard's server functions (staff): everything in one round trip, and the
//! page views the browser reports after client-side navigation.
use leptos::prelude::*;

use crate::{error::AppError, model::Dashboard};

/// The figures for `range` (`today`, `7d`, `30d`) and the stock lists, in one answer.
#[server]
pub async fn admin_dashboard(range: String) -> Result<Dashboard, AppError> {
    use crate::{
        api::manage::staff,
        model::AnalyticsRange,
        server::{analytics, http::api::analytics::read, inventory::alerts},
    };
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    let range = AnalyticsRange::parse(&range).unwrap_or_default();
    let view = read(&state, range)
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    let settings = &state.settings.analytics;
    let slow_movers =
        analytics::slow_movers(&state.db, settings.slow_mover_days, chrono::Utc::now()).await?;
    let mut low_stock = alerts::low_stock(&state.db).await?;
    low_stock.truncate(10);
    Ok(Dashboard {
        view,
        slow_movers,
        slow_mover_days: settings.slow_mover_days,
        low_stock,
        refresh_seconds: settings.refresh_seconds,
        currency: state.settings.shop.currency(),
        updated_at_local: chrono::Utc::now()
            .with_timezone(&state.analytics.tz)
            .format("%H:%M:%S %Z")
            .to_string(),
    })
}

/// A page the shopper opened by client-side navigation (the server saw only the first page
/// load). Counted like a page load; never fails the shopper.
#[server]
pub async fn track_view(path: String) -> Result<(), AppError> {
    use crate::server::analytics::tracking::{track_server_fn, Activity};
    let Ok(state) = crate::server::app_state() else {
        return Ok(());
    };
    if let Some(activity) = Activity::of_page(&path) {
        track_server_fn(&state, activity).await;
    }
    Ok(())
}
