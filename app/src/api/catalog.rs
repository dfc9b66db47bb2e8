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
    Ok(catalog::cache::search_products(
        &state.db,
        state.cache.as_ref(),
        state.settings.shop.currency(),
        &query,
    )
    .await?)
}

/// The product page's data; a missing or unpublished product is a 404.
#[server]
pub async fn get_product_detail(slug: String) -> Result<crate::model::ProductDetail, AppError> {
    use crate::server::{app_state, catalog, set_status};
    let state = app_state()?;
    match catalog::product_detail(&state.db, state.settings.shop.currency(), &slug).await? {
        Some(detail) => Ok(detail),
        None => {
            set_status(404);
            Err(AppError::NotFound(
                "Produk ini tidak ada atau sudah tidak dijual.".into(),
            ))
        }
    }
}

/// Autocomplete suggestions for the header search box.
#[server(endpoint = "suggest")]
pub async fn suggest_products(q: String) -> Result<crate::model::Suggestions, AppError> {
    use crate::server::{app_state, catalog};
    let state = app_state()?;
    let q: String = q.chars().take(100).collect();
    Ok(catalog::cache::suggest(
        &state.db,
        state.cache.as_ref(),
        state.settings.shop.currency(),
        &q,
    )
    .await?)
}
