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
    /// A visit's session: `SET key value NX EX idle`. When it is new, `field` of `counters` goes
    /// up by one (a session started); when it exists, only its idle time starts again.
    Session {
        key: String,
        value: String,
        idle: Duration,
        counters: String,
        field: String,
    },
    /// `ZADD key at member`, then members last seen before `since` are dropped: who is on
    /// the shop right now.
    Seen {
        key: String,
        member: String,
        at: i64,
        since: i64,
    },
    /// `PFADD into <value of session>` when the session exists: the session placed an order.
    Convert { session: String, into: String },
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
    /// Recency sets and the oldest score still counted (`ZCOUNT key since +inf`).
    pub recent: Vec<(String, i64)>,
}

/// The answer to a [`Query`], in its order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub hashes: Vec<HashMap<String, i64>>,
    pub rankings: Vec<Vec<(String, i64)>>,
    pub uniques: Vec<u64>,
    pub recent: Vec<u64>,
}

#[async_trait]
pub trait CounterStore: Send + Sync + 'static {
    /// `redis` or `memory`.
    fn backend(&self) -> &'static str;
    /// Applies `ops` unless the `dedupe` marker was seen before (then nothing happens and the
    /// answer is `false`). Keys live `ttl`; the marker lives its own time (a money fact's as
    /// long as its day, a page view's an hour).
    async fn apply(
        &self,
        dedupe: Option<(&str, Duration)>,
        ops: &[Op],
        ttl: Duration,
    ) -> Result<bool, CacheError>;
    async fn read(&self, query: &Query) -> Result<Answer, CacheError>;
    /// Removes these keys (a rebuild starts its days from nothing).
    async fn remove(&self, keys: &[String]) -> Result<(), CacheError>;
    /// The random salt of `day` (made by whichever process asks first, shared by all, kept two
    /// days): visitor ids are hashed with it, so a visitor cannot be followed from day to day.
    async fn salt(&self, day: &str) -> Result<String, CacheError>;
}

fn fresh_salt() -> String {
    use rand::Rng;
    let bytes: [u8; 16] = rand::thread_rng().gen();
    hex::encode(bytes)
}

const SALT_TTL: Duration = Duration::from_secs(2 * 86_400);

/// The Lua side of [`RedisCounters::apply`]: `KEYS[1]` the dedupe marker (or `""`), `ARGV[1]`
/// the keys' time to live in seconds, `ARGV[2]` the marker's, then the ops as `h key field by`, `z key member by`, `u key
/// member`, `s key value idle counters field`, `l key member at since`, `c session into`.
/// Returns 1 when applied, 0 for a replay. (Keys travel in `ARGV`: fine on one Redis; a
/// Redis Cluster would need them declared in `KEYS` and on one slot.)
const APPLY: &str = r#"
local ttl = tonumber(ARGV[1])
if KEYS[1] ~= "" then
  if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then return 0 end
end
local i = 3
while i <= #ARGV do
  local op, key = ARGV[i], ARGV[i + 1]
  if op == 'h' then
    redis.call('HINCRBY', key, ARGV[i + 2], ARGV[i + 3]); redis.call('EXPIRE', key, ttl); i = i + 4
  elseif op == 'z' then
    redis.call('ZINCRBY', key, ARGV[i + 3], ARGV[i + 2]); redis.call('EXPIRE', key, ttl); i = i + 4
  elseif op == 'u' then
    redis.call('PFADD', key, ARGV[i + 2]); redis.call('EXPIRE', key, ttl); i = i + 3
  elseif op == 's' then
    if redis.call('SET', key, ARGV[i + 2], 'NX', 'EX', ARGV[i + 3]) then
      redis.call('HINCRBY', ARGV[i + 4], ARGV[i + 5], 1); redis.call('EXPIRE', ARGV[i + 4], ttl)
    else
      redis.call('EXPIRE', key, ARGV[i + 3])
    end
    i = i + 6
  elseif op == 'l' then
    redis.call('ZADD', key, ARGV[i + 3], ARGV[i + 2])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. ARGV[i + 4])
    redis.call('EXPIRE', key, ttl); i = i + 5
  else
    local session = redis.call('GET', key)
    if session then
      redis.call('PFADD', ARGV[i + 2], session); redis.call('EXPIRE', ARGV[i + 2], ttl)
    end
    i = i + 3
  end
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
        dedupe: Option<(&str, Duration)>,
        ops: &[Op],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let marker = dedupe.map(|(d, _)| self.key(d)).unwrap_or_default();
        let keep = dedupe.map_or(ttl, |(_, keep)| keep);
        let mut args: Vec<String> = vec![seconds(ttl).to_string(), seconds(keep).to_string()];
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
                Op::Session {
                    key,
                    value,
                    idle,
                    counters,
                    field,
                } => args.extend([
                    "s".into(),
                    self.key(key),
                    value.clone(),
                    seconds(*idle).to_string(),
                    self.key(counters),
                    field.clone(),
                ]),
                Op::Seen {
                    key,
                    member,
                    at,
                    since,
                } => args.extend([
                    "l".into(),
                    self.key(key),
                    member.clone(),
                    at.to_string(),
                    since.to_string(),
                ]),
                Op::Convert { session, into } => {
                    args.extend(["c".into(), self.key(session), self.key(into)])
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
        for (key, since) in &query.recent {
            let _: () = pipeline
                .zcount(self.key(key), *since as f64, f64::INFINITY)
                .await?;
        }
        let mut values: Vec<Value> = pipeline.all().await?;
        let expected =
            query.hashes.len() + query.rankings.len() + query.uniques.len() + query.recent.len();
        if values.len() != expected {
            return Err(CacheError::WrongType("analytics read".into()));
        }
        let recent = values.split_off(expected - query.recent.len());
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
        for value in recent {
            answer.recent.push(value.convert()?);
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

    async fn salt(&self, day: &str) -> Result<String, CacheError> {
        let key = self.key(&format!("analytics:salt:{day}"));
        let client = self.pool.next();
        let _: Option<String> = client
            .set(
                &key,
                fresh_salt(),
                Some(Expiration::EX(seconds(SALT_TTL))),
                Some(SetOptions::NX),
                false,
            )
            .await?;
        let salt: Option<String> = client.get(&key).await?;
        salt.ok_or_else(|| CacheError::WrongType("analytics salt".into()))
    }
}

#[derive(Debug)]
enum Slot {
    Hash(HashMap<String, i64>),
    Ranking(HashMap<String, i64>),
    /// Exact where Redis estimates (HyperLogLog's error is under 1% at these sizes).
    Unique(HashSet<String>),
    /// A session's value (its own idle expiry), or a salt.
    Text(String),
    /// Member → when last seen.
    Seen(HashMap<String, i64>),
    Marker,
}

/// Counters in this process (no Redis): the same operations under one lock, so an event is
/// applied whole or not at all here too.
#[derive(Default)]
pub struct MemoryCounters {
    slots: Mutex<Slots>,
}

#[derive(Default)]
struct Slots {
    map: HashMap<String, (Slot, Instant)>,
    /// Expired slots are swept at most once a minute, not on every event.
    swept: Option<Instant>,
}

impl MemoryCounters {
    pub fn new() -> Self {
        Self::default()
    }
}

/// The slot at `key`, made empty (`fresh(Default::default())`) when missing or expired (as
/// Redis would have dropped it), and kept until `until`: what every Redis write op does.
fn live_slot<'a, T: Default>(
    slots: &'a mut HashMap<String, (Slot, Instant)>,
    key: &str,
    now: Instant,
    until: Instant,
    fresh: fn(T) -> Slot,
) -> &'a mut Slot {
    let slot = slots
        .entry(key.to_string())
        .or_insert_with(|| (fresh(T::default()), until));
    if slot.1 <= now {
        slot.0 = fresh(T::default());
    }
    slot.1 = until;
    &mut slot.0
}

#[async_trait]
impl CounterStore for MemoryCounters {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn apply(
        &self,
        dedupe: Option<(&str, Duration)>,
        ops: &[Op],
        ttl: Duration,
    ) -> Result<bool, CacheError> {
        let now = Instant::now();
        let until = now + ttl;
        let mut guard = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if guard
            .swept
            .is_none_or(|at| now.duration_since(at) > Duration::from_secs(60))
        {
            guard.map.retain(|_, (_, expires)| *expires > now);
            guard.swept = Some(now);
        }
        let slots = &mut guard.map;
        if let Some((marker, keep)) = dedupe {
            if slots.get(marker).is_some_and(|(_, e)| *e > now) {
                return Ok(false);
            }
            slots.insert(marker.to_string(), (Slot::Marker, now + keep));
        }
        for op in ops {
            match op {
                Op::HashIncr { key, field, by } => {
                    if let Slot::Hash(h) = live_slot(slots, key, now, until, Slot::Hash) {
                        *h.entry(field.clone()).or_default() += by;
                    }
                }
                Op::RankIncr { key, member, by } => {
                    if let Slot::Ranking(r) = live_slot(slots, key, now, until, Slot::Ranking) {
                        *r.entry(member.clone()).or_default() += by;
                    }
                }
                Op::Unique { key, member } => {
                    if let Slot::Unique(u) = live_slot(slots, key, now, until, Slot::Unique) {
                        u.insert(member.clone());
                    }
                }
                Op::Session {
                    key,
                    value,
                    idle,
                    counters,
                    field,
                } => {
                    let idle_until = now + *idle;
                    match slots.get_mut(key).filter(|(_, e)| *e > now) {
                        Some(session) => session.1 = idle_until,
                        None => {
                            slots.insert(key.clone(), (Slot::Text(value.clone()), idle_until));
                            if let Slot::Hash(h) =
                                live_slot(slots, counters, now, until, Slot::Hash)
                            {
                                *h.entry(field.clone()).or_default() += 1;
                            }
                        }
                    }
                }
                Op::Seen {
                    key,
                    member,
                    at,
                    since,
                } => {
                    if let Slot::Seen(seen) = live_slot(slots, key, now, until, Slot::Seen) {
                        seen.insert(member.clone(), *at);
                        seen.retain(|_, last| *last >= *since);
                    }
                }
                Op::Convert { session, into } => {
                    let value = match slots.get(session) {
                        Some((Slot::Text(v), e)) if *e > now => Some(v.clone()),
                        _ => None,
                    };
                    if let Some(value) = value {
                        if let Slot::Unique(u) = live_slot(slots, into, now, until, Slot::Unique) {
                            u.insert(value);
                        }
                    }
                }
            }
        }
        Ok(true)
    }

    async fn read(&self, query: &Query) -> Result<Answer, CacheError> {
        let now = Instant::now();
        let guard = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let live = |key: &str| guard.map.get(key).filter(|(_, e)| *e > now).map(|(s, _)| s);
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
        for (key, since) in &query.recent {
            answer.recent.push(match live(key) {
                Some(Slot::Seen(seen)) => seen.values().filter(|at| **at >= *since).count() as u64,
                _ => 0,
            });
        }
        Ok(answer)
    }

    async fn remove(&self, keys: &[String]) -> Result<(), CacheError> {
        let mut guard = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            guard.map.remove(key);
        }
        Ok(())
    }

    async fn salt(&self, day: &str) -> Result<String, CacheError> {
        let now = Instant::now();
        let mut guard = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let key = format!("analytics:salt:{day}");
        if let Some((Slot::Text(salt), e)) = guard.map.get(&key) {
            if *e > now {
                return Ok(salt.clone());
            }
        }
        let salt = fresh_salt();
        guard
            .map
            .insert(key, (Slot::Text(salt.clone()), now + SALT_TTL));
        Ok(salt)
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
            .apply(Some(("seen:1", ttl)), &day_ops("a"), ttl)
            .await
            .unwrap());
        assert!(!store
            .apply(Some(("seen:1", ttl)), &day_ops("a"), ttl)
            .await
            .unwrap());
        assert!(store
            .apply(Some(("seen:2", ttl)), &day_ops("b"), ttl)
            .await
            .unwrap());
        let answer = store
            .read(&Query {
                hashes: vec!["d:2026-12-04".into(), "d:2026-12-03".into()],
                rankings: vec!["d:2026-12-04:units".into()],
                uniques: vec![vec!["d:2026-12-04:customers".into(), "none".into()]],
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(answer.hashes[0]["revenue"], 300_000);
        assert!(answer.hashes[1].is_empty());
        assert_eq!(answer.rankings[0], vec![("7".to_string(), 4)]);
        assert_eq!(answer.uniques, vec![2]);
    }

    #[tokio::test]
    async fn sessions_start_once_per_idle_spell_and_conversions_follow_them() {
        let store = MemoryCounters::new();
        let ttl = Duration::from_secs(60);
        let session = |value: &str| Op::Session {
            key: "session:v1".into(),
            value: value.into(),
            idle: Duration::from_secs(1800),
            counters: "traffic".into(),
            field: "sessions".into(),
        };
        let seen = |member: &str, at: i64| Op::Seen {
            key: "live".into(),
            member: member.into(),
            at,
            since: at - 300,
        };
        store
            .apply(None, &[session("v1:100"), seen("v1", 100)], ttl)
            .await
            .unwrap();
        // The same visitor again within the idle time: no new session.
        store
            .apply(None, &[session("v1:200"), seen("v1", 200)], ttl)
            .await
            .unwrap();
        store.apply(None, &[seen("v2", 501)], ttl).await.unwrap();
        store
            .apply(
                None,
                &[Op::Convert {
                    session: "session:v1".into(),
                    into: "converted".into(),
                }],
                ttl,
            )
            .await
            .unwrap();
        // No session for this one: nothing converts.
        store
            .apply(
                None,
                &[Op::Convert {
                    session: "session:none".into(),
                    into: "converted".into(),
                }],
                ttl,
            )
            .await
            .unwrap();
        let answer = store
            .read(&Query {
                hashes: vec!["traffic".into()],
                uniques: vec![vec!["converted".into()]],
                recent: vec![("live".into(), 501 - 300)],
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(answer.hashes[0]["sessions"], 1);
        assert_eq!(answer.uniques, vec![1]);
        // v1 was last seen at 200, before the 5 minutes up to 501: only v2 is here now.
        assert_eq!(answer.recent, vec![1]);
        assert_eq!(
            store.salt("2026-12-04").await.unwrap(),
            store.salt("2026-12-04").await.unwrap()
        );
        assert_ne!(
            store.salt("2026-12-04").await.unwrap(),
            store.salt("2026-12-05").await.unwrap()
        );
    }
}
