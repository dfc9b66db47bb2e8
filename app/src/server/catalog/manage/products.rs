//! Products: the staff list, the edit form, saving, publishing and deleting.
use std::collections::{BTreeMap, HashMap};

use chrono::Utc;
use sea_orm::{
    sea_query::{Expr, Func},
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};

use super::{check_name, invalid, slug_or_from_name, CatalogError, STATUSES};
use crate::server::catalog::{cache, refresh_products};
use crate::{
    model::{
        format_options, parse_options, AdminProduct, AdminProductRow, AdminVariant, Currency,
        ImageView, Money, Page, TaxonChoices,
    },
    server::{
        cache::Cache,
        db::{brand, category, order_item, product, product_image, product_variant},
        media::MediaStore,
    },
};

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
    let mut levels = crate::server::inventory::staff::levels_of(db, &ids).await?;
    Ok(AdminProduct {
        variants: variants
            .into_iter()
            .map(|v| AdminVariant {
                options: options_text(&v.options),
                available: available.get(&v.id).copied().unwrap_or(0),
                levels: levels.remove(&v.id).unwrap_or_default(),
                low_stock_threshold: v.low_stock_threshold,
                low_stock_default: crate::server::inventory::alerts::default_threshold(),
                low_stock: v.low_stock_alerted_at.is_some(),
                lead_time_days: v.lead_time_days,
                cover_days: v.cover_days,
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

pub(in crate::server::catalog) fn options_text(json: &str) -> String {
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

pub(super) fn options_json(text: &str) -> Result<String, CatalogError> {
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

pub(in crate::server::catalog) async fn check_product_input(
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
pub(in crate::server::catalog) fn new_product(
    slug: String,
    name: String,
    input: ProductInput,
) -> product::ActiveModel {
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
