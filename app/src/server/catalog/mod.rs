//! The catalogue: browsing, filtering, facets and search over active products, and keeping each
//! product's aggregates and search index up to date (`refresh_products`) after any change.
//!
//! Search: on PostgreSQL a weighted `tsvector` (name > brand/category > description) matched with
//! `websearch_to_tsquery` and a prefix query (GIN), at most `CANDIDATE_POOL` matches ranked, and
//! `pg_trgm` word similarity on the name (GIN) when full text finds (almost) nothing, for typos;
//! on SQLite FTS5 with BM25 weights and prefix terms, with typo correction against the index's
//! vocabulary. Either way the best `CANDIDATE_CAP` matches are then filtered, sorted, paged and
//! counted in memory.
//! Search text only ever reaches SQL as a bound parameter.
use std::collections::{HashMap, HashSet};

use sea_orm::{
    sea_query::{Expr, Func, SimpleExpr},
    ColumnTrait, Condition, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Order,
    QueryFilter, QueryOrder, QuerySelect, Statement, TransactionTrait, Value,
};

use super::db::{brand, category, product};
use crate::model::{
    Currency, FacetCount, Facets, Money, ProductPage, ProductQuery, ProductSummary, RatingCount,
    Sort,
};

pub mod cache;
mod detail;
pub mod import_export;
pub mod manage;
pub mod reviews;

pub use detail::{product_detail, render_markdown};

/// `Kopi Arabika Gayo` → `kopi-arabika-gayo`.
pub fn slugify(text: &str) -> String {
    let mut slug = String::new();
    for c in text.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_string()
}

/// How many best matches a search keeps before filters and paging.
pub const CANDIDATE_CAP: usize = 1000;
/// How many matching rows PostgreSQL ranks at most: ranking is the costly part of a broad
/// search ("kemeja" over 100,000 products matches thousands), so a capped set is ranked.
const CANDIDATE_POOL: usize = 1000;
/// Fewer results than this (or than asked for) also try the typo-corrected words.
const TYPO_FALLBACK_BELOW: usize = 5;

/// `count` numbered bind parameters from `start` (`$1, $2` on PostgreSQL, `?1, ?2` on SQLite);
/// numbered, so one parameter can appear several times in a statement.
pub(crate) fn placeholders(backend: DbBackend, start: usize, count: usize) -> String {
    (0..count)
        .map(|i| match backend {
            DbBackend::Postgres => format!("${}", start + i),
            _ => format!("?{}", start + i),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Units a shopper can buy of the product `product` (an SQL expression): its active variants'
/// [`inventory::available_units_sql`](super::inventory::available_units_sql) summed.
pub fn product_available_sql(product: &str) -> String {
    format!(
        "COALESCE((SELECT SUM({}) FROM product_variants v WHERE v.product_id = {product} AND v.active), 0)",
        super::inventory::available_units_sql("v.id")
    )
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
               available = {available} \
             WHERE id IN ({list})",
            available = product_available_sql("products.id")
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
                db.execute(Statement::from_sql_and_values(backend, sql, values.clone()))
                    .await?;
                // The vocabulary typo correction picks from: words without digits (model
                // numbers and sizes are not misspelt words). Words are never removed: a stale
                // one only corrects to a word that finds nothing.
                let words = format!(
                    "INSERT INTO search_words (word) \
                     SELECT DISTINCT w FROM products p, unnest(tsvector_to_array(p.search_vector)) AS w \
                     WHERE p.id IN ({list}) AND w !~ '[0-9]' ON CONFLICT DO NOTHING"
                );
                db.execute(Statement::from_sql_and_values(backend, words, values))
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

/// The columns every candidate query returns: what filtering, sorting and facets need.
const CANDIDATE_COLUMNS: &str = "p.id, p.category_id, p.brand_id, p.price_min, \
    p.rating_hundredths, p.available, p.sales_count, p.created_at";

/// A search match with what filtering, sorting and facets need of it.
#[derive(Debug, Clone, FromQueryResult)]
pub struct CandidateRow {
    pub id: i32,
    /// Relevance: higher is better.
    pub score: f64,
    category_id: i32,
    brand_id: Option<i32>,
    price_min: i64,
    rating_hundredths: i32,
    available: i32,
    sales_count: i64,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// The best `limit` active matches for `q`, best first.
pub async fn search_candidates(
    db: &impl ConnectionTrait,
    q: &str,
    limit: usize,
) -> Result<Vec<CandidateRow>, DbErr> {
    let terms = search_terms(q);
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let backend = db.get_database_backend();
    let search = |terms: Vec<String>, any: bool| async move {
        match backend {
            DbBackend::Postgres => pg_search(db, q, &terms, any, limit).await,
            _ => fts5_search(db, &terms, any, limit).await,
        }
    };
    let few = |rows: &[CandidateRow]| rows.len() < limit.min(TYPO_FALLBACK_BELOW);
    let mut rows = search(terms.clone(), false).await?;
    let mut words = terms.clone();
    // Few or no results: maybe a typo. Correct the words against the index's vocabulary and
    // search again ("kemja" → "kemeja").
    if few(&rows) {
        let corrected = correct_terms(db, &terms).await?;
        if corrected != terms {
            let more = search(corrected.clone(), false).await?;
            append_new(&mut rows, more);
            words = corrected;
        }
    }
    // Still few, and several words no product has together ("kemja sepatu": no shirt is a
    // shoe): the products with any of them, those with more of the words first.
    if few(&rows) && words.len() > 1 {
        let more = search(words, true).await?;
        append_new(&mut rows, more);
    }
    rows.truncate(limit);
    Ok(rows)
}

/// Adds the rows not already in `rows`, after them.
fn append_new(rows: &mut Vec<CandidateRow>, more: Vec<CandidateRow>) {
    let seen: HashSet<i32> = rows.iter().map(|r| r.id).collect();
    rows.extend(more.into_iter().filter(|r| !seen.contains(&r.id)));
}

/// Full text on PostgreSQL: the shopper's text as a web search query OR-ed (`||`) with every
/// word as a prefix, which one bitmap scan of the tsvector GIN index answers. At most
/// `CANDIDATE_POOL` matches are ranked: ranking, not matching, is the cost of a broad term.
async fn pg_search(
    db: &impl ConnectionTrait,
    q: &str,
    terms: &[String],
    any: bool,
    limit: usize,
) -> Result<Vec<CandidateRow>, DbErr> {
    let prefix = terms
        .iter()
        .map(|t| format!("{t}:*"))
        .collect::<Vec<_>>()
        .join(if any { " | " } else { " & " });
    // A corrected search has other words than the shopper typed: rank by those. With `any`,
    // a product matching more of the words ranks higher.
    let text = if any {
        terms.join(" or ")
    } else if terms == search_terms(q).as_slice() {
        q.to_string()
    } else {
        terms.join(" ")
    };
    let sql = format!(
        "SELECT {CANDIDATE_COLUMNS}, (ts_rank_cd(p.search_vector, websearch_to_tsquery('simple', $1)) * 4 \
           + ts_rank_cd(p.search_vector, to_tsquery('simple', $2)) \
           + word_similarity($3, lower(p.name)))::float8 AS score \
         FROM (SELECT * FROM products WHERE status = 'active' AND search_vector @@ \
               (websearch_to_tsquery('simple', $1) || to_tsquery('simple', $2)) \
               LIMIT {CANDIDATE_POOL}) AS p \
         ORDER BY score DESC, p.id LIMIT {limit}"
    );
    CandidateRow::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        [text.into(), prefix.into(), terms.join(" ").into()],
    ))
    .all(db)
    .await
}

async fn fts5_search(
    db: &impl ConnectionTrait,
    terms: &[String],
    any: bool,
    limit: usize,
) -> Result<Vec<CandidateRow>, DbErr> {
    // Each term quoted (quotes doubled) and prefix-matched: no FTS5 syntax from the shopper.
    let expr = terms
        .iter()
        .map(|t| format!("\"{}\"*", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(if any { " OR " } else { " " });
    let sql = format!(
        "SELECT {CANDIDATE_COLUMNS}, -bm25(products_fts, 10.0, 4.0, 1.0) AS score FROM products_fts f \
         JOIN products p ON p.id = f.rowid \
         WHERE products_fts MATCH ? AND p.status = 'active' ORDER BY score DESC, p.id LIMIT {limit}"
    );
    CandidateRow::find_by_statement(Statement::from_sql_and_values(
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

/// Replaces each term that no indexed word starts with by the closest indexed word
/// (Damerau–Levenshtein ≤ 1 for words up to 4 letters, ≤ 2 else). The vocabulary is FTS5's on
/// SQLite and `search_words` (trigram-indexed) on PostgreSQL.
async fn correct_terms(db: &impl ConnectionTrait, terms: &[String]) -> Result<Vec<String>, DbErr> {
    let backend = db.get_database_backend();
    let (prefix_sql, candidates_sql) = match backend {
        DbBackend::Postgres => (
            // Terms are letters and digits only (`search_terms`), so LIKE needs no escaping.
            "SELECT word AS term FROM search_words WHERE word LIKE $1 || '%' AND length(word) >= $2 LIMIT 1",
            // `%` uses the trigram index; the closest 20 by similarity are enough to choose from.
            "SELECT word AS term FROM search_words WHERE word % $1 \
             AND length(word) BETWEEN $2 AND $3 AND left(word, 1) = $4 \
             ORDER BY similarity(word, $1) DESC LIMIT 20",
        ),
        _ => (
            "SELECT term FROM products_fts_vocab WHERE term >= ?1 AND substr(term, 1, ?2) = ?1 LIMIT 1",
            "SELECT term FROM products_fts_vocab WHERE term <> ?1 \
             AND length(term) BETWEEN ?2 AND ?3 AND substr(term, 1, 1) = ?4",
        ),
    };
    let mut out = Vec::with_capacity(terms.len());
    for term in terms {
        let len = term.chars().count() as i64;
        if len < 3 || term.chars().any(|c| c.is_ascii_digit()) {
            out.push(term.clone());
            continue;
        }
        let first: String = term.chars().take(1).collect();
        let has_prefix = VocabTerm::find_by_statement(Statement::from_sql_and_values(
            backend,
            prefix_sql,
            [term.clone().into(), len.into()],
        ))
        .one(db)
        .await?
        .is_some();
        if has_prefix {
            out.push(term.clone());
            continue;
        }
        let candidates = VocabTerm::find_by_statement(Statement::from_sql_and_values(
            backend,
            candidates_sql,
            [
                term.clone().into(),
                (len - 2).into(),
                (len + 2).into(),
                first.into(),
            ],
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
    category_ids: Option<Vec<i32>>,
    brand_ids: Option<Vec<i32>>,
}

fn condition(query: &ProductQuery, resolved: &Resolved, skip: Skip) -> Condition {
    let mut cond = Condition::all().add(product::Column::Status.eq("active"));
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

/// A page of active products matching `query`, with facet counts. An unknown category or
/// brand slug simply matches nothing.
///
/// Without search text, filters, sorting and facets are SQL over the whole catalogue (each an
/// index scan). With search text, the at most `CANDIDATE_CAP` best matches are loaded once and
/// filtered, sorted, paged and counted in memory: one small query instead of seven with a
/// thousand-id `IN` list each.
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
    let resolved = Resolved {
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
    let per_page = query.per_page.max(1);
    let offset = (query.page.max(1) - 1) * per_page;

    let (total, page_ids, counts) = if search_terms(&query.q).is_empty() {
        let filtered = product::Entity::find().filter(condition(query, &resolved, Skip::None));
        let (col, order) = match query.sort {
            Sort::PriceAsc => (product::Column::PriceMin, Order::Asc),
            Sort::PriceDesc => (product::Column::PriceMin, Order::Desc),
            Sort::Newest => (product::Column::CreatedAt, Order::Desc),
            Sort::Rating => (product::Column::RatingHundredths, Order::Desc),
            Sort::Popular | Sort::Relevance => (product::Column::SalesCount, Order::Desc),
        };
        // Ties by id in the same direction, so paging is stable.
        let page_ids: Vec<i32> = filtered
            .order_by(col, order.clone())
            .order_by(product::Column::Id, order)
            .offset(offset)
            .limit(per_page)
            .select_only()
            .column(product::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        let (total, counts) = facet_counts_sql(db, query, &resolved).await?;
        (total, page_ids, counts)
    } else {
        let rows = search_candidates(db, &query.q, CANDIDATE_CAP).await?;
        let matching: Vec<&CandidateRow> = rows
            .iter()
            .filter(|r| r.keeps(query, &resolved, Skip::None))
            .collect();
        let page_ids = sort_candidates(matching.clone(), query.sort)
            .into_iter()
            .skip(offset as usize)
            .take(per_page as usize)
            .map(|r| r.id)
            .collect();
        let counts = facet_counts_in_memory(&rows, query, &resolved);
        (matching.len() as u64, page_ids, counts)
    };

    let mut page_models = product::Entity::find()
        .filter(product::Column::Id.is_in(page_ids.clone()))
        .all(db)
        .await?;
    page_models.sort_by_key(|m| page_ids.iter().position(|id| *id == m.id));
    let facets = counts.into_facets(&categories, &subtree, &brands);
    let items = summaries(db, currency, page_models, &categories, &brands).await?;
    Ok(ProductPage {
        items,
        total,
        page: query.page.max(1),
        per_page,
        facets,
    })
}

impl CandidateRow {
    /// The in-memory twin of [`condition`] (the `status` and text match are already applied).
    fn keeps(&self, query: &ProductQuery, resolved: &Resolved, skip: Skip) -> bool {
        let in_list = |list: &Option<Vec<i32>>, id: Option<i32>| match list {
            Some(ids) => id.is_some_and(|id| ids.contains(&id)),
            None => true,
        };
        (skip == Skip::Category || in_list(&resolved.category_ids, Some(self.category_id)))
            && (skip == Skip::Brand || in_list(&resolved.brand_ids, self.brand_id))
            && (skip == Skip::Price
                || (query.min_price.is_none_or(|min| self.price_min >= min)
                    && query.max_price.is_none_or(|max| self.price_min <= max)))
            && (skip == Skip::Rating
                || query
                    .min_rating
                    .is_none_or(|r| self.rating_hundredths >= i32::from(r) * 100))
            && (skip == Skip::InStock || !query.in_stock || self.available > 0)
    }
}

/// Orders search matches as the SQL path orders the catalogue; ties fall back to relevance.
fn sort_candidates(mut rows: Vec<&CandidateRow>, sort: Sort) -> Vec<&CandidateRow> {
    use std::cmp::Reverse;
    // `rows` arrive best match first and the sort is stable, so equal keys keep that order.
    match sort {
        Sort::Relevance => {}
        Sort::PriceAsc => rows.sort_by_key(|r| r.price_min),
        Sort::PriceDesc => rows.sort_by_key(|r| Reverse(r.price_min)),
        Sort::Newest => rows.sort_by_key(|r| Reverse(r.created_at)),
        Sort::Rating => rows.sort_by_key(|r| Reverse(r.rating_hundredths)),
        Sort::Popular => rows.sort_by_key(|r| Reverse(r.sales_count)),
    }
    rows
}

/// Raw facet numbers, before they are named and nested for the page.
#[derive(Default)]
struct FacetCounts {
    per_category: HashMap<i32, i64>,
    per_brand: HashMap<i32, i64>,
    /// Products per whole-star rating (rating ÷ 100, rounded down).
    per_star: HashMap<i32, i64>,
    in_stock: u64,
    price_min: Option<i64>,
    price_max: Option<i64>,
}

impl FacetCounts {
    fn into_facets(
        self,
        categories: &[category::Model],
        subtree: &HashMap<i32, Vec<i32>>,
        brands: &[brand::Model],
    ) -> Facets {
        let category_facets = categories
            .iter()
            .map(|c| {
                let count: i64 = subtree
                    .get(&c.id)
                    .map(|ids| ids.iter().filter_map(|id| self.per_category.get(id)).sum())
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
        let brand_facets = brands
            .iter()
            .filter_map(|b| {
                self.per_brand.get(&b.id).map(|&count| FacetCount {
                    slug: b.slug.clone(),
                    name: b.name.clone(),
                    count: count as u64,
                    parent: None,
                })
            })
            .collect();
        let ratings = (1..=4u8)
            .rev()
            .map(|min| RatingCount {
                min_rating: min,
                count: self
                    .per_star
                    .iter()
                    .filter(|(star, _)| **star >= i32::from(min))
                    .map(|(_, n)| *n as u64)
                    .sum(),
            })
            .collect();
        Facets {
            categories: category_facets,
            brands: brand_facets,
            ratings,
            in_stock: self.in_stock,
            price_min: self.price_min,
            price_max: self.price_max,
        }
    }
}

/// Facet counts over search matches; each facet ignores its own filter.
fn facet_counts_in_memory(
    rows: &[CandidateRow],
    query: &ProductQuery,
    resolved: &Resolved,
) -> FacetCounts {
    let mut counts = FacetCounts::default();
    for r in rows {
        if r.keeps(query, resolved, Skip::Category) {
            *counts.per_category.entry(r.category_id).or_default() += 1;
        }
        if let (Some(brand), true) = (r.brand_id, r.keeps(query, resolved, Skip::Brand)) {
            *counts.per_brand.entry(brand).or_default() += 1;
        }
        if r.keeps(query, resolved, Skip::Rating) {
            *counts
                .per_star
                .entry(r.rating_hundredths / 100)
                .or_default() += 1;
        }
        if r.available > 0 && r.keeps(query, resolved, Skip::InStock) {
            counts.in_stock += 1;
        }
        if r.keeps(query, resolved, Skip::Price) {
            counts.price_min = Some(counts.price_min.map_or(r.price_min, |m| m.min(r.price_min)));
            counts.price_max = Some(counts.price_max.map_or(r.price_min, |m| m.max(r.price_min)));
        }
    }
    counts
}

/// One group of the facet pass: products of one category, brand and whole-star rating, with
/// how many of them each facet counts (each ignoring its own filter).
#[derive(FromQueryResult)]
struct FacetGroup {
    category_id: i32,
    brand_id: Option<i32>,
    star: Option<i32>,
    matching: Option<i64>,
    by_category: Option<i64>,
    by_brand: Option<i64>,
    by_star: Option<i64>,
    in_stock: Option<i64>,
    lowest: Option<i64>,
    highest: Option<i64>,
}

/// The number of products matching every filter, and the facet counts over the whole
/// catalogue (each facet ignoring its own filter), in one pass: the products are grouped by
/// category, brand and star, and each count sums the rows its own condition keeps. Every
/// column it reads is in the `idx_products_facets` index, so PostgreSQL need not read the table.
async fn facet_counts_sql(
    db: &impl ConnectionTrait,
    query: &ProductQuery,
    resolved: &Resolved,
) -> Result<(u64, FacetCounts), DbErr> {
    use sea_orm::sea_query::Alias;
    let counted = |cond: Condition| -> SimpleExpr {
        Expr::expr(Func::sum(
            Expr::case(cond, Expr::val(1)).finally(Expr::val(0)),
        ))
        .into()
    };
    let when = |skip: Skip| condition(query, resolved, skip);
    let price_if = |cond: Condition| Expr::case(cond, Expr::col(product::Column::PriceMin));
    let groups = product::Entity::find()
        .filter(product::Column::Status.eq("active"))
        .select_only()
        .column_as(Expr::col(product::Column::CategoryId), "category_id")
        .column_as(Expr::col(product::Column::BrandId), "brand_id")
        .column_as(
            Expr::col(product::Column::RatingHundredths).div(100),
            "star",
        )
        .column_as(counted(when(Skip::None)), "matching")
        .column_as(counted(when(Skip::Category)), "by_category")
        .column_as(counted(when(Skip::Brand)), "by_brand")
        .column_as(counted(when(Skip::Rating)), "by_star")
        .column_as(
            counted(when(Skip::InStock).add(product::Column::Available.gt(0))),
            "in_stock",
        )
        .column_as(Expr::expr(Func::min(price_if(when(Skip::Price)))), "lowest")
        .column_as(
            Expr::expr(Func::max(price_if(when(Skip::Price)))),
            "highest",
        )
        // By the output names: a bound literal in `star` would differ between SELECT and
        // GROUP BY.
        .group_by(Expr::col(Alias::new("category_id")))
        .group_by(Expr::col(Alias::new("brand_id")))
        .group_by(Expr::col(Alias::new("star")))
        .into_model::<FacetGroup>()
        .all(db)
        .await?;
    let mut total = 0u64;
    let mut counts = FacetCounts::default();
    for g in groups {
        let n = |v: Option<i64>| v.unwrap_or(0);
        total += u64::try_from(n(g.matching)).unwrap_or(0);
        if n(g.by_category) > 0 {
            *counts.per_category.entry(g.category_id).or_default() += n(g.by_category);
        }
        if let (Some(brand), true) = (g.brand_id, n(g.by_brand) > 0) {
            *counts.per_brand.entry(brand).or_default() += n(g.by_brand);
        }
        if let (Some(star), true) = (g.star, n(g.by_star) > 0) {
            *counts.per_star.entry(star).or_default() += n(g.by_star);
        }
        counts.in_stock += u64::try_from(n(g.in_stock)).unwrap_or(0);
        if let Some(low) = g.lowest {
            counts.price_min = Some(counts.price_min.map_or(low, |m| m.min(low)));
        }
        if let Some(high) = g.highest {
            counts.price_max = Some(counts.price_max.map_or(high, |m| m.max(high)));
        }
    }
    Ok((total, counts))
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
        .map(|r| r.id)
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
    use super::{search_terms, slugify};

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(
            slugify("Kopi Kenangan Kopi Arabika Gayo Biji"),
            "kopi-kenangan-kopi-arabika-gayo-biji"
        );
        assert_eq!(slugify("Makanan & Minuman"), "makanan-minuman");
        assert_eq!(slugify("Serum Niacinamide 10%"), "serum-niacinamide-10");
    }

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
