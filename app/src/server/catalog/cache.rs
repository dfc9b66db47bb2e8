//! Cached listings: results are stored in the shared cache under the normalized query and the
//! catalogue's current version; any change to a product, price or stock bumps the version
//! (`invalidate`), so the next request recomputes and no stale price is ever served.
use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use sea_orm::{ConnectionTrait, DbErr, TransactionTrait};
use serde::{de::DeserializeOwned, Serialize};

use crate::{
    model::{Currency, ProductPage, ProductQuery, Suggestions},
    server::cache::Cache,
};

const VERSION_KEY: &str = "catalog:version";
const TTL: Duration = Duration::from_secs(300);

/// Off only for benchmarks of the uncached path (`PASAR_CATALOG_CACHE=off`); set at start-up.
static ENABLED: AtomicBool = AtomicBool::new(true);

pub fn set_enabled(enabled: bool) {
    ENABLED.store(enabled, Ordering::Relaxed);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Marks every cached listing stale. Call after committing a catalogue, price or stock change.
pub async fn invalidate(cache: &dyn Cache) {
    if let Err(e) = cache.incr_by(VERSION_KEY, 1, None).await {
        // The cache being down must not fail the write that already committed; entries still
        // expire within the TTL.
        tracing::warn!(error = %e, "catalog cache: could not bump version");
    }
}

/// The catalogue's current version (shared by every process through the cache); `None` when the
/// cache cannot be reached. While Redis is away the in-process stand-in counts on its own, so
/// its versions are marked (`m<outage>.<n>`) and never match one Redis handed out.
pub async fn current_version(cache: &dyn Cache) -> Option<String> {
    match cache.get(VERSION_KEY).await {
        Ok(v) => {
            let v = v.unwrap_or_else(|| "0".into());
            Some(match cache.stand_in() {
                Some(outage) => format!("m{outage}.{v}"),
                None => v,
            })
        }
        Err(e) => {
            tracing::warn!(error = %e, "catalog cache unavailable");
            None
        }
    }
}

/// The same query always produces the same key: trimmed lower-case text, sorted brands.
pub fn normalized(query: &ProductQuery) -> String {
    let mut q = query.clone();
    q.q = super::search_terms(&q.q).join(" ");
    q.brands.sort();
    q.brands.dedup();
    serde_json::to_string(&q).unwrap_or_default()
}

async fn cached<T, F>(cache: &dyn Cache, kind: &str, key: &str, compute: F) -> Result<T, DbErr>
where
    T: Serialize + DeserializeOwned,
    F: std::future::Future<Output = Result<T, DbErr>>,
{
    if !enabled() {
        return compute.await;
    }
    let Some(version) = current_version(cache).await else {
        return compute.await;
    };
    let full_key = format!("catalog:v{version}:{kind}:{key}");
    if let Ok(Some(hit)) = cache.get(&full_key).await {
        if let Ok(value) = serde_json::from_str(&hit) {
            crate::server::observability::cache_lookup("catalog", true);
            return Ok(value);
        }
    }
    crate::server::observability::cache_lookup("catalog", false);
    let value = compute.await?;
    if let Ok(text) = serde_json::to_string(&value) {
        if let Err(e) = cache.set(&full_key, &text, Some(TTL)).await {
            tracing::warn!(error = %e, "catalog cache: could not store");
        }
    }
    Ok(value)
}

/// `search_products` through the cache.
pub async fn search_products<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cache: &dyn Cache,
    currency: Currency,
    query: &ProductQuery,
) -> Result<ProductPage, DbErr> {
    cached(
        cache,
        "list",
        &normalized(query),
        super::search_products(db, currency, query),
    )
    .await
}

/// `suggest` through the cache.
pub async fn suggest<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    cache: &dyn Cache,
    currency: Currency,
    q: &str,
) -> Result<Suggestions, DbErr> {
    cached(
        cache,
        "suggest",
        &super::search_terms(q).join(" "),
        super::suggest(db, currency, q),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equivalent_queries_share_a_key() {
        let a = ProductQuery {
            q: "  Sepatu LARI ".into(),
            brands: vec!["b".into(), "a".into()],
            ..Default::default()
        };
        let b = ProductQuery {
            q: "sepatu lari".into(),
            brands: vec!["a".into(), "b".into(), "a".into()],
            ..Default::default()
        };
        assert_eq!(normalized(&a), normalized(&b));
    }
}
