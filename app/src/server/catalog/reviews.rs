//! Product reviews: only customers with a paid order containing the product may write one, one
//! per customer per product (editing replaces it). The product's average and count change in
//! the same transaction, with one conditional `UPDATE`, so concurrent reviews cannot lose each
//! other's effect.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
    Set, Statement, TransactionTrait,
};

use super::{cache, manage::CatalogError};
use crate::{
    model::{NamedLink, ProductReviews, ReviewEligibility, ReviewView},
    server::{
        cache::Cache,
        db::{order, order_item, product, review, user},
    },
};

/// Order states in which the customer has paid for what they ordered.
fn purchased_states() -> impl Iterator<Item = &'static str> {
    crate::model::OrderStatus::ALL
        .iter()
        .filter(|s| s.is_purchased())
        .map(|s| s.as_str())
}

/// `true` when `user_id` has a paid order containing `product_id`.
pub async fn has_purchased(
    db: &impl ConnectionTrait,
    user_id: i32,
    product_id: i32,
) -> Result<bool, DbErr> {
    let count = order_item::Entity::find()
        .join(JoinType::InnerJoin, order_item::Relation::Order.def())
        .filter(order_item::Column::ProductId.eq(product_id))
        .filter(order::Column::UserId.eq(user_id))
        .filter(order::Column::PaymentStatus.eq("paid"))
        .filter(order::Column::Status.is_in(purchased_states()))
        .count(db)
        .await?;
    Ok(count > 0)
}

/// The newest 50 reviews of an active product, and what the viewer may do.
pub async fn product_reviews(
    db: &DatabaseConnection,
    slug: &str,
    viewer: Option<i32>,
) -> Result<ProductReviews, CatalogError> {
    let found = product::Entity::find()
        .filter(product::Column::Slug.eq(slug))
        .filter(product::Column::Status.eq("active"))
        .one(db)
        .await?
        .ok_or_else(|| CatalogError::NotFound("This product is not available.".into()))?;
    let rows: Vec<(review::Model, Option<user::Model>)> = review::Entity::find()
        .filter(review::Column::ProductId.eq(found.id))
        .find_also_related(user::Entity)
        .order_by_desc(review::Column::CreatedAt)
        .order_by_desc(review::Column::Id)
        .limit(50)
        .all(db)
        .await?;
    let items: Vec<ReviewView> = rows
        .into_iter()
        .map(|(r, author)| ReviewView {
            author: author
                .map(|u| short_name(&u.name))
                .unwrap_or_else(|| "Pembeli".into()),
            mine: Some(r.user_id) == viewer,
            id: r.id,
            rating: r.rating,
            title: r.title,
            body: r.body,
            date: r.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    let eligibility = match viewer {
        None => ReviewEligibility::LogInFirst,
        Some(user_id) if has_purchased(db, user_id, found.id).await? => ReviewEligibility::Allowed,
        Some(_) => ReviewEligibility::NotPurchased,
    };
    let mine = match viewer {
        Some(user_id) => match items.iter().find(|r| r.mine).cloned() {
            Some(found) => Some(found),
            None => review::Entity::find()
                .filter(review::Column::ProductId.eq(found.id))
                .filter(review::Column::UserId.eq(user_id))
                .one(db)
                .await?
                .map(|r| ReviewView {
                    author: String::new(),
                    mine: true,
                    id: r.id,
                    rating: r.rating,
                    title: r.title,
                    body: r.body,
                    date: r.created_at.format("%Y-%m-%d").to_string(),
                }),
        },
        None => None,
    };
    Ok(ProductReviews {
        product: NamedLink {
            slug: found.slug,
            name: found.name,
        },
        items,
        eligibility,
        mine,
    })
}

/// `Budi Santoso` → `Budi S.`: enough to be human, not enough to identify.
fn short_name(name: &str) -> String {
    let mut words = name.split_whitespace();
    match (words.next(), words.last()) {
        (Some(first), Some(last)) => format!(
            "{first} {}.",
            last.chars()
                .next()
                .map(|c| c.to_uppercase().to_string())
                .unwrap_or_default()
        ),
        (Some(first), None) => first.to_string(),
        _ => "Pembeli".into(),
    }
}

/// Writes (or replaces) the customer's review and updates the product's average and count.
pub async fn submit_review(
    db: &DatabaseConnection,
    cache_: &dyn Cache,
    user_id: i32,
    slug: &str,
    rating: i16,
    title: &str,
    body: &str,
) -> Result<ReviewView, CatalogError> {
    let invalid = |field: &'static str, message: &str| CatalogError::Invalid {
        field,
        message: message.to_string(),
    };
    if !(1..=5).contains(&rating) {
        return Err(invalid("rating", "Choose 1 to 5 stars."));
    }
    let title = title.trim();
    let body = body.trim();
    if title.chars().count() > 120 {
        return Err(invalid("title", "A title is at most 120 characters."));
    }
    if body.chars().count() < 10 {
        return Err(invalid(
            "body",
            "Tell other shoppers a little more (at least 10 characters).",
        ));
    }
    if body.chars().count() > 4000 {
        return Err(invalid("body", "A review is at most 4,000 characters."));
    }
    let txn = db.begin().await?;
    let found = product::Entity::find()
        .filter(product::Column::Slug.eq(slug))
        .filter(product::Column::Status.eq("active"))
        .one(&txn)
        .await?
        .ok_or_else(|| CatalogError::NotFound("This product is not available.".into()))?;
    if !has_purchased(&txn, user_id, found.id).await? {
        return Err(CatalogError::Conflict(
            "Only customers who bought this product can review it.".into(),
        ));
    }
    let now = Utc::now();
    let existing = review::Entity::find()
        .filter(review::Column::ProductId.eq(found.id))
        .filter(review::Column::UserId.eq(user_id))
        .one(&txn)
        .await?;
    let backend = txn.get_database_backend();
    let new = i64::from(rating) * 100;
    let saved = match existing {
        Some(old) => {
            // Replace the old rating in the average: sum − old + new over the same count.
            let old_rating = i64::from(old.rating) * 100;
            txn.execute(Statement::from_sql_and_values(
                backend,
                sql(backend, "UPDATE products SET rating_hundredths = CASE WHEN rating_count > 0 \
                   THEN (rating_hundredths * rating_count - $1 + $2 + rating_count / 2) / rating_count \
                   ELSE $2 END, updated_at = $3 WHERE id = $4"),
                [old_rating.into(), new.into(), now.into(), found.id.into()],
            ))
            .await?;
            let mut active = old.into_active_model();
            active.rating = Set(rating);
            active.title = Set(title.to_string());
            active.body = Set(body.to_string());
            active.updated_at = Set(now);
            active.update(&txn).await?
        }
        None => {
            let saved = review::ActiveModel {
                product_id: Set(found.id),
                user_id: Set(user_id),
                rating: Set(rating),
                title: Set(title.to_string()),
                body: Set(body.to_string()),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(|e| {
                // Two submissions racing: the unique index keeps one.
                if crate::server::db::is_unique_violation(&e) {
                    CatalogError::Conflict("You have already reviewed this product.".into())
                } else {
                    CatalogError::Db(e)
                }
            })?;
            txn.execute(Statement::from_sql_and_values(
                backend,
                sql(backend, "UPDATE products SET \
                   rating_hundredths = (rating_hundredths * rating_count + $1 + (rating_count + 1) / 2) / (rating_count + 1), \
                   rating_count = rating_count + 1, updated_at = $2 WHERE id = $3"),
                [new.into(), now.into(), found.id.into()],
            ))
            .await?;
            saved
        }
    };
    txn.commit().await?;
    cache::invalidate(cache_).await;
    let author = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .map(|u| short_name(&u.name))
        .unwrap_or_default();
    Ok(ReviewView {
        id: saved.id,
        author,
        rating: saved.rating,
        title: saved.title,
        body: saved.body,
        date: saved.created_at.format("%Y-%m-%d").to_string(),
        mine: true,
    })
}

/// `$n` placeholders for PostgreSQL, `?` (in order) for SQLite.
fn sql(backend: sea_orm::DbBackend, text: &str) -> String {
    if backend == sea_orm::DbBackend::Postgres {
        return text.to_string();
    }
    // SQLite numbered parameters: `?1`, `?2`… keep reuse of the same value working.
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_shortened() {
        assert_eq!(short_name("Budi Santoso"), "Budi S.");
        assert_eq!(short_name("Sari Dewi wulandari"), "Sari W.");
        assert_eq!(short_name("Cher"), "Cher");
        assert_eq!(short_name("  "), "Pembeli");
    }

    #[test]
    fn sqlite_gets_numbered_parameters() {
        assert_eq!(
            sql(sea_orm::DbBackend::Sqlite, "a = $1, b = $2, c = $1"),
            "a = ?1, b = ?2, c = ?1"
        );
    }
}
