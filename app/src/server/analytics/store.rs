//! Where the analytics counters live: Redis (through `fred`) or, without `REDIS_URL`, an
//! in-process map with the same behaviour. An event is a list of [`Op`]s applied at once with
//! its dedupe key: on Redis one Lua script checks the key (`SET NX`) and applies every op in
//! the same atomic step, so a replayed event (an outbox retry, a duplicate webhook) changes
//! nothing. Every key gets the retention as its time to live.
use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
    time::{Duration, Instant},
};

use async_trait::async_trait;
use fred::prelude::*;

use crate::server::cache::CacheError;

/// One change of a counter.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// `HINCRBY key field by`: a per-day counter.
    HashIncr { key: String, field: String, by: i64 },
    /// `ZINCRBY key by member`: a per-day ranking (top products).
    RankIncr {
        key: String,
        member: String,
        by: i64,
    },
    /// `PFADD key member`: a per-day unique count (visitors, customers).
    Unique { key: String, member: String },
}

/// What a read asks for, all in one round trip.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Hashes of counters, read whole.
    pub hashes: Vec<String>,
    /// Rankings, read whole (a day has at most the products sold that day).
    pub rankings: Vec<String>,
    /// Groups of unique-count keys; each group is counted as one union.
    pub uniques: Vec<Vec<String>>,
}

/// The answer to a [`Query`], in its order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub hashes: Vec<HashMap<String, i64>>,
    pub rankings: Vec<Vec<(String, i64)>>,
    pub uniques: Vec<u64>,
}

#[async_trait]
pub trait CounterStore: Send + Sync + 'static {
    /// `redis` or `memory`.
    fn backend(&self) -> &'static str;
    /// Applies `ops` unless `dedupe` was seen before (then nothing happens and the answer is
    /// `false`). Keys (and the dedupe marker) live `ttl`.
    async fn apply(
        &self,
        dedupe: Option<&str>,
        ops: &[Op],
        ttl: Duration,
    ) -> Result<bool, CacheError>;
    async fn read(&self, query: &Query) -> Result<Answer, CacheError>;
    /// Removes these keys (a rebuild starts its days from nothing).
    async fn remove(&self, keys: &[String]) -> Result<(), CacheError>;
}

/// The Lua side of [`RedisCounters::apply`]: `KEYS[1]` the dedupe marker (or `""`), `ARGV[1]`
/// the time to live in seconds, then the ops as `h key field by`, `z key member by`, `u key
/// member`. Returns 1 when applied, 0 for a replay.
const APPLY: &str = r#"
local ttl = tonumber(ARGV[1])
if KEYS[1] ~= "" then
  if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ttl) then return 0 end
end
local i = 2
while i <= #ARGV do
  local op, key = ARGV[i], ARGV[i + 1]
  if op == 'h' then
    redis.call('HINCRBY', key, ARGV[i + 2], ARGV[i + 3]); i = i + 4
  elseif op == 'z' then
    redis.call('ZINCRBY', key, ARGV[i + 3], ARGV[i + 2]); i = i + 4
  else
    redis.call('PFADD', key, ARGV[i + 2]); i = i + 3
  end
  redis.call('EXPIRE', key, ttl)
end
return 1
"#;

/// Counters in Redis, every key under `prefix`.
pub struct RedisCounters {
    pool: Pool,
    prefix: String,
}

impl RedisCounters {
    pub fn new(pool: Pool, prefix: impl Into<String>) -> Self {
        Self {
            pool,
            prefix: prefix.into(),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn seconds(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX).max(1)
}

#[async_trait]
impl CounterStore for RedisCounters {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn apply(
        &self,
        dedupe: Option<&str>,
        ops: &[Op],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let marker = dedupe.map(|d| self.key(d)).unwrap_or_default();
        let mut args: Vec<String> = vec![seconds(ttl).to_string()];
        for op in ops {
            match op {
                Op::HashIncr { key, field, by } => {
                    args.extend(["h".into(), self.key(key), field.clone(), by.to_string()])
                }
                Op::RankIncr { key, member, by } => {
                    args.extend(["z".into(), self.key(key), member.clone(), by.to_string()])
                }
                Op::Unique { key, member } => {
                    args.extend(["u".into(), self.key(key), member.clone()])
                }
            }
        }
        let applied: i64 = self.pool.next().eval(APPLY, vec![marker], args).await?;
        Ok(applied == 1)
    }

    async fn read(&self, query: &Query) -> Result<Answer, CacheError> {
        // One pipeline: every hash, ranking and union count in one round trip.
        let client = self.pool.next();
        let pipeline = client.pipeline();
        for key in &query.hashes {
            let _: () = pipeline.hgetall(self.key(key)).await?;
        }
        for key in &query.rankings {
            let _: () = pipeline
                .zrange(self.key(key), 0, -1, None, true, None, true)
                .await?;
        }
        for group in &query.uniques {
            let keys: Vec<String> = group.iter().map(|k| self.key(k)).collect();
            let _: () = pipeline.pfcount(keys).await?;
        }
        let mut values: Vec<Value> = pipeline.all().await?;
        if values.len() != query.hashes.len() + query.rankings.len() + query.uniques.len() {
            return Err(CacheError::WrongType("analytics read".into()));
        }
        let uniques = values.split_off(query.hashes.len() + query.rankings.len());
        let rankings = values.split_off(query.hashes.len());
        let mut answer = Answer::default();
        for value in values {
            let raw: HashMap<String, String> = value.convert()?;
            answer.hashes.push(
                raw.into_iter()
                    .map(|(k, v)| (k, v.parse().unwrap_or(0)))
                    .collect(),
            );
        }
        for value in rankings {
            // With scores, newest Redis answers pairs; older ones a flat list.
            let flat: Vec<Value> = match value {
                Value::Array(items) => items
                    .into_iter()
                    .flat_map(|v| match v {
                        Value::Array(pair) => pair,
                        other => vec![other],
                    })
                    .collect(),
                Value::Null => Vec::new(),
                _ => return Err(CacheError::WrongType("analytics ranking".into())),
            };
            let mut ranking = Vec::with_capacity(flat.len() / 2);
            for pair in flat.chunks(2) {
                if let [member, score] = pair {
                    let member: String = member.clone().convert()?;
                    let score: f64 = score.clone().convert()?;
                    ranking.push((member, score.round() as i64));
                }
            }
            answer.rankings.push(ranking);
        }
        for value in uniques {
            answer.uniques.push(value.convert()?);
        }
        Ok(answer)
    }

    async fn remove(&self, keys: &[String]) -> Result<(), CacheError> {
        if keys.is_empty() {
            return Ok(());
        }
        let keys: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let _: i64 = self.pool.del(keys).await?;
        Ok(())
    }
}

#[derive(Debug)]
enum Slot {
    Hash(HashMap<String, i64>),
    Ranking(HashMap<String, i64>),
    /// Exact where Redis estimates (HyperLogLog's error is under 1% at these sizes).
    Unique(HashSet<String>),
    Marker,
}

/// Counters in this process (no Redis): the same operations under one lock, so an event is
/// applied whole or not at all here too.
#[derive(Default)]
pub struct MemoryCounters {
    slots: Mutex<HashMap<String, (Slot, Instant)>>,
}

impl MemoryCounters {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl CounterStore for MemoryCounters {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn apply(
        &self,
        dedupe: Option<&str>,
        ops: &[Op],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let now = Instant::now();
        let until = now + ttl;
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.retain(|_, (_, expires)| *expires > now);
        if let Some(marker) = dedupe {
            if slots.contains_key(marker) {
                return Ok(false);
            }
            slots.insert(marker.to_string(), (Slot::Marker, until));
        }
        for op in ops {
            match op {
                Op::HashIncr { key, field, by } => {
                    let slot = slots
                        .entry(key.clone())
                        .or_insert_with(|| (Slot::Hash(HashMap::new()), until));
                    slot.1 = until;
                    if let Slot::Hash(h) = &mut slot.0 {
                        *h.entry(field.clone()).or_default() += by;
                    }
                }
                Op::RankIncr { key, member, by } => {
                    let slot = slots
                        .entry(key.clone())
                        .or_insert_with(|| (Slot::Ranking(HashMap::new()), until));
                    slot.1 = until;
                    if let Slot::Ranking(r) = &mut slot.0 {
                        *r.entry(member.clone()).or_default() += by;
                    }
                }
                Op::Unique { key, member } => {
                    let slot = slots
                        .entry(key.clone())
                        .or_insert_with(|| (Slot::Unique(HashSet::new()), until));
                    slot.1 = until;
                    if let Slot::Unique(u) = &mut slot.0 {
                        u.insert(member.clone());
                    }
                }
            }
        }
        Ok(true)
    }

    async fn read(&self, query: &Query) -> Result<Answer, CacheError> {
        let now = Instant::now();
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let live = |key: &str| slots.get(key).filter(|(_, e)| *e > now).map(|(s, _)| s);
        let mut answer = Answer::default();
        for key in &query.hashes {
            answer.hashes.push(match live(key) {
                Some(Slot::Hash(h)) => h.clone(),
                _ => HashMap::new(),
            });
        }
        for key in &query.rankings {
            let mut ranking: Vec<(String, i64)> = match live(key) {
                Some(Slot::Ranking(r)) => r.iter().map(|(m, s)| (m.clone(), *s)).collect(),
                _ => Vec::new(),
            };
            ranking.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            answer.rankings.push(ranking);
        }
        for group in &query.uniques {
            let mut union: HashSet<&String> = HashSet::new();
            for key in group {
                if let Some(Slot::Unique(u)) = live(key) {
                    union.extend(u.iter());
                }
            }
            answer.uniques.push(union.len() as u64);
        }
        Ok(answer)
    }

    async fn remove(&self, keys: &[String]) -> Result<(), CacheError> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            slots.remove(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day_ops(order: &str) -> Vec<Op> {
        vec![
            Op::HashIncr {
                key: "d:2026-12-04".into(),
                field: "revenue".into(),
                by: 150_000,
            },
            Op::RankIncr {
                key: "d:2026-12-04:units".into(),
                member: "7".into(),
                by: 2,
            },
            Op::Unique {
                key: "d:2026-12-04:customers".into(),
                member: order.into(),
            },
        ]
    }

    #[tokio::test]
    async fn an_event_counts_once_in_memory() {
        let store = MemoryCounters::new();
        let ttl = Duration::from_secs(60);
        assert!(store
            .apply(Some("seen:1"), &day_ops("a"), ttl)
            .await
            .unwrap());
        assert!(!store
            .apply(Some("seen:1"), &day_ops("a"), ttl)
            .await
            .unwrap());
        assert!(store
            .apply(Some("seen:2"), &day_ops("b"), ttl)
            .await
            .unwrap());
        let answer = store
            .read(&Query {
                hashes: vec!["d:2026-12-04".into(), "d:2026-12-03".into()],
                rankings: vec!["d:2026-12-04:units".into()],
                uniques: vec![vec!["d:2026-12-04:customers".into(), "none".into()]],
            })
            .await
            .unwrap();
        assert_eq!(answer.hashes[0]["revenue"], 300_000);
        assert!(answer.hashes[1].is_empty());
        assert_eq!(answer.rankings[0], vec![("7".to_string(), 4)]);
        assert_eq!(answer.uniques, vec![2]);
    }
}
