//! Catalogue management for shop staff: products and their variants and pictures, categories,
//! brands, publishing, and CSV import/export. Every write is one transaction that also refreshes
//! the product's aggregates and search index, then drops the cached listings, so no shopper sees
//! a stale price after an edit.
use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, Func},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use super::{cache, refresh_products, slugify};
use crate::{
    error::AppError,
    model::{
        format_options, parse_options, AdminProduct, AdminProductRow, AdminTaxon, AdminVariant,
        Currency, ImageView, Money, Page, TaxonChoices,
    },
    server::{
        cache::Cache,
        db::{brand, category, order_item, product, product_image, product_variant},
        media::{MediaError, MediaStore},
    },
};

/// Why a catalogue change was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    /// Problems of an import, one per line: `line 7: price `abc` is not a whole number`.
    #[error("{} problem(s) in the file; nothing was imported", .0.len())]
    Rows(Vec<String>),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

fn invalid(field: &'static str, message: impl Into<String>) -> CatalogError {
    CatalogError::Invalid {
        field,
        message: message.into(),
    }
}

impl From<CatalogError> for AppError {
    fn from(err: CatalogError) -> Self {
        match err {
            CatalogError::NotFound(m) => AppError::NotFound(m),
            CatalogError::Invalid { field, message } => AppError::field(field, message),
            CatalogError::Conflict(m) => AppError::Conflict(m),
            CatalogError::Rows(rows) => AppError::Validation {
                message: format!(
                    "{} problem(s) in the file; nothing was imported. {}",
                    rows.len(),
                    rows.first().cloned().unwrap_or_default()
                ),
                fields: [("file".to_string(), rows)].into_iter().collect(),
            },
            CatalogError::Media(e) if e.is_client_error() => AppError::field("file", e.to_string()),
            CatalogError::Media(e) => crate::server::error::internal("media", e),
            CatalogError::Db(e) => crate::server::error::internal("catalogue", e),
        }
    }
}

pub const STATUSES: [&str; 3] = ["draft", "active", "archived"];

/// Lowercase letters, digits and single hyphens: safe in URLs and stable.
pub fn check_slug(slug: &str) -> Result<(), CatalogError> {
    let ok = !slug.is_empty()
        && slug.len() <= 120
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "slug",
            format!(
                "`{slug}` is not a valid slug: use lowercase letters, digits and single hyphens"
            ),
        ))
    }
}

fn slug_or_from_name(slug: &str, name: &str) -> Result<String, CatalogError> {
    let slug = if slug.trim().is_empty() {
        slugify(name)
    } else {
        slug.trim().to_string()
    };
    check_slug(&slug)?;
    Ok(slug)
}

fn check_name(field: &'static str, name: &str, max: usize) -> Result<String, CatalogError> {
    let name = name.trim();
    if name.chars().count() < 2 {
        return Err(invalid(field, "Give it a name of at least 2 characters."));
    }
    if name.chars().count() > max {
        return Err(invalid(field, format!("At most {max} characters.")));
    }
    Ok(name.to_string())
}

/// Products matching `q` (name, slug or SKU) and `status`, 25 per page, newest edits first.
pub async fn list_products(
    db: &DatabaseConnection,
    currency: Currency,
    q: &str,
    status: Option<&str>,
    page: u64,
) -> Result<Page<AdminProductRow>, CatalogError> {
    let per_page = 25;
    let mut condition = Condition::all();
    let q = q.trim();
    if !q.is_empty() {
        let pattern = format!("%{}%", q.to_lowercase());
        let by_sku = product_variant::Entity::find()
            .select_only()
            .column(product_variant::Column::ProductId)
            .filter(Expr::expr(Func::lower(Expr::col(product_variant::Column::Sku))).like(&pattern))
            .into_tuple::<i32>()
            .all(db)
            .await?;
        condition = condition.add(
            Condition::any()
                .add(Expr::expr(Func::lower(Expr::col(product::Column::Name))).like(&pattern))
                .add(product::Column::Slug.like(&pattern))
                .add(product::Column::Id.is_in(by_sku)),
        );
    }
    if let Some(status) = status.filter(|s| STATUSES.contains(s)) {
        condition = condition.add(product::Column::Status.eq(status));
    }
    let paginator = product::Entity::find()
        .filter(condition)
        .order_by_desc(product::Column::UpdatedAt)
        .order_by_desc(product::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let models = paginator.fetch_page(page.max(1) - 1).await?;
    let ids: Vec<i32> = models.iter().map(|m| m.id).collect();
    let categories: HashMap<i32, String> = category::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let brands: HashMap<i32, String> = brand::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    let mut variant_counts: HashMap<i32, u64> = HashMap::new();
    for v in product_variant::Entity::find()
        .filter(product_variant::Column::ProductId.is_in(ids.clone()))
        .all(db)
        .await?
    {
        *variant_counts.entry(v.product_id).or_default() += 1;
    }
    let thumbnails = first_images(db, &ids).await?;
    let items = models
        .into_iter()
        .map(|m| {
            let low = Money::new(m.price_min, currency).format();
            let price = if m.price_max > m.price_min {
                format!("{low} – {}", Money::new(m.price_max, currency).format())
            } else {
                low
            };
            AdminProductRow {
                category: categories.get(&m.category_id).cloned().unwrap_or_default(),
                brand: m.brand_id.and_then(|b| brands.get(&b).cloned()),
                price,
                available: m.available,
                variants: variant_counts.get(&m.id).copied().unwrap_or(0),
                thumbnail: thumbnails.get(&m.id).map(|i| i.thumbnail.clone()),
                id: m.id,
                slug: m.slug,
                name: m.name,
                status: m.status,
            }
        })
        .collect();
    Ok(Page {
        items,
        total,
        page: page.max(1),
        per_page,
    })
}

/// The first picture of each of these products.
pub async fn first_images(
    db: &impl ConnectionTrait,
    ids: &[i32],
) -> Result<HashMap<i32, ImageView>, DbErr> {
    let mut first = HashMap::new();
    if ids.is_empty() {
        return Ok(first);
    }
    for image in product_image::Entity::find()
        .filter(product_image::Column::ProductId.is_in(ids.to_vec()))
        .order_by_asc(product_image::Column::ProductId)
        .order_by_asc(product_image::Column::Position)
        .order_by_asc(product_image::Column::Id)
        .all(db)
        .await?
    {
        first
            .entry(image.product_id)
            .or_insert_with(|| image_view(&image));
    }
    Ok(first)
}

pub fn image_view(image: &product_image::Model) -> ImageView {
    ImageView::new(
        image.id,
        &image.path,
        image.width.max(1) as u32,
        image.height.max(1) as u32,
        &image.alt,
        image.webp,
    )
}

/// All pictures of a product, in order.
pub async fn product_images(
    db: &impl ConnectionTrait,
    product_id: i32,
) -> Result<Vec<ImageView>, DbErr> {
    Ok(product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(product_id))
        .order_by_asc(product_image::Column::Position)
        .order_by_asc(product_image::Column::Id)
        .all(db)
        .await?
        .iter()
        .map(image_view)
        .collect())
}

/// Categories (with their path) and brands for the product form.
pub async fn taxon_choices(db: &DatabaseConnection) -> Result<TaxonChoices, DbErr> {
    let categories = category::Entity::find()
        .order_by_asc(category::Column::Position)
        .all(db)
        .await?;
    let by_id: HashMap<i32, &category::Model> = categories.iter().map(|c| (c.id, c)).collect();
    let mut paths: Vec<(i32, String)> = categories
        .iter()
        .map(|c| {
            let mut names = vec![c.name.clone()];
            let mut parent = c.parent_id;
            while let Some(p) = parent.and_then(|p| by_id.get(&p)) {
                names.push(p.name.clone());
                parent = p.parent_id;
                if names.len() > 10 {
                    break;
                }
            }
            names.reverse();
            (c.id, names.join(" › "))
        })
        .collect();
    paths.sort_by(|a, b| a.1.cmp(&b.1));
    let brands = brand::Entity::find()
        .order_by_asc(brand::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.name))
        .collect();
    Ok(TaxonChoices {
        categories: paths,
        brands,
    })
}

/// A product with its variants (and stock) and pictures.
pub async fn product_for_edit(
    db: &DatabaseConnection,
    id: i32,
) -> Result<AdminProduct, CatalogError> {
    let found = product::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| CatalogError::NotFound(format!("There is no product #{id}.")))?;
    let variants = product_variant::Entity::find()
        .filter(product_variant::Column::ProductId.eq(id))
        .order_by_asc(product_variant::Column::Position)
        .order_by_asc(product_variant::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = variants.iter().map(|v| v.id).collect();
    let available = crate::server::inventory::available_by_variant(db, &ids).await?;
    Ok(AdminProduct {
        variants: variants
            .into_iter()
            .map(|v| AdminVariant {
                options: options_text(&v.options),
                available: available.get(&v.id).copied().unwrap_or(0),
                id: v.id,
                sku: v.sku,
                title: v.title,
                price: v.price,
                compare_at_price: v.compare_at_price,
                weight_grams: v.weight_grams,
                barcode: v.barcode,
                active: v.active,
            })
            .collect(),
        images: product_images(db, id).await?,
        id: found.id,
        slug: found.slug,
        name: found.name,
        description: found.description,
        status: found.status,
        category_id: found.category_id,
        brand_id: found.brand_id,
    })
}

pub(super) fn options_text(json: &str) -> String {
    let map: BTreeMap<String, serde_json::Value> = serde_json::from_str(json).unwrap_or_default();
    let pairs: Vec<(String, String)> = map
        .into_iter()
        .map(|(k, v)| {
            (
                k,
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string()),
            )
        })
        .collect();
    format_options(pairs.iter().map(|(k, v)| (k, v)))
}

fn options_json(text: &str) -> Result<String, CatalogError> {
    let pairs = parse_options(text).map_err(|e| invalid("options", e))?;
    let map: serde_json::Map<String, serde_json::Value> = pairs
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    Ok(serde_json::Value::Object(map).to_string())
}

/// The product form's fields.
#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    pub name: String,
    /// Empty: made from the name.
    pub slug: String,
    pub description: String,
    pub category_id: i32,
    pub brand_id: Option<i32>,
    pub status: String,
}

pub(super) async fn check_product_input(
    db: &impl ConnectionTrait,
    input: &ProductInput,
) -> Result<(String, String), CatalogError> {
    let name = check_name("name", &input.name, 200)?;
    let slug = slug_or_from_name(&input.slug, &name)?;
    if !STATUSES.contains(&input.status.as_str()) {
        return Err(invalid("status", "Choose draft, active or archived."));
    }
    if input.description.len() > 20_000 {
        return Err(invalid("description", "At most 20,000 characters."));
    }
    if category::Entity::find_by_id(input.category_id)
        .one(db)
        .await?
        .is_none()
    {
        return Err(invalid("category_id", "Choose a category."));
    }
    if let Some(brand_id) = input.brand_id {
        if brand::Entity::find_by_id(brand_id).one(db).await?.is_none() {
            return Err(invalid("brand_id", "That brand does not exist."));
        }
    }
    Ok((name, slug))
}

/// A product row not yet inserted: no ratings, sales, prices or stock until its variants come
/// (`refresh_products` fills the aggregates in the same transaction).
pub(super) fn new_product(slug: String, name: String, input: ProductInput) -> product::ActiveModel {
    let now = Utc::now();
    product::ActiveModel {
        slug: Set(slug),
        name: Set(name),
        description: Set(input.description),
        brand_id: Set(input.brand_id),
        category_id: Set(input.category_id),
        status: Set(input.status),
        rating_hundredths: Set(0),
        rating_count: Set(0),
        sales_count: Set(0),
        price_min: Set(0),
        price_max: Set(0),
        available: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Creates (`id` = None) or updates a product. Returns its id.
pub async fn save_product(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    id: Option<i32>,
    input: ProductInput,
) -> Result<i32, CatalogError> {
    let txn = db.begin().await?;
    let (name, slug) = check_product_input(&txn, &input).await?;
    let taken = product::Entity::find()
        .filter(product::Column::Slug.eq(&slug))
        .one(&txn)
        .await?;
    if taken.as_ref().is_some_and(|t| Some(t.id) != id) {
        return Err(invalid(
            "slug",
            format!("Another product already uses the slug `{slug}`."),
        ));
    }
    let now = Utc::now();
    let saved_id = match id {
        Some(id) => {
            let existing = product::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| CatalogError::NotFound(format!("There is no product #{id}.")))?;
            let mut active = existing.into_active_model();
            active.name = Set(name);
            active.slug = Set(slug);
            active.description = Set(input.description);
            active.category_id = Set(input.category_id);
            active.brand_id = Set(input.brand_id);
            active.status = Set(input.status);
            active.updated_at = Set(now);
            active.update(&txn).await?.id
        }
        None => new_product(slug, name, input).insert(&txn).await?.id,
    };
    refresh_products(&txn, &[saved_id]).await?;
    txn.commit().await?;
    cache::invalidate(cache).await;
    Ok(saved_id)
}

/// Publishes (`active`), unpublishes (`draft`) or archives a product. Publishing needs at least
/// one active variant: a product without a price cannot be sold.
pub async fn set_product_status(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    id: i32,
    status: &str,
) -> Result<(), CatalogError> {
    if !STATUSES.contains(&status) {
        return Err(invalid("status", "Choose draft, active or archived."));
    }
    let txn = db.begin().await?;
    let existing = product::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| CatalogError::NotFound(format!("There is no product #{id}.")))?;
    if status == "active" {
        let sellable = product_variant::Entity::find()
            .filter(product_variant::Column::ProductId.eq(id))
            .filter(product_variant::Column::Active.eq(true))
            .count(&txn)
            .await?;
        if sellable == 0 {
            return Err(invalid(
                "status",
                "Add an active variant with a price before publishing.",
            ));
        }
    }
    let mut active = existing.into_active_model();
    active.status = Set(status.to_string());
    active.updated_at = Set(Utc::now());
    active.update(&txn).await?;
    txn.commit().await?;
    cache::invalidate(cache).await;
    Ok(())
}

/// Deletes a product that was never ordered; one that was must be archived instead, so order
/// history keeps pointing at it.
pub async fn delete_product(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    media: &MediaStore,
    id: i32,
) -> Result<(), CatalogError> {
    let txn = db.begin().await?;
    let ordered = order_item::Entity::find()
        .filter(order_item::Column::ProductId.eq(id))
        .count(&txn)
        .await?;
    if ordered > 0 {
        return Err(CatalogError::Conflict(
            "This product has been ordered, so it cannot be deleted: archive it instead.".into(),
        ));
    }
    let images = product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(id))
        .all(&txn)
        .await?;
    let deleted = product::Entity::delete_by_id(id).exec(&txn).await?;
    if deleted.rows_affected == 0 {
        return Err(CatalogError::NotFound(format!(
            "There is no product #{id}."
        )));
    }
    txn.commit().await?;
    for image in images {
        media.remove(&image.path, image.width.max(1) as u32);
    }
    cache::invalidate(cache).await;
    Ok(())
}

/// A variant's fields.
#[derive(Debug, Clone, Default)]
pub struct VariantInput {
    pub sku: String,
    pub title: String,
    /// `Ukuran=M; Warna=Hitam`.
    pub options: String,
    pub price: i64,
    pub compare_at_price: Option<i64>,
    pub weight_grams: i32,
    pub barcode: Option<String>,
    pub active: bool,
}

pub(super) fn check_variant(input: &VariantInput) -> Result<(String, String), CatalogError> {
    let sku = input.sku.trim().to_uppercase();
    let sku_ok = !sku.is_empty()
        && sku.len() <= 64
        && sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !sku_ok {
        return Err(invalid(
            "sku",
            "A SKU is 1–64 letters, digits, `-`, `_` or `.`.",
        ));
    }
    if input.price < 0 {
        return Err(invalid("price", "A price cannot be negative."));
    }
    if input.price > 1_000_000_000_000 {
        return Err(invalid("price", "That price is implausibly high."));
    }
    if let Some(compare) = input.compare_at_price {
        if compare <= input.price {
            return Err(invalid(
                "compare_at_price",
                "The compare-at price must be higher than the price (or empty).",
            ));
        }
    }
    if input.weight_grams < 0 {
        return Err(invalid("weight_grams", "A weight cannot be negative."));
    }
    if input.title.chars().count() > 120 {
        return Err(invalid("title", "At most 120 characters."));
    }
    Ok((sku, options_json(&input.options)?))
}

/// Creates (`variant_id` = None) or updates a variant of `product_id`. Returns its id.
pub async fn save_variant(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    product_id: i32,
    variant_id: Option<i32>,
    input: VariantInput,
) -> Result<i32, CatalogError> {
    let (sku, options) = check_variant(&input)?;
    let txn = db.begin().await?;
    let id = upsert_variant(&txn, product_id, variant_id, &sku, &options, &input).await?;
    refresh_products(&txn, &[product_id]).await?;
    txn.commit().await?;
    cache::invalidate(cache).await;
    Ok(id)
}

pub(super) async fn upsert_variant(
    txn: &impl ConnectionTrait,
    product_id: i32,
    variant_id: Option<i32>,
    sku: &str,
    options: &str,
    input: &VariantInput,
) -> Result<i32, CatalogError> {
    if product::Entity::find_by_id(product_id)
        .one(txn)
        .await?
        .is_none()
    {
        return Err(CatalogError::NotFound(format!(
            "There is no product #{product_id}."
        )));
    }
    let taken = product_variant::Entity::find()
        .filter(product_variant::Column::Sku.eq(sku))
        .one(txn)
        .await?;
    if taken.as_ref().is_some_and(|t| Some(t.id) != variant_id) {
        return Err(invalid(
            "sku",
            format!("SKU `{sku}` is already used by another variant."),
        ));
    }
    let now = Utc::now();
    let barcode = input
        .barcode
        .as_ref()
        .map(|b| b.trim().to_string())
        .filter(|b| !b.is_empty());
    match variant_id {
        Some(id) => {
            let existing = product_variant::Entity::find_by_id(id)
                .filter(product_variant::Column::ProductId.eq(product_id))
                .one(txn)
                .await?
                .ok_or_else(|| {
                    CatalogError::NotFound(format!("Product #{product_id} has no variant #{id}."))
                })?;
            let mut active = existing.into_active_model();
            active.sku = Set(sku.to_string());
            active.title = Set(input.title.trim().to_string());
            active.options = Set(options.to_string());
            active.price = Set(input.price);
            active.compare_at_price = Set(input.compare_at_price);
            active.weight_grams = Set(input.weight_grams);
            active.barcode = Set(barcode);
            active.active = Set(input.active);
            active.updated_at = Set(now);
            Ok(active.update(txn).await?.id)
        }
        None => {
            let position = product_variant::Entity::find()
                .filter(product_variant::Column::ProductId.eq(product_id))
                .count(txn)
                .await? as i32;
            Ok(product_variant::ActiveModel {
                product_id: Set(product_id),
                sku: Set(sku.to_string()),
                title: Set(input.title.trim().to_string()),
                options: Set(options.to_string()),
                price: Set(input.price),
                compare_at_price: Set(input.compare_at_price),
                weight_grams: Set(input.weight_grams),
                barcode: Set(barcode),
                active: Set(input.active),
                position: Set(position),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?
            .id)
        }
    }
}

/// Stores an uploaded picture of `product_id` (checked and resized on the blocking pool) and
/// appends it to the product's pictures.
pub async fn add_image(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    media: &MediaStore,
    product_id: i32,
    bytes: Vec<u8>,
    alt: &str,
) -> Result<ImageView, CatalogError> {
    let found = product::Entity::find_by_id(product_id)
        .one(db)
        .await?
        .ok_or_else(|| CatalogError::NotFound(format!("There is no product #{product_id}.")))?;
    let store = media.clone();
    let stored = tokio::task::spawn_blocking(move || store.store_upload(product_id, &bytes))
        .await
        .map_err(|e| MediaError::Storage(std::io::Error::other(e)))??;
    let alt = match alt.trim() {
        "" => found.name.clone(),
        text => text.chars().take(255).collect(),
    };
    let txn = db.begin().await?;
    let next_position = product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(product_id))
        .count(&txn)
        .await? as i32;
    let saved = product_image::ActiveModel {
        product_id: Set(product_id),
        position: Set(next_position),
        path: Set(stored.key.clone()),
        alt: Set(alt),
        width: Set(stored.width as i32),
        height: Set(stored.height as i32),
        webp: Set(stored.webp),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut touched = found.into_active_model();
    touched.updated_at = Set(Utc::now());
    touched.update(&txn).await?;
    txn.commit().await?;
    cache::invalidate(cache).await;
    Ok(image_view(&saved))
}

/// Removes a picture (and its files, unless another row still points at the same upload).
pub async fn delete_image(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    media: &MediaStore,
    product_id: i32,
    image_id: i32,
) -> Result<(), CatalogError> {
    let image = product_image::Entity::find_by_id(image_id)
        .filter(product_image::Column::ProductId.eq(product_id))
        .one(db)
        .await?
        .ok_or_else(|| CatalogError::NotFound("That picture no longer exists.".into()))?;
    product_image::Entity::delete_by_id(image_id)
        .exec(db)
        .await?;
    let shared = product_image::Entity::find()
        .filter(product_image::Column::Path.eq(&image.path))
        .count(db)
        .await?;
    if shared == 0 {
        media.remove(&image.path, image.width.max(1) as u32);
    }
    cache::invalidate(cache).await;
    Ok(())
}

/// Makes a picture the first one (the one listings show).
pub async fn make_image_primary(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    product_id: i32,
    image_id: i32,
) -> Result<(), CatalogError> {
    let txn = db.begin().await?;
    let images = product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(product_id))
        .order_by_asc(product_image::Column::Position)
        .order_by_asc(product_image::Column::Id)
        .all(&txn)
        .await?;
    if !images.iter().any(|i| i.id == image_id) {
        return Err(CatalogError::NotFound(
            "That picture no longer exists.".into(),
        ));
    }
    let ordered = images
        .iter()
        .filter(|i| i.id == image_id)
        .chain(images.iter().filter(|i| i.id != image_id));
    for (position, image) in ordered.enumerate() {
        product_image::Entity::update_many()
            .col_expr(
                product_image::Column::Position,
                Expr::value(position as i32),
            )
            .filter(product_image::Column::Id.eq(image.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    cache::invalidate(cache).await;
    Ok(())
}

/// Categories in tree order (parents before children), with product counts.
pub async fn list_categories(db: &DatabaseConnection) -> Result<Vec<AdminTaxon>, DbErr> {
    let counts = count_by(db, product::Column::CategoryId).await?;
    let all = category::Entity::find()
        .order_by_asc(category::Column::Position)
        .order_by_asc(category::Column::Name)
        .all(db)
        .await?;
    let mut ordered = Vec::new();
    fn visit(
        all: &[category::Model],
        parent: Option<i32>,
        counts: &HashMap<i32, u64>,
        out: &mut Vec<AdminTaxon>,
        depth: usize,
    ) {
        if depth > 10 {
            return;
        }
        for c in all.iter().filter(|c| c.parent_id == parent) {
            out.push(AdminTaxon {
                id: c.id,
                slug: c.slug.clone(),
                name: c.name.clone(),
                parent_id: c.parent_id,
                position: c.position,
                products: counts.get(&c.id).copied().unwrap_or(0),
            });
            visit(all, Some(c.id), counts, out, depth + 1);
        }
    }
    visit(&all, None, &counts, &mut ordered, 0);
    Ok(ordered)
}

/// Brands by name, with product counts.
pub async fn list_brands(db: &DatabaseConnection) -> Result<Vec<AdminTaxon>, DbErr> {
    let counts = count_by(db, product::Column::BrandId).await?;
    Ok(brand::Entity::find()
        .order_by_asc(brand::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|b| AdminTaxon {
            products: counts.get(&b.id).copied().unwrap_or(0),
            id: b.id,
            slug: b.slug,
            name: b.name,
            parent_id: None,
            position: 0,
        })
        .collect())
}

async fn count_by(
    db: &DatabaseConnection,
    column: product::Column,
) -> Result<HashMap<i32, u64>, DbErr> {
    let rows: Vec<(Option<i32>, i64)> = product::Entity::find()
        .select_only()
        .column(column)
        .column_as(product::Column::Id.count(), "n")
        .group_by(column)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n)| id.map(|id| (id, n.max(0) as u64)))
        .collect())
}

/// A category's fields.
#[derive(Debug, Clone, Default)]
pub struct CategoryInput {
    pub name: String,
    pub slug: String,
    pub parent_id: Option<i32>,
    pub position: i32,
}

/// Creates or updates a category. A category cannot become its own ancestor.
pub async fn save_category(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    id: Option<i32>,
    input: CategoryInput,
) -> Result<i32, CatalogError> {
    let name = check_name("name", &input.name, 120)?;
    let slug = slug_or_from_name(&input.slug, &name)?;
    let txn = db.begin().await?;
    let all = category::Entity::find().all(&txn).await?;
    if all.iter().any(|c| c.slug == slug && Some(c.id) != id) {
        return Err(invalid(
            "slug",
            format!("Another category already uses the slug `{slug}`."),
        ));
    }
    if let Some(parent) = input.parent_id {
        if !all.iter().any(|c| c.id == parent) {
            return Err(invalid("parent_id", "That parent category does not exist."));
        }
        // Walk up from the new parent: meeting `id` means a cycle.
        let mut cursor = Some(parent);
        let mut steps = 0;
        while let Some(current) = cursor {
            if Some(current) == id {
                return Err(invalid(
                    "parent_id",
                    "A category cannot be placed under itself or one of its subcategories.",
                ));
            }
            cursor = all
                .iter()
                .find(|c| c.id == current)
                .and_then(|c| c.parent_id);
            steps += 1;
            if steps > all.len() {
                break;
            }
        }
    }
    let saved = match id {
        Some(id) => {
            let existing =
                all.iter().find(|c| c.id == id).cloned().ok_or_else(|| {
                    CatalogError::NotFound(format!("There is no category #{id}."))
                })?;
            let mut active = existing.into_active_model();
            active.name = Set(name);
            active.slug = Set(slug);
            active.parent_id = Set(input.parent_id);
            active.position = Set(input.position);
            active.update(&txn).await?.id
        }
        None => {
            category::ActiveModel {
                parent_id: Set(input.parent_id),
                slug: Set(slug),
                name: Set(name),
                description: Set(String::new()),
                position: Set(input.position),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
    };
    // Category names are part of the search text of their products.
    let affected: Vec<i32> = product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::CategoryId.eq(saved))
        .into_tuple()
        .all(&txn)
        .await?;
    refresh_products(&txn, &affected).await?;
    txn.commit().await?;
    cache::invalidate(cache).await;
    Ok(saved)
}

/// Deletes an empty category (no products, no subcategories).
pub async fn delete_category(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    id: i32,
) -> Result<(), CatalogError> {
    let txn = db.begin().await?;
    let products = product::Entity::find()
        .filter(product::Column::CategoryId.eq(id))
        .count(&txn)
        .await?;
    let children = category::Entity::find()
        .filter(category::Column::ParentId.eq(id))
        .count(&txn)
        .await?;
    if products > 0 || children > 0 {
        return Err(CatalogError::Conflict(format!(
            "This category still has {products} products and {children} subcategories: move them first."
        )));
    }
    if category::Entity::delete_by_id(id)
        .exec(&txn)
        .await?
        .rows_affected
        == 0
    {
        return Err(CatalogError::NotFound(format!(
            "There is no category #{id}."
        )));
    }
    txn.commit().await?;
    cache::invalidate(cache).await;
    Ok(())
}

/// Creates or updates a brand.
pub async fn save_brand(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    id: Option<i32>,
    name: &str,
    slug: &str,
) -> Result<i32, CatalogError> {
    let name = check_name("name", name, 120)?;
    let slug = slug_or_from_name(slug, &name)?;
    let txn = db.begin().await?;
    let taken = brand::Entity::find()
        .filter(brand::Column::Slug.eq(&slug))
        .one(&txn)
        .await?;
    if taken.as_ref().is_some_and(|t| Some(t.id) != id) {
        return Err(invalid(
            "slug",
            format!("Another brand already uses the slug `{slug}`."),
        ));
    }
    let saved = match id {
        Some(id) => {
            let existing = brand::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| CatalogError::NotFound(format!("There is no brand #{id}.")))?;
            let mut active = existing.into_active_model();
            active.name = Set(name);
            active.slug = Set(slug);
            active.update(&txn).await?.id
        }
        None => {
            brand::ActiveModel {
                slug: Set(slug),
                name: Set(name),
                created_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
    };
    let affected: Vec<i32> = product::Entity::find()
        .select_only()
        .column(product::Column::Id)
        .filter(product::Column::BrandId.eq(saved))
        .into_tuple()
        .all(&txn)
        .await?;
    refresh_products(&txn, &affected).await?;
    txn.commit().await?;
    cache::invalidate(cache).await;
    Ok(saved)
}

/// Deletes a brand no product uses.
pub async fn delete_brand(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    id: i32,
) -> Result<(), CatalogError> {
    let txn = db.begin().await?;
    let products = product::Entity::find()
        .filter(product::Column::BrandId.eq(id))
        .count(&txn)
        .await?;
    if products > 0 {
        return Err(CatalogError::Conflict(format!(
            "{products} products still use this brand: change them first."
        )));
    }
    if brand::Entity::delete_by_id(id)
        .exec(&txn)
        .await?
        .rows_affected
        == 0
    {
        return Err(CatalogError::NotFound(format!("There is no brand #{id}.")));
    }
    txn.commit().await?;
    cache::invalidate(cache).await;
    Ok(())
}
