//! Runtime settings: `Leptos.toml` (or the file named by `PASAR_CONFIG`) overridden by
//! environment variables, parsed once at start-up into [`Settings`]. A bad value stops start-up
//! with one line naming the setting and the reason.
use std::{net::SocketAddr, path::Path, str::FromStr};

use secrecy::SecretString;
use serde::Deserialize;

use crate::model::Currency;

/// A setting that could not be used, and why.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {setting}: {reason}")]
pub struct ConfigError {
    pub setting: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(setting: impl Into<String>, reason: impl ToString) -> Self {
        ConfigError {
            setting: setting.into(),
            reason: reason.to_string(),
        }
    }
}

/// Everything the server and the shop are configured with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    /// The address shoppers use (scheme, host, port); drives the origin check and the
    /// `Secure` cookie flag.
    pub public_url: url::Url,
    pub database_url: String,
    pub redis_url: Option<String>,
    /// Prefix of every cache key, so several shops can share one Redis.
    pub cache_prefix: String,
    pub smtp_url: Option<String>,
    /// Where emails go as `.eml` files when no SMTP server is set (`PASAR_MAIL_DIR`).
    pub mail_dir: std::path::PathBuf,
    /// How often the worker drains the outbox and sends due emails (`PASAR_MAIL_EVERY_SECS`).
    pub mail_every: std::time::Duration,
    /// Folder of uploaded pictures and their renditions, served at `/media`.
    pub media_dir: std::path::PathBuf,
    /// Listing/suggestion/page caches on (the default); off only to measure the uncached path.
    pub catalog_cache: bool,
    /// A response not complete by then is cut off (503 before its headers).
    pub request_timeout: std::time::Duration,
    /// A client must send its request headers within this.
    pub header_read_timeout: std::time::Duration,
    /// On SIGTERM/Ctrl-C, open requests get this long to finish.
    pub shutdown_grace: std::time::Duration,
    pub shop: ShopSettings,
    pub tax: TaxSettings,
    pub payments: PaymentSettings,
    pub shipping: ShippingSettings,
    pub inventory: InventorySettings,
    pub analytics: AnalyticsSettings,
    pub security: SecuritySettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShopSettings {
    pub name: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    pub seller_name: String,
    pub seller_address: String,
    /// The seller's tax number (NPWP), printed on invoices.
    pub seller_npwp: String,
    /// The sender of the shop's emails (`PASAR_EMAIL_FROM`), e.g. `Pasar <halo@toko.id>`.
    #[serde(default = "default_email_from")]
    pub email_from: String,
    /// Where new-order emails for staff go (`PASAR_STAFF_EMAIL`); empty: none are sent.
    #[serde(default)]
    pub staff_email: String,
}

fn default_email_from() -> String {
    "Pasar <no-reply@pasar.local>".into()
}

impl ShopSettings {
    /// The validated currency (checked at load time).
    pub fn currency(&self) -> Currency {
        Currency::parse(&self.currency).unwrap_or(Currency::Idr)
    }
}

/// PPN: `rate_percent` applied to a tax base (DPP) of `dpp_numerator / dpp_denominator` of the
/// price. The 2025 model is 12% on 11/12, i.e. an effective 11%.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaxSettings {
    pub ppn_rate_percent: u32,
    pub dpp_numerator: u32,
    pub dpp_denominator: u32,
    /// Whether catalogue prices already include PPN.
    pub prices_include_tax: bool,
}

impl TaxSettings {
    pub fn rule(&self) -> crate::model::TaxRule {
        crate::model::TaxRule {
            rate_percent: self.ppn_rate_percent,
            dpp_numerator: self.dpp_numerator,
            dpp_denominator: self.dpp_denominator,
            prices_include_tax: self.prices_include_tax,
        }
    }
}

#[derive(Debug, Clone)]
pub struct PaymentSettings {
    /// Gateways offered at checkout, in order, among `demo`, `stripe`, `midtrans`: those
    /// enabled in the file whose keys are set, plus the demo gateway when no gateway key is set
    /// at all or `PASAR_DEMO_GATEWAY=on`.
    pub enabled: Vec<String>,
    pub order_expiry_minutes: u32,
    /// How long an unpaid order holds its stock, per gateway (`[payments.hold_minutes]`); the
    /// others use `order_expiry_minutes`.
    pub hold_minutes: std::collections::BTreeMap<String, u32>,
    pub stripe_api_base: String,
    pub stripe_secret_key: Option<SecretString>,
    pub stripe_publishable_key: Option<String>,
    pub stripe_webhook_secret: Option<SecretString>,
    pub midtrans_production: bool,
    /// Core API (status checks): sandbox or production by `midtrans_production`.
    pub midtrans_api_base: String,
    /// Snap API (transactions) and its JavaScript.
    pub midtrans_snap_base: String,
    pub midtrans_server_key: Option<SecretString>,
    pub midtrans_client_key: Option<String>,
}

impl PaymentSettings {
    /// Minutes an unpaid order paid through `gateway` keeps its stock.
    pub fn hold_minutes_for(&self, gateway: &str) -> u32 {
        self.hold_minutes
            .get(gateway)
            .copied()
            .unwrap_or(self.order_expiry_minutes)
    }
}

/// Shipping rates by zone (a set of provinces) and weight, and the free-shipping threshold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingSettings {
    /// Goods totals from this amount ship free with the methods marked `free_shipping` (0: never).
    pub free_shipping_threshold: i64,
    /// In order; a zone with no provinces takes every province no other zone names.
    pub zones: Vec<ShippingZone>,
    pub methods: Vec<ShippingMethod>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingZone {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub provinces: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingMethod {
    pub code: String,
    pub name: String,
    /// Delivery estimate shown to the shopper, e.g. "2–4 hari".
    pub eta: String,
    /// Whether the free-shipping threshold applies to this method.
    #[serde(default)]
    pub free_shipping: bool,
    pub rates: Vec<ShippingRate>,
}

/// The price of a parcel to one zone: the first kilogram, then each started kilogram.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShippingRate {
    pub zone: String,
    pub first_kg: i64,
    pub next_kg: i64,
}

impl ShippingSettings {
    /// The zone a province ships to.
    pub fn zone_of(&self, province: &str) -> Option<&ShippingZone> {
        self.zones
            .iter()
            .find(|z| z.provinces.iter().any(|p| p == province))
            .or_else(|| self.zones.iter().find(|z| z.provinces.is_empty()))
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.free_shipping_threshold < 0 {
            return Err(ConfigError::new(
                "shipping.free_shipping_threshold",
                "must be 0 or more",
            ));
        }
        for zone in &self.zones {
            for province in &zone.provinces {
                if !crate::model::PROVINCES.contains(&province.as_str()) {
                    return Err(ConfigError::new(
                        "shipping.zones",
                        format!(
                            "`{province}` (zone {}) is not a province of Indonesia",
                            zone.code
                        ),
                    ));
                }
            }
        }
        if self.methods.is_empty() {
            return Err(ConfigError::new(
                "shipping.methods",
                "name at least one method",
            ));
        }
        for method in &self.methods {
            for rate in &method.rates {
                if !self.zones.iter().any(|z| z.code == rate.zone) {
                    return Err(ConfigError::new(
                        "shipping.methods",
                        format!(
                            "method {} has a rate for unknown zone `{}`",
                            method.code, rate.zone
                        ),
                    ));
                }
                if rate.first_kg < 0 || rate.next_kg < 0 {
                    return Err(ConfigError::new(
                        "shipping.methods",
                        format!("method {}: rates cannot be negative", method.code),
                    ));
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySettings {
    pub low_stock_threshold: u32,
    /// Days from ordering stock to having it on the shelf (a variant may set its own).
    #[serde(default = "default_lead_time_days")]
    pub lead_time_days: u32,
    /// Days of sales a reorder should cover beyond the lead time (a variant may set its own).
    #[serde(default = "default_cover_days")]
    pub cover_days: u32,
    /// Chance of not running out during the lead time, for the safety stock (0.5–0.999).
    #[serde(default = "default_service_level")]
    pub service_level: f64,
}

fn default_lead_time_days() -> u32 {
    7
}

fn default_cover_days() -> u32 {
    14
}

fn default_service_level() -> f64 {
    0.95
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsSettings {
    /// How often the open dashboard asks for new figures (`PASAR_ANALYTICS_REFRESH_SECS`).
    #[serde(default = "default_refresh_seconds")]
    pub refresh_seconds: u32,
    /// A product in stock with no sale in this many days is a slow mover.
    #[serde(default = "default_slow_mover_days")]
    pub slow_mover_days: u32,
    /// How long every analytics key lives in Redis (the database keeps the truth; `pasar
    /// analytics rebuild` restores older days).
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// How long a computed dashboard view is served again, in milliseconds
    /// (`PASAR_ANALYTICS_READ_CACHE_MS`; 0: never).
    #[serde(default = "default_read_cache_ms")]
    pub read_cache_ms: u64,
}

fn default_read_cache_ms() -> u64 {
    1000
}

fn default_retention_days() -> u32 {
    35
}

fn default_refresh_seconds() -> u32 {
    30
}

fn default_slow_mover_days() -> u32 {
    30
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    /// Failed logins allowed per account per minute; the next attempt gets 429.
    pub login_failures_per_account_per_minute: u32,
    /// Login attempts allowed per client IP per minute.
    pub login_attempts_per_ip_per_minute: u32,
    /// Registrations and password changes (each an Argon2 hash) per client IP per minute.
    #[serde(default = "default_sensitive_per_ip")]
    pub registrations_and_password_changes_per_ip_per_minute: u32,
    /// How many proxies you run in front of the shop. 0: the connection's address is the
    /// client. N: the client is the N-th `X-Forwarded-For` entry from the right (the right-most
    /// one your proxies did not add); entries further left are the client's to invent.
    #[serde(default)]
    pub trusted_proxy_hops: u32,
    /// Orders placed per client address per minute.
    #[serde(default = "default_checkouts_per_ip")]
    pub checkouts_per_ip_per_minute: u32,
    /// Unpaid orders one client address may hold at once. Generous by default: mobile
    /// networks put many shoppers behind one address (carrier-grade NAT).
    #[serde(default = "default_unpaid_per_ip")]
    pub unpaid_orders_per_ip: u32,
    /// Idle session lifetime.
    pub session_days: u32,
}

/// The file's shape; every section is required so a typo is caught, not defaulted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    server: FileServer,
    shop: ShopSettings,
    tax: TaxSettings,
    payments: FilePayments,
    shipping: ShippingSettings,
    inventory: InventorySettings,
    analytics: AnalyticsSettings,
    security: SecuritySettings,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileServer {
    addr: String,
    public_url: Option<String>,
    database_url: String,
    redis_url: Option<String>,
    cache_prefix: Option<String>,
    smtp_url: Option<String>,
    mail_dir: Option<String>,
    mail_every_secs: Option<u64>,
    media_dir: Option<String>,
    catalog_cache: Option<bool>,
    request_timeout_secs: Option<u64>,
    header_read_timeout_secs: Option<u64>,
    shutdown_grace_secs: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePayments {
    enabled: Vec<String>,
    order_expiry_minutes: u32,
    /// Per gateway: virtual accounts and convenience stores need hours, cards minutes.
    #[serde(default)]
    hold_minutes: std::collections::BTreeMap<String, u32>,
    stripe_api_base: String,
    stripe_publishable_key: Option<String>,
    midtrans_production: bool,
    midtrans_api_base: Option<String>,
    midtrans_snap_base: Option<String>,
}

fn default_sensitive_per_ip() -> u32 {
    10
}

fn default_checkouts_per_ip() -> u32 {
    10
}

fn default_unpaid_per_ip() -> u32 {
    20
}

fn default_currency() -> String {
    "IDR".into()
}

fn default_time_zone() -> String {
    "Asia/Jakarta".into()
}

/// The settings file used when `PASAR_CONFIG` is not set.
pub const DEFAULT_CONFIG_FILE: &str = "Leptos.toml";

impl Settings {
    /// Loads `PASAR_CONFIG` (default `Leptos.toml`) and applies the process environment.
    pub fn load() -> Result<Settings, ConfigError> {
        let path = std::env::var("PASAR_CONFIG").unwrap_or_else(|_| DEFAULT_CONFIG_FILE.into());
        let text = std::fs::read_to_string(Path::new(&path))
            .map_err(|e| ConfigError::new("PASAR_CONFIG", format!("cannot read {path}: {e}")))?;
        Settings::from_toml(&text, |name| std::env::var(name).ok())
    }

    /// Parses settings text, with `env` supplying overrides (a function so tests need no
    /// process-wide environment changes).
    pub fn from_toml(
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let file: FileSettings =
            toml::from_str(text).map_err(|e| ConfigError::new("Leptos.toml", one_line(&e)))?;
        let non_empty = |name: &str| env(name).filter(|v| !v.trim().is_empty());

        let (addr_setting, addr_text) =
            match (non_empty("PASAR_ADDR"), non_empty("LEPTOS_SITE_ADDR")) {
                (Some(a), _) => ("PASAR_ADDR", a),
                (None, Some(a)) => ("LEPTOS_SITE_ADDR", a),
                (None, None) => ("server.addr", file.server.addr.clone()),
            };
        let addr = SocketAddr::from_str(addr_text.trim()).map_err(|e| {
            ConfigError::new(
                addr_setting,
                format!("`{addr_text}` is not an IP:port address ({e})"),
            )
        })?;

        let (public_setting, public_text) = match non_empty("PASAR_PUBLIC_URL") {
            Some(u) => ("PASAR_PUBLIC_URL", u),
            None => match (&file.server.public_url, addr_setting) {
                // An address given in the environment wins over the file's public URL.
                (Some(u), "server.addr") => ("server.public_url", u.clone()),
                _ => ("server.addr", format!("http://{addr}")),
            },
        };
        let public_url = url::Url::parse(&public_text)
            .map_err(|e| ConfigError::new(public_setting, format!("`{public_text}`: {e}")))?;
        if !matches!(public_url.scheme(), "http" | "https") {
            return Err(ConfigError::new(
                public_setting,
                "must start with http:// or https://",
            ));
        }

        let (db_setting, database_url) = match non_empty("DATABASE_URL") {
            Some(u) => ("DATABASE_URL", u),
            None => ("server.database_url", file.server.database_url.clone()),
        };
        check_database_url(&database_url).map_err(|reason| ConfigError::new(db_setting, reason))?;

        let (redis_setting, redis_url) = match non_empty("REDIS_URL") {
            Some(u) => ("REDIS_URL", Some(u)),
            None => (
                "server.redis_url",
                file.server.redis_url.clone().filter(|u| !u.is_empty()),
            ),
        };
        if let Some(url) = &redis_url {
            let parsed = url::Url::parse(url)
                .map_err(|e| ConfigError::new(redis_setting, format!("`{url}`: {e}")))?;
            if !matches!(parsed.scheme(), "redis" | "rediss") {
                return Err(ConfigError::new(
                    redis_setting,
                    "must start with redis:// or rediss://",
                ));
            }
        }

        let smtp_url = non_empty("SMTP_URL").or(file.server.smtp_url.clone());
        if let Some(url) = &smtp_url {
            url::Url::parse(url)
                .map_err(|e| ConfigError::new("SMTP_URL", format!("`{url}`: {e}")))?;
        }

        if Currency::parse(&file.shop.currency).is_none() {
            return Err(ConfigError::new(
                "shop.currency",
                format!("`{}` is not supported (use IDR or USD)", file.shop.currency),
            ));
        }
        if !(0.5..=0.999).contains(&file.inventory.service_level) {
            return Err(ConfigError::new(
                "inventory.service_level",
                "must be between 0.5 and 0.999 (e.g. 0.95)",
            ));
        }
        if file.shop.time_zone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ConfigError::new(
                "shop.time_zone",
                format!(
                    "`{}` is not an IANA time zone such as Asia/Jakarta",
                    file.shop.time_zone
                ),
            ));
        }
        if file.tax.dpp_denominator == 0 || file.tax.dpp_numerator > file.tax.dpp_denominator {
            return Err(ConfigError::new(
                "tax.dpp_numerator",
                "the tax base fraction must be between 0 and 1 (e.g. 11 / 12)",
            ));
        }
        if file.tax.ppn_rate_percent > 100 {
            return Err(ConfigError::new(
                "tax.ppn_rate_percent",
                "must be at most 100",
            ));
        }
        for gateway in &file.payments.enabled {
            if !matches!(gateway.as_str(), "demo" | "stripe" | "midtrans") {
                return Err(ConfigError::new(
                    "payments.enabled",
                    format!("unknown gateway `{gateway}` (use demo, stripe, midtrans)"),
                ));
            }
        }
        file.shipping.check()?;
        if file.payments.order_expiry_minutes == 0 {
            return Err(ConfigError::new(
                "payments.order_expiry_minutes",
                "must be at least 1",
            ));
        }
        if file.security.login_failures_per_account_per_minute == 0
            || file.security.login_attempts_per_ip_per_minute == 0
        {
            return Err(ConfigError::new(
                "security",
                "login attempt limits must be at least 1",
            ));
        }

        let mut security = file.security;
        for (name, value) in [
            ("PASAR_TRUSTED_PROXY_HOPS", &mut security.trusted_proxy_hops),
            (
                "PASAR_REGISTRATIONS_PER_IP_PER_MINUTE",
                &mut security.registrations_and_password_changes_per_ip_per_minute,
            ),
            (
                "PASAR_CHECKOUTS_PER_IP_PER_MINUTE",
                &mut security.checkouts_per_ip_per_minute,
            ),
            (
                "PASAR_UNPAID_ORDERS_PER_IP",
                &mut security.unpaid_orders_per_ip,
            ),
        ] {
            if let Some(text) = non_empty(name) {
                *value = text.trim().parse().map_err(|_| {
                    ConfigError::new(name, format!("`{text}` is not a whole number"))
                })?;
            }
        }
        let secret = |name: &str| non_empty(name).map(SecretString::from);
        let production = match non_empty("MIDTRANS_PRODUCTION").as_deref() {
            Some("true" | "1" | "on") => true,
            Some(_) => false,
            None => file.payments.midtrans_production,
        };
        let (default_api, default_snap) = if production {
            ("https://api.midtrans.com", "https://app.midtrans.com")
        } else {
            (
                "https://api.sandbox.midtrans.com",
                "https://app.sandbox.midtrans.com",
            )
        };
        for (gateway, minutes) in &file.payments.hold_minutes {
            if !matches!(gateway.as_str(), "demo" | "stripe" | "midtrans") {
                return Err(ConfigError::new(
                    "payments.hold_minutes",
                    format!("unknown gateway `{gateway}` (use demo, stripe, midtrans)"),
                ));
            }
            if *minutes == 0 {
                return Err(ConfigError::new(
                    "payments.hold_minutes",
                    format!("{gateway}: must be at least 1 minute"),
                ));
            }
        }
        let mut payments = PaymentSettings {
            hold_minutes: file.payments.hold_minutes.clone(),
            enabled: Vec::new(),
            order_expiry_minutes: non_empty("PASAR_ORDER_EXPIRY_MINUTES")
                .and_then(|m| m.parse().ok())
                .filter(|m| *m > 0)
                .unwrap_or(file.payments.order_expiry_minutes),
            stripe_api_base: non_empty("STRIPE_API_BASE").unwrap_or(file.payments.stripe_api_base),
            stripe_secret_key: secret("STRIPE_SECRET_KEY"),
            stripe_publishable_key: non_empty("STRIPE_PUBLISHABLE_KEY")
                .or(file.payments.stripe_publishable_key),
            stripe_webhook_secret: secret("STRIPE_WEBHOOK_SECRET"),
            midtrans_production: production,
            midtrans_api_base: non_empty("MIDTRANS_API_BASE")
                .or(file.payments.midtrans_api_base)
                .unwrap_or_else(|| default_api.into()),
            midtrans_snap_base: non_empty("MIDTRANS_SNAP_BASE")
                .or(file.payments.midtrans_snap_base)
                .unwrap_or_else(|| default_snap.into()),
            midtrans_server_key: secret("MIDTRANS_SERVER_KEY"),
            midtrans_client_key: non_empty("MIDTRANS_CLIENT_KEY"),
        };
        // A gateway is offered when it is enabled and both its keys are set; one key without
        // the other is a mistake worth stopping for. The demo gateway lets anyone mark their own
        // order paid, so it never switches itself on beside a real gateway: only when no
        // gateway key is set at all, or when PASAR_DEMO_GATEWAY=on asks for it.
        let demo_switch = match non_empty("PASAR_DEMO_GATEWAY").as_deref() {
            Some("on" | "true" | "1") => Some(true),
            Some("off" | "false" | "0") => Some(false),
            Some(other) => {
                return Err(ConfigError::new(
                    "PASAR_DEMO_GATEWAY",
                    format!("`{other}` is not on or off"),
                ))
            }
            None => None,
        };
        let pair = |first: (&str, bool), second: (&str, bool)| -> Result<bool, ConfigError> {
            match (first.1, second.1) {
                (true, false) => Err(ConfigError::new(
                    second.0,
                    format!("missing while {} is set (set both, or neither)", first.0),
                )),
                (false, true) => Err(ConfigError::new(
                    first.0,
                    format!("missing while {} is set (set both, or neither)", second.0),
                )),
                (both, _) => Ok(both),
            }
        };
        let any_gateway_key = payments.stripe_secret_key.is_some()
            || payments.stripe_publishable_key.is_some()
            || payments.stripe_webhook_secret.is_some()
            || payments.midtrans_server_key.is_some()
            || payments.midtrans_client_key.is_some();
        let mut real = Vec::new();
        for gateway in &file.payments.enabled {
            let configured = match gateway.as_str() {
                "stripe" => pair(
                    ("STRIPE_SECRET_KEY", payments.stripe_secret_key.is_some()),
                    (
                        "STRIPE_PUBLISHABLE_KEY",
                        payments.stripe_publishable_key.is_some(),
                    ),
                )?,
                "midtrans" => pair(
                    (
                        "MIDTRANS_SERVER_KEY",
                        payments.midtrans_server_key.is_some(),
                    ),
                    (
                        "MIDTRANS_CLIENT_KEY",
                        payments.midtrans_client_key.is_some(),
                    ),
                )?,
                _ => false,
            };
            if configured {
                real.push(gateway.clone());
            }
        }
        let demo = match demo_switch {
            Some(on) => on,
            None => file.payments.enabled.iter().any(|g| g == "demo") && !any_gateway_key,
        };
        if demo && public_url.scheme() == "https" && demo_switch != Some(true) {
            return Err(ConfigError::new(
                "PASAR_DEMO_GATEWAY",
                "the demo gateway would be on for an https shop, and it lets anyone mark an order paid: set gateway keys, or PASAR_DEMO_GATEWAY=off (no payments) or =on (a public demo)",
            ));
        }
        if demo {
            payments.enabled.push("demo".into());
        }
        payments.enabled.extend(real);
        if payments.enabled.is_empty() {
            return Err(ConfigError::new(
                "payments.enabled",
                "no payment gateway is on, so no order could be paid: set Stripe or Midtrans keys, or PASAR_DEMO_GATEWAY=on",
            ));
        }

        let cache_prefix = non_empty("PASAR_CACHE_PREFIX")
            .or(file.server.cache_prefix.clone())
            .unwrap_or_else(|| "pasar:".into());
        let media_dir = non_empty("PASAR_MEDIA_DIR")
            .or(file.server.media_dir.clone())
            .unwrap_or_else(|| "data/media".into())
            .into();
        let catalog_cache = match non_empty("PASAR_CATALOG_CACHE").as_deref() {
            Some("off" | "false" | "0") => false,
            Some("on" | "true" | "1") => true,
            Some(other) => {
                return Err(ConfigError::new(
                    "PASAR_CATALOG_CACHE",
                    format!("`{other}` is not on or off"),
                ))
            }
            None => file.server.catalog_cache.unwrap_or(true),
        };
        let seconds = |name: &str, file: Option<u64>, default: u64| {
            let text = non_empty(name);
            let secs = match &text {
                Some(t) => t.trim().parse::<u64>().map_err(|_| {
                    ConfigError::new(name, format!("`{t}` is not a whole number of seconds"))
                })?,
                None => file.unwrap_or(default),
            };
            if secs == 0 {
                return Err(ConfigError::new(name, "must be at least 1 second"));
            }
            Ok(std::time::Duration::from_secs(secs))
        };
        let request_timeout = seconds(
            "PASAR_REQUEST_TIMEOUT_SECS",
            file.server.request_timeout_secs,
            30,
        )?;
        let header_read_timeout = seconds(
            "PASAR_HEADER_READ_TIMEOUT_SECS",
            file.server.header_read_timeout_secs,
            10,
        )?;
        let shutdown_grace = seconds(
            "PASAR_SHUTDOWN_GRACE_SECS",
            file.server.shutdown_grace_secs,
            20,
        )?;
        let mail_dir = non_empty("PASAR_MAIL_DIR")
            .or(file.server.mail_dir.clone())
            .unwrap_or_else(|| "data/outbox".into())
            .into();
        let mail_every = seconds("PASAR_MAIL_EVERY_SECS", file.server.mail_every_secs, 5)?;
        let mut analytics = file.analytics;
        analytics.refresh_seconds = seconds(
            "PASAR_ANALYTICS_REFRESH_SECS",
            Some(u64::from(analytics.refresh_seconds)),
            30,
        )?
        .as_secs()
        .min(3600) as u32;
        if let Some(text) = non_empty("PASAR_ANALYTICS_READ_CACHE_MS") {
            analytics.read_cache_ms = text.trim().parse().map_err(|_| {
                ConfigError::new(
                    "PASAR_ANALYTICS_READ_CACHE_MS",
                    format!("`{text}` is not a number of milliseconds"),
                )
            })?;
        }
        let mut shop = file.shop;
        if let Some(from) = non_empty("PASAR_EMAIL_FROM") {
            shop.email_from = from;
        }
        if let Some(staff) = non_empty("PASAR_STAFF_EMAIL") {
            shop.staff_email = staff;
        }
        if shop.email_from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(ConfigError::new(
                "shop.email_from",
                format!("`{}` is not an email address", shop.email_from),
            ));
        }
        if !shop.staff_email.is_empty()
            && shop
                .staff_email
                .parse::<lettre::message::Mailbox>()
                .is_err()
        {
            return Err(ConfigError::new(
                "shop.staff_email",
                format!("`{}` is not an email address", shop.staff_email),
            ));
        }
        Ok(Settings {
            mail_dir,
            mail_every,
            request_timeout,
            header_read_timeout,
            shutdown_grace,
            catalog_cache,
            addr,
            public_url,
            database_url,
            redis_url,
            cache_prefix,
            smtp_url,
            media_dir,
            shop,
            tax: file.tax,
            payments,
            shipping: file.shipping,
            inventory: file.inventory,
            analytics,
            security,
        })
    }

    /// Cookies get `Secure` when shoppers reach the shop over HTTPS.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// `scheme://host[:port]` as browsers send it in the `Origin` header.
    pub fn public_origin(&self) -> String {
        self.public_url.origin().ascii_serialization()
    }
}

fn check_database_url(url: &str) -> Result<(), String> {
    if url.starts_with("sqlite:") {
        return Ok(());
    }
    let parsed = url::Url::parse(url).map_err(|e| format!("`{}`: {e}", redact_url(url)))?;
    match parsed.scheme() {
        "postgres" | "postgresql" => Ok(()),
        other => Err(format!(
            "unsupported database `{other}` (use postgres://… or sqlite://…)"
        )),
    }
}

/// The URL with any password replaced, for log lines and error messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

fn one_line(err: &impl std::fmt::Display) -> String {
    err.to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../../Leptos.toml");

    fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_toml(SAMPLE, |name| {
            env.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn the_shipped_file_loads_with_local_defaults() {
        let s = load(&[]).expect("Leptos.toml must load");
        assert!(s.database_url.starts_with("sqlite:"));
        assert!(s.redis_url.is_none());
        assert_eq!(s.shop.currency(), Currency::Idr);
        assert_eq!(s.tax.ppn_rate_percent, 12);
        assert!(!s.secure_cookies());
    }

    #[test]
    fn environment_overrides_the_file() {
        let s = load(&[
            ("DATABASE_URL", "postgres://postgres@127.0.0.1/test"),
            ("REDIS_URL", "redis://127.0.0.1:6379"),
            ("PASAR_ADDR", "0.0.0.0:8080"),
            ("PASAR_PUBLIC_URL", "https://toko.example"),
            ("MIDTRANS_SERVER_KEY", "Mid-server-x"),
            ("MIDTRANS_CLIENT_KEY", "Mid-client-x"),
        ])
        .expect("valid overrides");
        assert_eq!(s.database_url, "postgres://postgres@127.0.0.1/test");
        assert_eq!(s.redis_url.as_deref(), Some("redis://127.0.0.1:6379"));
        assert_eq!(s.addr.port(), 8080);
        assert!(s.secure_cookies());
        assert_eq!(s.public_origin(), "https://toko.example");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = load(&[("DATABASE_URL", "mysql://x")]).unwrap_err();
        assert_eq!(err.setting, "DATABASE_URL");
        let err = load(&[("REDIS_URL", "not a url")]).unwrap_err();
        assert_eq!(err.setting, "REDIS_URL");
        let err = load(&[("PASAR_ADDR", "localhost")]).unwrap_err();
        assert_eq!(err.setting, "PASAR_ADDR");
        assert!(err
            .to_string()
            .starts_with("configuration error: PASAR_ADDR:"));
    }

    #[test]
    fn the_demo_gateway_never_switches_itself_on_beside_a_gateway_key() {
        let enabled = |env: &[(&str, &str)]| load(env).map(|s| s.payments.enabled);
        assert_eq!(enabled(&[]).unwrap(), ["demo"], "no keys at all: the demo");
        let midtrans = [
            ("MIDTRANS_SERVER_KEY", "Mid-server-x"),
            ("MIDTRANS_CLIENT_KEY", "Mid-client-x"),
        ];
        assert_eq!(enabled(&midtrans).unwrap(), ["midtrans"]);
        let err = load(&[("MIDTRANS_SERVER_KEY", "Mid-server-x")]).unwrap_err();
        assert_eq!(err.setting, "MIDTRANS_CLIENT_KEY", "{err}");
        let err = load(&[("STRIPE_SECRET_KEY", "sk_live_x")]).unwrap_err();
        assert_eq!(err.setting, "STRIPE_PUBLISHABLE_KEY", "{err}");
        // A key of a gateway not enabled still counts as "configured": no silent demo.
        let err = load(&[("STRIPE_WEBHOOK_SECRET", "whsec_x")]).unwrap_err();
        assert_eq!(err.setting, "payments.enabled", "{err}");
        let forced = [midtrans[0], midtrans[1], ("PASAR_DEMO_GATEWAY", "on")];
        assert_eq!(enabled(&forced).unwrap(), ["demo", "midtrans"]);
        let err = load(&[("PASAR_PUBLIC_URL", "https://toko.example")]).unwrap_err();
        assert_eq!(err.setting, "PASAR_DEMO_GATEWAY", "{err}");
        let public_demo = [
            ("PASAR_PUBLIC_URL", "https://demo.example"),
            ("PASAR_DEMO_GATEWAY", "on"),
        ];
        assert_eq!(enabled(&public_demo).unwrap(), ["demo"]);
        let err = load(&[("PASAR_DEMO_GATEWAY", "off")]).unwrap_err();
        assert_eq!(err.setting, "payments.enabled", "{err}");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://user:hunter2@db/shop"),
            "postgres://user:***@db/shop"
        );
    }
}
