//! Carts: rows of `cart_lines` in the database, one per SKU, under the owner's key
//! (`cart:user:<id>` for customers, `cart:guest:<token>` for a guest's cart cookie), holding
//! the quantity and the price the shopper saw. A cart lives 30 days after its last change. In
//! the database rather than Redis so that nothing (a restart, a Redis outage or flush) empties
//! a shopper's cart, and so paying for an order empties its cart in the same transaction.
//! The cart stores no prices it trusts: every view re-reads price, availability and status
//! from the database and says what changed.
use std::{collections::HashMap, time::Duration};

use chrono::Utc;
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, TransactionTrait, Value,
};

use super::catalog::placeholders;
use crate::{
    error::AppError,
    model::{CartLine, CartNotice, CartView, Currency, ImageView, Money},
};

/// How long a cart lives after its last change.
pub const CART_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
/// Most units of one SKU in a cart.
pub const MAX_QUANTITY: i32 = 99;
/// Most lines in a cart.
pub const MAX_LINES: usize = 50;

/// Whose cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartOwner {
    Customer(i32),
    /// A guest, by the random token in their cart cookie.
    Guest(String),
}

impl CartOwner {
    /// The key of this owner's cart (also stored on orders, to empty it once paid).
    pub fn key(&self) -> String {
        match self {
            CartOwner::Customer(id) => format!("cart:user:{id}"),
            CartOwner::Guest(token) => format!("cart:guest:{token}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CartError {
    #[error("There is no product with SKU `{0}`.")]
    UnknownSku(String),
    #[error("{0} is not for sale at the moment.")]
    NotForSale(String),
    #[error("Only {available} of {name} left.")]
    OutOfStock { name: String, available: i32 },
    #[error("A quantity is a whole number from 1 to {MAX_QUANTITY}.")]
    Quantity,
    #[error("A cart holds at most {MAX_LINES} different products.")]
    TooManyLines,
    #[error("That product is not in the cart.")]
    NotInCart,
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<CartError> for AppError {
    fn from(e: CartError) -> Self {
        match e {
            CartError::UnknownSku(_) | CartError::NotInCart => AppError::NotFound(e.to_string()),
            CartError::NotForSale(_) | CartError::OutOfStock { .. } => {
                AppError::Conflict(e.to_string())
            }
            CartError::Quantity | CartError::TooManyLines => {
                AppError::field("quantity", e.to_string())
            }
            CartError::Db(e) => e.into(),
        }
    }
}

/// One stored line.
#[derive(Debug, Clone, Copy)]
struct StoredLine {
    quantity: i32,
    /// The unit price when the shopper last chose this quantity (to tell them it moved).
    price_seen: i64,
}

#[derive(Debug, FromQueryResult)]
struct LineRow {
    sku: String,
    quantity: i32,
    price_seen: i64,
    touched_at: i64,
}

fn now_secs() -> i64 {
    Utc::now().timestamp()
}

/// Changes older than this (Unix seconds) belong to carts that have lapsed.
fn lapsed_before() -> i64 {
    now_secs() - CART_TTL.as_secs() as i64
}

fn statement(backend: DbBackend, sql: String, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(backend, sql, values)
}

/// The cart's lines sorted by SKU; none when its last change is older than [`CART_TTL`].
async fn stored_lines(
    db: &impl ConnectionTrait,
    owner: &CartOwner,
) -> Result<Vec<(String, StoredLine)>, CartError> {
    let backend = db.get_database_backend();
    let rows = LineRow::find_by_statement(statement(
        backend,
        format!(
            "SELECT sku, quantity, price_seen, touched_at FROM cart_lines WHERE cart_key = {} \
             ORDER BY sku",
            placeholders(backend, 1, 1)
        ),
        vec![owner.key().into()],
    ))
    .all(db)
    .await?;
    if rows.iter().map(|r| r.touched_at).max().unwrap_or(0) < lapsed_before() {
        return Ok(Vec::new());
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.sku,
                StoredLine {
                    quantity: r.quantity,
                    price_seen: r.price_seen,
                },
            )
        })
        .collect())
}

/// Inserts or replaces one line, in one statement.
async fn store(
    db: &impl ConnectionTrait,
    owner: &CartOwner,
    sku: &str,
    line: StoredLine,
) -> Result<(), CartError> {
    let backend = db.get_database_backend();
    db.execute(statement(
        backend,
        format!(
            "INSERT INTO cart_lines (cart_key, sku, quantity, price_seen, touched_at) \
             VALUES ({}) ON CONFLICT (cart_key, sku) DO UPDATE SET \
             quantity = excluded.quantity, price_seen = excluded.price_seen, \
             touched_at = excluded.touched_at",
            placeholders(backend, 1, 5)
        ),
        vec![
            owner.key().into(),
            sku.into(),
            line.quantity.into(),
            line.price_seen.into(),
            now_secs().into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Deletes every line of the carts that have lapsed; returns how many lines went.
pub async fn sweep_lapsed(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let done = db
        .execute(statement(
            backend,
            format!(
                "DELETE FROM cart_lines WHERE cart_key IN (SELECT cart_key FROM cart_lines \
                 GROUP BY cart_key HAVING MAX(touched_at) < {})",
                placeholders(backend, 1, 1)
            ),
            vec![lapsed_before().into()],
        ))
        .await?;
    Ok(done.rows_affected())
}

/// A variant as the cart and checkout need it, with its product, its first picture and the
/// units available now.
#[derive(Debug, FromQueryResult)]
pub struct Sellable {
    pub sku: String,
    pub variant_id: i32,
    pub title: String,
    pub options: String,
    pub price: i64,
    pub weight_grams: i32,
    pub active: bool,
    pub product_id: i32,
    pub product_name: String,
    pub product_slug: String,
    pub product_status: String,
    /// On hand − reserved over the active warehouses.
    pub available: i64,
    image_id: Option<i32>,
    image_path: Option<String>,
    image_width: Option<i32>,
    image_height: Option<i32>,
    image_alt: Option<String>,
    image_webp: Option<bool>,
}

impl Sellable {
    pub fn for_sale(&self) -> bool {
        self.active && self.product_status == "active"
    }

    pub fn available(&self) -> i32 {
        i32::try_from(self.available.max(0)).unwrap_or(i32::MAX)
    }

    fn image(&self) -> Option<ImageView> {
        Some(ImageView::new(
            self.image_id?,
            self.image_path.as_deref()?,
            self.image_width?.max(1) as u32,
            self.image_height?.max(1) as u32,
            self.image_alt.as_deref().unwrap_or_default(),
            self.image_webp.unwrap_or(false),
        ))
    }
}

/// Variants by SKU with their products, first pictures and the units available in active
/// warehouses: one query (the cart is read on every page and every add, so round trips
/// matter).
async fn sellables(
    db: &impl ConnectionTrait,
    skus: &[String],
) -> Result<HashMap<String, Sellable>, DbErr> {
    if skus.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    // PostgreSQL gets one array parameter: the same prepared statement for any number of SKUs.
    // Read through a sub-select, the array's length is hidden from the planner, so after five
    // executions PostgreSQL keeps one generic plan instead of planning every call (planning
    // took 0.4 ms, four times the 0.1 ms execution). SQLite has no arrays: an `IN` list.
    let (matching, values): (String, Vec<Value>) = match backend {
        DbBackend::Postgres => (
            "= ANY(CAST((SELECT $1::text[]) AS text[]))".into(),
            vec![skus.to_vec().into()],
        ),
        _ => (
            format!(
                "IN ({})",
                super::catalog::placeholders(backend, 1, skus.len())
            ),
            skus.iter().map(|s| s.clone().into()).collect(),
        ),
    };
    Ok(Sellable::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!("{} WHERE v.sku {matching}", sellable_query(backend, "")),
        values,
    ))
    .all(db)
    .await?
    .into_iter()
    .map(|s| (s.sku.clone(), s))
    .collect())
}

/// The `SELECT … FROM …` of [`Sellable`] rows (variant `v`, product `p`, first picture `i`),
/// with `extra` columns and joins spliced in before the `WHERE` the caller adds.
///
/// PostgreSQL finds the first picture through a `LATERAL` index lookup per product. The
/// correlated `i.id = (SELECT …)` form SQLite needs (it has no `LATERAL`) made PostgreSQL hash
/// the whole `product_images` table on every cart read: with 255 pictures that alone cost a
/// third of the query (9,900 → 15,900 cart reads/s with pgbench), and it grows with the shop.
fn sellable_query(backend: DbBackend, extra: &str) -> String {
    let first_picture = match backend {
        DbBackend::Postgres => {
            "LEFT JOIN LATERAL (SELECT pi.id, pi.path, pi.width, pi.height, pi.alt, pi.webp \
             FROM product_images pi WHERE pi.product_id = p.id \
             ORDER BY pi.position, pi.id LIMIT 1) i ON TRUE"
        }
        _ => {
            "LEFT JOIN product_images i ON i.id = (SELECT pi.id FROM product_images pi \
             WHERE pi.product_id = p.id ORDER BY pi.position, pi.id LIMIT 1)"
        }
    };
    format!(
        "SELECT v.sku, v.id AS variant_id, v.title, v.options, v.price, v.weight_grams, \
                v.active, p.id AS product_id, p.name AS product_name, \
                p.slug AS product_slug, p.status AS product_status, \
                CAST({available} AS BIGINT) AS available, \
                i.id AS image_id, i.path AS image_path, i.width AS image_width, \
                i.height AS image_height, i.alt AS image_alt, i.webp AS image_webp{extra} \
         FROM product_variants v JOIN products p ON p.id = v.product_id {first_picture}",
        available = super::inventory::available_units_sql("v.id")
    )
}

/// The cart's lines as stored — quantity and the catalogue data now — for checkout, which
/// re-prices and re-checks them itself. SKUs gone from the catalogue are left out.
pub async fn checkout_lines(
    db: &impl ConnectionTrait,
    owner: &CartOwner,
) -> Result<Vec<(i32, Sellable)>, CartError> {
    let (lines, mut items) = load(db, owner, None).await?;
    Ok(lines
        .into_iter()
        .filter_map(|(sku, line)| items.remove(&sku).map(|item| (line.quantity, item)))
        .collect())
}

/// The item for `sku` among `items`, if it can be sold.
fn for_sale<'a>(
    items: &'a HashMap<String, Sellable>,
    sku: &str,
) -> Result<&'a Sellable, CartError> {
    let item = items
        .get(sku)
        .ok_or_else(|| CartError::UnknownSku(sku.to_string()))?;
    if !item.for_sale() {
        return Err(CartError::NotForSale(item.product_name.clone()));
    }
    Ok(item)
}

fn check_quantity(quantity: i32) -> Result<(), CartError> {
    if (1..=MAX_QUANTITY).contains(&quantity) {
        Ok(())
    } else {
        Err(CartError::Quantity)
    }
}

/// `quantity` units of `item` at its current price, if that many are available.
fn checked_line(item: &Sellable, quantity: i32) -> Result<StoredLine, CartError> {
    check_quantity(quantity)?;
    if quantity > item.available() {
        return Err(CartError::OutOfStock {
            name: item.product_name.clone(),
            available: item.available(),
        });
    }
    Ok(StoredLine {
        quantity,
        price_seen: item.price,
    })
}

/// The stored lines plus the catalogue data for them and for `extra` (a SKU being added), in
/// one query: each catalogue row carries its cart line, if any. Lines whose SKU left the
/// catalogue do not come back (the cart drops them anyway).
async fn load(
    db: &impl ConnectionTrait,
    owner: &CartOwner,
    extra: Option<&str>,
) -> Result<(Vec<(String, StoredLine)>, HashMap<String, Sellable>), CartError> {
    let backend = db.get_database_backend();
    let (key, sku) = (placeholders(backend, 1, 1), placeholders(backend, 2, 1));
    // The cart's lines are read once and joined to the catalogue; the SKU being added comes
    // along as a line without a quantity (twice when it is already in the cart: that copy is
    // skipped below).
    let rows = db
        .query_all(statement(
            backend,
            format!(
                "{} JOIN (SELECT l.sku, l.quantity, l.price_seen, l.touched_at FROM cart_lines l \
                          WHERE l.cart_key = {key} \
                          UNION ALL SELECT CAST({sku} AS TEXT), NULL, NULL, NULL) c \
                   ON c.sku = v.sku",
                sellable_query(
                    backend,
                    ", c.quantity AS line_quantity, c.price_seen AS line_price_seen, \
                     c.touched_at AS line_touched_at"
                )
            ),
            vec![owner.key().into(), extra.unwrap_or("").into()],
        ))
        .await?;
    let mut lines = Vec::new();
    let mut items = HashMap::with_capacity(rows.len());
    let mut touched = 0i64;
    for row in rows {
        let quantity: Option<i32> = row.try_get("", "line_quantity")?;
        let price_seen: Option<i64> = row.try_get("", "line_price_seen")?;
        let touched_at: Option<i64> = row.try_get("", "line_touched_at")?;
        let sku: String = row.try_get("", "sku")?;
        if quantity.is_none() && items.contains_key(&sku) {
            continue;
        }
        let item = Sellable::from_query_result(&row, "")?;
        if let (Some(quantity), Some(price_seen)) = (quantity, price_seen) {
            touched = touched.max(touched_at.unwrap_or(0));
            lines.push((
                item.sku.clone(),
                StoredLine {
                    quantity,
                    price_seen,
                },
            ));
        }
        items.insert(sku, item);
    }
    if !lines.is_empty() && touched < lapsed_before() {
        // A lapsed cart the hourly sweep has not reached yet reads as empty; its lines go now,
        // or the next add (a fresh touch) would bring them back.
        clear_key(db, &owner.key()).await?;
        lines.clear();
    }
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    // Units this cart's own unpaid order holds are still the shopper's: checking out again
    // replaces that order (and gives them back), so they count as available to this cart.
    // Asked only when a line is short, which is rare.
    let short = lines.iter().any(|(sku, line)| {
        items
            .get(sku)
            .is_some_and(|i| i64::from(line.quantity) > i.available)
    });
    if short {
        let held = held_by_pending_orders(db, &owner.key()).await?;
        for item in items.values_mut() {
            if let Some(units) = held.get(&item.variant_id) {
                item.available += units;
            }
        }
    }
    Ok((lines, items))
}

#[derive(Debug, FromQueryResult)]
struct Held {
    variant_id: i32,
    units: i64,
}

/// Units per variant held by the unpaid orders placed from the cart `cart_key`.
async fn held_by_pending_orders(
    db: &impl ConnectionTrait,
    cart_key: &str,
) -> Result<HashMap<i32, i64>, DbErr> {
    let backend = db.get_database_backend();
    let rows = Held::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT r.variant_id AS variant_id, CAST(SUM(r.quantity) AS BIGINT) AS units \
             FROM order_reservations r JOIN orders o ON o.id = r.order_id \
             WHERE o.cart_key = {} AND o.status = 'pending' AND r.state = 'held' \
             GROUP BY r.variant_id",
            super::catalog::placeholders(backend, 1, 1)
        ),
        [cart_key.into()],
    ))
    .all(db)
    .await?;
    Ok(rows.into_iter().map(|h| (h.variant_id, h.units)).collect())
}

/// Stores a line and puts it into `lines` (kept sorted by SKU, as they are read).
async fn put(
    db: &impl ConnectionTrait,
    owner: &CartOwner,
    lines: &mut Vec<(String, StoredLine)>,
    sku: &str,
    line: StoredLine,
) -> Result<(), CartError> {
    store(db, owner, sku, line).await?;
    match lines.iter_mut().find(|(s, _)| s == sku) {
        Some(existing) => existing.1 = line,
        None => {
            lines.push((sku.to_string(), line));
            lines.sort_by(|a, b| a.0.cmp(&b.0));
        }
    }
    Ok(())
}

/// Adds `quantity` units of `sku` (on top of what is in the cart) and returns the cart.
/// Refused beyond the units available, with how many are left.
pub async fn add(
    db: &impl ConnectionTrait,
    owner: &CartOwner,
    sku: &str,
    quantity: i32,
    currency: Currency,
) -> Result<CartView, CartError> {
    check_quantity(quantity)?;
    let sku = sku.trim();
    let (mut lines, items) = load(db, owner, Some(sku)).await?;
    let item = for_sale(&items, sku)?;
    let current = lines
        .iter()
        .find(|(s, _)| s == sku)
        .map(|(_, l)| l.quantity);
    if current.is_none() && lines.len() >= MAX_LINES {
        return Err(CartError::TooManyLines);
    }
    let line = checked_line(item, current.unwrap_or(0) + quantity)?;
    put(db, owner, &mut lines, sku, line).await?;
    Ok(build_view(lines, items, currency))
}

/// Sets a line's quantity (0 removes it) and returns the cart. The shopper now sees the
/// current price.
pub async fn set_quantity(
    db: &impl ConnectionTrait,
    owner: &CartOwner,
    sku: &str,
    quantity: i32,
    currency: Currency,
) -> Result<CartView, CartError> {
    if quantity == 0 {
        remove(db, owner, sku).await?;
        return view(db, owner, currency).await;
    }
    check_quantity(quantity)?;
    let (mut lines, items) = load(db, owner, None).await?;
    if !lines.iter().any(|(s, _)| s == sku) {
        return Err(CartError::NotInCart);
    }
    let line = checked_line(for_sale(&items, sku)?, quantity)?;
    put(db, owner, &mut lines, sku, line).await?;
    Ok(build_view(lines, items, currency))
}

/// Takes a line out of the cart (nothing happens when it is not there).
pub async fn remove(
    db: &impl ConnectionTrait,
    owner: &CartOwner,
    sku: &str,
) -> Result<(), CartError> {
    let backend = db.get_database_backend();
    db.execute(statement(
        backend,
        format!(
            "DELETE FROM cart_lines WHERE cart_key = {} AND sku = {}",
            placeholders(backend, 1, 1),
            placeholders(backend, 2, 1)
        ),
        vec![owner.key().into(), sku.into()],
    ))
    .await?;
    Ok(())
}

/// Empties a cart.
pub async fn clear(db: &impl ConnectionTrait, owner: &CartOwner) -> Result<(), CartError> {
    Ok(clear_key(db, &owner.key()).await?)
}

/// Empties the cart an order came from (by the key stored on the order) once it is paid; in
/// the payment's transaction when given one.
pub async fn clear_key(db: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    db.execute(statement(
        backend,
        format!(
            "DELETE FROM cart_lines WHERE cart_key = {}",
            placeholders(backend, 1, 1)
        ),
        vec![key.into()],
    ))
    .await?;
    Ok(())
}

/// The cart re-priced and re-checked against the catalogue now.
pub async fn view(
    db: &impl ConnectionTrait,
    owner: &CartOwner,
    currency: Currency,
) -> Result<CartView, CartError> {
    let (lines, items) = load(db, owner, None).await?;
    Ok(build_view(lines, items, currency))
}

/// Prices and checks each stored line against the catalogue data and says what changed.
fn build_view(
    stored: Vec<(String, StoredLine)>,
    mut items: HashMap<String, Sellable>,
    currency: Currency,
) -> CartView {
    let money = |amount: i64| Money::new(amount, currency).into();
    let mut lines = Vec::with_capacity(stored.len());
    let (mut count, mut subtotal) = (0, 0i64);
    for (sku, line) in stored {
        // A SKU deleted from the catalogue simply leaves the cart.
        let Some(item) = items.remove(&sku) else {
            continue;
        };
        let mut notices = Vec::new();
        let price = item.price;
        if price != line.price_seen {
            notices.push(CartNotice::PriceChanged {
                was: money(line.price_seen),
                now: money(price),
            });
        }
        let available = item.available();
        let quantity = if !item.for_sale() || available == 0 {
            notices.push(CartNotice::Unavailable);
            0
        } else if line.quantity > available {
            notices.push(CartNotice::QuantityReduced { available });
            available
        } else {
            line.quantity
        };
        count += quantity;
        subtotal += price * i64::from(quantity);
        lines.push(CartLine {
            image: item.image(),
            product_slug: item.product_slug,
            name: item.product_name,
            variant_title: item.title,
            unit_price: money(price),
            line_total: money(price * i64::from(quantity)),
            quantity,
            available,
            weight_grams: item.weight_grams,
            notices,
            sku,
        });
    }
    CartView {
        known: true,
        item_count: count,
        subtotal: (!lines.is_empty()).then(|| money(subtotal)),
        lines,
    }
}

/// Logging in: the guest's lines are added to the customer's cart (quantities summed, capped
/// by the units available and the per-line maximum), then the guest cart is deleted; all in
/// one transaction, so a failure leaves both carts as they were.
pub async fn merge_guest_cart<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    guest_token: &str,
    customer_id: i32,
) -> Result<(), CartError> {
    let guest = CartOwner::Guest(guest_token.to_string());
    let customer = CartOwner::Customer(customer_id);
    let txn = db.begin().await?;
    let guest_lines = stored_lines(&txn, &guest).await?;
    if guest_lines.is_empty() {
        return Ok(());
    }
    let own: HashMap<String, StoredLine> =
        stored_lines(&txn, &customer).await?.into_iter().collect();
    let skus: Vec<String> = guest_lines.iter().map(|(s, _)| s.clone()).collect();
    let items = sellables(&txn, &skus).await?;
    let mut line_count = own.len();
    for (sku, line) in guest_lines {
        let Some(item) = items.get(&sku).filter(|i| i.for_sale()) else {
            continue;
        };
        let existing = own.get(&sku).map(|l| l.quantity);
        if existing.is_none() {
            if line_count >= MAX_LINES {
                continue;
            }
            line_count += 1;
        }
        let quantity = (existing.unwrap_or(0) + line.quantity)
            .min(item.available())
            .min(MAX_QUANTITY);
        if quantity <= 0 {
            continue;
        }
        store(
            &txn,
            &customer,
            &sku,
            StoredLine {
                quantity,
                price_seen: own.get(&sku).map_or(line.price_seen, |l| l.price_seen),
            },
        )
        .await?;
    }
    clear(&txn, &guest).await?;
    txn.commit().await?;
    Ok(())
}

/// The owner's cart, or an empty one for a visitor who has none.
pub async fn view_of(
    db: &impl ConnectionTrait,
    owner: Option<&CartOwner>,
    currency: Currency,
) -> Result<CartView, CartError> {
    match owner {
        Some(owner) => view(db, owner, currency).await,
        None => Ok(CartView::default()),
    }
}
