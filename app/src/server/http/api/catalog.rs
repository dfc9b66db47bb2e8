//! Store API: the catalogue (`/products`, `/products/{slug}`, `/categories`, `/brands`).
use axum::{
    extract::{Path, RawQuery, State},
    Json,
};
use serde::Serialize;
use utoipa::{IntoParams, ToSchema};

use crate::{
    error::AppError,
    model::{ProductDetail, ProductPage, ProductQuery, QueryProblem, Suggestions},
    server::{
        catalog,
        db::{brand, category},
        error::ErrorBody,
        state::AppState,
    },
};
use sea_orm::{EntityTrait, QueryOrder};

/// Query parameters of `GET /api/v1/products` (documentation; parsed by `ProductQuery`).
#[derive(IntoParams)]
#[allow(dead_code)]
pub struct ProductListParams {
    /// Search text (name, brand, category, description; typos and prefixes tolerated).
    q: Option<String>,
    /// Category slug; subcategories are included.
    category: Option<String>,
    /// Brand slug; repeat for several (`brand=a&brand=b`).
    brand: Option<Vec<String>>,
    /// Lowest price, in the currency's smallest unit (whole rupiah).
    min_price: Option<i64>,
    max_price: Option<i64>,
    /// 1–5.
    min_rating: Option<u8>,
    /// `true` for products with stock only.
    in_stock: Option<bool>,
    /// `relevance` (default; popularity without `q`), `price_asc`, `price_desc`, `popular`, `newest`, `rating`.
    sort: Option<String>,
    /// From 1.
    page: Option<u64>,
    /// 1–100, default 24.
    per_page: Option<u64>,
}

pub fn parse_query(raw: Option<&str>) -> Result<ProductQuery, AppError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    ProductQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))).map_err(|p| {
        match p {
            QueryProblem::BadRequest(m) => AppError::BadRequest(m),
            QueryProblem::Invalid(m) => AppError::Validation {
                message: m,
                fields: Default::default(),
            },
        }
    })
}

/// Search, filter, sort and page through active products, with facet counts.
#[utoipa::path(get, path = "/api/v1/products", tag = "catalog", params(ProductListParams),
    responses((status = 200, body = ProductPage),
              (status = 400, description = "A parameter does not parse (negative page, unknown sort…)", body = ErrorBody),
              (status = 422, description = "Parameters contradict each other (min_price > max_price)", body = ErrorBody)))]
pub async fn list_products(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<ProductPage>, AppError> {
    let query = parse_query(raw.as_deref())?;
    Ok(Json(
        catalog::cache::search_products(
            &state.db,
            state.cache.as_ref(),
            state.settings.shop.currency(),
            &query,
        )
        .await?,
    ))
}

/// A category in the tree.
#[derive(Serialize, ToSchema)]
pub struct CategoryView {
    pub slug: String,
    pub name: String,
    pub parent: Option<String>,
}

/// All categories, parents before children.
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", responses((status = 200, body = Vec<CategoryView>)))]
pub async fn list_categories(
    State(state): State<AppState>,
) -> Result<Json<Vec<CategoryView>>, AppError> {
    let all = category::Entity::find()
        .order_by_asc(category::Column::Position)
        .all(&state.db)
        .await?;
    Ok(Json(
        all.iter()
            .map(|c| CategoryView {
                slug: c.slug.clone(),
                name: c.name.clone(),
                parent: c
                    .parent_id
                    .and_then(|p| all.iter().find(|x| x.id == p))
                    .map(|p| p.slug.clone()),
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct BrandView {
    pub slug: String,
    pub name: String,
}

/// All brands, by name.
#[utoipa::path(get, path = "/api/v1/brands", tag = "catalog", responses((status = 200, body = Vec<BrandView>)))]
pub async fn list_brands(State(state): State<AppState>) -> Result<Json<Vec<BrandView>>, AppError> {
    let all = brand::Entity::find()
        .order_by_asc(brand::Column::Name)
        .all(&state.db)
        .await?;
    Ok(Json(
        all.into_iter()
            .map(|b| BrandView {
                slug: b.slug,
                name: b.name,
            })
            .collect(),
    ))
}

/// One active product with its variants (SKU, options, price, available quantity).
#[utoipa::path(get, path = "/api/v1/products/{slug}", tag = "catalog",
    params(("slug" = String, Path, description = "Product slug")),
    responses((status = 200, body = ProductDetail), (status = 404, description = "No such active product", body = ErrorBody)))]
pub async fn get_product(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<ProductDetail>, AppError> {
    catalog::product_detail(&state.db, state.settings.shop.currency(), &slug)
        .await?
        .map(Json)
        .ok_or_else(|| AppError::NotFound(format!("No product `{slug}`.")))
}

#[derive(serde::Deserialize, IntoParams)]
pub struct SuggestParams {
    /// What the shopper has typed so far.
    #[serde(default)]
    q: String,
}

/// Autocomplete: up to six products (with price and thumbnail) and four categories.
#[utoipa::path(get, path = "/api/v1/search/suggest", tag = "catalog", params(SuggestParams),
    responses((status = 200, body = Suggestions)))]
pub async fn suggest(
    State(state): State<AppState>,
    super::ApiQuery(params): super::ApiQuery<SuggestParams>,
) -> Result<Json<Suggestions>, AppError> {
    let q: String = params.q.chars().take(100).collect();
    Ok(Json(
        catalog::cache::suggest(
            &state.db,
            state.cache.as_ref(),
            state.settings.shop.currency(),
            &q,
        )
        .await?,
    ))
}
