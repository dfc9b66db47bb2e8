//! Staff refunds: the order's side of the refund ledger. A refund is asked for by amount, or by
//! line items (each with a restock choice) and/or the shipping fee, with an idempotency key.
//! Its bounds are checked in the transaction that writes it, with the order and its payments
//! locked, counting every refund already asked for (pending and failed ones too): never more
//! than the payment captured, never more units of a line than were bought, the shipping fee
//! once. Restocked units go back on the shelf (a `restock` movement), written-off units never
//! do, and the reservations say which, so a later cancel cannot put them back a second time.
//! The money goes through the gateway after the commit (`payments::refunds::issue_pending`);
//! the payment's status follows the gateway's confirmation.
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set, TransactionTrait,
};

use super::{emit, record, workflow::lock_order, Actor};
use crate::{
    error::AppError,
    model::{
        Currency, Money, OrderRefund, OrderRefundLine, PaymentStatus, RefundRequest, RefundStatus,
        ReservationState, TimelineKind,
    },
    server::{
        db::{order, order_item, order_reservation, payment, refund, refund_line},
        inventory,
        payments::refunds::{committed_for, insert, NewRefund},
        state::AppState,
    },
};

/// Why a refund was refused.
#[derive(Debug, thiserror::Error)]
pub enum RefundError {
    #[error("No such order.")]
    NotFound,
    #[error("Send an Idempotency-Key header (up to 128 characters) with each refund request.")]
    MissingKey,
    #[error("This idempotency key was used for another order's refund.")]
    KeyReused,
    #[error("Say why the money goes back.")]
    EmptyReason,
    #[error("Choose the lines or the shipping fee to refund, or an amount.")]
    Empty,
    #[error("Refund either an amount or lines, not both.")]
    AmountAndLines,
    #[error("The amount must be more than zero.")]
    BadAmount,
    #[error("Line {0} is not part of this order.")]
    UnknownLine(i32),
    #[error("Refund at least one unit of each chosen line.")]
    BadQuantity,
    #[error("Refunded units go back on sale or come back damaged, not both.")]
    RestockAndDamaged,
    #[error("Only {left} of {sku} can still be refunded.")]
    LineExceeded { sku: String, left: i32 },
    #[error("The shipping fee was refunded already.")]
    ShippingRefunded,
    #[error("Nothing has been paid for this order, so nothing can be refunded.")]
    NothingCaptured,
    #[error(
        "At most {left} can still be refunded (what was paid, less refunds already asked for)."
    )]
    AboveCaptured { left: String },
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<RefundError> for AppError {
    fn from(e: RefundError) -> Self {
        match e {
            RefundError::NotFound => AppError::NotFound(e.to_string()),
            RefundError::MissingKey => AppError::BadRequest(e.to_string()),
            RefundError::KeyReused | RefundError::NothingCaptured => {
                AppError::Conflict(e.to_string())
            }
            RefundError::EmptyReason => AppError::field("reason", e.to_string()),
            RefundError::BadAmount | RefundError::AboveCaptured { .. } => {
                AppError::field("amount", e.to_string())
            }
            RefundError::Empty
            | RefundError::AmountAndLines
            | RefundError::UnknownLine(_)
            | RefundError::BadQuantity
            | RefundError::RestockAndDamaged
            | RefundError::LineExceeded { .. } => AppError::field("lines", e.to_string()),
            RefundError::ShippingRefunded => AppError::field("shipping", e.to_string()),
            RefundError::Db(e) => e.into(),
        }
    }
}

/// Asks for a refund of an order (staff). Returns the refund and whether this call made it
/// (`false`: the key had made it before; nothing new happened). The money is sent through the
/// gateway right after the commit; the background round retries what fails.
pub async fn request(
    state: &AppState,
    order_id: i32,
    key: &str,
    ask: &RefundRequest,
    actor: &Actor,
) -> Result<(refund::Model, bool), RefundError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 128 {
        return Err(RefundError::MissingKey);
    }
    let reason = ask.reason.trim();
    if reason.is_empty() {
        return Err(RefundError::EmptyReason);
    }
    let by_lines = !ask.lines.is_empty() || ask.shipping;
    match (ask.amount, by_lines) {
        (Some(_), true) => return Err(RefundError::AmountAndLines),
        (None, false) => return Err(RefundError::Empty),
        (Some(a), false) if a <= 0 => return Err(RefundError::BadAmount),
        _ => {}
    }
    if let Some(done) = by_key(&state.db, key).await? {
        return replay(done, order_id);
    }

    let txn = state.db.begin().await?;
    let order = lock_order(&txn, order_id)
        .await?
        .ok_or(RefundError::NotFound)?;
    // A twin request (double click, retry) may have committed while this one waited.
    if let Some(done) = by_key(&txn, key).await? {
        txn.rollback().await?;
        return replay(done, order_id);
    }
    let captured: Vec<payment::Model> = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order.id))
        .filter(payment::Column::Status.is_in([
            PaymentStatus::Paid.as_str(),
            PaymentStatus::PartiallyRefunded.as_str(),
            PaymentStatus::Refunded.as_str(),
        ]))
        .order_by_asc(payment::Column::Id)
        .all(&txn)
        .await?;
    if captured.is_empty() {
        return Err(RefundError::NothingCaptured);
    }
    let currency = Currency::parse(&order.currency).unwrap_or(Currency::Idr);
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order.id))
        .order_by_asc(order_item::Column::Id)
        .all(&txn)
        .await?;
    let earlier = lines_of(&txn, order.id).await?;
    let lines = price_lines(&order, &items, &earlier, ask)?;
    let amount = ask
        .amount
        .unwrap_or_else(|| lines.iter().map(|l| l.amount).sum());
    if amount <= 0 {
        return Err(RefundError::BadAmount);
    }

    // The payment that can give it back: the one with the most left.
    let mut best: Option<(&payment::Model, i64)> = None;
    for p in &captured {
        let left = p.amount - committed_for(&txn, p.id).await?;
        if best.is_none_or(|(_, most)| left > most) {
            best = Some((p, left));
        }
    }
    let Some((payment, left)) = best else {
        return Err(RefundError::NothingCaptured);
    };
    if amount > left {
        return Err(RefundError::AboveCaptured {
            left: Money::new(left.max(0), currency).format(),
        });
    }

    let written = insert(
        &txn,
        NewRefund {
            order: &order,
            payment,
            channel: &payment.channel,
            amount,
            reason,
            key: key.to_string(),
            requested_by: actor.user_id,
        },
    )
    .await?;
    let reference = format!("order:{}", order.id);
    let mut journal = inventory::Journal::default();
    let mut described = Vec::new();
    for line in &lines {
        refund_line::ActiveModel {
            refund_id: Set(written.id),
            order_item_id: Set(line.item.map(|i| i.id)),
            quantity: Set(line.quantity),
            amount: Set(line.amount),
            restock: Set(line.fate == Fate::Restock),
            damaged: Set(line.fate == Fate::Damaged),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let Some(item) = line.item else {
            described.push("the shipping fee".to_string());
            continue;
        };
        let mut what = format!("{} × {}", line.quantity, item.sku);
        if let Some(variant_id) = item.variant_id {
            let settled = settle_units(
                &txn,
                order.id,
                variant_id,
                line.quantity,
                line.fate,
                &reference,
                &mut journal,
            )
            .await?;
            what.push_str(match (line.fate, settled) {
                (Fate::Restock, 0) => " (already back in stock)",
                (Fate::Restock, _) => " (back in stock)",
                (Fate::Damaged, 0) => " (already back in stock)",
                (Fate::Damaged, _) => " (back damaged: unavailable)",
                (Fate::WriteOff, _) => " (not resellable)",
            });
        }
        described.push(what);
    }
    let stock_moved = !journal.variant_ids().is_empty();
    if stock_moved {
        inventory::refresh_listings(&txn, &journal.variant_ids()).await?;
        journal.write(&txn).await?;
    }
    let how = if written.status == RefundStatus::Manual.as_str() {
        "to send by bank transfer"
    } else {
        "through the gateway"
    };
    let mut note = format!(
        "Refund of {} asked for ({how}): {reason}",
        Money::new(amount, currency).format()
    );
    if !described.is_empty() {
        note.push_str(&format!(". For {}.", described.join(", ")));
    }
    record(
        &txn,
        order.id,
        TimelineKind::Payment,
        actor,
        None,
        None,
        &note,
    )
    .await?;
    emit(
        &txn,
        "refund.requested",
        &reference,
        serde_json::json!({
            "order_id": order.id,
            "refund_id": written.id,
            "amount": amount,
            "currency": order.currency,
            "status": written.status,
        }),
    )
    .await?;
    txn.commit().await?;

    if stock_moved {
        crate::server::catalog::cache::invalidate(state.cache.as_ref()).await;
    }
    if let Err(e) = crate::server::payments::refunds::issue_pending(
        &state.db,
        state.cache.as_ref(),
        &state.settings,
    )
    .await
    {
        tracing::warn!(error = %e, "refunds: will retry next round");
    }
    let fresh = refund::Entity::find_by_id(written.id)
        .one(&state.db)
        .await?
        .unwrap_or(written);
    Ok((fresh, true))
}

async fn by_key(db: &impl ConnectionTrait, key: &str) -> Result<Option<refund::Model>, DbErr> {
    refund::Entity::find()
        .filter(refund::Column::IdempotencyKey.eq(key))
        .one(db)
        .await
}

fn replay(done: refund::Model, order_id: i32) -> Result<(refund::Model, bool), RefundError> {
    if done.order_id == order_id {
        Ok((done, false))
    } else {
        Err(RefundError::KeyReused)
    }
}

/// A line of a refund being written, priced.
struct PricedLine<'a> {
    /// `None`: the shipping fee.
    item: Option<&'a order_item::Model>,
    quantity: i32,
    amount: i64,
    fate: Fate,
}

/// What becomes of refunded units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Back on the shelf, for sale.
    Restock,
    /// Back in the warehouse, damaged: on hand but unavailable.
    Damaged,
    /// Never back (or thrown away): out of stock for good.
    WriteOff,
}

impl Fate {
    fn of(restock: bool, damaged: bool) -> Result<Fate, RefundError> {
        match (restock, damaged) {
            (true, true) => Err(RefundError::RestockAndDamaged),
            (true, false) => Ok(Fate::Restock),
            (false, true) => Ok(Fate::Damaged),
            (false, false) => Ok(Fate::WriteOff),
        }
    }
}

/// Checks the requested lines against what was bought and refunded before, and prices them:
/// what the units cost the customer, tax included (a line's share of the goods total, so with
/// PPN added on top the refund carries its PPN), rounded so that refunding a line unit by unit
/// adds up to exactly what refunding it at once gives.
fn price_lines<'a>(
    order: &order::Model,
    items: &'a [order_item::Model],
    earlier: &[refund_line::Model],
    ask: &RefundRequest,
) -> Result<Vec<PricedLine<'a>>, RefundError> {
    let mut wanted: Vec<(i32, i32, Fate)> = Vec::new();
    for l in &ask.lines {
        if l.quantity <= 0 {
            return Err(RefundError::BadQuantity);
        }
        let fate = Fate::of(l.restock, l.damaged)?;
        match wanted.iter_mut().find(|(id, _, _)| *id == l.item_id) {
            Some(w) => w.1 += l.quantity,
            None => wanted.push((l.item_id, l.quantity, fate)),
        }
    }
    let goods_total = order.grand_total - order.shipping_total;
    let mut priced = Vec::new();
    for (item_id, quantity, fate) in wanted {
        let item = items
            .iter()
            .find(|i| i.id == item_id)
            .ok_or(RefundError::UnknownLine(item_id))?;
        let before: i32 = earlier
            .iter()
            .filter(|l| l.order_item_id == Some(item.id))
            .map(|l| l.quantity)
            .sum();
        let left = item.quantity - before;
        if quantity > left {
            return Err(RefundError::LineExceeded {
                sku: item.sku.clone(),
                left: left.max(0),
            });
        }
        let line_value = if order.subtotal > 0 {
            (i128::from(item.line_total) * i128::from(goods_total) / i128::from(order.subtotal))
                as i64
        } else {
            0
        };
        let upto = |units: i32| -> i64 {
            (i128::from(line_value) * i128::from(units) / i128::from(item.quantity.max(1))) as i64
        };
        priced.push(PricedLine {
            item: Some(item),
            quantity,
            amount: upto(before + quantity) - upto(before),
            fate,
        });
    }
    if ask.shipping {
        if earlier.iter().any(|l| l.order_item_id.is_none()) {
            return Err(RefundError::ShippingRefunded);
        }
        priced.push(PricedLine {
            item: None,
            quantity: 1,
            amount: order.shipping_total,
            fate: Fate::WriteOff,
        });
    }
    Ok(priced)
}

/// Every line of every refund of an order.
async fn lines_of(
    db: &impl ConnectionTrait,
    order_id: i32,
) -> Result<Vec<refund_line::Model>, DbErr> {
    let ids: Vec<i32> = refund::Entity::find()
        .filter(refund::Column::OrderId.eq(order_id))
        .all(db)
        .await?
        .iter()
        .map(|r| r.id)
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    refund_line::Entity::find()
        .filter(refund_line::Column::RefundId.is_in(ids))
        .order_by_asc(refund_line::Column::Id)
        .all(db)
        .await
}

/// Refunded units of a variant leave the order's sold units: back on the shelf (a `restock`
/// movement into the warehouse they were sold from), back there damaged (a `return` movement:
/// on hand but unavailable) or written off. The reservations
/// are split so each unit's fate is on record, and a later cancel restocks only what is still
/// `sold`. Returns how many units were settled (fewer than asked when some had gone back
/// already, e.g. by a cancel).
async fn settle_units(
    txn: &impl ConnectionTrait,
    order_id: i32,
    variant_id: i32,
    quantity: i32,
    fate: Fate,
    reference: &str,
    journal: &mut inventory::Journal,
) -> Result<i32, DbErr> {
    let state = match fate {
        Fate::Restock => ReservationState::Restocked,
        Fate::Damaged => ReservationState::ReturnedDamaged,
        Fate::WriteOff => ReservationState::WrittenOff,
    };
    let sold = order_reservation::Entity::find()
        .filter(order_reservation::Column::OrderId.eq(order_id))
        .filter(order_reservation::Column::VariantId.eq(variant_id))
        .filter(order_reservation::Column::State.eq(ReservationState::Sold.as_str()))
        .order_by_asc(order_reservation::Column::Id)
        .all(txn)
        .await?;
    let mut left = quantity;
    for r in sold {
        if left == 0 {
            break;
        }
        let take = left.min(r.quantity);
        if take == r.quantity {
            order_reservation::Entity::update_many()
                .col_expr(order_reservation::Column::State, state.as_str().into())
                .filter(order_reservation::Column::Id.eq(r.id))
                .exec(txn)
                .await?;
        } else {
            order_reservation::Entity::update_many()
                .col_expr(
                    order_reservation::Column::Quantity,
                    (r.quantity - take).into(),
                )
                .filter(order_reservation::Column::Id.eq(r.id))
                .exec(txn)
                .await?;
            order_reservation::ActiveModel {
                order_id: Set(order_id),
                variant_id: Set(variant_id),
                warehouse_id: Set(r.warehouse_id),
                quantity: Set(take),
                state: Set(state.as_str().into()),
                ..Default::default()
            }
            .insert(txn)
            .await?;
        }
        match fate {
            Fate::Restock => {
                inventory::restock(txn, variant_id, r.warehouse_id, take, reference, journal)
                    .await?
            }
            Fate::Damaged => {
                let level = inventory::LevelKey {
                    variant_id,
                    warehouse_id: r.warehouse_id,
                };
                inventory::unavailable::return_damaged(txn, level, take, reference, journal).await?
            }
            Fate::WriteOff => {}
        }
        left -= take;
    }
    Ok(quantity - left)
}

/// An order's refunds as staff and its customer see them, oldest first, and the units refunded
/// per order line.
pub async fn refunds_of(
    db: &impl ConnectionTrait,
    order: &order::Model,
    items: &[order_item::Model],
) -> Result<(Vec<OrderRefund>, HashMap<i32, i32>), DbErr> {
    let currency = Currency::parse(&order.currency).unwrap_or(Currency::Idr);
    let money = |amount: i64| Money::new(amount, currency).into();
    let rows = refund::Entity::find()
        .filter(refund::Column::OrderId.eq(order.id))
        .order_by_asc(refund::Column::Id)
        .all(db)
        .await?;
    let lines = lines_of(db, order.id).await?;
    let mut refunded: HashMap<i32, i32> = HashMap::new();
    for l in &lines {
        if let Some(item) = l.order_item_id {
            *refunded.entry(item).or_default() += l.quantity;
        }
    }
    let views = rows
        .into_iter()
        .map(|r| {
            let status = r.status.parse::<RefundStatus>().ok();
            OrderRefund {
                id: r.id,
                amount: money(r.amount),
                status: r.status.clone(),
                status_label: status.map(|s| s.label()).unwrap_or_default().to_string(),
                reason: r.reason,
                lines: lines
                    .iter()
                    .filter(|l| l.refund_id == r.id)
                    .map(|l| {
                        let item = l
                            .order_item_id
                            .and_then(|id| items.iter().find(|i| i.id == id));
                        OrderRefundLine {
                            sku: item.map(|i| i.sku.clone()).unwrap_or_default(),
                            name: item
                                .map(|i| i.name.clone())
                                .unwrap_or_else(|| "Shipping".into()),
                            quantity: l.quantity,
                            amount: money(l.amount),
                            restock: l.restock,
                            damaged: l.damaged,
                        }
                    })
                    .collect(),
                created_at: r.created_at.to_rfc3339(),
            }
        })
        .collect();
    Ok((views, refunded))
}

/// What staff can still refund of an order: the most any captured payment can give back, and
/// whether the shipping fee is still unrefunded.
pub async fn refundable(
    db: &impl ConnectionTrait,
    order: &order::Model,
) -> Result<(i64, bool), DbErr> {
    let mut most = 0;
    for p in payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order.id))
        .filter(payment::Column::Status.is_in([
            PaymentStatus::Paid.as_str(),
            PaymentStatus::PartiallyRefunded.as_str(),
            PaymentStatus::Refunded.as_str(),
        ]))
        .all(db)
        .await?
    {
        most = most.max(p.amount - committed_for(db, p.id).await?);
    }
    let shipping_left = order.shipping_total > 0
        && most > 0
        && !lines_of(db, order.id)
            .await?
            .iter()
            .any(|l| l.order_item_id.is_none());
    Ok((most.max(0), shipping_left))
}
