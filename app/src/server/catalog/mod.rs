//! The catalogue: browsing, filtering, facets and search over active products, and keeping each
//! product's aggregates and search index up to date (`refresh_products`) after any change.
//!
//! Search: on PostgreSQL a weighted `tsvector` (name > brand/category > description) matched with
//! `websearch_to_tsquery` and a prefix query, plus `pg_trgm` word similarity on the name for
//! typos; on SQLite FTS5 with BM25 weights and prefix terms, with typo correction against the
//! index's vocabulary. Either way the best `CANDIDATE_CAP` matches are ranked, then filtered.
//! Search text only ever reaches SQL as a bound parameter.
use std::collections::{HashMap, HashSet};

use sea_orm::{
    sea_query::{Expr, Func, SimpleExpr},
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait, Value,
};

use super::db::{brand, category, product};
use crate::model::{
    Currency, FacetCount, Facets, Money, ProductPage, ProductQuery, ProductSummary, RatingCount,
    Sort,
};

pub mod cache;
pub mod demo;
mod detail;
pub mod import_export;
pub mod manage;
pub mod reviews;
pub mod synthetic;

pub use detail::{product_detail, render_markdown};
pub use synthetic::generate_synthetic_products;

/// How many best matches a search ranks before filters and paging.
pub const CANDIDATE_CAP: usize = 1000;

fn placeholders(backend: DbBackend, start: usize, count: usize) -> String {
    (0..count)
        .map(|i| match backend {
            DbBackend::Postgres => format!("${}", start + i),
            _ => "?".to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Recomputes price range, availability and the search index of these products. Call in the
/// same transaction as the change.
pub async fn refresh_products(db: &impl ConnectionTrait, ids: &[i32]) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    for chunk in ids.chunks(500) {
        let values: Vec<Value> = chunk.iter().map(|&id| id.into()).collect();
        let list = placeholders(backend, 1, chunk.len());
        let aggregates = format!(
            "UPDATE products SET \
               price_min = COALESCE((SELECT MIN(v.price) FROM product_variants v WHERE v.product_id = products.id AND v.active), 0), \
               price_max = COALESCE((SELECT MAX(v.price) FROM product_variants v WHERE v.product_id = products.id AND v.active), 0), \
               available = COALESCE((SELECT SUM(s.on_hand - s.reserved) FROM stock_levels s \
                   JOIN product_variants v ON v.id = s.variant_id WHERE v.product_id = products.id AND v.active), 0) \
             WHERE id IN ({list})"
        );
        db.execute(Statement::from_sql_and_values(
            backend,
            aggregates,
            values.clone(),
        ))
        .await?;
        let facets_sql = "COALESCE((SELECT b.name FROM brands b WHERE b.id = p.brand_id), '') || ' ' || \
             COALESCE((SELECT c.name FROM categories c WHERE c.id = p.category_id), '') || ' ' || \
             COALESCE((SELECT pc.name FROM categories c JOIN categories pc ON pc.id = c.parent_id WHERE c.id = p.category_id), '')";
        match backend {
            DbBackend::Postgres => {
                let sql = format!(
                    "UPDATE products AS p SET search_vector = \
                       setweight(to_tsvector('simple', p.name), 'A') || \
                       setweight(to_tsvector('simple', {facets_sql}), 'B') || \
                       setweight(to_tsvector('simple', p.description), 'C') \
                     WHERE p.id IN ({list})"
                );
                db.execute(Statement::from_sql_and_values(backend, sql, values))
                    .await?;
            }
            _ => {
                let delete = format!("DELETE FROM products_fts WHERE rowid IN ({list})");
                db.execute(Statement::from_sql_and_values(
                    backend,
                    delete,
                    values.clone(),
                ))
                .await?;
                let insert = format!(
                    "INSERT INTO products_fts (rowid, name, facets, description) \
                     SELECT p.id, p.name, {facets_sql}, p.description FROM products p WHERE p.id IN ({list})"
                );
                db.execute(Statement::from_sql_and_values(backend, insert, values))
                    .await?;
            }
        }
    }
    Ok(())
}

/// Lower-cased words of a search text: letters and digits only, at most 8 words of 40 chars.
pub fn search_terms(q: &str) -> Vec<String> {
    q.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(40).collect())
        .take(8)
        .collect()
}

#[derive(FromQueryResult)]
struct Scored {
    id: i32,
    score: f64,
}

/// The best `limit` matches for `q`, best first: (product id, score).
pub async fn search_candidates<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    q: &str,
    limit: usize,
) -> Result<Vec<(i32, f64)>, DbErr> {
    let terms = search_terms(q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let rows = match backend {
        DbBackend::Postgres => {
            let prefix = terms
                .iter()
                .map(|t| format!("{t}:*"))
                .collect::<Vec<_>>()
                .join(" & ");
            let text = terms.join(" ");
            let sql = format!(
                "SELECT id, (ts_rank_cd(search_vector, websearch_to_tsquery('simple', $1)) * 4 \
                   + ts_rank_cd(search_vector, to_tsquery('simple', $2)) \
                   + word_similarity($3, lower(name)))::float8 AS score \
                 FROM products \
                 WHERE status = 'active' AND (search_vector @@ websearch_to_tsquery('simple', $1) \
                   OR search_vector @@ to_tsquery('simple', $2) OR $3 <% lower(name)) \
                 ORDER BY score DESC, id LIMIT {limit}"
            );
            // One typo in a short word ("kemja" for "kemeja") scores 0.5; the default 0.6 would
            // miss it. SET LOCAL keeps the looser threshold to this transaction.
            let txn = db.begin().await?;
            txn.execute_unprepared("SET LOCAL pg_trgm.word_similarity_threshold = 0.45")
                .await?;
            let rows = Scored::find_by_statement(Statement::from_sql_and_values(
                backend,
                sql,
                [q.into(), prefix.into(), text.into()],
            ))
            .all(&txn)
            .await?;
            txn.commit().await?;
            rows
        }
        _ => {
            let mut rows = fts5_search(db, &terms, limit).await?;
            if rows.is_empty() {
                let corrected = correct_terms(db, &terms).await?;
                if corrected != terms {
                    rows = fts5_search(db, &corrected, limit).await?;
                }
            }
            rows
        }
    };
    Ok(rows.into_iter().map(|r| (r.id, r.score)).collect())
}

async fn fts5_search(
    db: &impl ConnectionTrait,
    terms: &[String],
    limit: usize,
) -> Result<Vec<Scored>, DbErr> {
    // Each term quoted (quotes doubled) and prefix-matched: no FTS5 syntax from the shopper.
    let expr = terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" ");
    let sql = format!(
        "SELECT f.rowid AS id, -bm25(products_fts, 10.0, 4.0, 1.0) AS score FROM products_fts f \
         JOIN products p ON p.id = f.rowid \
         WHERE products_fts MATCH ? AND p.status = 'active' ORDER BY score DESC, id LIMIT {limit}"
    );
    Scored::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        sql,
        [expr.into()],
    ))
    .all(db)
    .await
}

#[derive(FromQueryResult)]
struct VocabTerm {
    term: String,
}

/// SQLite's stand-in for trigram similarity: each term that no indexed word starts with is
/// replaced by the closest indexed word (Damerau–Levenshtein ≤ 1 for short words, ≤ 2 else).
async fn correct_terms(db: &impl ConnectionTrait, terms: &[String]) -> Result<Vec<String>, DbErr> {
    let mut out = Vec::with_capacity(terms.len());
    for term in terms {
        let len = term.chars().count() as i64;
        let first: String = term.chars().take(1).collect();
        let has_prefix = VocabTerm::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT term FROM products_fts_vocab WHERE substr(term, 1, ?) = ? LIMIT 1",
            [len.into(), term.clone().into()],
        ))
        .one(db)
        .await?
        .is_some();
        if has_prefix || len < 3 {
            out.push(term.clone());
            continue;
        }
        let candidates = VocabTerm::find_by_statement(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT term FROM products_fts_vocab WHERE length(term) BETWEEN ? AND ? AND substr(term, 1, 1) = ?",
            [(len - 2).into(), (len + 2).into(), first.into()],
        ))
        .all(db)
        .await?;
        let limit = if len <= 4 { 1 } else { 2 };
        let best = candidates
            .into_iter()
            .map(|c| (strsim::damerau_levenshtein(term, &c.term), c.term))
            .filter(|(d, _)| *d <= limit)
            .min();
        out.push(best.map(|(_, t)| t).unwrap_or_else(|| term.clone()));
    }
    Ok(out)
}

/// Which filters a query applies; facets leave out their own.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Skip {
    None,
    Category,
    Brand,
    Price,
    Rating,
    InStock,
}

struct Resolved {
    candidates: Option<Vec<i32>>,
    category_ids: Option<Vec<i32>>,
    brand_ids: Option<Vec<i32>>,
}

fn condition(query: &ProductQuery, resolved: &Resolved, skip: Skip) -> Condition {
    let mut cond = Condition::all().add(product::Column::Status.eq("active"));
    if let Some(ids) = &resolved.candidates {
        cond = cond.add(product::Column::Id.is_in(ids.clone()));
    }
    if skip != Skip::Category {
        if let Some(ids) = &resolved.category_ids {
            cond = cond.add(product::Column::CategoryId.is_in(ids.clone()));
        }
    }
    if skip != Skip::Brand {
        if let Some(ids) = &resolved.brand_ids {
            cond = cond.add(product::Column::BrandId.is_in(ids.clone()));
        }
    }
    if skip != Skip::Price {
        if let Some(min) = query.min_price {
            cond = cond.add(product::Column::PriceMin.gte(min));
        }
        if let Some(max) = query.max_price {
            cond = cond.add(product::Column::PriceMin.lte(max));
        }
    }
    if skip != Skip::Rating {
        if let Some(r) = query.min_rating {
            cond = cond.add(product::Column::RatingHundredths.gte(i32::from(r) * 100));
        }
    }
    if skip != Skip::InStock && query.in_stock {
        cond = cond.add(product::Column::Available.gt(0));
    }
    cond
}

/// All categories, and for each category id the ids of itself and its descendants.
async fn category_tree(
    db: &impl ConnectionTrait,
) -> Result<(Vec<category::Model>, HashMap<i32, Vec<i32>>), DbErr> {
    let all = category::Entity::find()
        .order_by_asc(category::Column::Position)
        .order_by_asc(category::Column::Name)
        .all(db)
        .await?;
    let mut subtree: HashMap<i32, Vec<i32>> = all.iter().map(|c| (c.id, vec![c.id])).collect();
    for c in &all {
        // Walk up from each category, adding it to every ancestor's subtree (guarding cycles).
        let mut seen = HashSet::new();
        let mut parent = c.parent_id;
        while let Some(p) = parent {
            if !seen.insert(p) {
                break;
            }
            if let Some(list) = subtree.get_mut(&p) {
                list.push(c.id);
            }
            parent = all.iter().find(|x| x.id == p).and_then(|x| x.parent_id);
        }
    }
    Ok((all, subtree))
}

#[derive(FromQueryResult)]
struct GroupCount {
    key: Option<i32>,
    count: i64,
}

#[derive(FromQueryResult)]
struct PriceRange {
    min: Option<i64>,
    max: Option<i64>,
}

/// A page of active products matching `query`, with facet counts. An unknown category or
/// brand slug simply matches nothing.
pub async fn search_products<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    currency: Currency,
    query: &ProductQuery,
) -> Result<ProductPage, DbErr> {
    let (categories, subtree) = category_tree(db).await?;
    let brands = brand::Entity::find()
        .order_by_asc(brand::Column::Name)
        .all(db)
        .await?;
    let searching = !search_terms(&query.q).is_empty();
    let scored = if searching {
        search_candidates(db, &query.q, CANDIDATE_CAP).await?
    } else {
        Vec::new()
    };
    let resolved = Resolved {
        candidates: searching.then(|| scored.iter().map(|(id, _)| *id).collect()),
        category_ids: query.category.as_ref().map(|slug| {
            categories
                .iter()
                .find(|c| &c.slug == slug)
                .and_then(|c| subtree.get(&c.id).cloned())
                .unwrap_or_default()
        }),
        brand_ids: (!query.brands.is_empty()).then(|| {
            brands
                .iter()
                .filter(|b| query.brands.contains(&b.slug))
                .map(|b| b.id)
                .collect()
        }),
    };

    let filtered = product::Entity::find().filter(condition(query, &resolved, Skip::None));
    let total = filtered.clone().count(db).await?;
    let per_page = query.per_page.max(1);
    let offset = (query.page.max(1) - 1) * per_page;

    let page_models: Vec<product::Model> = if searching && matches!(query.sort, Sort::Relevance) {
        let ids: HashSet<i32> = filtered
            .clone()
            .select_only()
            .column(product::Column::Id)
            .into_tuple::<i32>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let page_ids: Vec<i32> = scored
            .iter()
            .filter(|(id, _)| ids.contains(id))
            .skip(offset as usize)
            .take(per_page as usize)
            .map(|(id, _)| *id)
            .collect();
        let mut models = product::Entity::find()
            .filter(product::Column::Id.is_in(page_ids.clone()))
            .all(db)
            .await?;
        models.sort_by_key(|m| page_ids.iter().position(|id| *id == m.id));
        models
    } else {
        let (col, order) = match query.sort {
            Sort::PriceAsc => (product::Column::PriceMin, Order::Asc),
            Sort::PriceDesc => (product::Column::PriceMin, Order::Desc),
            Sort::Newest => (product::Column::CreatedAt, Order::Desc),
            Sort::Rating => (product::Column::RatingHundredths, Order::Desc),
            Sort::Popular | Sort::Relevance => (product::Column::SalesCount, Order::Desc),
        };
        let tie = if order == Order::Asc {
            Order::Asc
        } else {
            Order::Desc
        };
        filtered
            .order_by(col, order)
            .order_by(product::Column::Id, tie)
            .offset(offset)
            .limit(per_page)
            .all(db)
            .await?
    };

    let facets = facets(db, query, &resolved, &categories, &subtree, &brands).await?;
    let items = summaries(db, currency, page_models, &categories, &brands).await?;
    Ok(ProductPage {
        items,
        total,
        page: query.page.max(1),
        per_page,
        facets,
    })
}

async fn group_counts(
    db: &impl ConnectionTrait,
    cond: Condition,
    key: SimpleExpr,
) -> Result<Vec<GroupCount>, DbErr> {
    product::Entity::find()
        .filter(cond)
        .select_only()
        .column_as(key, "key")
        .column_as(Expr::col(product::Column::Id).count(), "count")
        // By the output alias: a bound literal in `key` would differ between SELECT and GROUP BY.
        .group_by(Expr::col(sea_orm::sea_query::Alias::new("key")))
        .into_model::<GroupCount>()
        .all(db)
        .await
}

async fn facets(
    db: &impl ConnectionTrait,
    query: &ProductQuery,
    resolved: &Resolved,
    categories: &[category::Model],
    subtree: &HashMap<i32, Vec<i32>>,
    brands: &[brand::Model],
) -> Result<Facets, DbErr> {
    let per_category: HashMap<i32, i64> = group_counts(
        db,
        condition(query, resolved, Skip::Category),
        Expr::col(product::Column::CategoryId).into(),
    )
    .await?
    .into_iter()
    .filter_map(|g| g.key.map(|k| (k, g.count)))
    .collect();
    let category_facets = categories
        .iter()
        .map(|c| {
            let count: i64 = subtree
                .get(&c.id)
                .map(|ids| ids.iter().filter_map(|id| per_category.get(id)).sum())
                .unwrap_or(0);
            FacetCount {
                slug: c.slug.clone(),
                name: c.name.clone(),
                count: count as u64,
                parent: c
                    .parent_id
                    .and_then(|p| categories.iter().find(|x| x.id == p))
                    .map(|p| p.slug.clone()),
            }
        })
        .filter(|f| f.count > 0)
        .collect();

    let per_brand: HashMap<i32, i64> = group_counts(
        db,
        condition(query, resolved, Skip::Brand),
        Expr::col(product::Column::BrandId).into(),
    )
    .await?
    .into_iter()
    .filter_map(|g| g.key.map(|k| (k, g.count)))
    .collect();
    let brand_facets = brands
        .iter()
        .filter_map(|b| {
            per_brand.get(&b.id).map(|&count| FacetCount {
                slug: b.slug.clone(),
                name: b.name.clone(),
                count: count as u64,
                parent: None,
            })
        })
        .collect();

    let buckets: Vec<GroupCount> = group_counts(
        db,
        condition(query, resolved, Skip::Rating),
        Expr::col(product::Column::RatingHundredths).div(100),
    )
    .await?;
    let ratings = (1..=4u8)
        .rev()
        .map(|min| RatingCount {
            min_rating: min,
            count: buckets
                .iter()
                .filter(|b| b.key.unwrap_or(0) >= i32::from(min))
                .map(|b| b.count as u64)
                .sum(),
        })
        .collect();

    let in_stock = product::Entity::find()
        .filter(condition(query, resolved, Skip::InStock).add(product::Column::Available.gt(0)))
        .count(db)
        .await?;
    let range = product::Entity::find()
        .filter(condition(query, resolved, Skip::Price))
        .select_only()
        .column_as(
            Expr::expr(Func::min(Expr::col(product::Column::PriceMin))),
            "min",
        )
        .column_as(
            Expr::expr(Func::max(Expr::col(product::Column::PriceMin))),
            "max",
        )
        .into_model::<PriceRange>()
        .one(db)
        .await?;
    Ok(Facets {
        categories: category_facets,
        brands: brand_facets,
        ratings,
        in_stock,
        price_min: range.as_ref().and_then(|r| r.min),
        price_max: range.as_ref().and_then(|r| r.max),
    })
}

async fn summaries(
    db: &impl ConnectionTrait,
    currency: Currency,
    models: Vec<product::Model>,
    categories: &[category::Model],
    brands: &[brand::Model],
) -> Result<Vec<ProductSummary>, DbErr> {
    let ids: Vec<i32> = models.iter().map(|m| m.id).collect();
    let mut images = manage::first_images(db, &ids).await?;
    Ok(models
        .into_iter()
        .map(|m| ProductSummary {
            brand: m
                .brand_id
                .and_then(|b| brands.iter().find(|x| x.id == b))
                .map(|b| b.name.clone()),
            category: categories
                .iter()
                .find(|c| c.id == m.category_id)
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            price: Money::new(m.price_min, currency).into(),
            rating: m.rating_hundredths as f32 / 100.0,
            rating_count: m.rating_count,
            in_stock: m.available > 0,
            image: images.remove(&m.id),
            id: m.id,
            slug: m.slug,
            name: m.name,
        })
        .collect())
}

/// Up to six products and four categories for the search box while the shopper types.
pub async fn suggest<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    currency: Currency,
    q: &str,
) -> Result<crate::model::Suggestions, DbErr> {
    use crate::model::{NamedLink, ProductSuggestion, Suggestions};
    let terms = search_terms(q);
    if terms.is_empty() {
        return Ok(Suggestions::default());
    }
    let ids: Vec<i32> = search_candidates(db, q, 6)
        .await?
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut models = product::Entity::find()
        .filter(product::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    models.sort_by_key(|m| ids.iter().position(|id| *id == m.id));
    let (categories, _) = category_tree(db).await?;
    let brands = brand::Entity::find().all(db).await?;
    let products = summaries(db, currency, models, &categories, &brands)
        .await?
        .into_iter()
        .map(|s| ProductSuggestion {
            slug: s.slug,
            name: s.name,
            price: s.price.formatted,
            image: s.image.map(|i| i.thumbnail),
        })
        .collect();
    let categories = categories
        .into_iter()
        .filter(|c| {
            let name = c.name.to_lowercase();
            terms.iter().all(|t| {
                name.split(|ch: char| !ch.is_alphanumeric())
                    .any(|w| w.starts_with(t.as_str()))
            })
        })
        .take(4)
        .map(|c| NamedLink {
            slug: c.slug,
            name: c.name,
        })
        .collect();
    Ok(Suggestions {
        products,
        categories,
    })
}

/// Changes one variant's price (an admin edit): validates, updates, refreshes the product's
/// aggregates in the same transaction, then invalidates cached listings.
pub async fn set_variant_price(
    db: &sea_orm::DatabaseConnection,
    cache: &dyn crate::server::cache::Cache,
    sku: &str,
    price: i64,
) -> Result<(), crate::error::AppError> {
    use sea_orm::{ActiveModelTrait, IntoActiveModel, Set};

    use super::db::product_variant;
    if price < 0 {
        return Err(crate::error::AppError::field(
            "price",
            "A price cannot be negative.",
        ));
    }
    let txn = db.begin().await?;
    let variant = product_variant::Entity::find()
        .filter(product_variant::Column::Sku.eq(sku))
        .one(&txn)
        .await?
        .ok_or_else(|| crate::error::AppError::NotFound(format!("No variant `{sku}`.")))?;
    let product_id = variant.product_id;
    let mut active = variant.into_active_model();
    active.price = Set(price);
    active.updated_at = Set(chrono::Utc::now());
    active.update(&txn).await?;
    refresh_products(&txn, &[product_id]).await?;
    txn.commit().await?;
    cache::invalidate(cache).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::search_terms;

    #[test]
    fn search_terms_keep_only_words() {
        assert_eq!(search_terms("Sepatu  LARI!"), vec!["sepatu", "lari"]);
        assert_eq!(
            search_terms("'; DROP TABLE products; --"),
            vec!["drop", "table", "products"]
        );
        assert!(search_terms("  ***  ").is_empty());
    }
}
