//! Checkout: placing an order in one transaction — re-price the cart, reserve stock
//! atomically, write the order, its items, reservations, a pending payment and an outbox event,
//! all or nothing. An idempotency key makes a retried or double-clicked request return the same
//! order. What happens to an order afterwards is `orders`' business.
mod quote;
mod write;

use write::write_order_rows;

use chrono::{DateTime, Duration, Utc};
use rand::{distributions::Alphanumeric, Rng};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use sha2::{Digest, Sha256};

pub use quote::{quote, shipping_options, totals};

use super::{
    accounts::{normalize_email, validate_address, AccountError},
    cache::Cache,
    cart::{self, CartError, CartOwner},
    config::Settings,
    db::{address, order, order_item, order_reservation, payment},
    inventory::{self, StockError},
    orders::{self, close_unpaid, order_view, outbox_row, view_from},
    state::AppState,
};
use crate::{
    error::AppError,
    model::{
        compute_ppn, AddressInput, CheckoutInput, CheckoutResult, Money, OrderLine, OrderView, User,
    },
};

/// Why an order could not be placed.
#[derive(Debug, thiserror::Error)]
pub enum CheckoutError {
    #[error("Your cart is empty.")]
    EmptyCart,
    #[error("{0} is no longer for sale. Remove it from your cart to continue.")]
    NotForSale(String),
    #[error("Only {available} of {name} left. Lower the quantity in your cart to continue.")]
    OutOfStock { name: String, available: i32 },
    #[error("The total changed to {now} (you saw {seen}). Please review your order.")]
    TotalChanged { seen: String, now: String },
    #[error("An Idempotency-Key header (1 to 100 characters) is required.")]
    MissingKey,
    #[error("Your network already has {0} unpaid orders. Pay for one, or wait until they expire, before ordering again.")]
    TooManyUnpaid(u32),
    #[error("Too many orders in a short time. Please wait {0} seconds and try again.")]
    TooFast(u64),
    #[error(transparent)]
    Invalid(#[from] AccountError),
    #[error(transparent)]
    Cart(#[from] CartError),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl CheckoutError {
    /// Its word in the `pasar_checkouts_total` metric.
    pub fn outcome(&self) -> &'static str {
        match self {
            CheckoutError::EmptyCart => "empty_cart",
            CheckoutError::NotForSale(_) => "not_for_sale",
            CheckoutError::OutOfStock { .. } => "out_of_stock",
            CheckoutError::TotalChanged { .. } => "total_changed",
            CheckoutError::MissingKey => "missing_key",
            CheckoutError::TooManyUnpaid(_) | CheckoutError::TooFast(_) => "rate_limited",
            CheckoutError::Invalid(_) => "invalid",
            CheckoutError::Cart(_) => "cart",
            CheckoutError::Db(_) => "error",
        }
    }
}

impl From<CheckoutError> for AppError {
    fn from(e: CheckoutError) -> Self {
        match e {
            CheckoutError::EmptyCart
            | CheckoutError::NotForSale(_)
            | CheckoutError::OutOfStock { .. }
            | CheckoutError::TotalChanged { .. } => AppError::Conflict(e.to_string()),
            CheckoutError::MissingKey => AppError::BadRequest(e.to_string()),
            CheckoutError::TooManyUnpaid(_) => AppError::RateLimited {
                message: e.to_string(),
                retry_after_secs: 600,
            },
            CheckoutError::TooFast(secs) => AppError::RateLimited {
                message: e.to_string(),
                retry_after_secs: secs,
            },
            CheckoutError::Invalid(e) => e.into(),
            CheckoutError::Cart(e) => e.into(),
            CheckoutError::Db(e) => e.into(),
        }
    }
}

impl From<StockError> for CheckoutError {
    fn from(e: StockError) -> Self {
        match e {
            StockError::OutOfStock { sku, available, .. } => CheckoutError::OutOfStock {
                name: sku,
                available,
            },
            StockError::Db(e) => CheckoutError::Db(e),
        }
    }
}

fn invalid(field: &str, message: &str) -> CheckoutError {
    CheckoutError::Invalid(AccountError::Invalid(
        message.to_string(),
        [(field.to_string(), vec![message.to_string()])].into(),
    ))
}

/// Who is checking out.
pub struct Buyer<'a> {
    pub owner: &'a CartOwner,
    pub user: Option<&'a User>,
    /// Where the request came from (see `visitor::client_ip`); caps unpaid orders per address.
    pub ip: Option<std::net::IpAddr>,
}

/// Checkouts per client address per minute (`security.checkouts_per_ip_per_minute`), so a
/// script cannot place order after order to hold stock: 429 with `Retry-After` beyond it.
pub struct CheckoutLimiter(governor::DefaultKeyedRateLimiter<std::net::IpAddr>);

impl CheckoutLimiter {
    pub fn new(per_minute: u32) -> std::sync::Arc<Self> {
        let per_minute =
            std::num::NonZeroU32::new(per_minute.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
        std::sync::Arc::new(CheckoutLimiter(governor::RateLimiter::keyed(
            governor::Quota::per_minute(per_minute),
        )))
    }

    pub fn check(&self, ip: std::net::IpAddr) -> Result<(), CheckoutError> {
        crate::server::accounts::count_per_address(&self.0, ip).map_err(CheckoutError::TooFast)
    }
}

/// A placed order and whether this call placed it or found it by its idempotency key.
pub struct Placed {
    pub order: order::Model,
    /// What the shopper sees of it.
    pub view: OrderView,
    /// The payment just created (`None` for a replay: read it again, it may have moved on).
    pub payment: Option<payment::Model>,
    pub replayed: bool,
}

/// `sha256(owner + key)`: a key only ever finds its own owner's order.
fn idempotency_hash(owner: &CartOwner, key: &str) -> String {
    hex::encode(Sha256::digest(format!("{}\n{key}", owner.key())))
}

/// Random letters and digits: order access keys, guest cart tokens, idempotency keys.
pub fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// `PSR-YYMMDD-XXXXXXX`: readable on the phone, unguessable enough not to enumerate, and a
/// valid Midtrans order id (letters, digits, dashes, under 50 characters).
fn order_number(now: DateTime<Utc>) -> String {
    format!(
        "PSR-{}-{}",
        now.format("%y%m%d"),
        random_token(7).to_ascii_uppercase()
    )
}

/// The checked email and shipping address.
async fn contact(
    db: &impl ConnectionTrait,
    buyer: &Buyer<'_>,
    input: &CheckoutInput,
) -> Result<(String, AddressInput), CheckoutError> {
    let email = match (input.email.trim(), buyer.user) {
        ("", Some(user)) => user.email.clone(),
        (raw, _) => normalize_email(raw)
            .ok_or_else(|| invalid("email", "Enter an email address for the receipt."))?,
    };
    let address = match (input.address_id, buyer.user) {
        (Some(id), Some(user)) => {
            let saved = address::Entity::find_by_id(id)
                .filter(address::Column::UserId.eq(user.id))
                .one(db)
                .await?
                .ok_or_else(|| invalid("address_id", "Choose one of your saved addresses."))?;
            AddressInput {
                label: saved.label,
                recipient: saved.recipient,
                phone: saved.phone,
                street: saved.street,
                district: saved.district,
                city: saved.city,
                province: saved.province,
                postal_code: saved.postal_code,
            }
        }
        (Some(_), None) => return Err(invalid("address_id", "Log in to use a saved address.")),
        (None, _) => validate_address(&input.address)?,
    };
    Ok((email, address))
}

/// An order ready to be written: contact, address, lines re-priced now, and its totals.
struct Prepared {
    email: String,
    address: AddressInput,
    shipping_method: String,
    lines: Vec<(i32, cart::Sellable)>,
    subtotal: i64,
    shipping: i64,
    tax: crate::model::TaxBreakdown,
}

/// Validates the request and re-prices the cart, before anything is written. Availability read
/// here only refuses early; the reservation in the transaction is what decides.
async fn prepare(
    db: &impl ConnectionTrait,
    settings: &Settings,
    buyer: &Buyer<'_>,
    input: &CheckoutInput,
) -> Result<Prepared, CheckoutError> {
    let (email, address) = contact(db, buyer, input).await?;
    let method = settings
        .shipping
        .methods
        .iter()
        .find(|m| m.code == input.shipping_method)
        .ok_or_else(|| invalid("shipping_method", "Choose a shipping method."))?;
    if !settings
        .payments
        .enabled
        .iter()
        .any(|g| g == &input.payment_method)
    {
        return Err(invalid("payment_method", "Choose a payment method."));
    }
    let lines = cart::checkout_lines(db, buyer.owner).await?;
    if lines.is_empty() {
        return Err(CheckoutError::EmptyCart);
    }

    // Re-price and re-check every line before writing anything. Availability read here only
    // refuses early; the reservation in the transaction is what decides.
    let (mut subtotal, mut weight) = (0i64, 0i64);
    for (quantity, item) in &lines {
        if !item.for_sale() {
            return Err(CheckoutError::NotForSale(item.product_name.clone()));
        }
        if *quantity > item.available() {
            return Err(CheckoutError::OutOfStock {
                name: item.product_name.clone(),
                available: item.available(),
            });
        }
        subtotal += item.price * i64::from(*quantity);
        weight += i64::from(item.weight_grams) * i64::from(*quantity);
    }
    let shipping = shipping_options(settings, &address.province, subtotal, weight)
        .into_iter()
        .find(|o| o.code == method.code)
        .ok_or_else(|| {
            invalid(
                "shipping_method",
                "This shipping method does not deliver to that province.",
            )
        })?;
    let currency = settings.shop.currency();
    let tax = compute_ppn(subtotal + shipping.price.amount, settings.tax.rule());
    if let Some(seen) = input.expected_total {
        if seen != tax.gross {
            return Err(CheckoutError::TotalChanged {
                seen: Money::new(seen, currency).format(),
                now: Money::new(tax.gross, currency).format(),
            });
        }
    }

    Ok(Prepared {
        email,
        address,
        shipping_method: method.code.clone(),
        lines,
        subtotal,
        shipping: shipping.price.amount,
        tax,
    })
}

/// Places the order for the buyer's cart, or returns the order this idempotency key already
/// placed. Everything is written in one transaction: on any error nothing remains, not even a
/// reservation.
pub async fn place_order(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    settings: &Settings,
    buyer: Buyer<'_>,
    input: &CheckoutInput,
    idempotency_key: &str,
) -> Result<Placed, CheckoutError> {
    let result = place(db, cache, settings, buyer, input, idempotency_key).await;
    crate::server::observability::checkout_outcome(match &result {
        Ok(placed) if placed.replayed => "replayed",
        Ok(_) => "placed",
        Err(e) => e.outcome(),
    });
    result
}

async fn place(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    settings: &Settings,
    buyer: Buyer<'_>,
    input: &CheckoutInput,
    idempotency_key: &str,
) -> Result<Placed, CheckoutError> {
    let key = idempotency_key.trim();
    if key.is_empty() || key.len() > 100 {
        return Err(CheckoutError::MissingKey);
    }
    let key_hash = idempotency_hash(buyer.owner, key);
    // The common case pays no lookup of the key up front: a repeated key fails on the unique
    // index below. A request that cannot be placed (the cart changed or was emptied since) may
    // still be a retry of one that was: then it gets that order.
    let Prepared {
        email,
        address,
        shipping_method,
        lines,
        subtotal,
        shipping,
        tax,
    } = match prepare(db, settings, &buyer, input).await {
        Ok(prepared) => prepared,
        Err(e) => {
            return match find_by_key(db, &key_hash).await? {
                Some(existing) => replay(db, existing).await,
                None => Err(e),
            }
        }
    };
    // Unpaid orders from one address are capped (this cart's own is about to be replaced, so
    // it does not count): fresh carts cannot be used to hold the whole stock.
    if let Some(ip) = buyer.ip {
        let cap = settings.security.unpaid_orders_per_ip;
        // Reads at most `cap` rows, however many an address holds.
        let unpaid = order::Entity::find()
            .select_only()
            .column(order::Column::Id)
            .filter(order::Column::ClientIp.eq(ip.to_string()))
            .filter(order::Column::Status.eq("pending"))
            .filter(order::Column::CartKey.ne(buyer.owner.key()))
            .limit(u64::from(cap))
            .into_tuple::<i32>()
            .all(db)
            .await?
            .len();
        if unpaid >= cap as usize {
            return Err(CheckoutError::TooManyUnpaid(cap));
        }
    }
    let currency = settings.shop.currency();
    let now = Utc::now();
    let txn = db.begin().await?;
    // The order row comes first: its unique idempotency key makes a concurrent duplicate wait
    // here and then fail, and on SQLite the first write takes the write lock, so every read
    // after it sees the latest stock.
    let inserted = order::ActiveModel {
        number: Set(order_number(now)),
        user_id: Set(buyer.user.map(|u| u.id)),
        email: Set(email),
        status: Set("pending".into()),
        payment_status: Set("pending".into()),
        currency: Set(currency.code().into()),
        subtotal: Set(subtotal),
        shipping_total: Set(shipping),
        dpp: Set(tax.dpp),
        ppn: Set(tax.ppn),
        grand_total: Set(tax.gross),
        shipping_address: Set(serde_json::to_string(&address).unwrap_or_else(|_| "{}".into())),
        shipping_method: Set(Some(shipping_method)),
        idempotency_key: Set(Some(key_hash.clone())),
        tracking_number: Set(None),
        expires_at: Set(Some(
            now + Duration::minutes(i64::from(
                settings.payments.hold_minutes_for(&input.payment_method),
            )),
        )),
        paid_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        access_token: Set(random_token(32)),
        cart_key: Set(Some(buyer.owner.key())),
        payment_method: Set(input.payment_method.clone()),
        client_ip: Set(buyer.ip.map(|ip| ip.to_string())),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let order = match inserted {
        Ok(order) => order,
        Err(e) if crate::server::db::is_unique_violation(&e) => {
            txn.rollback().await?;
            return match find_by_key(db, &key_hash).await? {
                Some(existing) => replay(db, existing).await,
                // The other request failed and rolled back; this one may try again.
                None => Err(CheckoutError::Db(e)),
            };
        }
        Err(e) => return Err(e.into()),
    };

    // One open order per cart: an earlier unpaid order from this cart is replaced (cancelled,
    // its stock released) before this one reserves, so a shopper who starts over, or a script
    // that checks out again and again, never holds the stock twice.
    let replaced = replace_pending_orders(&txn, &buyer.owner.key(), order.id).await?;
    let reference = format!("order:{}", order.id);
    let wanted: Vec<inventory::Wanted> = lines
        .iter()
        .map(|(quantity, item)| inventory::Wanted {
            variant_id: item.variant_id,
            sku: &item.sku,
            quantity: *quantity,
        })
        .collect();
    let mut journal = inventory::Journal::default();
    let allocations = inventory::reserve_lines(&txn, &wanted, &reference, &mut journal)
        .await
        .map_err(|e| match e {
            StockError::OutOfStock { sku, available, .. } => CheckoutError::OutOfStock {
                name: lines
                    .iter()
                    .find(|(_, item)| item.sku == sku)
                    .map_or(sku, |(_, item)| item.product_name.clone()),
                available,
            },
            StockError::Db(e) => CheckoutError::Db(e),
        })?;
    let (mut items, mut reservations, mut order_lines) = (Vec::new(), Vec::new(), Vec::new());
    let money = |amount: i64| Money::new(amount, currency).into();
    for ((quantity, item), allocation) in lines.iter().zip(allocations) {
        let line_total = item.price * i64::from(*quantity);
        let name = if item.title.is_empty() {
            item.product_name.clone()
        } else {
            format!("{} — {}", item.product_name, item.title)
        };
        order_lines.push(OrderLine {
            // Not written yet; the order's own page names its lines.
            item_id: 0,
            refunded: 0,
            sku: item.sku.clone(),
            name: name.clone(),
            unit_price: money(item.price),
            quantity: *quantity,
            line_total: money(line_total),
        });
        items.push(order_item::ActiveModel {
            order_id: Set(order.id),
            product_id: Set(item.product_id),
            variant_id: Set(Some(item.variant_id)),
            warehouse_id: Set(allocation.first().map(|(w, _)| *w)),
            sku: Set(item.sku.clone()),
            name: Set(name),
            options: Set(item.options.clone()),
            unit_price: Set(item.price),
            quantity: Set(*quantity),
            line_total: Set(line_total),
            ..Default::default()
        });
        for (warehouse_id, units) in allocation {
            reservations.push(order_reservation::ActiveModel {
                order_id: Set(order.id),
                variant_id: Set(item.variant_id),
                warehouse_id: Set(warehouse_id),
                quantity: Set(units),
                state: Set("held".into()),
                ..Default::default()
            });
        }
    }
    let payment = payment::ActiveModel {
        order_id: Set(order.id),
        gateway: Set(input.payment_method.clone()),
        // Stripe's PaymentIntent id arrives when the intent is created; Midtrans and the demo
        // gateway know the payment by our order number.
        gateway_ref: Set((input.payment_method != "stripe").then(|| order.number.clone())),
        amount: Set(order.grand_total),
        currency: Set(order.currency.clone()),
        status: Set("pending".into()),
        next_action: Set("{}".into()),
        failure_message: Set(String::new()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    let placed_event = outbox_row(
        "order.placed",
        &reference,
        serde_json::json!({
            "order_id": order.id,
            "number": order.number,
            "grand_total": order.grand_total,
            "currency": order.currency,
            "payment_method": order.payment_method,
        }),
    );
    // Listings show what is left; a product that just sold out must not look in stock.
    let sold_out_changed = journal.changes_sold_out();
    inventory::refresh_listings(&txn, &journal.variant_ids()).await?;
    let payment =
        write_order_rows(&txn, journal, items, reservations, placed_event, payment).await?;
    txn.commit().await?;
    if sold_out_changed || !replaced.is_empty() {
        crate::server::catalog::cache::invalidate(cache).await;
    }
    for p in &replaced {
        if let Err(e) = crate::server::payments::close_at_gateway(settings, p).await {
            tracing::warn!(payment = p.id, error = %e, "could not close a replaced order's payment at the gateway");
        }
    }
    Ok(Placed {
        view: view_from(&order, order_lines, Some(&payment)),
        order,
        payment: Some(payment),
        replayed: false,
    })
}

/// Cancels the cart's other unpaid orders (in the caller's transaction) and returns their open
/// payments, to be closed at the gateway after the commit. Payments are locked before orders,
/// as on the event path.
async fn replace_pending_orders(
    txn: &DatabaseTransaction,
    cart_key: &str,
    keep: i32,
) -> Result<Vec<payment::Model>, DbErr> {
    let earlier: Vec<i32> = order::Entity::find()
        .filter(order::Column::CartKey.eq(cart_key))
        .filter(order::Column::Status.eq("pending"))
        .filter(order::Column::Id.ne(keep))
        .all(txn)
        .await?
        .into_iter()
        .map(|o| o.id)
        .collect();
    if earlier.is_empty() {
        return Ok(Vec::new());
    }
    let open = payment::Entity::find()
        .filter(payment::Column::OrderId.is_in(earlier.clone()))
        .filter(payment::Column::Status.is_in(["pending", "failed"]))
        .lock_exclusive()
        .all(txn)
        .await?;
    for id in earlier {
        if close_unpaid(
            txn,
            id,
            "cancelled",
            "cancelled",
            &orders::Actor::system(),
            "Replaced by a newer order from the same cart.",
        )
        .await?
        {
            payment::Entity::update_many()
                .col_expr(payment::Column::Status, "cancelled".into())
                .col_expr(
                    payment::Column::FailureMessage,
                    "Replaced by a newer order from the same cart.".into(),
                )
                .col_expr(payment::Column::UpdatedAt, Utc::now().into())
                .filter(payment::Column::OrderId.eq(id))
                .filter(payment::Column::Status.is_in(["pending", "failed"]))
                .exec(txn)
                .await?;
        }
    }
    Ok(open)
}

/// Checks the address's checkout rate, places the order and prepares its payment (what the
/// shopper does next): shared by the API and the checkout page.
pub async fn submit(
    state: &AppState,
    owner: &CartOwner,
    user: Option<&User>,
    ip: std::net::IpAddr,
    input: &CheckoutInput,
    idempotency_key: &str,
) -> Result<CheckoutResult, AppError> {
    state
        .checkout_limiter
        .check(ip)
        .inspect_err(|_| crate::server::observability::checkout_outcome("rate_limited"))?;
    let placed = place_order(
        &state.db,
        state.cache.as_ref(),
        &state.settings,
        Buyer {
            owner,
            user,
            ip: Some(ip),
        },
        input,
        idempotency_key,
    )
    .await?;
    let next = match &placed.payment {
        Some(payment) => {
            crate::server::payments::next_step_for(
                &state.db,
                &state.settings,
                &placed.order,
                payment,
            )
            .await?
        }
        None => {
            crate::server::payments::next_step(&state.db, &state.settings, &placed.order).await?
        }
    };
    Ok(CheckoutResult {
        order_url: orders::order_url(&placed.order, user),
        order: placed.view,
        next,
        replayed: placed.replayed,
    })
}

/// The order a repeated idempotency key found.
async fn replay(db: &impl ConnectionTrait, order: order::Model) -> Result<Placed, CheckoutError> {
    Ok(Placed {
        view: order_view(db, &order).await?,
        order,
        payment: None,
        replayed: true,
    })
}

async fn find_by_key(
    db: &impl ConnectionTrait,
    key_hash: &str,
) -> Result<Option<order::Model>, DbErr> {
    order::Entity::find()
        .filter(order::Column::IdempotencyKey.eq(key_hash))
        .one(db)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_are_valid_midtrans_ids_and_keys_are_per_owner() {
        let n = order_number(Utc::now());
        assert!(super::super::payments::amounts::midtrans_order_id(&n).is_ok());
        let a = idempotency_hash(&CartOwner::Customer(1), "k");
        let b = idempotency_hash(&CartOwner::Customer(2), "k");
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
    }
}
