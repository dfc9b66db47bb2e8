//! The shared cache, counter and hash store: Redis through `fred` when `REDIS_URL` is set,
//! otherwise an in-process map with the same behaviour (TTL, atomic counters, hashes), so the
//! shop runs with nothing else installed. Only one process can use the in-process store; run
//! Redis to scale out.
//!
//! With Redis configured the shop still sells while Redis is away: [`Failover`] answers from
//! the in-process store (one warning when Redis goes, one line when it is back) instead of
//! making each request wait for Redis's time-outs, and hands Redis the increments it missed
//! when it returns. Sessions fail over the same way (`session::FailoverStore`); carts live in
//! the database and never depended on Redis.
use std::{
    collections::HashMap,
    fmt::Display,
    future::Future,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use async_trait::async_trait;
use fred::{prelude::*, types::ExpireOptions};

#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("redis: {0}")]
    Redis(#[from] fred::error::Error),
    #[error("cache: value at `{0}` has the wrong type")]
    WrongType(String),
    #[error("redis: no answer in time")]
    TimedOut,
}

impl CacheError {
    /// Redis could not be reached (as opposed to refusing a command).
    pub fn is_outage(&self) -> bool {
        use fred::error::ErrorKind;
        match self {
            CacheError::Redis(e) => matches!(
                e.kind(),
                ErrorKind::IO | ErrorKind::Timeout | ErrorKind::Canceled | ErrorKind::Backpressure
            ),
            CacheError::TimedOut => true,
            CacheError::WrongType(_) => false,
        }
    }
}

/// What the rest of the shop needs from a cache. Keys are plain strings; callers prefix them
/// by domain (`cart:`, `analytics:`, `catalog:`…).
#[async_trait]
pub trait Cache: Send + Sync + 'static {
    /// `redis` or `memory`, for `/readyz` and logs.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<(), CacheError>;
    async fn get(&self, key: &str) -> Result<Option<String>, CacheError>;
    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CacheError>;
    /// Removes the key; `true` when it existed.
    async fn delete(&self, key: &str) -> Result<bool, CacheError>;
    /// Adds `by` atomically and returns the new value. `ttl` is applied when the key is new.
    async fn incr_by(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError>;
    /// Sets one field; with `ttl`, the whole hash then lives that long (one round trip).
    async fn hash_set(
        &self,
        key: &str,
        field: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError>;
    async fn hash_get_all(&self, key: &str) -> Result<HashMap<String, String>, CacheError>;
    async fn hash_delete(&self, key: &str, field: &str) -> Result<(), CacheError>;
    /// Sets a key's time to live; `false` when the key does not exist.
    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool, CacheError>;
    /// `Some(n)` while a stand-in answers for the store during its `n`-th outage, so values
    /// read from the stand-in are never taken for the store's (the catalogue version puts it
    /// in its cache keys). Always `None` for a single store.
    fn stand_in(&self) -> Option<u64> {
        None
    }
}

/// Shared handle used throughout the server.
pub type SharedCache = Arc<dyn Cache>;

/// Connects to Redis with a pool, exponential reconnect back-off and command time-outs.
pub async fn connect_redis(url: &str, pool_size: usize) -> Result<RedisCache, CacheError> {
    let config = Config::from_url(url)?;
    let pool = Builder::from_config(config)
        .with_connection_config(|c| {
            c.connection_timeout = Duration::from_secs(3);
            c.internal_command_timeout = Duration::from_secs(3);
            c.max_command_attempts = 3;
        })
        .with_performance_config(|p| {
            p.default_command_timeout = Duration::from_secs(3);
        })
        // Retry for ever, 100 ms doubling up to 10 s: a Redis restart heals by itself.
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 10_000, 2))
        .build_pool(pool_size)?;
    pool.init().await?;
    Ok(RedisCache { pool })
}

/// The Redis-backed store.
#[derive(Clone)]
pub struct RedisCache {
    pool: Pool,
}

impl RedisCache {
    /// The underlying pool, for the session store.
    pub fn pool(&self) -> &Pool {
        &self.pool
    }
}

fn millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

#[async_trait]
impl Cache for RedisCache {
    fn backend(&self) -> &'static str {
        "redis"
    }

    async fn ping(&self) -> Result<(), CacheError> {
        let _: String = self.pool.next().ping(None).await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        Ok(self.pool.get(key).await?)
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CacheError> {
        let expire = ttl.map(|t| Expiration::PX(millis(t)));
        let _: () = self.pool.set(key, value, expire, None, false).await?;
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        let removed: i64 = self.pool.del(key).await?;
        Ok(removed > 0)
    }

    async fn incr_by(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError> {
        let value: i64 = self.pool.incr_by(key, by).await?;
        if let Some(ttl) = ttl {
            // NX: only a key without a TTL (i.e. just created) gets one.
            let _: i64 = self
                .pool
                .pexpire(key, millis(ttl), Some(ExpireOptions::NX))
                .await?;
        }
        Ok(value)
    }

    async fn hash_set(
        &self,
        key: &str,
        field: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        let Some(ttl) = ttl else {
            let _: i64 = self.pool.hset(key, (field, value)).await?;
            return Ok(());
        };
        // Both commands in one pipeline: one round trip instead of two.
        let pipeline = self.pool.next().pipeline();
        let _: () = pipeline.hset(key, (field, value)).await?;
        let _: () = pipeline.pexpire(key, millis(ttl), None).await?;
        let _: (i64, i64) = pipeline.all().await?;
        Ok(())
    }

    async fn hash_get_all(&self, key: &str) -> Result<HashMap<String, String>, CacheError> {
        Ok(self.pool.hgetall(key).await?)
    }

    async fn hash_delete(&self, key: &str, field: &str) -> Result<(), CacheError> {
        let _: i64 = self.pool.hdel(key, field).await?;
        Ok(())
    }

    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool, CacheError> {
        let set: i64 = self.pool.pexpire(key, millis(ttl), None).await?;
        Ok(set == 1)
    }
}

/// Puts every key under a prefix, so several shops (or test runs) can share one Redis.
pub struct Prefixed<C> {
    prefix: String,
    inner: C,
}

impl<C: Cache> Prefixed<C> {
    pub fn new(prefix: impl Into<String>, inner: C) -> Self {
        Prefixed {
            prefix: prefix.into(),
            inner,
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait]
impl<C: Cache> Cache for Prefixed<C> {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    async fn ping(&self) -> Result<(), CacheError> {
        self.inner.ping().await
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.inner.get(&self.key(key)).await
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CacheError> {
        self.inner.set(&self.key(key), value, ttl).await
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        self.inner.delete(&self.key(key)).await
    }

    async fn incr_by(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError> {
        self.inner.incr_by(&self.key(key), by, ttl).await
    }

    async fn hash_set(
        &self,
        key: &str,
        field: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        self.inner.hash_set(&self.key(key), field, value, ttl).await
    }

    async fn hash_get_all(&self, key: &str) -> Result<HashMap<String, String>, CacheError> {
        self.inner.hash_get_all(&self.key(key)).await
    }

    async fn hash_delete(&self, key: &str, field: &str) -> Result<(), CacheError> {
        self.inner.hash_delete(&self.key(key), field).await
    }

    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool, CacheError> {
        self.inner.expire(&self.key(key), ttl).await
    }

    fn stand_in(&self) -> Option<u64> {
        self.inner.stand_in()
    }
}

#[derive(Debug, Clone)]
enum Entry {
    Text(String),
    Hash(HashMap<String, String>),
}

#[derive(Debug)]
struct Slot {
    entry: Entry,
    expires_at: Option<Instant>,
}

impl Slot {
    fn live(&self, now: Instant) -> bool {
        self.expires_at.is_none_or(|t| t > now)
    }
}

/// The in-process store: a mutex-guarded map, expired entries dropped on access and swept
/// when the map grows.
#[derive(Default)]
pub struct MemoryCache {
    slots: Mutex<HashMap<String, Slot>>,
}

impl MemoryCache {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets everything.
    pub fn clear(&self) {
        self.slots.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Slot>, Instant) -> R) -> R {
        // A poisoned lock means a panic while holding it; the map itself stays consistent
        // (every write is a single insert/remove), so keep using it.
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if slots.len() > 10_000 && slots.len().is_power_of_two() {
            slots.retain(|_, s| s.live(now));
        }
        f(&mut slots, now)
    }

    fn live_entry<'a>(
        slots: &'a mut HashMap<String, Slot>,
        key: &str,
        now: Instant,
    ) -> Option<&'a mut Slot> {
        if slots.get(key).is_some_and(|s| !s.live(now)) {
            slots.remove(key);
        }
        slots.get_mut(key)
    }
}

#[async_trait]
impl Cache for MemoryCache {
    fn backend(&self) -> &'static str {
        "memory"
    }

    async fn ping(&self) -> Result<(), CacheError> {
        Ok(())
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        self.with(|slots, now| match Self::live_entry(slots, key, now) {
            None => Ok(None),
            Some(Slot {
                entry: Entry::Text(v),
                ..
            }) => Ok(Some(v.clone())),
            Some(_) => Err(CacheError::WrongType(key.into())),
        })
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CacheError> {
        self.with(|slots, now| {
            slots.insert(
                key.to_string(),
                Slot {
                    entry: Entry::Text(value.to_string()),
                    expires_at: ttl.map(|t| now + t),
                },
            );
        });
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        Ok(self.with(|slots, now| {
            Self::live_entry(slots, key, now);
            slots.remove(key).is_some()
        }))
    }

    async fn incr_by(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError> {
        self.with(|slots, now| {
            let slot = match Self::live_entry(slots, key, now) {
                Some(slot) => slot,
                None => slots.entry(key.to_string()).or_insert(Slot {
                    entry: Entry::Text("0".into()),
                    expires_at: ttl.map(|t| now + t),
                }),
            };
            let Entry::Text(text) = &mut slot.entry else {
                return Err(CacheError::WrongType(key.into()));
            };
            let current: i64 = text
                .parse()
                .map_err(|_| CacheError::WrongType(key.into()))?;
            let next = current.saturating_add(by);
            *text = next.to_string();
            Ok(next)
        })
    }

    async fn hash_set(
        &self,
        key: &str,
        field: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        self.with(|slots, now| {
            let slot = match Self::live_entry(slots, key, now) {
                Some(slot) => slot,
                None => slots.entry(key.to_string()).or_insert(Slot {
                    entry: Entry::Hash(HashMap::new()),
                    expires_at: None,
                }),
            };
            match &mut slot.entry {
                Entry::Hash(map) => {
                    map.insert(field.to_string(), value.to_string());
                    if let Some(ttl) = ttl {
                        slot.expires_at = Some(now + ttl);
                    }
                    Ok(())
                }
                Entry::Text(_) => Err(CacheError::WrongType(key.into())),
            }
        })
    }

    async fn hash_get_all(&self, key: &str) -> Result<HashMap<String, String>, CacheError> {
        self.with(|slots, now| match Self::live_entry(slots, key, now) {
            None => Ok(HashMap::new()),
            Some(Slot {
                entry: Entry::Hash(map),
                ..
            }) => Ok(map.clone()),
            Some(_) => Err(CacheError::WrongType(key.into())),
        })
    }

    async fn hash_delete(&self, key: &str, field: &str) -> Result<(), CacheError> {
        self.with(|slots, now| {
            let empty = match Self::live_entry(slots, key, now) {
                Some(Slot {
                    entry: Entry::Hash(map),
                    ..
                }) => {
                    map.remove(field);
                    map.is_empty()
                }
                Some(_) => return Err(CacheError::WrongType(key.into())),
                None => false,
            };
            if empty {
                slots.remove(key);
            }
            Ok(())
        })
    }

    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool, CacheError> {
        Ok(
            self.with(|slots, now| match Self::live_entry(slots, key, now) {
                Some(slot) => {
                    slot.expires_at = Some(now + ttl);
                    true
                }
                None => false,
            }),
        )
    }
}

/// How long one Redis command may take before Redis counts as away. Far above a healthy
/// round trip (well under a millisecond on a LAN), far below fred's own 3-second time-out.
const REDIS_PATIENCE: Duration = Duration::from_millis(750);
/// After a failed or slow command, how long requests skip Redis before one tries it again.
const REDIS_RETRY_AFTER: Duration = Duration::from_secs(2);

/// Whether Redis is usable right now, shared by the cache and the session store. Redis counts
/// as away while fred has no live connection (it reconnects by itself) or for a moment after a
/// command failed or took too long; then a single request tries it again.
pub struct RedisHealth {
    pool: Pool,
    away: AtomicBool,
    /// While set and in the future, nothing is sent to Redis.
    retry_at: Mutex<Option<Instant>>,
    outages: AtomicU64,
}

impl RedisHealth {
    pub fn new(redis: &RedisCache) -> Arc<RedisHealth> {
        Arc::new(RedisHealth {
            pool: redis.pool.clone(),
            away: AtomicBool::new(false),
            retry_at: Mutex::new(None),
            outages: AtomicU64::new(0),
        })
    }

    /// Whether to send the next command to Redis.
    pub fn usable(&self) -> bool {
        if !self.pool.is_connected() {
            self.went_away(&"no connection");
            return false;
        }
        let mut retry_at = self.retry_at.lock().unwrap_or_else(|p| p.into_inner());
        match *retry_at {
            Some(at) if Instant::now() < at => false,
            Some(_) => {
                // This request tries Redis; the others keep skipping it meanwhile.
                *retry_at = Some(Instant::now() + REDIS_RETRY_AFTER);
                true
            }
            None => true,
        }
    }

    /// A command failed or took too long.
    pub fn failed(&self, why: &dyn Display) {
        *self.retry_at.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(Instant::now() + REDIS_RETRY_AFTER);
        self.went_away(why);
    }

    fn went_away(&self, why: &dyn Display) {
        if !self.away.swap(true, Ordering::SeqCst) {
            self.outages.fetch_add(1, Ordering::SeqCst);
            tracing::warn!(%why, "Redis is unreachable: sessions go to the database and counters and caches to this process until it is back");
        }
    }

    /// A command succeeded; `true` when that ends an outage.
    pub fn answered(&self) -> bool {
        if !self.away.load(Ordering::SeqCst) {
            return false;
        }
        *self.retry_at.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if self.away.swap(false, Ordering::SeqCst) {
            tracing::info!("Redis answers again: sessions, counters and caches are back on Redis");
            return true;
        }
        false
    }

    /// Whether Redis is away now (for `/readyz`).
    pub fn is_away(&self) -> bool {
        self.away.load(Ordering::SeqCst)
    }

    /// Runs one Redis command under [`REDIS_PATIENCE`]: `Some` with its result when Redis
    /// answered, `None` when it is away (now, or found by this command: no answer in time or
    /// an error `is_outage` says is one).
    pub async fn attempt<T, E: Display>(
        &self,
        command: impl Future<Output = Result<T, E>>,
        is_outage: impl Fn(&E) -> bool,
    ) -> Option<Result<T, E>> {
        if !self.usable() {
            return None;
        }
        match tokio::time::timeout(REDIS_PATIENCE, command).await {
            Err(_) => {
                self.failed(&"a command took too long");
                None
            }
            Ok(Err(e)) if is_outage(&e) => {
                self.failed(&e);
                None
            }
            Ok(result) => Some(result),
        }
    }
}

/// Redis, with the in-process store answering while Redis is away.
pub struct Failover {
    redis: RedisCache,
    memory: MemoryCache,
    health: Arc<RedisHealth>,
    /// Increments made while Redis was away, added to Redis when it is back, so its counters
    /// (the catalogue version above all) never fall behind what happened meanwhile.
    owed: Mutex<HashMap<String, (i64, Option<Duration>)>>,
}

impl Failover {
    pub fn new(redis: RedisCache, health: Arc<RedisHealth>) -> Failover {
        Failover {
            redis,
            memory: MemoryCache::new(),
            health,
            owed: Mutex::new(HashMap::new()),
        }
    }

    /// Runs `command` on Redis; `None` means answer from memory instead. A Redis answer that
    /// ends an outage first settles what is owed and empties the stand-in store.
    async fn on_redis<T>(
        &self,
        command: impl Future<Output = Result<T, CacheError>>,
    ) -> Result<Option<T>, CacheError> {
        match self.health.attempt(command, CacheError::is_outage).await {
            None => Ok(None),
            Some(result) => {
                let value = result?;
                if self.health.answered() {
                    self.settle().await;
                }
                Ok(Some(value))
            }
        }
    }

    /// The value at `key` was replaced while Redis was away: earlier increments no longer count.
    fn forgive(&self, key: &str) {
        self.owed
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }

    async fn settle(&self) {
        let owed = std::mem::take(&mut *self.owed.lock().unwrap_or_else(|p| p.into_inner()));
        self.memory.clear();
        for (key, (by, ttl)) in owed {
            if let Err(e) = self.redis.incr_by(&key, by, ttl).await {
                tracing::warn!(error = %e, %key, "could not hand Redis an increment made while it was away");
            }
        }
    }
}

#[async_trait]
impl Cache for Failover {
    fn backend(&self) -> &'static str {
        if self.health.is_away() {
            "memory (Redis away)"
        } else {
            "redis"
        }
    }

    /// Pings Redis itself: `/readyz` reports Redis down even while requests are answered
    /// from memory.
    async fn ping(&self) -> Result<(), CacheError> {
        let answer = tokio::time::timeout(REDIS_PATIENCE, self.redis.ping()).await;
        match answer {
            Ok(Ok(())) => {
                if self.health.answered() {
                    self.settle().await;
                }
                Ok(())
            }
            Ok(Err(e)) => {
                self.health.failed(&e);
                Err(e)
            }
            Err(_) => {
                self.health.failed(&"ping took too long");
                Err(CacheError::TimedOut)
            }
        }
    }

    async fn get(&self, key: &str) -> Result<Option<String>, CacheError> {
        match self.on_redis(self.redis.get(key)).await? {
            Some(value) => Ok(value),
            None => self.memory.get(key).await,
        }
    }

    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> Result<(), CacheError> {
        match self.on_redis(self.redis.set(key, value, ttl)).await? {
            Some(()) => Ok(()),
            None => {
                self.forgive(key);
                self.memory.set(key, value, ttl).await
            }
        }
    }

    async fn delete(&self, key: &str) -> Result<bool, CacheError> {
        match self.on_redis(self.redis.delete(key)).await? {
            Some(existed) => Ok(existed),
            None => {
                // A counter reset meanwhile (a successful login) owes Redis nothing.
                self.forgive(key);
                self.memory.delete(key).await
            }
        }
    }

    async fn incr_by(&self, key: &str, by: i64, ttl: Option<Duration>) -> Result<i64, CacheError> {
        if let Some(value) = self.on_redis(self.redis.incr_by(key, by, ttl)).await? {
            return Ok(value);
        }
        let value = self.memory.incr_by(key, by, ttl).await?;
        let mut owed = self.owed.lock().unwrap_or_else(|p| p.into_inner());
        let entry = owed.entry(key.to_string()).or_insert((0, ttl));
        entry.0 = entry.0.saturating_add(by);
        Ok(value)
    }

    async fn hash_set(
        &self,
        key: &str,
        field: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<(), CacheError> {
        match self
            .on_redis(self.redis.hash_set(key, field, value, ttl))
            .await?
        {
            Some(()) => Ok(()),
            None => self.memory.hash_set(key, field, value, ttl).await,
        }
    }

    async fn hash_get_all(&self, key: &str) -> Result<HashMap<String, String>, CacheError> {
        match self.on_redis(self.redis.hash_get_all(key)).await? {
            Some(map) => Ok(map),
            None => self.memory.hash_get_all(key).await,
        }
    }

    async fn hash_delete(&self, key: &str, field: &str) -> Result<(), CacheError> {
        match self.on_redis(self.redis.hash_delete(key, field)).await? {
            Some(()) => Ok(()),
            None => self.memory.hash_delete(key, field).await,
        }
    }

    async fn expire(&self, key: &str, ttl: Duration) -> Result<bool, CacheError> {
        match self.on_redis(self.redis.expire(key, ttl)).await? {
            Some(set) => Ok(set),
            None => self.memory.expire(key, ttl).await,
        }
    }

    fn stand_in(&self) -> Option<u64> {
        self.health
            .is_away()
            .then(|| self.health.outages.load(Ordering::SeqCst))
    }
}

/// The behaviour both implementations must share; run against each in tests (the Redis one
/// from the server's integration tests, against a real Redis).
pub async fn exercise(cache: &dyn Cache, prefix: &str) -> Result<(), String> {
    let k = |s: &str| format!("{prefix}:{s}");
    let check = |ok: bool, what: &str| if ok { Ok(()) } else { Err(what.to_string()) };
    let e = |err: CacheError| err.to_string();

    cache.ping().await.map_err(e)?;
    check(
        cache.get(&k("missing")).await.map_err(e)?.is_none(),
        "missing key reads as None",
    )?;
    cache.set(&k("a"), "1", None).await.map_err(e)?;
    check(
        cache.get(&k("a")).await.map_err(e)?.as_deref() == Some("1"),
        "set then get",
    )?;
    check(
        cache.delete(&k("a")).await.map_err(e)?,
        "delete reports an existing key",
    )?;
    check(
        !cache.delete(&k("a")).await.map_err(e)?,
        "delete reports a missing key",
    )?;

    cache
        .set(&k("short"), "x", Some(Duration::from_millis(50)))
        .await
        .map_err(e)?;
    tokio::time::sleep(Duration::from_millis(120)).await;
    check(
        cache.get(&k("short")).await.map_err(e)?.is_none(),
        "TTL expires a key",
    )?;

    check(
        cache
            .incr_by(&k("n"), 2, Some(Duration::from_secs(60)))
            .await
            .map_err(e)?
            == 2,
        "incr creates",
    )?;
    check(
        cache.incr_by(&k("n"), 3, None).await.map_err(e)? == 5,
        "incr adds",
    )?;
    check(
        cache.incr_by(&k("n"), -5, None).await.map_err(e)? == 0,
        "incr subtracts",
    )?;

    cache
        .hash_set(&k("h"), "sku-1", "2", None)
        .await
        .map_err(e)?;
    cache
        .hash_set(&k("h"), "sku-2", "3", None)
        .await
        .map_err(e)?;
    cache
        .hash_set(&k("h"), "sku-1", "4", None)
        .await
        .map_err(e)?;
    let all = cache.hash_get_all(&k("h")).await.map_err(e)?;
    check(
        all.len() == 2 && all.get("sku-1").map(String::as_str) == Some("4"),
        "hash set/get",
    )?;
    cache.hash_delete(&k("h"), "sku-1").await.map_err(e)?;
    check(
        cache.hash_get_all(&k("h")).await.map_err(e)?.len() == 1,
        "hash delete",
    )?;
    check(
        cache
            .expire(&k("h"), Duration::from_millis(50))
            .await
            .map_err(e)?,
        "expire existing",
    )?;
    tokio::time::sleep(Duration::from_millis(120)).await;
    check(
        cache.hash_get_all(&k("h")).await.map_err(e)?.is_empty(),
        "hash expires",
    )?;
    check(
        !cache
            .expire(&k("nothing"), Duration::from_secs(1))
            .await
            .map_err(e)?,
        "expire missing",
    )?;
    cache
        .hash_set(&k("h2"), "sku-1", "1", Some(Duration::from_millis(50)))
        .await
        .map_err(e)?;
    check(
        cache.hash_get_all(&k("h2")).await.map_err(e)?.len() == 1,
        "hash set with a TTL",
    )?;
    tokio::time::sleep(Duration::from_millis(120)).await;
    check(
        cache.hash_get_all(&k("h2")).await.map_err(e)?.is_empty(),
        "hash set with a TTL expires",
    )?;

    // Counters must not lose updates under concurrency.
    let race = k("race");
    let tasks = (0..50).map(|_| cache.incr_by(&race, 1, None));
    for result in futures::future::join_all(tasks).await {
        result.map_err(e)?;
    }
    check(
        cache.get(&k("race")).await.map_err(e)?.as_deref() == Some("50"),
        "counter under load",
    )?;
    for key in ["n", "h", "race"] {
        cache.delete(&k(key)).await.map_err(e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_cache_behaves_like_redis() {
        let cache = MemoryCache::new();
        exercise(&cache, "test")
            .await
            .expect("memory cache contract");
    }
}
