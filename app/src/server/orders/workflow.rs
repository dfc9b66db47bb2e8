//! The order workflow in one place. Every change of an order's status goes through
//! [`change_status`] (staff, customers) or, for the shop's own moves (payment, expiry, a
//! gateway's report), through the functions here that those paths call. The rules (who may make
//! which move, what it needs) are `model::OrderStatus::rule_to`; this module applies them, makes
//! the move's side effects (stock released or put back, a refund queued) and appends the move to
//! the order's timeline, all in one transaction.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    DbBackend, DbErr, EntityTrait, QueryFilter, QuerySelect, Set, Statement, TransactionTrait,
};

use super::{close_unpaid, emit};
use crate::{
    error::AppError,
    model::{ActorKind, OrderStatus, PaymentStatus, TimelineKind, User},
    server::{
        cache::Cache,
        config::Settings,
        db::{order, order_event, order_reservation, payment},
        inventory,
    },
};

/// Who is changing an order.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: ActorKind,
    pub user_id: Option<i32>,
    /// How the timeline shows them.
    pub name: String,
}

impl Actor {
    pub fn system() -> Self {
        Actor {
            kind: ActorKind::System,
            user_id: None,
            name: "System".into(),
        }
    }

    /// Staff acting in the admin or through the staff API.
    pub fn staff(user: &User) -> Self {
        Actor {
            kind: ActorKind::Staff,
            user_id: Some(user.id),
            name: user.email.clone(),
        }
    }

    /// The customer acting on their own order.
    pub fn customer(user: &User) -> Self {
        Actor {
            kind: ActorKind::Customer,
            user_id: Some(user.id),
            name: user.email.clone(),
        }
    }

    /// Whoever acts on an order through the shopper's pages or API: its customer, staff, or
    /// the guest holding its key.
    pub fn on_order(order: &order::Model, user: Option<&User>) -> Self {
        match user {
            Some(user) if order.user_id == Some(user.id) => Actor::customer(user),
            Some(user) if user.role.is_staff() => Actor::staff(user),
            _ => Actor::guest(&order.email),
        }
    }

    /// A guest acting on their order with its access key.
    pub fn guest(email: &str) -> Self {
        Actor {
            kind: ActorKind::Customer,
            user_id: None,
            name: email.to_string(),
        }
    }
}

/// Why a change was refused.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("No such order.")]
    NotFound,
    #[error("`{0}` is not an order status.")]
    UnknownStatus(String),
    #[error("An order that is {from} cannot be moved to {to}.")]
    NotAllowed { from: String, to: String },
    #[error("Only shop staff can move an order from {from} to {to}.")]
    NotYours { from: String, to: String },
    #[error("An order goes from {from} to {to} by itself (its payment arrives, or its time runs out), not by hand.")]
    OnlyBySystem { from: String, to: String },
    #[error("Shipping needs a carrier and a tracking number.")]
    MissingTracking,
    #[error("Write the note first.")]
    EmptyNote,
    #[error("The order changed meanwhile (it is now {0}). Reload it and try again.")]
    Changed(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<WorkflowError> for AppError {
    fn from(e: WorkflowError) -> Self {
        match e {
            WorkflowError::NotFound => AppError::NotFound(e.to_string()),
            WorkflowError::UnknownStatus(_) => AppError::field("status", e.to_string()),
            WorkflowError::MissingTracking => AppError::field("tracking_number", e.to_string()),
            WorkflowError::EmptyNote => AppError::field("note", e.to_string()),
            WorkflowError::NotYours { .. } => AppError::Forbidden(e.to_string()),
            WorkflowError::NotAllowed { .. }
            | WorkflowError::OnlyBySystem { .. }
            | WorkflowError::Changed(_) => AppError::Conflict(e.to_string()),
            WorkflowError::Db(e) => e.into(),
        }
    }
}

/// Locks an order and its payments for the rest of the transaction, payments first (the order
/// the payment path takes them in), and reads the order. On SQLite a write first takes the
/// write lock: the reads after it see the latest state, and a racing writer waits instead of
/// failing to upgrade its read to a write.
pub(super) async fn lock_order(
    txn: &DatabaseTransaction,
    order_id: i32,
) -> Result<Option<order::Model>, DbErr> {
    if txn.get_database_backend() == DbBackend::Sqlite {
        txn.execute(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "UPDATE orders SET updated_at = updated_at WHERE id = ?",
            [order_id.into()],
        ))
        .await?;
    }
    payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order_id))
        .lock_exclusive()
        .all(txn)
        .await?;
    order::Entity::find_by_id(order_id)
        .lock_exclusive()
        .one(txn)
        .await
}

/// A requested change of status, with what the move may need.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub to: String,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub note: String,
}

/// Appends an entry to the order's timeline, in the caller's transaction.
pub async fn record(
    db: &impl ConnectionTrait,
    order_id: i32,
    kind: TimelineKind,
    actor: &Actor,
    from: Option<&str>,
    to: Option<&str>,
    note: &str,
) -> Result<(), DbErr> {
    order_event::ActiveModel {
        order_id: Set(order_id),
        kind: Set(kind.as_str().into()),
        actor: Set(actor.kind.as_str().into()),
        actor_user_id: Set(actor.user_id),
        actor_name: Set(actor.name.chars().take(200).collect()),
        from_state: Set(from.map(str::to_string)),
        to_state: Set(to.map(str::to_string)),
        note: Set(note.trim().chars().take(1000).collect()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

/// What a change did besides the status, for the work after the commit.
#[derive(Debug, Default)]
struct Effects {
    /// Units were released or put back: cached listings must show them.
    stock_moved: bool,
    /// Open payments of a cancelled unpaid order, to close at the gateway.
    close_at_gateway: Vec<payment::Model>,
    /// A refund was queued, to send through the gateway.
    refund_queued: bool,
}

/// Moves an order to `change.to` on behalf of `actor`, if the workflow allows it: checks the
/// rule, makes the move's side effects and appends it to the timeline, in one transaction.
/// The order's payments and the order are locked first (the order the payment path locks
/// them in), and the status is updated only if it is still the one the rule was checked
/// against: of two changes racing on one order, one wins and the other is told it changed.
pub async fn change_status(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    settings: &Settings,
    order_id: i32,
    change: &Change,
    actor: &Actor,
) -> Result<order::Model, WorkflowError> {
    let to: OrderStatus = change
        .to
        .trim()
        .parse()
        .map_err(|_| WorkflowError::UnknownStatus(change.to.clone()))?;
    let txn = db.begin().await?;
    let order = lock_order(&txn, order_id)
        .await?
        .ok_or(WorkflowError::NotFound)?;
    let from: OrderStatus = order
        .status
        .parse()
        .map_err(|_| WorkflowError::NotAllowed {
            from: order.status.clone(),
            to: to.to_string(),
        })?;
    let rule = from.rule_to(to).ok_or_else(|| WorkflowError::NotAllowed {
        from: from.label().to_lowercase(),
        to: to.label().to_lowercase(),
    })?;
    if !rule.allows(actor.kind) {
        let (from, to) = (from.label().to_lowercase(), to.label().to_lowercase());
        return Err(if rule.by_staff {
            WorkflowError::NotYours { from, to }
        } else {
            WorkflowError::OnlyBySystem { from, to }
        });
    }
    let carrier = change
        .carrier
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    let tracking = change
        .tracking_number
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if rule.needs_tracking && (carrier.is_none() || tracking.is_none()) {
        return Err(WorkflowError::MissingTracking);
    }

    let mut effects = Effects::default();
    let note = change.note.trim();
    if from == OrderStatus::Pending && to == OrderStatus::Cancelled {
        // Unpaid: the order closes, its units go back on sale, its payment is closed.
        effects.close_at_gateway = payment::Entity::find()
            .filter(payment::Column::OrderId.eq(order.id))
            .filter(payment::Column::Status.is_in(["pending", "failed"]))
            .all(&txn)
            .await?;
        let closing_note = if note.is_empty() {
            "Cancelled before payment."
        } else {
            note
        };
        if !close_unpaid(
            &txn,
            order.id,
            "cancelled",
            "cancelled",
            actor,
            closing_note,
        )
        .await?
        {
            return Err(WorkflowError::Changed(order.status));
        }
        payment::Entity::update_many()
            .col_expr(payment::Column::Status, "cancelled".into())
            .col_expr(payment::Column::UpdatedAt, Utc::now().into())
            .filter(payment::Column::OrderId.eq(order.id))
            .filter(payment::Column::Status.is_in(["pending", "failed"]))
            .exec(&txn)
            .await?;
        effects.stock_moved = true;
    } else {
        let now = Utc::now();
        let mut update = order::Entity::update_many()
            .col_expr(order::Column::Status, to.as_str().into())
            .col_expr(order::Column::UpdatedAt, now.into());
        match to {
            OrderStatus::Shipped => {
                update = update
                    .col_expr(order::Column::Carrier, carrier.map(str::to_string).into())
                    .col_expr(
                        order::Column::TrackingNumber,
                        tracking.map(str::to_string).into(),
                    )
                    .col_expr(order::Column::ShippedAt, Some(now).into());
            }
            OrderStatus::Delivered => {
                update = update.col_expr(order::Column::DeliveredAt, Some(now).into());
            }
            OrderStatus::Cancelled => {
                update = update.col_expr(order::Column::CancelledAt, Some(now).into());
            }
            _ => {}
        }
        let moved = update
            .filter(order::Column::Id.eq(order.id))
            .filter(order::Column::Status.eq(from.as_str()))
            .exec(&txn)
            .await?
            .rows_affected;
        if moved != 1 {
            return Err(WorkflowError::Changed(order.status));
        }
        let detail = match (to, carrier, tracking) {
            (OrderStatus::Shipped, Some(c), Some(t)) => format!("{c}, tracking number {t}"),
            _ => String::new(),
        };
        let entry_note = [detail.as_str(), note]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(". ");
        record(
            &txn,
            order.id,
            TimelineKind::Status,
            actor,
            Some(from.as_str()),
            Some(to.as_str()),
            &entry_note,
        )
        .await?;
        if to == OrderStatus::Cancelled {
            let (stock_moved, refund_queued) = undo_sale(&txn, &order, actor, note).await?;
            effects.stock_moved = stock_moved;
            effects.refund_queued = refund_queued;
        }
        emit(
            &txn,
            "order.status_changed",
            &format!("order:{}", order.id),
            serde_json::json!({
                "order_id": order.id,
                "number": order.number,
                "from": from.as_str(),
                "to": to.as_str(),
                "actor": actor.kind.as_str(),
                "carrier": carrier,
                "tracking_number": tracking,
            }),
        )
        .await?;
    }
    let fresh = order::Entity::find_by_id(order.id)
        .one(&txn)
        .await?
        .ok_or(WorkflowError::NotFound)?;
    txn.commit().await?;

    if effects.stock_moved {
        crate::server::catalog::cache::invalidate(cache).await;
    }
    for p in &effects.close_at_gateway {
        if let Err(e) = crate::server::payments::close_at_gateway(settings, p).await {
            tracing::warn!(order = %fresh.number, payment = p.id, error = %e, "could not close a cancelled order's payment at the gateway");
        }
    }
    if effects.refund_queued {
        // Sent now for a quick answer; the background round retries whatever fails.
        if let Err(e) = crate::server::payments::refunds::issue_pending(db, cache, settings).await {
            tracing::warn!(error = %e, "refunds: will retry next round");
        }
    }
    Ok(fresh)
}

/// A paid order cancelled before it shipped: its sold units go back on the shelf (a `restock`
/// movement each) and the money not yet refunded is queued to go back, in the caller's
/// transaction. Runs once per order: the status update before it succeeds for one caller only.
/// Returns whether stock moved and whether a refund was queued.
pub(super) async fn undo_sale(
    txn: &impl ConnectionTrait,
    order: &order::Model,
    actor: &Actor,
    note: &str,
) -> Result<(bool, bool), DbErr> {
    let reference = format!("order:{}", order.id);
    let sold = order_reservation::Entity::find()
        .filter(order_reservation::Column::OrderId.eq(order.id))
        .filter(order_reservation::Column::State.eq("sold"))
        .all(txn)
        .await?;
    let mut journal = inventory::Journal::default();
    for r in &sold {
        inventory::restock(
            txn,
            r.variant_id,
            r.warehouse_id,
            r.quantity,
            &reference,
            &mut journal,
        )
        .await?;
    }
    let stock_moved = !sold.is_empty();
    if stock_moved {
        inventory::refresh_listings(txn, &journal.variant_ids()).await?;
        journal.write(txn).await?;
        order_reservation::Entity::update_many()
            .col_expr(order_reservation::Column::State, "restocked".into())
            .filter(order_reservation::Column::OrderId.eq(order.id))
            .filter(order_reservation::Column::State.eq("sold"))
            .exec(txn)
            .await?;
    }

    let mut refund_queued = false;
    let paid = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order.id))
        .filter(payment::Column::Status.is_in([
            PaymentStatus::Paid.as_str(),
            PaymentStatus::PartiallyRefunded.as_str(),
        ]))
        .all(txn)
        .await?;
    for p in &paid {
        let already = crate::server::payments::refunds::committed_for(txn, p.id).await?;
        let remaining = p.amount - already;
        if remaining <= 0 {
            continue;
        }
        let reason = if note.is_empty() {
            format!("Order {} cancelled by {}", order.number, actor.kind)
        } else {
            format!("Order {} cancelled by {}: {note}", order.number, actor.kind)
        };
        let queued =
            crate::server::payments::refunds::queue(txn, order, p, remaining, &reason).await?;
        record(
            txn,
            order.id,
            TimelineKind::Payment,
            actor,
            None,
            None,
            &format!(
                "Refund of {} queued ({}).",
                crate::model::Money::new(
                    remaining,
                    crate::model::Currency::parse(&p.currency)
                        .unwrap_or(crate::model::Currency::Idr)
                )
                .format(),
                if queued.status == "manual" {
                    "to send by bank transfer"
                } else {
                    "through the gateway"
                }
            ),
        )
        .await?;
        refund_queued = true;
    }
    Ok((stock_moved, refund_queued))
}

/// The shopper cancels their order (before it ships): the customer who placed it, or the guest
/// who holds its key. Staff reading a customer's order through the shop act as staff.
pub async fn cancel_as_shopper(
    state: &crate::server::state::AppState,
    order: &order::Model,
    user: Option<&User>,
    reason: &str,
) -> Result<order::Model, WorkflowError> {
    let actor = Actor::on_order(order, user);
    change_status(
        &state.db,
        state.cache.as_ref(),
        &state.settings,
        order.id,
        &Change {
            to: OrderStatus::Cancelled.as_str().into(),
            note: reason.to_string(),
            ..Change::default()
        },
        &actor,
    )
    .await
}

/// Staff add a note to the order's timeline (a call with the customer, a packing remark).
pub async fn add_note(
    db: &DatabaseConnection,
    order_id: i32,
    actor: &Actor,
    note: &str,
) -> Result<(), WorkflowError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(WorkflowError::EmptyNote);
    }
    record(db, order_id, TimelineKind::Note, actor, None, None, note).await?;
    Ok(())
}

/// What a bulk change did: the orders moved, and those refused with the reason.
#[derive(Debug, Default)]
pub struct BulkOutcome {
    pub moved: Vec<String>,
    pub refused: Vec<(String, String)>,
}

/// Moves each of these orders (by number) to `to`, each in its own transaction and through the
/// same rules as one at a time: an order that cannot make the move is listed with the reason,
/// and the others still move.
pub async fn change_many(
    db: &DatabaseConnection,
    cache: &dyn Cache,
    settings: &Settings,
    numbers: &[String],
    to: &str,
    actor: &Actor,
) -> Result<BulkOutcome, DbErr> {
    let mut outcome = BulkOutcome::default();
    let mut seen = std::collections::HashSet::new();
    for number in numbers.iter().filter(|n| seen.insert(n.as_str())).take(200) {
        let Some(order) = super::staff::find(db, number).await? else {
            outcome
                .refused
                .push((number.clone(), WorkflowError::NotFound.to_string()));
            continue;
        };
        let change = Change {
            to: to.to_string(),
            ..Change::default()
        };
        match change_status(db, cache, settings, order.id, &change, actor).await {
            Ok(_) => outcome.moved.push(order.number),
            Err(WorkflowError::Db(e)) => return Err(e),
            Err(e) => outcome.refused.push((order.number, e.to_string())),
        }
    }
    Ok(outcome)
}
