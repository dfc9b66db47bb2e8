//! Catalogue management server functions (staff and admins) and the review form (customers).
//! Form values arrive as text so that a form posted without JavaScript decodes too; each is
//! parsed here into a typed input with a per-field message, then handed to the domain.
// One argument per form field (the variant form has ten): the generated client stubs carry them
// all, and an attribute on the function does not reach those stubs.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::form_error,
    model::User,
    server::{app_state, catalog::manage, request_session, session, state::AppState},
};
use crate::{
    error::AppError,
    model::{
        AdminProduct, AdminProductRow, AdminTaxon, Page, ProductReviews, ReviewView, TaxonChoices,
    },
};

#[cfg(feature = "ssr")]
pub(crate) async fn staff() -> Result<(AppState, User), AppError> {
    let state = app_state()?;
    let user = session::require_staff(&state, &request_session().await?).await?;
    Ok((state, user))
}

/// Runs a form action: on failure sends a no-JS form back with `?error=`; on success, when
/// `then` is set, redirects there (with JavaScript the router follows it).
#[cfg(feature = "ssr")]
pub(crate) async fn form<T>(
    then: Option<String>,
    work: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    match work.await {
        Ok(value) => {
            if let Some(path) = then {
                leptos_axum::redirect(&path);
            }
            Ok(value)
        }
        Err(err) => form_error(err),
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn optional_id(field: &str, text: &str) -> Result<Option<i32>, AppError> {
    match text.trim() {
        "" => Ok(None),
        t => t
            .parse::<i32>()
            .map(Some)
            .map_err(|_| AppError::field(field, "Choose one from the list.")),
    }
}

#[cfg(feature = "ssr")]
fn amount(field: &str, text: &str, required: bool) -> Result<Option<i64>, AppError> {
    let cleaned: String = text
        .trim()
        .chars()
        .filter(|c| *c != '.' && *c != ' ')
        .collect();
    if cleaned.is_empty() {
        return if required {
            Err(AppError::field(field, "Enter an amount."))
        } else {
            Ok(None)
        };
    }
    cleaned.parse::<i64>().map(Some).map_err(|_| {
        AppError::field(
            field,
            "Enter a whole number in the shop currency's smallest unit (e.g. 15500000).",
        )
    })
}

/// `/admin/products`: search, status filter, 25 per page.
#[server]
pub async fn admin_products(
    q: String,
    status: String,
    page: u64,
) -> Result<Page<AdminProductRow>, AppError> {
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    let status = (!status.is_empty()).then_some(status);
    Ok(manage::list_products(
        &state.db,
        state.settings.shop.currency(),
        &q,
        status.as_deref(),
        page.max(1),
    )
    .await?)
}

/// One product with variants and pictures, for editing.
#[server]
pub async fn admin_get_product(id: i32) -> Result<AdminProduct, AppError> {
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    manage::product_for_edit(&state.db, id)
        .await
        .map_err(AppError::from)
        .inspect_err(|e| crate::server::set_status(e.status()))
}

/// Categories and brands for the product form.
#[server]
pub async fn admin_taxon_choices() -> Result<TaxonChoices, AppError> {
    let (state, _) = staff().await?;
    Ok(manage::taxon_choices(&state.db).await?)
}

/// Creates (empty `id`) or updates a product, then opens its edit page.
#[server]
pub async fn admin_save_product(
    id: String,
    name: String,
    slug: String,
    description: String,
    category_id: String,
    brand_id: String,
    status: String,
) -> Result<i32, AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        let id = optional_id("id", &id)?;
        let input = manage::ProductInput {
            name,
            slug,
            description,
            category_id: optional_id("category_id", &category_id)?
                .ok_or_else(|| AppError::field("category_id", "Choose a category."))?,
            brand_id: optional_id("brand_id", &brand_id)?,
            status,
        };
        let saved = manage::save_product(&state.db, state.cache.as_ref(), id, input).await?;
        leptos_axum::redirect(&format!("/admin/products/{saved}?saved=Product+saved."));
        Ok(saved)
    })
    .await
}

/// Publishes (`active`), unpublishes (`draft`) or archives a product.
#[server]
pub async fn admin_set_product_status(id: i32, status: String) -> Result<String, AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        manage::set_product_status(&state.db, state.cache.as_ref(), id, &status).await?;
        Ok(status)
    })
    .await
}

/// Deletes a never-ordered product and goes back to the list.
#[server]
pub async fn admin_delete_product(id: i32) -> Result<(), AppError> {
    form(
        Some("/admin/products?saved=Product+deleted.".into()),
        async {
            let (state, _) = staff().await?;
            Ok(manage::delete_product(&state.db, state.cache.as_ref(), &state.media, id).await?)
        },
    )
    .await
}

/// Creates (empty `variant_id`) or updates a variant.
#[server]
pub async fn admin_save_variant(
    product_id: i32,
    variant_id: String,
    sku: String,
    title: String,
    options: String,
    price: String,
    compare_at_price: String,
    weight_grams: String,
    barcode: String,
    active: Option<String>,
) -> Result<i32, AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        let input = manage::VariantInput {
            sku,
            title,
            options,
            price: amount("price", &price, true)?.unwrap_or(0),
            compare_at_price: amount("compare_at_price", &compare_at_price, false)?,
            weight_grams: match weight_grams.trim() {
                "" => 0,
                w => w.parse().map_err(|_| {
                    AppError::field("weight_grams", "Enter grams as a whole number.")
                })?,
            },
            barcode: Some(barcode),
            active: active.is_some_and(|a| a != "false"),
        };
        let variant_id = optional_id("variant_id", &variant_id)?;
        let saved = manage::save_variant(
            &state.db,
            state.cache.as_ref(),
            product_id,
            variant_id,
            input,
        )
        .await?;
        if variant_id.is_none() {
            leptos_axum::redirect(&format!(
                "/admin/products/{product_id}?saved=Variant+added."
            ));
        }
        Ok(saved)
    })
    .await
}

/// Removes a picture.
#[server]
pub async fn admin_delete_image(product_id: i32, image_id: i32) -> Result<(), AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        Ok(manage::delete_image(
            &state.db,
            state.cache.as_ref(),
            &state.media,
            product_id,
            image_id,
        )
        .await?)
    })
    .await
}

/// Makes a picture the first one.
#[server]
pub async fn admin_primary_image(product_id: i32, image_id: i32) -> Result<(), AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        Ok(
            manage::make_image_primary(&state.db, state.cache.as_ref(), product_id, image_id)
                .await?,
        )
    })
    .await
}

#[server]
pub async fn admin_categories() -> Result<Vec<AdminTaxon>, AppError> {
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    Ok(manage::list_categories(&state.db).await?)
}

/// Creates (empty `id`) or updates a category.
#[server]
pub async fn admin_save_category(
    id: String,
    name: String,
    slug: String,
    parent_id: String,
    position: String,
) -> Result<i32, AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        let input = manage::CategoryInput {
            name,
            slug,
            parent_id: optional_id("parent_id", &parent_id)?,
            position: match position.trim() {
                "" => 0,
                p => p
                    .parse()
                    .map_err(|_| AppError::field("position", "Enter a whole number."))?,
            },
        };
        Ok(manage::save_category(
            &state.db,
            state.cache.as_ref(),
            optional_id("id", &id)?,
            input,
        )
        .await?)
    })
    .await
}

#[server]
pub async fn admin_delete_category(id: i32) -> Result<(), AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        Ok(manage::delete_category(&state.db, state.cache.as_ref(), id).await?)
    })
    .await
}

#[server]
pub async fn admin_brands() -> Result<Vec<AdminTaxon>, AppError> {
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    Ok(manage::list_brands(&state.db).await?)
}

/// Creates (empty `id`) or updates a brand.
#[server]
pub async fn admin_save_brand(id: String, name: String, slug: String) -> Result<i32, AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        Ok(manage::save_brand(
            &state.db,
            state.cache.as_ref(),
            optional_id("id", &id)?,
            &name,
            &slug,
        )
        .await?)
    })
    .await
}

#[server]
pub async fn admin_delete_brand(id: i32) -> Result<(), AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        Ok(manage::delete_brand(&state.db, state.cache.as_ref(), id).await?)
    })
    .await
}

/// The reviews of a product and whether the viewer may write one.
#[server]
pub async fn get_product_reviews(slug: String) -> Result<ProductReviews, AppError> {
    use crate::server::catalog::reviews;
    let state = app_state()?;
    let viewer = session::current_user(&state, &request_session().await?)
        .await?
        .map(|u| u.id);
    Ok(reviews::product_reviews(&state.db, &slug, viewer).await?)
}

/// Writes or replaces the customer's review of a product they bought.
#[server]
pub async fn submit_review(
    slug: String,
    rating: String,
    title: String,
    body: String,
) -> Result<ReviewView, AppError> {
    form(None, async {
        use crate::server::catalog::reviews;
        let state = app_state()?;
        let user = session::require_user(&state, &request_session().await?).await?;
        let rating = rating
            .trim()
            .parse::<i16>()
            .map_err(|_| AppError::field("rating", "Choose 1 to 5 stars."))?;
        Ok(reviews::submit_review(
            &state.db,
            state.cache.as_ref(),
            user.id,
            &slug,
            rating,
            &title,
            &body,
        )
        .await?)
    })
    .await
}
