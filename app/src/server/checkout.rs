//! Checkout: shipping quotes, totals with PPN, and placing an order in one transaction —
//! re-price the cart, reserve stock atomically, write the order, its items, reservations, a
//! pending payment and an outbox event, all or nothing. An idempotency key makes a retried or
//! double-clicked request return the same order. Unpaid orders expire and give their stock back.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::{distributions::Alphanumeric, Rng};
use sea_orm::{
    sea_query::{InsertStatement, PostgresQueryBuilder},
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder, QuerySelect,
    QueryTrait, Set, Statement, TransactionTrait,
};
use sha2::{Digest, Sha256};

use super::{
    accounts::{normalize_email, validate_address, AccountError},
    cache::Cache,
    cart::{self, CartError, CartOwner},
    config::Settings,
    db::{address, order, order_item, order_reservation, outbox_event, payment, stock_movement},
    inventory::{self, StockError},
};
use crate::{
    error::AppError,
    model::{
        compute_ppn, AddressInput, CheckoutInput, CheckoutQuote, Currency, Money, OrderLine,
        OrderTotals, OrderView, ShippingOption, TaxRule, User,
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

/// The shipping methods for a parcel of `weight_grams` to `province`, with goods worth
/// `subtotal`: the first kilogram at the zone's rate, each further started kilogram at the next
/// rate; free with the methods that allow it once the subtotal reaches the threshold.
pub fn shipping_options(
    settings: &Settings,
    province: &str,
    subtotal: i64,
    weight_grams: i64,
) -> Vec<ShippingOption> {
    let shipping = &settings.shipping;
    let currency = settings.shop.currency();
    let Some(zone) = shipping.zone_of(province) else {
        return Vec::new();
    };
    let kilograms = ((weight_grams.max(1) + 999) / 1000).max(1);
    shipping
        .methods
        .iter()
        .filter_map(|method| {
            let rate = method.rates.iter().find(|r| r.zone == zone.code)?;
            let free = method.free_shipping
                && shipping.free_shipping_threshold > 0
                && subtotal >= shipping.free_shipping_threshold;
            let price = if free {
                0
            } else {
                rate.first_kg + rate.next_kg * (kilograms - 1)
            };
            Some(ShippingOption {
                code: method.code.clone(),
                name: method.name.clone(),
                eta: method.eta.clone(),
                price: Money::new(price, currency).into(),
                free,
            })
        })
        .collect()
}

/// Subtotal and shipping → DPP, PPN and the grand total, by the shop's tax rule. PPN is
/// computed once on goods + shipping (both are taxable deliveries).
pub fn totals(subtotal: i64, shipping: i64, rule: TaxRule, currency: Currency) -> OrderTotals {
    let tax = compute_ppn(subtotal + shipping, rule);
    let money = |amount: i64| Money::new(amount, currency).into();
    OrderTotals {
        subtotal: money(subtotal),
        shipping: money(shipping),
        dpp: money(tax.dpp),
        ppn: money(tax.ppn),
        grand_total: money(tax.gross),
        prices_include_tax: rule.prices_include_tax,
    }
}

/// The review step for the current cart: shipping options to `province` and totals with
/// `method` (or the first option).
pub async fn quote(
    db: &impl ConnectionTrait,
    settings: &Settings,
    owner: &CartOwner,
    province: &str,
    method: Option<&str>,
) -> Result<CheckoutQuote, CheckoutError> {
    let currency = settings.shop.currency();
    let view = cart::view(db, owner, currency).await?;
    let subtotal = view.subtotal.as_ref().map_or(0, |s| s.amount);
    let weight: i64 = view
        .lines
        .iter()
        .map(|l| i64::from(l.weight_grams) * i64::from(l.quantity))
        .sum();
    let options = if view.item_count > 0 && !province.is_empty() {
        shipping_options(settings, province, subtotal, weight)
    } else {
        Vec::new()
    };
    let chosen = method
        .and_then(|m| options.iter().find(|o| o.code == m))
        .or(options.first());
    Ok(CheckoutQuote {
        totals: chosen.map(|o| totals(subtotal, o.price.amount, settings.tax.rule(), currency)),
        shipping_options: options,
        payment_methods: settings.payments.enabled.clone(),
    })
}

/// Who is checking out.
pub struct Buyer<'a> {
    pub owner: &'a CartOwner,
    pub user: Option<&'a User>,
    /// Where the request came from (see `http::client`); caps unpaid orders per address.
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
        if close_unpaid(txn, id, "cancelled", "cancelled").await? {
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

/// Records a fact for later consumers (emails, analytics) in the caller's transaction.
pub async fn emit(
    db: &impl ConnectionTrait,
    kind: &str,
    reference: &str,
    payload: serde_json::Value,
) -> Result<(), DbErr> {
    outbox_row(kind, reference, payload).insert(db).await?;
    Ok(())
}

fn outbox_row(
    kind: &str,
    reference: &str,
    payload: serde_json::Value,
) -> outbox_event::ActiveModel {
    outbox_event::ActiveModel {
        kind: Set(kind.into()),
        reference: Set(reference.into()),
        payload: Set(payload.to_string()),
        created_at: Set(Utc::now()),
        processed_at: Set(None),
        ..Default::default()
    }
}

/// Writes a new order's stock movements, items, reservations, outbox event and payment, and
/// returns the payment. On PostgreSQL that is one statement (data-modifying CTEs: one round
/// trip instead of five, the largest share of a checkout's cost after the reservations); on
/// SQLite, whose writes never leave the process, one statement per table.
async fn write_order_rows(
    txn: &DatabaseTransaction,
    journal: inventory::Journal,
    items: Vec<order_item::ActiveModel>,
    reservations: Vec<order_reservation::ActiveModel>,
    event: outbox_event::ActiveModel,
    payment: payment::ActiveModel,
) -> Result<payment::Model, DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        journal.write(txn).await?;
        order_item::Entity::insert_many(items)
            .exec_without_returning(txn)
            .await?;
        order_reservation::Entity::insert_many(reservations)
            .exec_without_returning(txn)
            .await?;
        event.insert(txn).await?;
        return payment.insert(txn).await;
    }
    let movements = journal.into_rows();
    let mut parts: Vec<InsertStatement> = Vec::new();
    if !movements.is_empty() {
        parts.push(stock_movement::Entity::insert_many(movements).into_query());
    }
    parts.push(order_item::Entity::insert_many(items).into_query());
    parts.push(order_reservation::Entity::insert_many(reservations).into_query());
    parts.push(outbox_event::Entity::insert(event).into_query());
    let mut last = payment::Entity::insert(payment).into_query();
    last.returning_all();

    let (mut sql, mut values) = (String::from("WITH "), Vec::new());
    for (n, part) in parts.iter().enumerate() {
        let (text, part_values) = part.build(PostgresQueryBuilder);
        if n > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "w{n} AS ({})",
            shift_placeholders(&text, values.len())
        ));
        values.extend(part_values.0);
    }
    let (text, last_values) = last.build(PostgresQueryBuilder);
    sql.push(' ');
    sql.push_str(&shift_placeholders(&text, values.len()));
    values.extend(last_values.0);
    payment::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .one(txn)
    .await?
    .ok_or_else(|| DbErr::RecordNotInserted)
}

/// `$1, $2…` in a statement built on its own become `$(1 + by)…`, so several statements' values
/// can follow each other in one parameter list. Built statements carry every value as a
/// parameter, never as a literal, so every `$` followed by digits is a placeholder.
fn shift_placeholders(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

/// Who may see an order.
pub enum Viewer<'a> {
    /// The customer who placed it (or staff).
    User(&'a User),
    /// Anyone holding the order's access token (the guest who placed it).
    Token(&'a str),
    /// The guest whose cart (by cache key) a guest order came from.
    Cart(&'a str),
}

/// An order by number if the viewer may see it; `None` otherwise (never says which).
pub async fn find_order(
    db: &impl ConnectionTrait,
    number: &str,
    viewer: Viewer<'_>,
) -> Result<Option<order::Model>, DbErr> {
    let Some(order) = order::Entity::find()
        .filter(order::Column::Number.eq(number))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let allowed = match viewer {
        Viewer::User(user) => order.user_id == Some(user.id) || user.role.is_staff(),
        Viewer::Token(token) => {
            !token.is_empty()
                && subtle::ConstantTimeEq::ct_eq(token.as_bytes(), order.access_token.as_bytes())
                    .into()
        }
        Viewer::Cart(key) => order.user_id.is_none() && order.cart_key.as_deref() == Some(key),
    };
    Ok(allowed.then_some(order))
}

/// The shopper's view of an order.
pub async fn order_view(
    db: &impl ConnectionTrait,
    order: &order::Model,
) -> Result<OrderView, DbErr> {
    let currency = Currency::parse(&order.currency).unwrap_or(Currency::Idr);
    let money = |amount: i64| Money::new(amount, currency).into();
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order.id))
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?;
    let last_payment = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order.id))
        .order_by_desc(payment::Column::Id)
        .one(db)
        .await?;
    let lines = items
        .into_iter()
        .map(|i| OrderLine {
            sku: i.sku,
            name: i.name,
            unit_price: money(i.unit_price),
            quantity: i.quantity,
            line_total: money(i.line_total),
        })
        .collect();
    Ok(view_from(order, lines, last_payment.as_ref()))
}

/// The shopper's view of an order from its row, its lines and its latest payment.
fn view_from(
    order: &order::Model,
    lines: Vec<OrderLine>,
    last_payment: Option<&payment::Model>,
) -> OrderView {
    let currency = Currency::parse(&order.currency).unwrap_or(Currency::Idr);
    let money = |amount: i64| Money::new(amount, currency).into();
    // PPN was added on top exactly when the grand total exceeds goods + shipping.
    let tax_included = order.grand_total == order.subtotal + order.shipping_total;
    OrderView {
        id: order.id,
        number: order.number.clone(),
        status: order.status.clone(),
        payment_status: order.payment_status.clone(),
        payment_method: order.payment_method.clone(),
        email: order.email.clone(),
        address: serde_json::from_str(&order.shipping_address).unwrap_or_default(),
        shipping_method: order.shipping_method.clone().unwrap_or_default(),
        lines,
        totals: OrderTotals {
            subtotal: money(order.subtotal),
            shipping: money(order.shipping_total),
            dpp: money(order.dpp),
            ppn: money(order.ppn),
            grand_total: money(order.grand_total),
            prices_include_tax: tax_included,
        },
        created_at: order.created_at.to_rfc3339(),
        expires_at: (order.status == "pending")
            .then(|| order.expires_at.map(|t| t.to_rfc3339()))
            .flatten(),
        payment_message: last_payment
            .map(|p| p.failure_message.clone())
            .unwrap_or_default(),
    }
}

/// A customer's orders as they see them, newest first: three queries whatever the number of
/// orders (the orders, all their lines, their payments).
pub async fn orders_of(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<OrderView>, DbErr> {
    let orders = order::Entity::find()
        .filter(order::Column::UserId.eq(user_id))
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id)
        .all(db)
        .await?;
    let mut lines: HashMap<i32, Vec<OrderLine>> = HashMap::new();
    let mut last_payments: HashMap<i32, payment::Model> = HashMap::new();
    let currencies: HashMap<i32, Currency> = orders
        .iter()
        .map(|o| (o.id, Currency::parse(&o.currency).unwrap_or(Currency::Idr)))
        .collect();
    for chunk in orders.chunks(500) {
        let ids: Vec<i32> = chunk.iter().map(|o| o.id).collect();
        for item in order_item::Entity::find()
            .filter(order_item::Column::OrderId.is_in(ids.clone()))
            .order_by_asc(order_item::Column::Id)
            .all(db)
            .await?
        {
            let currency = currencies
                .get(&item.order_id)
                .copied()
                .unwrap_or(Currency::Idr);
            lines.entry(item.order_id).or_default().push(OrderLine {
                unit_price: Money::new(item.unit_price, currency).into(),
                line_total: Money::new(item.line_total, currency).into(),
                sku: item.sku,
                name: item.name,
                quantity: item.quantity,
            });
        }
        // Ascending ids: the last one kept per order is its latest payment.
        for payment in payment::Entity::find()
            .filter(payment::Column::OrderId.is_in(ids))
            .order_by_asc(payment::Column::Id)
            .all(db)
            .await?
        {
            last_payments.insert(payment.order_id, payment);
        }
    }
    Ok(orders
        .iter()
        .map(|order| {
            view_from(
                order,
                lines.remove(&order.id).unwrap_or_default(),
                last_payments.get(&order.id),
            )
        })
        .collect())
}

/// Closes an unpaid order (`expired` or `cancelled`) and gives its held stock back, in the
/// caller's transaction. Only a pending order changes (a conditional update), so two processes
/// expiring the same order, or an expiry racing a payment, cannot both act.
pub async fn close_unpaid(
    db: &impl ConnectionTrait,
    order_id: i32,
    status: &str,
    payment_status: &str,
) -> Result<bool, DbErr> {
    let now = Utc::now();
    let changed = order::Entity::update_many()
        .col_expr(order::Column::Status, status.into())
        .col_expr(order::Column::PaymentStatus, payment_status.into())
        .col_expr(order::Column::UpdatedAt, now.into())
        .filter(order::Column::Id.eq(order_id))
        .filter(order::Column::Status.eq("pending"))
        .exec(db)
        .await?
        .rows_affected;
    if changed == 0 {
        return Ok(false);
    }
    let reference = format!("order:{order_id}");
    settle_reservations(db, order_id, &reference, Settlement::Released).await?;
    emit(
        db,
        &format!("order.{status}"),
        &reference,
        serde_json::json!({ "order_id": order_id }),
    )
    .await?;
    Ok(true)
}

/// What becomes of the units an order holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// Paid: the units leave stock.
    Sold,
    /// Closed unpaid: the units are available again.
    Released,
}

/// Settles every unit the order still holds, in the caller's transaction: each level changes by
/// a conditional `UPDATE` with its movement (all movements in one insert), and the reservations
/// are marked `sold` or `released` in one statement. Returns the reservations settled.
pub async fn settle_reservations(
    db: &impl ConnectionTrait,
    order_id: i32,
    reference: &str,
    settlement: Settlement,
) -> Result<Vec<order_reservation::Model>, DbErr> {
    let held = order_reservation::Entity::find()
        .filter(order_reservation::Column::OrderId.eq(order_id))
        .filter(order_reservation::Column::State.eq("held"))
        .all(db)
        .await?;
    let mut journal = inventory::Journal::default();
    for r in &held {
        match settlement {
            Settlement::Sold => {
                inventory::sell(
                    db,
                    r.variant_id,
                    r.warehouse_id,
                    r.quantity,
                    reference,
                    &mut journal,
                )
                .await?
            }
            Settlement::Released => {
                inventory::release_into(
                    db,
                    r.variant_id,
                    &[(r.warehouse_id, r.quantity)],
                    reference,
                    &mut journal,
                )
                .await?
            }
        }
    }
    if settlement == Settlement::Released {
        // Units back on sale: listings show them (a sale leaves "available" as it was).
        inventory::refresh_listings(db, &journal.variant_ids()).await?;
    }
    journal.write(db).await?;
    let state = match settlement {
        Settlement::Sold => "sold",
        Settlement::Released => "released",
    };
    order_reservation::Entity::update_many()
        .col_expr(order_reservation::Column::State, state.into())
        .filter(order_reservation::Column::OrderId.eq(order_id))
        .filter(order_reservation::Column::State.eq("held"))
        .exec(db)
        .await?;
    Ok(held)
}

/// Expires every pending order past its time; returns how many. Safe to run from several
/// processes at once.
///
/// A real gateway is asked first: a payment it reports as made is confirmed instead (a missed
/// webhook must not cost the shopper their order). If it cannot be reached the order waits for
/// the next round, for at most [`GATEWAY_SILENCE`], then expires anyway so stock is not held
/// for ever. Once expired, the payment is closed on the gateway's side too (the PaymentIntent
/// cancelled, the Midtrans transaction expired); money that still gets through is a late
/// payment (`payments::events`).
pub async fn expire_overdue(
    db: &DatabaseConnection,
    cache: &dyn crate::server::cache::Cache,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let overdue = order::Entity::find()
        .filter(order::Column::Status.eq("pending"))
        .filter(order::Column::ExpiresAt.lte(now))
        .order_by_asc(order::Column::ExpiresAt)
        .all(db)
        .await?;
    let mut expired = 0;
    for order in overdue {
        let open_payments = payment::Entity::find()
            .filter(payment::Column::OrderId.eq(order.id))
            .filter(payment::Column::Status.is_in(["pending", "failed"]))
            .all(db)
            .await?;
        let mut paid_meanwhile = false;
        let mut unreachable = false;
        for p in &open_payments {
            match crate::server::payments::ask_gateway(settings, p).await {
                Ok(Some(event)) if event.status.as_deref() == Some("paid") => {
                    crate::server::payments::apply_event(db, cache, event).await?;
                    paid_meanwhile = true;
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(order = %order.number, gateway = %p.gateway, error = %e, "expiry: could not ask the gateway");
                    unreachable = true;
                }
            }
        }
        let silent_too_long = order
            .expires_at
            .is_some_and(|at| now - at > GATEWAY_SILENCE);
        if paid_meanwhile || (unreachable && !silent_too_long) {
            continue;
        }
        let txn = db.begin().await?;
        // Payment rows first, as the event path locks them: a payment event racing this
        // expiry waits for it (and then sees the expired order) instead of deadlocking.
        payment::Entity::find()
            .filter(payment::Column::OrderId.eq(order.id))
            .lock_exclusive()
            .all(&txn)
            .await?;
        let closed = close_unpaid(&txn, order.id, "expired", "expired").await?;
        if closed {
            payment::Entity::update_many()
                .col_expr(payment::Column::Status, "expired".into())
                .col_expr(payment::Column::UpdatedAt, Utc::now().into())
                .filter(payment::Column::OrderId.eq(order.id))
                .filter(payment::Column::Status.is_in(["pending", "failed"]))
                .exec(&txn)
                .await?;
            expired += 1;
        }
        txn.commit().await?;
        if closed {
            crate::server::catalog::cache::invalidate(cache).await;
            for p in &open_payments {
                if let Err(e) = crate::server::payments::close_at_gateway(settings, p).await {
                    tracing::warn!(order = %order.number, gateway = %p.gateway, error = %e, "expiry: could not close the payment at the gateway");
                }
            }
        }
    }
    Ok(expired)
}

/// How long past its expiry an order waits for a gateway that does not answer.
pub const GATEWAY_SILENCE: Duration = Duration::hours(1);

/// Runs [`expire_overdue`] every `every`, for as long as the server runs, sends queued
/// refunds, and once an hour deletes lapsed carts. Orders live in the database, so a restart
/// loses nothing: the next round picks up whatever fell due meanwhile.
pub fn spawn_expiry_job(state: crate::server::state::AppState, every: std::time::Duration) {
    const CART_SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Not at start-up: a lapsed cart already reads as empty, so the sweep is only
        // housekeeping and need not compete with start-up writes (seeding, imports).
        let mut carts_swept = std::time::Instant::now();
        loop {
            tick.tick().await;
            if carts_swept.elapsed() >= CART_SWEEP_EVERY {
                carts_swept = std::time::Instant::now();
                match cart::sweep_lapsed(&state.db).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(lines = n, "deleted lapsed carts"),
                    Err(e) => tracing::warn!(error = %e, "cart sweep failed; retrying in an hour"),
                }
            }
            match expire_overdue(&state.db, state.cache.as_ref(), &state.settings, Utc::now()).await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(orders = n, "expired unpaid orders"),
                Err(e) => tracing::warn!(error = %e, "order expiry failed; retrying next round"),
            }
            match crate::server::payments::refunds::issue_pending(&state.db, &state.settings).await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(refunds = n, "refunds issued through the gateways"),
                Err(e) => tracing::warn!(error = %e, "refunds failed; retrying next round"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_shift_past_earlier_statements_values() {
        assert_eq!(
            super::shift_placeholders("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $10)", 4),
            "INSERT INTO t (a, b) VALUES ($5, $6), ($7, $14)"
        );
        assert_eq!(super::shift_placeholders("SELECT $1", 0), "SELECT $1");
    }

    use super::*;

    fn settings() -> Settings {
        Settings::from_toml(include_str!("../../../Leptos.toml"), |_| None).expect("settings")
    }

    #[test]
    fn shipping_is_priced_by_zone_and_started_kilogram() {
        let s = settings();
        let jakarta = shipping_options(&s, "DKI Jakarta", 100_000, 1_000);
        let reguler = jakarta.iter().find(|o| o.code == "reguler").unwrap();
        assert_eq!(reguler.price.amount, 10_000);
        let heavier = shipping_options(&s, "DKI Jakarta", 100_000, 2_001);
        let reguler = heavier.iter().find(|o| o.code == "reguler").unwrap();
        // 2,001 g: first kilogram + two started ones.
        assert_eq!(reguler.price.amount, 10_000 + 2 * 6_000);
        let papua = shipping_options(&s, "Papua", 100_000, 500);
        assert_eq!(papua[0].price.amount, 45_000, "the catch-all zone");
    }

    #[test]
    fn free_shipping_applies_from_the_threshold_to_marked_methods_only() {
        let s = settings();
        let below = shipping_options(&s, "Bali", 499_999, 1_000);
        assert!(below.iter().all(|o| !o.free));
        let at = shipping_options(&s, "Bali", 500_000, 1_000);
        let reguler = at.iter().find(|o| o.code == "reguler").unwrap();
        let ekspres = at.iter().find(|o| o.code == "ekspres").unwrap();
        assert!(reguler.free && reguler.price.amount == 0);
        assert!(!ekspres.free && ekspres.price.amount > 0);
    }

    #[test]
    fn totals_include_ppn_on_goods_and_shipping() {
        let t = totals(
            1_000_000,
            10_000,
            TaxRule::INDONESIA,
            crate::model::Currency::Idr,
        );
        assert_eq!(t.grand_total.amount, 1_010_000, "prices include tax");
        let tax = compute_ppn(1_010_000, TaxRule::INDONESIA);
        assert_eq!(t.ppn.amount, tax.ppn);
        assert_eq!(t.dpp.amount, tax.dpp);
        let exclusive = TaxRule {
            prices_include_tax: false,
            ..TaxRule::INDONESIA
        };
        let t = totals(1_000_000, 0, exclusive, crate::model::Currency::Idr);
        // DPP 916,667 × 12% = 110,000.04 → 110,000 on top.
        assert_eq!(t.ppn.amount, 110_000);
        assert_eq!(t.grand_total.amount, 1_110_000);
    }

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
