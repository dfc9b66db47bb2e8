//! Analytics: per-day counters of what the shop sells, kept in Redis (or in process without
//! `REDIS_URL`) and read by the admin dashboard and `GET /api/v1/admin/analytics`.
//!
//! Money comes from the transactional outbox (`order.paid`, `refund.confirmed`,
//! `payment.failed`): [`count_outbox`] applies each fact once, with its outbox id as the dedupe
//! key in the same atomic step as the counters, and marks it counted afterwards. A crash
//! between the two, or Redis being away, leaves the fact uncounted in the outbox; the next
//! round applies it, and the dedupe key makes a second application change nothing. The
//! database stays the source of truth.
//!
//! Days are the shop's (`[shop] time_zone`, local midnight); a fact counts on the day it
//! happened (a refund is negative on its own day). Every key expires after
//! `[analytics] retention_days`.
pub mod store;
pub mod tracking;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr,
    EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionTrait,
};

use self::store::{CounterStore, Op};
use crate::server::{
    cache::CacheError,
    db::{order, order_item, outbox_event},
};

/// The outbox facts analytics counts.
pub const COUNTED_KINDS: [&str; 3] = ["order.paid", "refund.confirmed", "payment.failed"];

/// Fields of a day's counter hash.
pub mod field {
    pub const REVENUE: &str = "revenue";
    pub const ORDERS: &str = "orders";
    pub const UNITS: &str = "units";
    pub const REFUNDS: &str = "refunds";
    pub const REFUNDED: &str = "refunded";
    pub const NEW_CUSTOMERS: &str = "new_customers";
    pub const RETURNING_CUSTOMERS: &str = "returning_customers";
    /// Followed by the payment method: `paid:qris`.
    pub const PAID_BY: &str = "paid:";
    /// Followed by the payment method: `failed:card`.
    pub const FAILED_BY: &str = "failed:";
}

/// The keys of one day.
pub struct DayKeys {
    /// Money: revenue, orders, units, refunds, payments by method.
    pub counters: String,
    pub revenue_by_product: String,
    pub units_by_product: String,
    /// Customers with a paid order, and those of them with an earlier paid order.
    pub customers: String,
    pub returning: String,
    /// Traffic: page views, sessions, the funnel ([`tracking::field`]).
    pub traffic: String,
    pub visitors: String,
    /// Sessions that placed an order.
    pub converted_sessions: String,
}

impl DayKeys {
    pub fn of(day: NaiveDate) -> Self {
        let d = day.format("%Y-%m-%d");
        Self {
            counters: format!("analytics:{d}"),
            revenue_by_product: format!("analytics:{d}:revenue_by_product"),
            units_by_product: format!("analytics:{d}:units_by_product"),
            customers: format!("analytics:{d}:customers"),
            returning: format!("analytics:{d}:returning"),
            traffic: format!("analytics:{d}:traffic"),
            visitors: format!("analytics:{d}:visitors"),
            converted_sessions: format!("analytics:{d}:converted_sessions"),
        }
    }

    /// The keys counted from the database, which a rebuild starts again. Traffic is not in
    /// the database (page views are never stored there) and is left as it is.
    pub fn money(&self) -> Vec<String> {
        vec![
            self.counters.clone(),
            self.revenue_by_product.clone(),
            self.units_by_product.clone(),
            self.customers.clone(),
            self.returning.clone(),
        ]
    }
}

/// The analytics side of the shop: where counters go, the shop's time zone and how long they
/// are kept.
#[derive(Clone)]
pub struct Analytics {
    pub store: Arc<dyn CounterStore>,
    pub tz: chrono_tz::Tz,
    pub retention: Duration,
    /// Visits and the funnel, queued by requests for the tracking worker.
    pub tracker: tracking::Tracker,
    /// How long a computed view is served again (`[analytics] read_cache_ms`): many open
    /// dashboards then cost one read of the counters per period, not one each.
    pub read_cache: Duration,
    views: Arc<std::sync::Mutex<ViewCache>>,
    /// One round of counting (or a rebuild) at a time for these counters, in this process;
    /// on PostgreSQL an advisory lock covers the other processes. Per shop, not per process:
    /// a process-wide lock let one shop's round (another test app's, in the test binary) make
    /// a dashboard read of this shop skip counting its own new facts.
    counting: Arc<tokio::sync::Mutex<()>>,
}

type ViewCache = std::collections::HashMap<
    crate::model::AnalyticsRange,
    (std::time::Instant, crate::model::AnalyticsView),
>;

impl Analytics {
    pub fn new(store: Arc<dyn CounterStore>, time_zone: &str, retention_days: u32) -> Self {
        Self {
            store,
            tz: time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta),
            retention: Duration::from_secs(u64::from(retention_days.max(1)) * 86_400),
            tracker: tracking::Tracker::default(),
            read_cache: Duration::ZERO,
            views: Arc::default(),
            counting: Arc::default(),
        }
    }

    pub fn with_read_cache(mut self, read_cache: Duration) -> Self {
        self.read_cache = read_cache;
        self
    }

    /// The view of `range` computed less than [`Self::read_cache`] ago, if any.
    pub fn cached_view(
        &self,
        range: crate::model::AnalyticsRange,
    ) -> Option<crate::model::AnalyticsView> {
        if self.read_cache.is_zero() {
            return None;
        }
        let views = self.views.lock().unwrap_or_else(|p| p.into_inner());
        views
            .get(&range)
            .filter(|(at, _)| at.elapsed() < self.read_cache)
            .map(|(_, view)| view.clone())
    }

    pub fn keep_view(&self, view: &crate::model::AnalyticsView) {
        if !self.read_cache.is_zero() {
            let mut views = self.views.lock().unwrap_or_else(|p| p.into_inner());
            views.insert(view.range, (std::time::Instant::now(), view.clone()));
        }
    }

    /// The shop's calendar day of an instant.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
    }

    /// The first and last shop day still within the retention, seen at `now`.
    pub fn window(&self, now: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
        let today = self.day_of(now);
        let days = i64::try_from(self.retention.as_secs() / 86_400)
            .unwrap_or(1)
            .max(1);
        (today - chrono::Duration::days(days - 1), today)
    }

    /// How long the keys of `day` still live, seen on `today`: the retention less the day's
    /// age (at least one day); none once it is past.
    pub fn ttl_for(&self, day: NaiveDate, today: NaiveDate) -> Option<Duration> {
        let age = u64::try_from((today - day).num_days()).unwrap_or(0);
        let retention_days = self.retention.as_secs() / 86_400;
        (age < retention_days).then(|| Duration::from_secs((retention_days - age).max(1) * 86_400))
    }
}

/// Why a fact could not be counted now; it stays in the outbox for the next round.
#[derive(Debug, thiserror::Error)]
pub enum CountError {
    #[error(transparent)]
    Store(#[from] CacheError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// The counter changes of one outbox fact (none for a fact analytics does not count, or whose
/// order is gone).
pub async fn ops_for(
    db: &impl ConnectionTrait,
    analytics: &Analytics,
    event: &outbox_event::Model,
) -> Result<Vec<Op>, DbErr> {
    let payload: serde_json::Value = serde_json::from_str(&event.payload).unwrap_or_default();
    let Some(order_id) = payload["order_id"]
        .as_i64()
        .and_then(|id| i32::try_from(id).ok())
    else {
        return Ok(Vec::new());
    };
    let Some(order) = order::Entity::find_by_id(order_id).one(db).await? else {
        return Ok(Vec::new());
    };
    let keys = DayKeys::of(analytics.day_of(event.created_at));
    let incr = |field: &str, by: i64| Op::HashIncr {
        key: keys.counters.clone(),
        field: field.to_string(),
        by,
    };
    let method = if order.payment_method.is_empty() {
        "other".to_string()
    } else {
        order.payment_method.clone()
    };
    match event.kind.as_str() {
        "order.paid" => {
            let items = order_item::Entity::find()
                .filter(order_item::Column::OrderId.eq(order.id))
                .order_by_asc(order_item::Column::Id)
                .all(db)
                .await?;
            let units: i64 = items.iter().map(|i| i64::from(i.quantity)).sum();
            let customer = customer_key(&order);
            let mut ops = vec![
                incr(field::REVENUE, order.grand_total),
                incr(field::ORDERS, 1),
                incr(field::UNITS, units),
                incr(&format!("{}{method}", field::PAID_BY), 1),
                Op::Unique {
                    key: keys.customers.clone(),
                    member: customer.clone(),
                },
            ];
            if is_first_paid_order(db, &order).await? {
                ops.push(incr(field::NEW_CUSTOMERS, 1));
            } else {
                ops.push(incr(field::RETURNING_CUSTOMERS, 1));
                ops.push(Op::Unique {
                    key: keys.returning.clone(),
                    member: customer,
                });
            }
            for item in &items {
                ops.push(Op::RankIncr {
                    key: keys.revenue_by_product.clone(),
                    member: item.product_id.to_string(),
                    by: item.line_total,
                });
                ops.push(Op::RankIncr {
                    key: keys.units_by_product.clone(),
                    member: item.product_id.to_string(),
                    by: i64::from(item.quantity),
                });
            }
            Ok(ops)
        }
        "refund.confirmed" => {
            let amount = payload["amount"].as_i64().unwrap_or(0);
            Ok(vec![
                incr(field::REVENUE, -amount),
                incr(field::REFUNDED, amount),
                incr(field::REFUNDS, 1),
            ])
        }
        "payment.failed" => Ok(vec![incr(&format!("{}{method}", field::FAILED_BY), 1)]),
        _ => Ok(Vec::new()),
    }
}

/// Who bought, without personal data in Redis: the account id, or for a guest a hash of the
/// lower-cased email.
fn customer_key(order: &order::Model) -> String {
    use sha2::{Digest, Sha256};
    match order.user_id {
        Some(id) => format!("u{id}"),
        None => {
            let digest = Sha256::digest(order.email.trim().to_lowercase().as_bytes());
            format!("g{}", hex::encode(&digest[..12]))
        }
    }
}

/// Whether no earlier order of the same customer was paid. A customer is an account, or for
/// guest orders an email address (the same rule as [`customer_key`]).
async fn is_first_paid_order(
    db: &impl ConnectionTrait,
    order: &order::Model,
) -> Result<bool, DbErr> {
    let mut query = order::Entity::find()
        .filter(order::Column::Id.ne(order.id))
        .filter(order::Column::PaidAt.is_not_null())
        .filter(order::Column::PaidAt.lte(order.paid_at.unwrap_or(order.created_at)));
    query = match order.user_id {
        Some(id) => query.filter(order::Column::UserId.eq(id)),
        None => query
            .filter(order::Column::UserId.is_null())
            .filter(order::Column::Email.eq(order.email.clone())),
    };
    Ok(query.count(db).await? == 0)
}

/// The PostgreSQL advisory lock key of counting (any fixed number; "pasar-analytics").
const COUNTING_LOCK: i64 = 0x7061_7361_7261_6e61;

/// Counts the outbox facts not counted yet, oldest first, each applied once (its outbox id is
/// the dedupe key) and then marked counted. Stops at the first failure (Redis away): the rest
/// wait for the next round. When another round is counting right now, returns 0 at once: that
/// round counts them. Returns how many facts were counted.
pub async fn count_outbox(
    db: &DatabaseConnection,
    analytics: &Analytics,
) -> Result<usize, CountError> {
    let Ok(_local) = analytics.counting.try_lock() else {
        return Ok(0);
    };
    if db.get_database_backend() != DbBackend::Postgres {
        // One process: the mutex is the lock. No transaction, so SQLite's single write lock
        // is never held while Redis answers (or times out).
        return count_in(db, analytics).await;
    }
    let txn = db.begin().await?;
    if !lock(&txn, false).await? {
        return Ok(0);
    }
    let counted = count_in(&txn, analytics).await?;
    txn.commit().await?;
    Ok(counted)
}

/// Takes the cross-process counting lock for the transaction (PostgreSQL; SQLite has one
/// process, which the mutex covers). `wait`: block until it is free; otherwise `false` when
/// it is taken.
async fn lock(txn: &DatabaseTransaction, wait: bool) -> Result<bool, DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(true);
    }
    #[derive(FromQueryResult)]
    struct Taken {
        taken: bool,
    }
    let sql = if wait {
        format!("SELECT true AS taken FROM (SELECT pg_advisory_xact_lock({COUNTING_LOCK})) l")
    } else {
        format!("SELECT pg_try_advisory_xact_lock({COUNTING_LOCK}) AS taken")
    };
    Ok(
        Taken::find_by_statement(Statement::from_string(DbBackend::Postgres, sql))
            .one(txn)
            .await?
            .is_some_and(|t| t.taken),
    )
}

async fn count_in(txn: &impl ConnectionTrait, analytics: &Analytics) -> Result<usize, CountError> {
    const BATCH: u64 = 200;
    let mut counted = 0;
    let today = analytics.day_of(Utc::now());
    loop {
        let batch = outbox_event::Entity::find()
            .filter(outbox_event::Column::CountedAt.is_null())
            .filter(outbox_event::Column::Kind.is_in(COUNTED_KINDS))
            .order_by_asc(outbox_event::Column::Id)
            .limit(BATCH)
            .all(txn)
            .await?;
        if batch.is_empty() {
            return Ok(counted);
        }
        for event in &batch {
            // A day past its retention is not counted (its keys would outlive it).
            let day = analytics.day_of(event.created_at);
            if let Some(ttl) = analytics.ttl_for(day, today) {
                let mut ops = ops_for(txn, analytics, event).await?;
                if day < today && !ops.is_empty() {
                    // A day already over changed: its cached unions are stale.
                    ops.push(new_generation());
                }
                analytics
                    .store
                    .apply(Some((&seen_key(event.id), ttl)), &ops, ttl)
                    .await?;
            }
            outbox_event::Entity::update_many()
                .col_expr(outbox_event::Column::CountedAt, Some(Utc::now()).into())
                .filter(outbox_event::Column::Id.eq(event.id))
                .exec(txn)
                .await?;
            counted += 1;
        }
        if (batch.len() as u64) < BATCH {
            return Ok(counted);
        }
    }
}

/// Moves the cached unions of closed days to a new generation ([`store::GENERATION`]).
fn new_generation() -> Op {
    Op::HashIncr {
        key: store::GENERATION.to_string(),
        field: "n".to_string(),
        by: 1,
    }
}

fn seen_key(id: i64) -> String {
    format!("analytics:seen:{id}")
}

/// What a rebuild did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rebuilt {
    pub days: usize,
    pub facts: usize,
}

/// Rebuilds the counters of the shop days `from..=to` from the database: their keys are
/// removed and every fact of those days counted again, under the counting lock, so a round
/// of live counting never runs in between (it waits, then finds nothing to do). Days past the
/// retention are skipped. If it is interrupted, run it again.
pub async fn rebuild(
    db: &DatabaseConnection,
    analytics: &Analytics,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Rebuilt, CountError> {
    let today = analytics.day_of(Utc::now());
    let days: Vec<NaiveDate> = from
        .iter_days()
        .take_while(|d| *d <= to)
        .filter(|d| analytics.ttl_for(*d, today).is_some())
        .collect();
    let _local = analytics.counting.lock().await;
    if db.get_database_backend() != DbBackend::Postgres {
        return rebuild_in(db, analytics, &days).await;
    }
    let txn = db.begin().await?;
    lock(&txn, true).await?;
    let done = rebuild_in(&txn, analytics, &days).await?;
    txn.commit().await?;
    Ok(done)
}

async fn rebuild_in(
    txn: &impl ConnectionTrait,
    analytics: &Analytics,
    days: &[NaiveDate],
) -> Result<Rebuilt, CountError> {
    let (Some(first), Some(last)) = (days.first(), days.last()) else {
        return Ok(Rebuilt { days: 0, facts: 0 });
    };
    let start = local_midnight(analytics, *first);
    let end = local_midnight(analytics, *last + chrono::Duration::days(1));
    let facts = outbox_event::Entity::find()
        .filter(outbox_event::Column::Kind.is_in(COUNTED_KINDS))
        .filter(outbox_event::Column::CreatedAt.gte(start))
        .filter(outbox_event::Column::CreatedAt.lt(end))
        .all(txn)
        .await?;
    let mut keys: Vec<String> = days.iter().flat_map(|d| DayKeys::of(*d).money()).collect();
    keys.extend(facts.iter().map(|f| seen_key(f.id)));
    for chunk in keys.chunks(500) {
        analytics.store.remove(chunk).await?;
    }
    analytics
        .store
        .apply(None, &[new_generation()], analytics.retention)
        .await?;
    for chunk in facts.chunks(500) {
        outbox_event::Entity::update_many()
            .col_expr(
                outbox_event::Column::CountedAt,
                Option::<DateTime<Utc>>::None.into(),
            )
            .filter(outbox_event::Column::Id.is_in(chunk.iter().map(|f| f.id)))
            .exec(txn)
            .await?;
    }
    let counted = count_in(txn, analytics).await?;
    Ok(Rebuilt {
        days: days.len(),
        facts: counted.max(facts.len()),
    })
}

/// The instant a shop day starts (its local midnight, in UTC).
fn local_midnight(analytics: &Analytics, day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    analytics
        .tz
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

/// How many products the top lists show.
pub const TOP: usize = 5;

fn sum_field(hashes: &[std::collections::HashMap<String, i64>], name: &str) -> i64 {
    hashes
        .iter()
        .map(|h| h.get(name).copied().unwrap_or(0))
        .sum()
}

fn sum_prefixed(hashes: &[std::collections::HashMap<String, i64>], prefix: &str) -> i64 {
    hashes
        .iter()
        .flat_map(|h| h.iter())
        .filter(|(k, _)| k.starts_with(prefix))
        .map(|(_, v)| *v)
        .sum()
}

/// The union of one kind of key (`key`) over `days`: every day before `today` is closed.
fn union_of(days: &[NaiveDate], today: NaiveDate, key: fn(&DayKeys) -> String) -> store::Union {
    let (closed, open): (Vec<NaiveDate>, Vec<NaiveDate>) = days.iter().partition(|d| **d < today);
    let name = match (closed.first(), closed.last()) {
        (Some(first), Some(last)) => {
            let sample = key(&DayKeys::of(*first));
            // `analytics:<day>:<kind>` → `analytics:union:<kind>:<first>:<last>`.
            let kind = sample.splitn(3, ':').nth(2).unwrap_or("counters");
            format!("analytics:union:{kind}:{first}:{last}")
        }
        _ => String::new(),
    };
    let keys = |days: Vec<NaiveDate>| days.into_iter().map(|d| key(&DayKeys::of(d))).collect();
    store::Union {
        name,
        closed: keys(closed),
        open: keys(open),
    }
}

/// Everything the dashboard shows for `range` ending on the shop's day of `now`, against the
/// period before it, read in one round trip to the counters.
pub async fn view(
    db: &impl ConnectionTrait,
    analytics: &Analytics,
    range: crate::model::AnalyticsRange,
    now: DateTime<Utc>,
) -> Result<crate::model::AnalyticsView, CountError> {
    use crate::model::{
        percent, AnalyticsView, DayFigures, Figure, Funnel, MethodFigures, Rate, TopProduct,
    };
    use std::collections::HashMap;

    let today = analytics.day_of(now);
    let n = i64::from(range.days());
    let days: Vec<NaiveDate> = (0..n)
        .rev()
        .map(|back| today - chrono::Duration::days(back))
        .collect();
    let before: Vec<NaiveDate> = (n..2 * n)
        .rev()
        .map(|back| today - chrono::Duration::days(back))
        .collect();
    let keys: Vec<DayKeys> = days.iter().map(|d| DayKeys::of(*d)).collect();
    let earlier: Vec<DayKeys> = before.iter().map(|d| DayKeys::of(*d)).collect();
    let query = store::Query {
        hashes: keys
            .iter()
            .chain(earlier.iter())
            .flat_map(|k| [k.counters.clone(), k.traffic.clone()])
            .collect(),
        uniques: [
            |k: &DayKeys| k.customers.clone(),
            |k: &DayKeys| k.returning.clone(),
            |k: &DayKeys| k.visitors.clone(),
            |k: &DayKeys| k.converted_sessions.clone(),
        ]
        .iter()
        .flat_map(|key| [union_of(&days, today, *key), union_of(&before, today, *key)])
        .collect(),
        tops: Some(store::Tops {
            first: union_of(&days, today, |k| k.revenue_by_product.clone()),
            second: union_of(&days, today, |k| k.units_by_product.clone()),
            n: TOP,
        }),
        recent: vec![(
            tracking::LIVE_KEY.to_string(),
            now.timestamp() - tracking::RIGHT_NOW.as_secs() as i64,
        )],
    };
    let answer = analytics.store.read(&query).await?;
    // Each day's money hash, then its traffic hash.
    let (money, traffic): (Vec<_>, Vec<_>) = answer
        .hashes
        .chunks(2)
        .map(|pair| (pair[0].clone(), pair.get(1).cloned().unwrap_or_default()))
        .unzip();
    let (now_days, then_days) = money.split_at(keys.len());
    let (now_traffic, then_traffic) = traffic.split_at(keys.len());
    let unique =
        |i: usize| i64::try_from(answer.uniques.get(i).copied().unwrap_or(0)).unwrap_or(i64::MAX);
    let traffic_figure =
        |name: &str| Figure::new(sum_field(now_traffic, name), sum_field(then_traffic, name));
    let sessions = traffic_figure(tracking::field::SESSIONS);
    let figure = |name: &str| Figure::new(sum_field(now_days, name), sum_field(then_days, name));
    let revenue = figure(field::REVENUE);
    let orders = figure(field::ORDERS);
    let aov = |revenue: i64, orders: i64| if orders > 0 { revenue / orders } else { 0 };
    let success = |hashes: &[HashMap<String, i64>]| {
        let paid = sum_prefixed(hashes, field::PAID_BY);
        let failed = sum_prefixed(hashes, field::FAILED_BY);
        percent(paid, paid + failed)
    };

    // Highest first, ties by product id; (id, revenue, units).
    let top = |ranked: &[store::Ranked], revenue_first: bool| {
        let mut ids: Vec<(i32, i64, i64)> = ranked
            .iter()
            .filter_map(|r| {
                let id = r.member.parse::<i32>().ok()?;
                Some(if revenue_first {
                    (id, r.score, r.other)
                } else {
                    (id, r.other, r.score)
                })
            })
            .collect();
        let key = |t: &(i32, i64, i64)| if revenue_first { t.1 } else { t.2 };
        ids.sort_by(|a, b| key(b).cmp(&key(a)).then_with(|| a.0.cmp(&b.0)));
        ids.truncate(TOP);
        ids
    };
    let (by_revenue, by_units) = (top(&answer.top_first, true), top(&answer.top_second, false));
    let mut ids: Vec<i32> = by_revenue
        .iter()
        .chain(by_units.iter())
        .map(|(id, _, _)| *id)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names: HashMap<i32, String> = if ids.is_empty() {
        HashMap::new()
    } else {
        crate::server::db::product::Entity::find()
            .filter(crate::server::db::product::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect()
    };
    let product = |(id, revenue, units): &(i32, i64, i64)| TopProduct {
        product_id: *id,
        name: names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("Product #{id}")),
        revenue: *revenue,
        units: *units,
    };

    let mut methods: HashMap<String, (i64, i64)> = HashMap::new();
    for h in now_days {
        for (k, v) in h {
            if let Some(m) = k.strip_prefix(field::PAID_BY) {
                methods.entry(m.to_string()).or_default().0 += v;
            } else if let Some(m) = k.strip_prefix(field::FAILED_BY) {
                methods.entry(m.to_string()).or_default().1 += v;
            }
        }
    }
    let mut payment_methods: Vec<MethodFigures> = methods
        .into_iter()
        .map(|(method, (succeeded, failed))| MethodFigures {
            method,
            succeeded,
            failed,
        })
        .collect();
    payment_methods.sort_by(|a, b| {
        b.succeeded
            .cmp(&a.succeeded)
            .then_with(|| a.method.cmp(&b.method))
    });

    let get = |h: &HashMap<String, i64>, name: &str| h.get(name).copied().unwrap_or(0);
    let series = days
        .iter()
        .zip(now_days)
        .map(|(day, h)| DayFigures {
            day: day.format("%Y-%m-%d").to_string(),
            revenue: get(h, field::REVENUE),
            orders: get(h, field::ORDERS),
            new_customers: get(h, field::NEW_CUSTOMERS),
            returning_customers: get(h, field::RETURNING_CUSTOMERS),
        })
        .collect();
    let customers = Figure::new(unique(0), unique(1));
    let returning = (unique(2), unique(3));
    let converted = (unique(6), unique(7));
    let returning_customer_rate = Rate {
        current: percent(returning.0, customers.current),
        previous: percent(returning.1, customers.previous),
    };
    Ok(AnalyticsView {
        range,
        from: days
            .first()
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        to: today.format("%Y-%m-%d").to_string(),
        average_order_value: Figure::new(
            aov(revenue.current, orders.current),
            aov(revenue.previous, orders.previous),
        ),
        revenue,
        orders,
        units: figure(field::UNITS),
        customers,
        new_customers: figure(field::NEW_CUSTOMERS),
        returning_customers: figure(field::RETURNING_CUSTOMERS),
        refunded: figure(field::REFUNDED),
        payment_success_rate: Rate {
            current: success(now_days),
            previous: success(then_days),
        },
        returning_customer_rate,
        conversion_rate: Rate {
            current: percent(converted.0, sessions.current),
            previous: percent(converted.1, sessions.previous),
        },
        visitors_now: i64::try_from(answer.recent.first().copied().unwrap_or(0))
            .unwrap_or(i64::MAX),
        visitors: Figure::new(unique(4), unique(5)),
        page_views: traffic_figure(tracking::field::PAGE_VIEWS),
        funnel: Funnel {
            sessions: sessions.current,
            product_views: sum_field(now_traffic, tracking::field::PRODUCT_VIEWS),
            add_to_cart: sum_field(now_traffic, tracking::field::ADD_TO_CART),
            checkouts_started: sum_field(now_traffic, tracking::field::CHECKOUTS_STARTED),
            orders_placed: sum_field(now_traffic, tracking::field::ORDERS_PLACED),
        },
        sessions,
        series,
        top_by_revenue: by_revenue.iter().map(product).collect(),
        top_by_units: by_units.iter().map(product).collect(),
        payment_methods,
        generated_at: now.to_rfc3339(),
    })
}

/// The background worker: counts new outbox facts every `every`. With the in-process store
/// (no Redis) it first rebuilds the retention window from the database: a restart starts
/// with empty counters. When Redis is away a round
/// fails and the facts wait in the outbox; one warning per outage, not one per round.
pub fn spawn_worker(state: crate::server::state::AppState, every: Duration) {
    tracking::spawn_worker(state.analytics.clone());
    tokio::spawn(async move {
        if state.analytics.store.backend() == "memory" {
            let (from, to) = state.analytics.window(Utc::now());
            if let Err(e) = rebuild(&state.db, &state.analytics, from, to).await {
                tracing::warn!(error = %e, "analytics: rebuilding the in-process counters failed");
            }
        }
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tick.tick().await;
            match count_outbox(&state.db, &state.analytics).await {
                Ok(_) if failing => {
                    failing = false;
                    tracing::info!("analytics: counting again");
                }
                Ok(_) => {}
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "analytics: cannot count now; the facts wait in the outbox");
                }
                Err(_) => {}
            }
        }
    });
}

#[derive(Debug, FromQueryResult)]
struct SlowRow {
    sku: String,
    product_id: i32,
    product_name: String,
    title: String,
    available: i64,
    last_sold: Option<DateTime<Utc>>,
}

/// Variants for sale with units available and no paid sale since `days` ago: the most units
/// standing still first (at most 10).
pub async fn slow_movers(
    db: &impl ConnectionTrait,
    days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<crate::model::SlowMover>, DbErr> {
    let backend = db.get_database_backend();
    let since = now - chrono::Duration::days(i64::from(days.max(1)));
    let last_sold =
        "(SELECT MAX(o.paid_at) FROM order_items oi JOIN orders o ON o.id = oi.order_id \
                      WHERE oi.variant_id = v.id AND o.paid_at IS NOT NULL)";
    let available = crate::server::inventory::available_units_sql("v.id");
    let rows = SlowRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT * FROM (SELECT v.sku, p.id AS product_id, p.name AS product_name, v.title, \
               CAST({available} AS BIGINT) AS available, {last_sold} AS last_sold \
             FROM product_variants v JOIN products p ON p.id = v.product_id \
             WHERE v.active AND p.status = 'active') s \
             WHERE s.available > 0 AND (s.last_sold IS NULL OR s.last_sold < {}) \
             ORDER BY s.available DESC, s.sku LIMIT 10",
            crate::server::catalog::placeholders(backend, 1, 1)
        ),
        [since.into()],
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| crate::model::SlowMover {
            sku: r.sku,
            product_id: r.product_id,
            product_name: r.product_name,
            variant_title: r.title,
            available: r.available,
            last_sold: r.last_sold.map(|t| t.to_rfc3339()),
        })
        .collect())
}
