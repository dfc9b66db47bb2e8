//! Accounts: registration, password login (Argon2id), profiles, roles, the address book and the
//! login rate limit, and staff API tokens (`tokens`). Pure domain code over the database; HTTP
//! lives elsewhere.
pub mod tokens;

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{Arc, LazyLock},
};

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use chrono::Utc;
use governor::{
    clock::{Clock, DefaultClock},
    DefaultKeyedRateLimiter, Quota, RateLimiter,
};
use sea_orm::{
    sea_query::{Expr, Func},
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, Set, TransactionTrait,
};

use super::{
    cache::Cache,
    db::{address, user},
};
use crate::{
    error::{AppError, FieldErrors},
    model::{Address, AddressInput, Page, Role, User, PROVINCES},
};

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("Wrong email or password.")]
    InvalidCredentials,
    #[error("This account has been deactivated. Contact the shop if you think this is a mistake.")]
    Inactive,
    #[error("An account with this email already exists.")]
    EmailTaken,
    #[error("{0}")]
    Invalid(String, FieldErrors),
    #[error("No such {0}.")]
    NotFound(&'static str),
    #[error("{0}")]
    NotAllowed(&'static str),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("password hashing: {0}")]
    Hash(String),
    #[error("The shop is busy checking passwords. Please try again in a moment.")]
    Busy,
}

impl From<AccountError> for AppError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::InvalidCredentials => AppError::Unauthorized(err.to_string()),
            AccountError::Inactive => AppError::Forbidden(err.to_string()),
            AccountError::EmailTaken => AppError::Validation {
                message: err.to_string(),
                fields: [("email".to_string(), vec![err.to_string()])].into(),
            },
            AccountError::Invalid(message, fields) => AppError::Validation { message, fields },
            AccountError::NotFound(_) => AppError::NotFound(err.to_string()),
            AccountError::NotAllowed(_) => AppError::Conflict(err.to_string()),
            AccountError::Db(e) => super::error::internal("accounts: database", e),
            AccountError::Hash(e) => super::error::internal("accounts: hashing", e),
            AccountError::Busy => AppError::Unavailable(err.to_string()),
        }
    }
}

/// Collects per-field problems so a form shows them all at once.
#[derive(Default)]
struct Problems(FieldErrors);

impl Problems {
    fn add(&mut self, field: &str, message: &str) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    fn into_result(self) -> Result<(), AccountError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            let message = if self.0.len() == 1 {
                self.0
                    .values()
                    .flatten()
                    .next()
                    .cloned()
                    .unwrap_or_default()
            } else {
                "Please correct the highlighted fields.".to_string()
            };
            Err(AccountError::Invalid(message, self.0))
        }
    }
}

/// Lower-cases and checks an email address's shape.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let ok = !local.is_empty()
        && email.len() <= 254
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(email)
}

fn check_password(problems: &mut Problems, field: &str, password: &str) {
    let len = password.chars().count();
    if len < 8 {
        problems.add(field, "Use at least 8 characters.");
    } else if len > 128 {
        problems.add(field, "Use at most 128 characters.");
    }
}

/// Indonesian phone numbers: `08…` or `+62…`, 9–15 digits, spaces and dashes allowed.
pub fn normalize_phone(raw: &str) -> Option<String> {
    let compact: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    let ok = digits.chars().all(|c| c.is_ascii_digit())
        && (9..=15).contains(&digits.len())
        && (compact.starts_with("+62") || compact.starts_with("62") || compact.starts_with('0'));
    ok.then_some(compact)
}

/// OWASP's recommended Argon2id parameters: 19 MiB, 2 iterations, 1 lane.
fn argon2() -> Argon2<'static> {
    // Constant, valid parameters: `Params::new` only fails on out-of-range values.
    let params = Params::new(19 * 1024, 2, 1, None).expect("valid Argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Argon2 takes 19 MiB and tens of milliseconds per hash by design, so a burst of logins or
/// registrations must not run them all at once: at most one per core runs, the rest wait their
/// turn for up to [`struct@HASH_WAIT`] and are then told to retry (503), never piling up memory.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    tokio::sync::Semaphore::new(cores.max(2))
});

/// How long a request waits for a free hashing slot before a 503: 5 s, or
/// `PASAR_HASHING_WAIT_MS` (read once; the tests shorten it to see the 503 without a flood).
static HASH_WAIT: LazyLock<std::time::Duration> = LazyLock::new(|| {
    let millis = std::env::var("PASAR_HASHING_WAIT_MS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(5_000);
    std::time::Duration::from_millis(millis)
});

/// Runs `work` on a blocking thread once a hashing slot is free.
async fn with_hashing_slot<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, AccountError> + Send + 'static,
) -> Result<T, AccountError> {
    let _slot = tokio::time::timeout(*HASH_WAIT, HASHING.acquire())
        .await
        .map_err(|_| AccountError::Busy)?
        .map_err(|e| AccountError::Hash(e.to_string()))?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?
}

/// Hashes on a blocking thread: Argon2 is deliberately slow.
pub async fn hash_password(password: String) -> Result<String, AccountError> {
    with_hashing_slot(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AccountError::Hash(e.to_string()))
    })
    .await
}

async fn verify_password(password: String, hash: String) -> Result<bool, AccountError> {
    with_hashing_slot(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| AccountError::Hash(e.to_string()))?;
        Ok(argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
}

/// A short fingerprint of the password hash, kept in each session at login: when the password
/// changes, every session holding the old one no longer matches and is ended.
pub fn credential_stamp(password_hash: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(password_hash.as_bytes())[..8])
}

/// Verified against when the email is unknown, so response time does not reveal which emails
/// have accounts.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(b"not-a-real-password", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

pub fn to_user(model: user::Model) -> User {
    User {
        id: model.id,
        email: model.email,
        name: model.name,
        phone: model.phone,
        role: model.role.parse().unwrap_or(Role::Customer),
        active: model.active,
        created_at: model.created_at,
        last_login_at: model.last_login_at,
    }
}

/// What a visitor submits to open an account.
pub struct Registration {
    pub name: String,
    pub email: String,
    pub password: String,
}

/// Creates a customer account.
pub async fn register(db: &DatabaseConnection, input: Registration) -> Result<User, AccountError> {
    let mut problems = Problems::default();
    let name = input.name.trim().to_string();
    if name.is_empty() {
        problems.add("name", "Enter your name.");
    } else if name.chars().count() > 120 {
        problems.add("name", "Use at most 120 characters.");
    }
    let email = normalize_email(&input.email);
    if email.is_none() {
        problems.add(
            "email",
            "Enter a valid email address, like nama@contoh.co.id.",
        );
    }
    check_password(&mut problems, "password", &input.password);
    problems.into_result()?;
    let email = email.unwrap_or_default();

    if user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?
        .is_some()
    {
        return Err(AccountError::EmailTaken);
    }
    let hash = hash_password(input.password).await?;
    let now = Utc::now();
    let model = user::ActiveModel {
        email: Set(email),
        password_hash: Set(hash),
        name: Set(name),
        phone: Set(None),
        role: Set(Role::Customer.as_str().into()),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
        last_login_at: Set(None),
        ..Default::default()
    };
    match model.insert(db).await {
        Ok(m) => Ok(to_user(m)),
        // Two registrations racing for one email: the unique index decides.
        Err(e) if super::db::is_unique_violation(&e) => Err(AccountError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Checks an email and password; records the login time on success.
pub async fn authenticate(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
) -> Result<User, AccountError> {
    let found = match normalize_email(email) {
        Some(email) => {
            user::Entity::find()
                .filter(user::Column::Email.eq(email))
                .one(db)
                .await?
        }
        None => None,
    };
    let Some(found) = found else {
        let _ = verify_password(password.to_string(), DUMMY_HASH.clone()).await;
        return Err(AccountError::InvalidCredentials);
    };
    if !verify_password(password.to_string(), found.password_hash.clone()).await? {
        return Err(AccountError::InvalidCredentials);
    }
    if !found.active {
        return Err(AccountError::Inactive);
    }
    let mut active = found.into_active_model();
    active.last_login_at = Set(Some(Utc::now()));
    Ok(to_user(active.update(db).await?))
}

/// The user behind a session, if the account still exists and is active.
pub async fn find_active_user(
    db: &DatabaseConnection,
    id: i32,
) -> Result<Option<User>, AccountError> {
    Ok(find_active_user_with_stamp(db, id).await?.map(|(u, _)| u))
}

/// [`find_active_user`] with the [`credential_stamp`] of their current password.
pub async fn find_active_user_with_stamp(
    db: &DatabaseConnection,
    id: i32,
) -> Result<Option<(User, String)>, AccountError> {
    Ok(user::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .map(|u| {
            let stamp = credential_stamp(&u.password_hash);
            (to_user(u), stamp)
        }))
}

/// Changes a user's own name and phone.
pub async fn update_profile(
    db: &DatabaseConnection,
    user_id: i32,
    name: &str,
    phone: &str,
) -> Result<User, AccountError> {
    let mut problems = Problems::default();
    let name = name.trim();
    if name.is_empty() {
        problems.add("name", "Enter your name.");
    } else if name.chars().count() > 120 {
        problems.add("name", "Use at most 120 characters.");
    }
    let phone = if phone.trim().is_empty() {
        None
    } else {
        let normalized = normalize_phone(phone);
        if normalized.is_none() {
            problems.add(
                "phone",
                "Enter an Indonesian phone number, like 0812-3456-7890.",
            );
        }
        normalized
    };
    problems.into_result()?;
    let found = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("account"))?;
    let mut active = found.into_active_model();
    active.name = Set(name.to_string());
    active.phone = Set(phone);
    active.updated_at = Set(Utc::now());
    Ok(to_user(active.update(db).await?))
}

/// Changes a password after checking the current one. Returns the new [`credential_stamp`]:
/// the caller's session keeps it, every other session of the user is ended by the change.
pub async fn change_password(
    db: &DatabaseConnection,
    user_id: i32,
    current: &str,
    new: &str,
) -> Result<String, AccountError> {
    let mut problems = Problems::default();
    check_password(&mut problems, "new_password", new);
    problems.into_result()?;
    let found = user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("account"))?;
    if !verify_password(current.to_string(), found.password_hash.clone()).await? {
        let message = "That is not your current password.";
        return Err(AccountError::Invalid(
            message.into(),
            [("current_password".to_string(), vec![message.to_string()])].into(),
        ));
    }
    let hash = hash_password(new.to_string()).await?;
    let stamp = credential_stamp(&hash);
    let mut active = found.into_active_model();
    active.password_hash = Set(hash);
    active.updated_at = Set(Utc::now());
    active.update(db).await?;
    Ok(stamp)
}

/// Lists users, newest first, matching `query` against email or name (case-insensitive).
pub async fn list_users(
    db: &DatabaseConnection,
    query: &str,
    page: u64,
    per_page: u64,
) -> Result<Page<User>, AccountError> {
    let page = page.max(1);
    let per_page = per_page.clamp(1, 100);
    let mut select = user::Entity::find();
    let query = query.trim().to_lowercase();
    if !query.is_empty() {
        // LIKE wildcards in the search text are matched literally.
        let escaped = query
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        let like = |col: user::Column| {
            Expr::expr(Func::lower(Expr::col(col)))
                .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\'))
        };
        select = select.filter(
            Condition::any()
                .add(like(user::Column::Email))
                .add(like(user::Column::Name)),
        );
    }
    let paginator = select
        .order_by_desc(user::Column::CreatedAt)
        .order_by_desc(user::Column::Id)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let items = paginator.fetch_page(page - 1).await?;
    Ok(Page {
        items: items.into_iter().map(to_user).collect(),
        total,
        page,
        per_page,
    })
}

/// An admin changes another user's role or active flag. Admins cannot demote or deactivate
/// themselves, so a shop never loses its last way in by accident.
pub async fn update_user(
    db: &DatabaseConnection,
    actor_id: i32,
    target_id: i32,
    role: Option<Role>,
    active: Option<bool>,
) -> Result<User, AccountError> {
    let found = user::Entity::find_by_id(target_id)
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("user"))?;
    if target_id == actor_id && (role.is_some_and(|r| r != Role::Admin) || active == Some(false)) {
        return Err(AccountError::NotAllowed(
            "You cannot demote or deactivate your own account; ask another admin.",
        ));
    }
    let mut model = found.into_active_model();
    if let Some(role) = role {
        model.role = Set(role.as_str().into());
    }
    if let Some(active) = active {
        model.active = Set(active);
    }
    model.updated_at = Set(Utc::now());
    Ok(to_user(model.update(db).await?))
}

/// Creates an admin, or makes an existing account an active admin with the given password.
/// Used by `pasar create-admin` and the demo seed.
pub async fn ensure_admin(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    name: &str,
) -> Result<(User, bool), AccountError> {
    let mut problems = Problems::default();
    let normalized = normalize_email(email);
    if normalized.is_none() {
        problems.add("email", "Enter a valid email address.");
    }
    check_password(&mut problems, "password", password);
    problems.into_result()?;
    let email = normalized.unwrap_or_default();
    let hash = hash_password(password.to_string()).await?;
    let now = Utc::now();
    let existing = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(db)
        .await?;
    let (model, created) = match existing {
        Some(found) => {
            let mut model = found.into_active_model();
            model.role = Set(Role::Admin.as_str().into());
            model.active = Set(true);
            model.password_hash = Set(hash);
            model.updated_at = Set(now);
            (model.update(db).await?, false)
        }
        None => {
            let model = user::ActiveModel {
                email: Set(email),
                password_hash: Set(hash),
                name: Set(name.to_string()),
                phone: Set(None),
                role: Set(Role::Admin.as_str().into()),
                active: Set(true),
                created_at: Set(now),
                updated_at: Set(now),
                last_login_at: Set(None),
                ..Default::default()
            };
            (model.insert(db).await?, true)
        }
    };
    Ok((to_user(model), created))
}

fn to_address(model: address::Model) -> Address {
    Address {
        id: model.id,
        is_default: model.is_default,
        fields: AddressInput {
            label: model.label,
            recipient: model.recipient,
            phone: model.phone,
            street: model.street,
            district: model.district,
            city: model.city,
            province: model.province,
            postal_code: model.postal_code,
        },
    }
}

/// Trims and checks an address; returns the cleaned fields.
pub fn validate_address(input: &AddressInput) -> Result<AddressInput, AccountError> {
    let mut problems = Problems::default();
    let mut clean = AddressInput {
        label: input.label.trim().to_string(),
        recipient: input.recipient.trim().to_string(),
        phone: input.phone.trim().to_string(),
        street: input.street.trim().to_string(),
        district: input.district.trim().to_string(),
        city: input.city.trim().to_string(),
        province: input.province.trim().to_string(),
        postal_code: input.postal_code.trim().to_string(),
    };
    if clean.label.is_empty() {
        clean.label = "Rumah".into();
    }
    let required = [
        (
            "recipient",
            &clean.recipient,
            "Enter the recipient's name.",
            120,
        ),
        (
            "street",
            &clean.street,
            "Enter the street, number and RT/RW.",
            255,
        ),
        ("district", &clean.district, "Enter the kecamatan.", 80),
        ("city", &clean.city, "Enter the city or kabupaten.", 80),
    ];
    for (field, value, message, max) in required {
        if value.is_empty() {
            problems.add(field, message);
        } else if value.chars().count() > max {
            problems.add(field, "This is too long.");
        }
    }
    if clean.label.chars().count() > 40 {
        problems.add("label", "Use at most 40 characters.");
    }
    match normalize_phone(&clean.phone) {
        Some(phone) => clean.phone = phone,
        None => problems.add(
            "phone",
            "Enter an Indonesian phone number, like 0812-3456-7890.",
        ),
    }
    if !PROVINCES.contains(&clean.province.as_str()) {
        problems.add("province", "Choose a province from the list.");
    }
    if clean.postal_code.len() != 5 || !clean.postal_code.chars().all(|c| c.is_ascii_digit()) {
        problems.add("postal_code", "A kode pos has exactly 5 digits.");
    }
    problems.into_result()?;
    Ok(clean)
}

/// A user's addresses, default first.
pub async fn list_addresses(
    db: &DatabaseConnection,
    user_id: i32,
) -> Result<Vec<Address>, AccountError> {
    Ok(address::Entity::find()
        .filter(address::Column::UserId.eq(user_id))
        .order_by_desc(address::Column::IsDefault)
        .order_by_asc(address::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(to_address)
        .collect())
}

/// Adds (`id` = None) or edits one of the user's addresses. The first address, or one saved
/// with `make_default`, becomes the default; the change of default is one transaction.
pub async fn save_address(
    db: &DatabaseConnection,
    user_id: i32,
    id: Option<i32>,
    input: &AddressInput,
    make_default: bool,
) -> Result<Address, AccountError> {
    let clean = validate_address(input)?;
    let txn = db.begin().await?;
    let existing_count = address::Entity::find()
        .filter(address::Column::UserId.eq(user_id))
        .count(&txn)
        .await?;
    let now = Utc::now();
    let mut model = match id {
        Some(id) => address::Entity::find_by_id(id)
            .filter(address::Column::UserId.eq(user_id))
            .one(&txn)
            .await?
            .ok_or(AccountError::NotFound("address"))?
            .into_active_model(),
        None => {
            if existing_count >= 20 {
                return Err(AccountError::NotAllowed(
                    "An address book holds at most 20 addresses; delete one first.",
                ));
            }
            address::ActiveModel {
                user_id: Set(user_id),
                created_at: Set(now),
                is_default: Set(existing_count == 0),
                ..Default::default()
            }
        }
    };
    if make_default {
        address::Entity::update_many()
            .col_expr(address::Column::IsDefault, Expr::value(false))
            .filter(address::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        model.is_default = Set(true);
    }
    model.label = Set(clean.label);
    model.recipient = Set(clean.recipient);
    model.phone = Set(clean.phone);
    model.street = Set(clean.street);
    model.district = Set(clean.district);
    model.city = Set(clean.city);
    model.province = Set(clean.province);
    model.postal_code = Set(clean.postal_code);
    model.updated_at = Set(now);
    let saved = if id.is_some() {
        model.update(&txn).await?
    } else {
        model.insert(&txn).await?
    };
    txn.commit().await?;
    Ok(to_address(saved))
}

/// Deletes one of the user's addresses; if it was the default, the oldest remaining one
/// becomes the default.
pub async fn delete_address(
    db: &DatabaseConnection,
    user_id: i32,
    id: i32,
) -> Result<(), AccountError> {
    let txn = db.begin().await?;
    let found = address::Entity::find_by_id(id)
        .filter(address::Column::UserId.eq(user_id))
        .one(&txn)
        .await?
        .ok_or(AccountError::NotFound("address"))?;
    let was_default = found.is_default;
    address::Entity::delete_by_id(id).exec(&txn).await?;
    if was_default {
        if let Some(next) = address::Entity::find()
            .filter(address::Column::UserId.eq(user_id))
            .order_by_asc(address::Column::Id)
            .one(&txn)
            .await?
        {
            let mut next = next.into_active_model();
            next.is_default = Set(true);
            next.update(&txn).await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Login throttling: failed attempts per account in the shared cache (so every server process
/// sees them when Redis is configured) and all attempts per client IP with `governor`.
pub struct LoginLimiter {
    failures_per_account: u32,
    per_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Registrations and password changes (each one an Argon2 hash) per client IP.
    sensitive_per_ip: DefaultKeyedRateLimiter<IpAddr>,
}

/// Counts one request from `ip` against a per-address limiter: `Err(seconds to wait)` over
/// the limit. Addresses not seen for a while are forgotten once many are held, so memory
/// stays bounded however many addresses come by.
pub fn count_per_address(limiter: &DefaultKeyedRateLimiter<IpAddr>, ip: IpAddr) -> Result<(), u64> {
    if limiter.len() > 50_000 {
        limiter.retain_recent();
    }
    limiter.check_key(&ip).map_err(|not_until| {
        not_until
            .wait_time_from(DefaultClock::default().now())
            .as_secs()
            .max(1)
    })
}

/// How long failed attempts are remembered, and so how long a locked account waits.
const FAILURE_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// Attempts are counted per account *and* client IP: a stranger guessing from elsewhere locks
/// only themselves out, never the account's owner.
fn failure_key(email: &str, ip: IpAddr) -> String {
    let account = normalize_email(email).unwrap_or_else(|| email.trim().to_lowercase());
    format!("login-failures:{account}:{ip}")
}

fn too_many(secs: u64) -> AppError {
    AppError::RateLimited {
        message: format!("Too many login attempts. Please wait {secs} seconds and try again."),
        retry_after_secs: secs,
    }
}

impl LoginLimiter {
    pub fn new(
        failures_per_account_per_minute: u32,
        per_ip_per_minute: u32,
        sensitive_per_ip_per_minute: u32,
    ) -> Arc<Self> {
        let quota =
            |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN));
        Arc::new(LoginLimiter {
            failures_per_account: failures_per_account_per_minute.max(1),
            per_ip: RateLimiter::keyed(quota(per_ip_per_minute)),
            sensitive_per_ip: RateLimiter::keyed(quota(sensitive_per_ip_per_minute)),
        })
    }

    /// Counts a registration or password change from `ip`; 429 over the limit.
    pub fn check_sensitive(&self, ip: IpAddr) -> Result<(), AppError> {
        count_per_address(&self.sensitive_per_ip, ip).map_err(|secs| AppError::RateLimited {
            message: "Too many attempts from your network. Please wait a minute and try again."
                .into(),
            retry_after_secs: secs,
        })
    }

    /// Counts one attempt from `ip`; `Err` (429) when the IP is over its limit.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), AppError> {
        count_per_address(&self.per_ip, ip).map_err(too_many)
    }

    /// Counts this attempt on the account from `ip` before the password is checked, in one
    /// atomic increment, so parallel guesses cannot all slip under the limit; `Err` (429) once
    /// the count is over it. A successful login clears the count.
    pub async fn count_attempt(
        &self,
        cache: &dyn Cache,
        email: &str,
        ip: IpAddr,
    ) -> Result<(), AppError> {
        let attempts = cache
            .incr_by(&failure_key(email, ip), 1, Some(FAILURE_WINDOW))
            .await?;
        if attempts > i64::from(self.failures_per_account) {
            return Err(too_many(FAILURE_WINDOW.as_secs()));
        }
        Ok(())
    }

    async fn clear_failures(
        &self,
        cache: &dyn Cache,
        email: &str,
        ip: IpAddr,
    ) -> Result<(), AppError> {
        cache.delete(&failure_key(email, ip)).await?;
        Ok(())
    }
}

/// A password login with throttling: refused (429) when the IP or the account is over its
/// limit; failures are counted, a success clears the account's count.
pub async fn log_in_with_password(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    limiter: &LoginLimiter,
    email: &str,
    password: &str,
    ip: IpAddr,
) -> Result<User, AppError> {
    limiter.check_ip(ip)?;
    limiter.count_attempt(cache, email, ip).await?;
    match authenticate(db, email, password).await {
        Ok(user) => {
            limiter.clear_failures(cache, email, ip).await?;
            Ok(user)
        }
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Budi@Contoh.CO.id "),
            Some("budi@contoh.co.id".into())
        );
        assert_eq!(normalize_email("no-at-sign"), None);
        assert_eq!(normalize_email("a@b"), None);
        assert_eq!(normalize_email("a b@c.id"), None);
        assert_eq!(normalize_email("a@@c.id"), None);
    }

    #[test]
    fn phones_must_be_indonesian() {
        assert_eq!(
            normalize_phone("0812-3456-7890"),
            Some("081234567890".into())
        );
        assert_eq!(
            normalize_phone("+62 812 3456 7890"),
            Some("+6281234567890".into())
        );
        assert_eq!(normalize_phone("12345"), None);
        assert_eq!(normalize_phone("0812abc4567"), None);
    }

    #[test]
    fn addresses_report_every_bad_field() {
        let err = validate_address(&AddressInput {
            province: "Atlantis".into(),
            postal_code: "123".into(),
            ..Default::default()
        })
        .unwrap_err();
        let AccountError::Invalid(_, fields) = err else {
            panic!("expected a validation error");
        };
        for field in [
            "recipient",
            "phone",
            "street",
            "district",
            "city",
            "province",
            "postal_code",
        ] {
            assert!(fields.contains_key(field), "{field} should be reported");
        }
    }

    #[tokio::test]
    async fn the_sixth_attempt_in_a_minute_locks_that_account_from_that_address_only() {
        let cache = super::super::cache::MemoryCache::new();
        let limiter = LoginLimiter::new(5, 100, 10);
        let (stranger, owner): (IpAddr, IpAddr) = ([10, 0, 0, 9].into(), [10, 0, 0, 1].into());
        for _ in 0..5 {
            assert!(limiter
                .count_attempt(&cache, "Budi@Contoh.id", stranger)
                .await
                .is_ok());
        }
        let err = limiter
            .count_attempt(&cache, "BUDI@contoh.id", stranger)
            .await
            .unwrap_err();
        assert_eq!(err.status(), 429);
        assert!(
            limiter
                .count_attempt(&cache, "budi@contoh.id", owner)
                .await
                .is_ok(),
            "the owner, elsewhere, is not locked out"
        );
        assert!(limiter
            .count_attempt(&cache, "sari@contoh.id", stranger)
            .await
            .is_ok());
        limiter
            .clear_failures(&cache, "budi@contoh.id", stranger)
            .await
            .unwrap();
        assert!(limiter
            .count_attempt(&cache, "budi@contoh.id", stranger)
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn parallel_guesses_cannot_pass_the_limit() {
        let cache = std::sync::Arc::new(super::super::cache::MemoryCache::new());
        let limiter = LoginLimiter::new(5, 1000, 10);
        let ip: IpAddr = [10, 0, 0, 7].into();
        let tries = (0..40).map(|_| {
            let (cache, limiter) = (cache.clone(), limiter.clone());
            tokio::spawn(async move {
                limiter
                    .count_attempt(cache.as_ref(), "ayu@contoh.id", ip)
                    .await
                    .is_ok()
            })
        });
        let allowed = futures::future::join_all(tries)
            .await
            .into_iter()
            .filter(|r| matches!(r, Ok(true)))
            .count();
        assert_eq!(allowed, 5, "exactly the limit, however many arrive at once");
    }

    #[test]
    fn each_ip_has_its_own_budget() {
        let limiter = LoginLimiter::new(5, 3, 10);
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        for _ in 0..3 {
            assert!(limiter.check_ip(a).is_ok());
        }
        assert_eq!(limiter.check_ip(a).unwrap_err().status(), 429);
        assert!(limiter.check_ip(b).is_ok());
    }

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let hash = hash_password("rahasia-123".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("rahasia-123".into(), hash.clone())
            .await
            .unwrap());
        assert!(!verify_password("salah".into(), hash).await.unwrap());
    }
}
