//! Product pictures: upload, delete, choose the primary one.

use chrono::Utc;
use sea_orm::{
    sea_query::Expr, ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::products::image_view;
use super::CatalogError;
use crate::server::catalog::cache;
use crate::{
    model::ImageView,
    server::{
        cache::Cache,
        db::{product, product_image},
        media::{MediaError, MediaStore},
    },
};

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
