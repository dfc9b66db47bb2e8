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

/// A count over several days. The days that are over (`closed`) no longer change, so Redis
/// merges them once into a cached key named `name` plus the current generation (see
/// [`GENERATION`]) and merges only the `open` days (today) on each read.
#[derive(Debug, Clone, Default)]
pub struct Union {
    pub name: String,
    pub closed: Vec<String>,
    pub open: Vec<String>,
}

impl Union {
    fn keys(&self) -> impl Iterator<Item = &String> {
        self.closed.iter().chain(self.open.iter())
    }
}

/// Two rankings over the same members (revenue and units by product), each summed over days:
/// the top `n` of each, with the member's score in the other.
#[derive(Debug, Clone, Default)]
pub struct Tops {
    pub first: Union,
    pub second: Union,
    pub n: usize,
}

/// A member of a top list: its score in the ranking it tops and in the other one.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub member: String,
    pub score: i64,
    pub other: i64,
}

/// Generation of the cached unions of closed days: bumped (field `n`) by a rebuild and by a
/// fact counted late, on a day already over; a cached union of an older generation is never
/// read again and expires.
pub const GENERATION: &str = "analytics:generation";

/// How long a cached union of closed days lives (a missed bump heals within this time).
const UNION_TTL: Duration = Duration::from_secs(600);

/// What a read asks for, all in one round trip.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Hashes of counters, read whole.
    pub hashes: Vec<String>,
    /// Unique counts, each over the union of its days.
    pub uniques: Vec<Union>,
    /// Top lists, merged where the counters are; only the top members travel.
    pub tops: Option<Tops>,
    /// Recency sets and the oldest score still counted (`ZCOUNT key since +inf`).
    pub recent: Vec<(String, i64)>,
}

/// The answer to a [`Query`], in its order. A top list holds at least the top `n` (all tied
/// with the last one too, so the caller's tie-break decides), highest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub hashes: Vec<HashMap<String, i64>>,
    pub uniques: Vec<u64>,
    pub top_first: Vec<Ranked>,
    pub top_second: Vec<Ranked>,
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

/// The Lua side of the unions in [`RedisCounters::read`]: `ARGV[1]` the generation key,
/// `ARGV[2]` the cached unions' time to live, `ARGV[3]` how many unique counts, `ARGV[4]` the
/// top lists' length (0: none), then each [`Union`] as `name #closed closed… #open open…` (the
/// unique counts', then the two rankings'). Returns `{counts, top of first, top of second}`, a
/// top as flat `member score other-score` triples, every member tied with the n-th included.
const UNIONS: &str = r#"
local gen = redis.call('HGET', ARGV[1], 'n') or '0'
local ttl, uniques, n = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local i = 5
local function union(merge)
  local name, closed, keys = ARGV[i], {}, {}
  local count = tonumber(ARGV[i + 1]); i = i + 2
  for j = 1, count do closed[j] = ARGV[i]; i = i + 1 end
  count = tonumber(ARGV[i]); i = i + 1
  for j = 1, count do keys[j] = ARGV[i]; i = i + 1 end
  if #closed > 0 then
    local cached = name .. ':' .. gen
    if redis.call('EXISTS', cached) == 0 then
      merge(cached, closed); redis.call('EXPIRE', cached, ttl)
    end
    keys[#keys + 1] = cached
  end
  return keys
end
local counts = {}
for u = 1, uniques do
  local keys = union(function(into, from) redis.call('PFMERGE', into, unpack(from)) end)
  if #keys > 0 then counts[u] = redis.call('PFCOUNT', unpack(keys)) else counts[u] = 0 end
end
if n == 0 then return { counts, {}, {} } end
local function zmerge(into, from) redis.call('ZUNIONSTORE', into, #from, unpack(from)) end
local first, second = ARGV[1] .. ':first', ARGV[1] .. ':second'
for _, into in ipairs({ first, second }) do
  local keys = union(zmerge)
  redis.call('DEL', into)
  if #keys > 0 then zmerge(into, keys) end
end
local function top(of, other)
  local out = {}
  local last = redis.call('ZREVRANGE', of, n - 1, n - 1, 'WITHSCORES')
  local members = redis.call('ZREVRANGEBYSCORE', of, '+inf', last[2] or '-inf', 'WITHSCORES')
  for j = 1, #members, 2 do
    out[#out + 1] = members[j]; out[#out + 1] = members[j + 1]
    out[#out + 1] = redis.call('ZSCORE', other, members[j]) or '0'
  end
  return out
end
local answer = { counts, top(first, second), top(second, first) }
redis.call('DEL', first, second)
return answer
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
        // One round trip: the hashes and recency counts pipelined, the unions' script beside.
        let client = self.pool.next();
        let pipeline = client.pipeline();
        for key in &query.hashes {
            let _: () = pipeline.hgetall(self.key(key)).await?;
        }
        for (key, since) in &query.recent {
            let _: () = pipeline
                .zcount(self.key(key), *since as f64, f64::INFINITY)
                .await?;
        }
        let mut args = vec![
            self.key(GENERATION),
            seconds(UNION_TTL).to_string(),
            query.uniques.len().to_string(),
            query.tops.as_ref().map_or(0, |t| t.n.max(1)).to_string(),
        ];
        let tops = query.tops.iter().flat_map(|t| [&t.first, &t.second]);
        for union in query.uniques.iter().chain(tops) {
            args.push(self.key(&union.name));
            for part in [&union.closed, &union.open] {
                args.push(part.len().to_string());
                args.extend(part.iter().map(|k| self.key(k)));
            }
        }
        // A pipeline cannot carry a script here: both are sent at once, on one connection.
        let (mut values, unions): (Vec<Value>, Value) = tokio::try_join!(
            pipeline.all(),
            client.eval(UNIONS, Vec::<String>::new(), args)
        )?;
        if values.len() != query.hashes.len() + query.recent.len() {
            return Err(CacheError::WrongType("analytics read".into()));
        }
        let recent = values.split_off(query.hashes.len());
        let mut answer = Answer::default();
        for value in values {
            let raw: HashMap<String, String> = value.convert()?;
            answer.hashes.push(
                raw.into_iter()
                    .map(|(k, v)| (k, v.parse().unwrap_or(0)))
                    .collect(),
            );
        }
        for value in recent {
            answer.recent.push(value.convert()?);
        }
        let Value::Array(parts) = unions else {
            return Err(CacheError::WrongType("analytics unions".into()));
        };
        let mut parts = parts.into_iter();
        let mut part = || parts.next().unwrap_or(Value::Null);
        let counts: Vec<Value> = match part() {
            Value::Array(counts) => counts,
            Value::Null => Vec::new(),
            _ => return Err(CacheError::WrongType("analytics unique counts".into())),
        };
        for count in counts {
            answer.uniques.push(count.convert()?);
        }
        answer.top_first = ranked(part())?;
        answer.top_second = ranked(part())?;
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

/// A top list from the script's flat `member score other` triples.
fn ranked(value: Value) -> Result<Vec<Ranked>, CacheError> {
    let flat: Vec<Value> = match value {
        Value::Array(items) => items,
        Value::Null => Vec::new(),
        _ => return Err(CacheError::WrongType("analytics ranking".into())),
    };
    let score = |v: &Value| -> Result<i64, CacheError> {
        let text: String = v.clone().convert()?;
        Ok(text.parse::<f64>().unwrap_or(0.0).round() as i64)
    };
    flat.chunks(3)
        .filter(|t| t.len() == 3)
        .map(|t| {
            Ok(Ranked {
                member: t[0].clone().convert()?,
                score: score(&t[1])?,
                other: score(&t[2])?,
            })
        })
        .collect()
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
        for union in &query.uniques {
            let mut all: HashSet<&String> = HashSet::new();
            for key in union.keys() {
                if let Some(Slot::Unique(u)) = live(key) {
                    all.extend(u.iter());
                }
            }
            answer.uniques.push(all.len() as u64);
        }
        if let Some(tops) = &query.tops {
            let sum = |union: &Union| {
                let mut sum: HashMap<String, i64> = HashMap::new();
                for key in union.keys() {
                    if let Some(Slot::Ranking(r)) = live(key) {
                        for (member, score) in r {
                            *sum.entry(member.clone()).or_default() += score;
                        }
                    }
                }
                sum
            };
            let (first, second) = (sum(&tops.first), sum(&tops.second));
            // Every member: at least the top n, as the contract asks.
            let list = |of: &HashMap<String, i64>, other: &HashMap<String, i64>| {
                let mut list: Vec<Ranked> = of
                    .iter()
                    .map(|(member, score)| Ranked {
                        member: member.clone(),
                        score: *score,
                        other: other.get(member).copied().unwrap_or(0),
                    })
                    .collect();
                list.sort_by(|a, b| b.score.cmp(&a.score).then_with(|| a.member.cmp(&b.member)));
                list
            };
            answer.top_first = list(&first, &second);
            answer.top_second = list(&second, &first);
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
                uniques: vec![Union {
                    name: "u".into(),
                    closed: vec!["none".into()],
                    open: vec!["d:2026-12-04:customers".into()],
                }],
                tops: Some(Tops {
                    first: Union {
                        open: vec!["d:2026-12-04:units".into()],
                        ..Union::default()
                    },
                    second: Union::default(),
                    n: 5,
                }),
                ..Query::default()
            })
            .await
            .unwrap();
        assert_eq!(answer.hashes[0]["revenue"], 300_000);
        assert!(answer.hashes[1].is_empty());
        assert_eq!(
            answer.top_first,
            vec![Ranked {
                member: "7".into(),
                score: 4,
                other: 0
            }]
        );
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
                uniques: vec![Union {
                    open: vec!["converted".into()],
                    ..Union::default()
                }],
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
