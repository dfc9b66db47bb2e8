//! Categories and brands.
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{check_name, invalid, slug_or_from_name, CatalogError};
use crate::server::catalog::{cache, refresh_products};
use crate::{
    model::AdminTaxon,
    server::{
        cache::Cache,
        db::{brand, category, product},
    },
};

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
                lead_time_days: None,
                cover_days: None,
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
            lead_time_days: b.lead_time_days,
            cover_days: b.cover_days,
        })
        .collect())
}

pub(super) async fn count_by(
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
