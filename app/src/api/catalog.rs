//! Catalogue server functions for the storefront.
use leptos::prelude::*;

use crate::{error::AppError, model::ProductPage};

/// Products for a listing page. `search` is the page's URL query string (`q=…&brand=…`), parsed
/// and validated on the server exactly as the Store API does; `category`/`brand` come from the
/// route (`/c/{slug}`, `/b/{slug}`) and take precedence.
#[server]
pub async fn search_catalog(
    search: String,
    category: Option<String>,
    brand: Option<String>,
) -> Result<ProductPage, AppError> {
    use crate::server::{app_state, catalog, http::api::catalog::parse_query, set_status};
    let mut query = match parse_query(Some(&search)) {
        Ok(q) => q,
        Err(err) => {
            set_status(err.status());
            return Err(err);
        }
    };
    if let Some(category) = category {
        query.category = Some(category);
    }
    if let Some(brand) = brand {
        query.brands = vec![brand];
    }
    let state = app_state()?;
    Ok(catalog::search_products(&state.db, state.settings.shop.currency(), &query).await?)
}
