//! What shoppers do, counted without slowing them: page and product views, carts, checkouts
//! started and orders placed. A request only puts a small event on a bounded queue
//! ([`Tracker::track`], never waits, drops the event when the queue is full); a background
//! task hashes the visitor and applies each event through the same atomic, deduplicated
//! counter script as the money facts. When Redis is away those events are dropped: traffic is
//! an estimate by nature, and the money facts wait in the outbox instead.
//!
//! Visitors are known by a random id in the `pasar_vid` cookie. Only a hash of it salted
//! with a random salt of the day reaches the counters: no personal data is stored, and a
//! visitor cannot be followed from one day to the next.
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method},
    middleware::Next,
    response::Response,
};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::{store::Op, Analytics, DayKeys};
use crate::server::state::AppState;

pub const VISITOR_COOKIE: &str = "pasar_vid";
const VISITOR_ID_LEN: usize = 32;
/// A session ends after 30 minutes without activity (Shopify's definition).
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);
/// "Right now" is the last 5 minutes.
pub const RIGHT_NOW: Duration = Duration::from_secs(5 * 60);
/// Events waiting for the worker; more are dropped rather than held in memory.
const QUEUE: usize = 10_000;
/// The key of who was seen when (`analytics:live`).
pub const LIVE_KEY: &str = "analytics:live";

/// Fields of a day's traffic hash (`analytics:{day}:traffic`).
pub mod field {
    pub const PAGE_VIEWS: &str = "page_views";
    pub const SESSIONS: &str = "sessions";
    pub const PRODUCT_VIEWS: &str = "product_views";
    pub const ADD_TO_CART: &str = "add_to_cart";
    pub const CHECKOUTS_STARTED: &str = "checkouts_started";
    pub const ORDERS_PLACED: &str = "orders_placed";
}

/// What a shopper did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// A page of the shop (not the admin, not a file).
    Page,
    /// A product page.
    ProductView,
    /// The checkout page.
    CheckoutStarted,
    AddToCart,
    OrderPlaced,
}

impl Activity {
    /// The activity of a page path, if it is one of the shop's pages.
    pub fn of_page(path: &str) -> Option<Activity> {
        const NOT_PAGES: [&str; 9] = [
            "/api/",
            "/admin",
            "/pkg/",
            "/media/",
            "/webhooks/",
            "/vendor/",
            "/healthz",
            "/readyz",
            "/returns/",
        ];
        if NOT_PAGES.iter().any(|p| path.starts_with(p)) || path.contains('.') {
            return None;
        }
        Some(if path.starts_with("/p/") {
            Activity::ProductView
        } else if path == "/checkout" {
            Activity::CheckoutStarted
        } else {
            Activity::Page
        })
    }
}

/// One thing a visitor did, with its own id: applied once.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub id: u128,
    /// The raw cookie id; hashed by the worker, never stored.
    pub visitor: String,
    pub at: DateTime<Utc>,
    pub activity: Activity,
}

/// The requests' side of tracking: a bounded queue to the worker.
#[derive(Clone)]
pub struct Tracker {
    tx: mpsc::Sender<Tracked>,
    rx: Arc<Mutex<Option<mpsc::Receiver<Tracked>>>>,
    dropped: Arc<AtomicU64>,
}

impl Default for Tracker {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        Self {
            tx,
            rx: Arc::new(Mutex::new(Some(rx))),
            dropped: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Tracker {
    /// Queues an event; never waits. A full queue (the worker behind, Redis slow) drops it.
    pub fn track(&self, visitor: &str, activity: Activity) {
        use rand::Rng;
        let event = Tracked {
            id: rand::thread_rng().gen(),
            visitor: visitor.to_string(),
            at: Utc::now(),
            activity,
        };
        if self.tx.try_send(event).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Events dropped since start (queue full or no worker).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// The worker's end of the queue (once).
    pub fn take_receiver(&self) -> Option<mpsc::Receiver<Tracked>> {
        self.rx.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

/// Counts `activity` for the visitor of a request (an API call or a server function), when it
/// carries the visitor cookie.
pub fn track_request(state: &AppState, headers: &HeaderMap, activity: Activity) {
    if let Some(visitor) = visitor_id(headers) {
        state.analytics.tracker.track(&visitor, activity);
    }
}

/// The same from inside a server function.
pub async fn track_server_fn(state: &AppState, activity: Activity) {
    if let Ok(headers) = leptos_axum::extract::<HeaderMap>().await {
        track_request(state, &headers, activity);
    }
}

/// The visitor id from the request's cookies, if it has the shape we issue.
pub fn visitor_id(headers: &HeaderMap) -> Option<String> {
    crate::server::visitor::cookie_token(headers, VISITOR_COOKIE, VISITOR_ID_LEN)
}

fn new_visitor_id() -> String {
    crate::server::checkout::random_token(VISITOR_ID_LEN)
}

/// Robots and link previews are not visitors; nor are prefetches nobody looked at.
fn is_robot_or_prefetch(headers: &HeaderMap) -> bool {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let prefetch = ["purpose", "sec-purpose"].iter().any(|h| {
        headers
            .get(*h)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("prefetch"))
    });
    prefetch
        || [
            "bot",
            "spider",
            "crawl",
            "preview",
            "headlesschrome/lighthouse",
        ]
        .iter()
        .any(|w| agent.contains(w))
}

/// Middleware: a shop page answered to a browser counts as a view (the first one also gets
/// the visitor cookie). Costs one `try_send`; the answer never waits for the counters.
pub async fn track_pages(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_page = req.method() == Method::GET
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/html"))
        && !is_robot_or_prefetch(req.headers());
    let activity = is_page
        .then(|| Activity::of_page(req.uri().path()))
        .flatten();
    let Some(activity) = activity else {
        return next.run(req).await;
    };
    let known = visitor_id(req.headers());
    let mut res = next.run(req).await;
    if !res.status().is_success() {
        return res;
    }
    let visitor = match known {
        Some(id) => id,
        None => {
            let id = new_visitor_id();
            let secure = if state.settings.secure_cookies() {
                "; Secure"
            } else {
                ""
            };
            if let Ok(cookie) = HeaderValue::from_str(&format!(
                "{VISITOR_COOKIE}={id}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}"
            )) {
                res.headers_mut().append(header::SET_COOKIE, cookie);
            }
            id
        }
    };
    state.analytics.tracker.track(&visitor, activity);
    res
}

/// The counter changes of one tracked event, for the visitor's hash of the day.
pub fn ops_for(analytics: &Analytics, visitor_hash: &str, event: &Tracked) -> Vec<Op> {
    let day = analytics.day_of(event.at);
    let keys = DayKeys::of(day);
    let at = event.at.timestamp();
    let incr = |name: &str| Op::HashIncr {
        key: keys.traffic.clone(),
        field: name.to_string(),
        by: 1,
    };
    let session_key = format!("analytics:session:{visitor_hash}");
    let session = Op::Session {
        key: session_key.clone(),
        value: format!("{visitor_hash}:{at}"),
        idle: SESSION_IDLE,
        counters: keys.traffic.clone(),
        field: field::SESSIONS.to_string(),
    };
    let seen = Op::Seen {
        key: LIVE_KEY.to_string(),
        member: visitor_hash.to_string(),
        at,
        since: at - RIGHT_NOW.as_secs() as i64,
    };
    let visit = |mut ops: Vec<Op>| {
        ops.extend([
            incr(field::PAGE_VIEWS),
            Op::Unique {
                key: keys.visitors.clone(),
                member: visitor_hash.to_string(),
            },
            session.clone(),
            seen.clone(),
        ]);
        ops
    };
    match event.activity {
        Activity::Page => visit(Vec::new()),
        Activity::ProductView => visit(vec![incr(field::PRODUCT_VIEWS)]),
        Activity::CheckoutStarted => visit(vec![incr(field::CHECKOUTS_STARTED)]),
        Activity::AddToCart => vec![incr(field::ADD_TO_CART), session, seen],
        Activity::OrderPlaced => vec![
            incr(field::ORDERS_PLACED),
            Op::Convert {
                session: session_key,
                into: keys.converted_sessions.clone(),
            },
            seen,
        ],
    }
}

/// `sha256(salt:visitor)`, shortened: the same visitor the same day, another hash tomorrow.
pub fn visitor_hash(salt: &str, visitor: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("{salt}:{visitor}").as_bytes());
    hex::encode(&digest[..12])
}

/// The worker: drains the queue in batches and applies each event once (its id is the
/// dedupe key, kept an hour). When the counters fail the batch is dropped, with one warning
/// per outage.
pub fn spawn_worker(analytics: Analytics) {
    let Some(mut rx) = analytics.tracker.take_receiver() else {
        return;
    };
    tokio::spawn(async move {
        let mut batch = Vec::with_capacity(256);
        let mut salt: Option<(chrono::NaiveDate, String)> = None;
        let mut failing = false;
        while rx.recv_many(&mut batch, 256).await > 0 {
            let today = analytics.day_of(Utc::now());
            let mut result = Ok(());
            for event in batch.drain(..) {
                let day = analytics.day_of(event.at);
                let Some(ttl) = analytics.ttl_for(day, today) else {
                    continue;
                };
                let day_salt = match &salt {
                    Some((d, s)) if *d == day => s.clone(),
                    _ => match analytics
                        .store
                        .salt(&day.format("%Y-%m-%d").to_string())
                        .await
                    {
                        Ok(s) => {
                            salt = Some((day, s.clone()));
                            s
                        }
                        Err(e) => {
                            result = Err(e);
                            break;
                        }
                    },
                };
                let hash = visitor_hash(&day_salt, &event.visitor);
                let ops = ops_for(&analytics, &hash, &event);
                let marker = format!("analytics:event:{:032x}", event.id);
                if let Err(e) = analytics
                    .store
                    .apply(Some((&marker, Duration::from_secs(3600))), &ops, ttl)
                    .await
                {
                    result = Err(e);
                    break;
                }
            }
            batch.clear();
            match result {
                Ok(()) if failing => {
                    failing = false;
                    tracing::info!("analytics: tracking visits again");
                }
                Ok(()) => {}
                Err(e) if !failing => {
                    failing = true;
                    tracing::warn!(error = %e, "analytics: cannot count visits now; they are dropped until the counters answer");
                }
                Err(_) => {}
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_classified_and_files_are_not_pages() {
        assert_eq!(Activity::of_page("/"), Some(Activity::Page));
        assert_eq!(Activity::of_page("/p/kemeja"), Some(Activity::ProductView));
        assert_eq!(
            Activity::of_page("/checkout"),
            Some(Activity::CheckoutStarted)
        );
        for not_a_page in [
            "/admin/orders",
            "/api/v1/cart",
            "/pkg/pasar.wasm",
            "/favicon.ico",
        ] {
            assert_eq!(Activity::of_page(not_a_page), None, "{not_a_page}");
        }
    }

    #[test]
    fn a_visitor_hash_changes_with_the_salt_of_the_day() {
        let a = visitor_hash("salt-1", "visitor");
        assert_eq!(a, visitor_hash("salt-1", "visitor"));
        assert_ne!(a, visitor_hash("salt-2", "visitor"));
        assert_eq!(a.len(), 24);
        assert!(!a.contains("visitor"));
    }

    #[test]
    fn only_well_formed_visitor_cookies_are_read() {
        let mut headers = HeaderMap::new();
        let id = new_visitor_id();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {VISITOR_COOKIE}={id}")).unwrap(),
        );
        assert_eq!(visitor_id(&headers), Some(id));
        headers.insert(header::COOKIE, HeaderValue::from_static("pasar_vid=short"));
        assert_eq!(visitor_id(&headers), None);
    }
}
