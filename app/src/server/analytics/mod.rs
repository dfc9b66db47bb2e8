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

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
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
    pub counters: String,
    pub revenue_by_product: String,
    pub units_by_product: String,
    pub customers: String,
    pub visitors: String,
}

impl DayKeys {
    pub fn of(day: NaiveDate) -> Self {
        let d = day.format("%Y-%m-%d");
        Self {
            counters: format!("analytics:{d}"),
            revenue_by_product: format!("analytics:{d}:revenue_by_product"),
            units_by_product: format!("analytics:{d}:units_by_product"),
            customers: format!("analytics:{d}:customers"),
            visitors: format!("analytics:{d}:visitors"),
        }
    }

    pub fn all(&self) -> Vec<String> {
        vec![
            self.counters.clone(),
            self.revenue_by_product.clone(),
            self.units_by_product.clone(),
            self.customers.clone(),
            self.visitors.clone(),
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
}

impl Analytics {
    pub fn new(store: Arc<dyn CounterStore>, time_zone: &str, retention_days: u32) -> Self {
        Self {
            store,
            tz: time_zone.parse().unwrap_or(chrono_tz::Asia::Jakarta),
            retention: Duration::from_secs(u64::from(retention_days.max(1)) * 86_400),
        }
    }

    /// The shop's calendar day of an instant.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.tz).date_naive()
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
                    member: customer,
                },
            ];
            ops.push(if is_first_paid_order(db, &order).await? {
                incr(field::NEW_CUSTOMERS, 1)
            } else {
                incr(field::RETURNING_CUSTOMERS, 1)
            });
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

/// Counts the outbox facts not counted yet, oldest first, each applied once (its outbox id is
/// the dedupe key) and then marked counted. Stops at the first failure (Redis away): the rest
/// wait for the next round. Returns how many facts were counted.
pub async fn count_outbox(
    db: &DatabaseConnection,
    analytics: &Analytics,
) -> Result<usize, CountError> {
    const BATCH: u64 = 200;
    let mut counted = 0;
    loop {
        let batch = outbox_event::Entity::find()
            .filter(outbox_event::Column::CountedAt.is_null())
            .filter(outbox_event::Column::Kind.is_in(COUNTED_KINDS))
            .order_by_asc(outbox_event::Column::Id)
            .limit(BATCH)
            .all(db)
            .await?;
        if batch.is_empty() {
            return Ok(counted);
        }
        for event in &batch {
            let ops = ops_for(db, analytics, event).await?;
            analytics
                .store
                .apply(
                    Some(&format!("analytics:seen:{}", event.id)),
                    &ops,
                    analytics.retention,
                )
                .await?;
            outbox_event::Entity::update_many()
                .col_expr(outbox_event::Column::CountedAt, Some(Utc::now()).into())
                .filter(outbox_event::Column::Id.eq(event.id))
                .exec(db)
                .await?;
            counted += 1;
        }
        if (batch.len() as u64) < BATCH {
            return Ok(counted);
        }
    }
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

/// Everything the dashboard shows for `range` ending on the shop's day of `now`, against the
/// period before it, read in one round trip to the counters.
pub async fn view(
    db: &impl ConnectionTrait,
    analytics: &Analytics,
    range: crate::model::AnalyticsRange,
    now: DateTime<Utc>,
) -> Result<crate::model::AnalyticsView, CountError> {
    use crate::model::{
        percent, AnalyticsView, DayFigures, Figure, MethodFigures, Rate, TopProduct,
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
            .map(|k| k.counters.clone())
            .collect(),
        rankings: keys
            .iter()
            .flat_map(|k| [k.revenue_by_product.clone(), k.units_by_product.clone()])
            .collect(),
        uniques: vec![
            keys.iter().map(|k| k.customers.clone()).collect(),
            earlier.iter().map(|k| k.customers.clone()).collect(),
        ],
    };
    let answer = analytics.store.read(&query).await?;
    let (now_days, then_days) = answer.hashes.split_at(keys.len());
    let figure = |name: &str| Figure::new(sum_field(now_days, name), sum_field(then_days, name));
    let revenue = figure(field::REVENUE);
    let orders = figure(field::ORDERS);
    let aov = |revenue: i64, orders: i64| if orders > 0 { revenue / orders } else { 0 };
    let success = |hashes: &[HashMap<String, i64>]| {
        let paid = sum_prefixed(hashes, field::PAID_BY);
        let failed = sum_prefixed(hashes, field::FAILED_BY);
        percent(paid, paid + failed)
    };

    let mut revenue_by: HashMap<i32, i64> = HashMap::new();
    let mut units_by: HashMap<i32, i64> = HashMap::new();
    for (i, ranking) in answer.rankings.iter().enumerate() {
        let into = if i % 2 == 0 {
            &mut revenue_by
        } else {
            &mut units_by
        };
        for (member, score) in ranking {
            if let Ok(id) = member.parse::<i32>() {
                *into.entry(id).or_default() += score;
            }
        }
    }
    let top = |by: &HashMap<i32, i64>| {
        let mut ids: Vec<(i32, i64)> = by.iter().map(|(id, v)| (*id, *v)).collect();
        ids.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        ids.truncate(TOP);
        ids
    };
    let (by_revenue, by_units) = (top(&revenue_by), top(&units_by));
    let mut ids: Vec<i32> = by_revenue
        .iter()
        .chain(by_units.iter())
        .map(|(id, _)| *id)
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
    let product = |(id, _): &(i32, i64)| TopProduct {
        product_id: *id,
        name: names
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("Product #{id}")),
        revenue: revenue_by.get(id).copied().unwrap_or(0),
        units: units_by.get(id).copied().unwrap_or(0),
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
    let customers = Figure::new(
        i64::try_from(answer.uniques.first().copied().unwrap_or(0)).unwrap_or(i64::MAX),
        i64::try_from(answer.uniques.get(1).copied().unwrap_or(0)).unwrap_or(i64::MAX),
    );
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
        series,
        top_by_revenue: by_revenue.iter().map(product).collect(),
        top_by_units: by_units.iter().map(product).collect(),
        payment_methods,
        generated_at: now.to_rfc3339(),
    })
}

/// The background worker: counts new outbox facts every `every`. When Redis is away a round
/// fails and the facts wait in the outbox; one warning per outage, not one per round.
pub fn spawn_worker(state: crate::server::state::AppState, every: Duration) {
    tokio::spawn(async move {
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
