//! Variants: SKU, options, price, stock per warehouse.

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, Set, TransactionTrait,
};

use super::products::options_json;
use super::{invalid, CatalogError};
use crate::server::catalog::{cache, refresh_products};
use crate::server::{
    cache::Cache,
    db::{product, product_variant},
    inventory,
};

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

pub(in crate::server::catalog) fn check_variant(
    input: &VariantInput,
) -> Result<(String, String), CatalogError> {
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

pub(in crate::server::catalog) async fn upsert_variant(
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
            let id = product_variant::ActiveModel {
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
                // Starts empty, so below any threshold: the first alert is for a fall from
                // above it, not for never having had stock.
                low_stock_alerted_at: Set(Some(now)),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(txn)
            .await?
            .id;
            // A variant without levels could never be stocked or sold.
            inventory::ensure_levels(txn, Some(&[id])).await?;
            Ok(id)
        }
    }
}
