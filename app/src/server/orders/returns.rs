//! Return requests: a customer asks to send back units of a shipped or delivered, paid order,
//! with a reason; staff approve or reject it with a note the customer reads. One open request
//! per order, checked with the order locked. Each request and decision is on the timeline (the
//! customer sees it) and in the outbox (staff get an email about a request, the customer about
//! the answer). Approving promises nothing about money: staff refund the units with the refund
//! ledger once the goods are back.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, Set, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use super::{emit, record, workflow::lock_order, Actor};
use crate::{
    error::AppError,
    model::{
        OrderLine, OrderReturn, OrderReturnLine, OrderStatus, PaymentStatus, ReturnRequestInput,
        ReturnStatus, TimelineKind,
    },
    server::db::{order, order_item, return_request},
};

/// Why a return request or decision was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReturnError {
    #[error("No such order.")]
    OrderNotFound,
    #[error("No such return request.")]
    NotFound,
    #[error("Only a shipped or delivered order can be returned; an order that has not shipped can be cancelled instead.")]
    NotShipped,
    #[error("Only a paid order can be returned.")]
    NotPaid,
    #[error("A return request for this order is already waiting for the shop's answer.")]
    AlreadyOpen,
    #[error("Say why you want to return the items.")]
    EmptyReason,
    #[error("Choose at least one item to return.")]
    NoLines,
    #[error("That item is not part of this order.")]
    UnknownLine,
    #[error("You can return at most {left} of {sku}.")]
    TooMany { sku: String, left: i32 },
    #[error("Choose approve or reject.")]
    BadDecision,
    #[error("Tell the customer why the return is declined.")]
    RejectWithoutNote,
    #[error("This request was {0} already.")]
    Decided(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<ReturnError> for AppError {
    fn from(e: ReturnError) -> Self {
        match e {
            ReturnError::OrderNotFound | ReturnError::NotFound => AppError::NotFound(e.to_string()),
            ReturnError::NotShipped
            | ReturnError::NotPaid
            | ReturnError::AlreadyOpen
            | ReturnError::Decided(_) => AppError::Conflict(e.to_string()),
            ReturnError::EmptyReason => AppError::field("reason", e.to_string()),
            ReturnError::NoLines | ReturnError::UnknownLine | ReturnError::TooMany { .. } => {
                AppError::field("lines", e.to_string())
            }
            ReturnError::BadDecision => AppError::field("decision", e.to_string()),
            ReturnError::RejectWithoutNote => AppError::field("note", e.to_string()),
            ReturnError::Db(e) => e.into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredLine {
    item_id: i32,
    quantity: i32,
}

fn status_of(row: &return_request::Model) -> Option<ReturnStatus> {
    row.status.parse().ok()
}

/// The order's return requests as the customer and staff see them, oldest first.
pub async fn of_order(
    db: &impl ConnectionTrait,
    order_id: i32,
    lines: &[OrderLine],
) -> Result<Vec<OrderReturn>, DbErr> {
    let rows = return_request::Entity::find()
        .filter(return_request::Column::OrderId.eq(order_id))
        .order_by_asc(return_request::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let stored: Vec<StoredLine> = serde_json::from_str(&row.lines).unwrap_or_default();
            OrderReturn {
                id: row.id,
                status_label: status_of(&row)
                    .map(|s| s.label().to_string())
                    .unwrap_or_else(|| row.status.clone()),
                status: row.status,
                reason: row.reason,
                lines: stored
                    .into_iter()
                    .map(|s| {
                        let line = lines.iter().find(|l| l.item_id == s.item_id);
                        OrderReturnLine {
                            item_id: s.item_id,
                            sku: line.map(|l| l.sku.clone()).unwrap_or_default(),
                            name: line.map(|l| l.name.clone()).unwrap_or_default(),
                            quantity: s.quantity,
                        }
                    })
                    .collect(),
                decision_note: row.decision_note,
                created_at: row.created_at.to_rfc3339(),
            }
        })
        .collect())
}

fn check_returnable(order: &order::Model) -> Result<(), ReturnError> {
    let shipped = matches!(
        order.status.parse::<OrderStatus>(),
        Ok(OrderStatus::Shipped | OrderStatus::Delivered)
    );
    if !shipped {
        return Err(ReturnError::NotShipped);
    }
    let paid = matches!(
        order.payment_status.parse::<PaymentStatus>(),
        Ok(PaymentStatus::Paid | PaymentStatus::PartiallyRefunded)
    );
    if !paid {
        return Err(ReturnError::NotPaid);
    }
    Ok(())
}

/// Whether the customer may ask for a return now.
pub fn may_request(order: &order::Model, returns: &[OrderReturn]) -> bool {
    check_returnable(order).is_ok()
        && !returns
            .iter()
            .any(|r| r.status == ReturnStatus::Requested.as_str())
}

/// The customer (`actor`) asks to return units of `order_id`.
pub async fn request(
    db: &DatabaseConnection,
    order_id: i32,
    input: &ReturnRequestInput,
    actor: &Actor,
) -> Result<return_request::Model, ReturnError> {
    let reason = input.reason.trim();
    if reason.is_empty() {
        return Err(ReturnError::EmptyReason);
    }
    let wanted: Vec<_> = input.lines.iter().filter(|l| l.quantity != 0).collect();
    if wanted.is_empty() {
        return Err(ReturnError::NoLines);
    }
    let txn = db.begin().await?;
    let order = lock_order(&txn, order_id)
        .await?
        .ok_or(ReturnError::OrderNotFound)?;
    check_returnable(&order)?;
    let open = return_request::Entity::find()
        .filter(return_request::Column::OrderId.eq(order.id))
        .filter(return_request::Column::Status.eq(ReturnStatus::Requested.as_str()))
        .one(&txn)
        .await?;
    if open.is_some() {
        return Err(ReturnError::AlreadyOpen);
    }
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order.id))
        .all(&txn)
        .await?;
    let (_, refunded) = super::refunds::refunds_of(&txn, &order, &items).await?;
    let mut stored = Vec::new();
    let mut summary = Vec::new();
    for line in wanted {
        let item = items
            .iter()
            .find(|i| i.id == line.item_id)
            .ok_or(ReturnError::UnknownLine)?;
        let left = item.quantity - refunded.get(&item.id).copied().unwrap_or(0);
        let already = stored
            .iter()
            .filter(|s: &&StoredLine| s.item_id == item.id)
            .map(|s| s.quantity)
            .sum::<i32>();
        if line.quantity < 0 || line.quantity + already > left {
            return Err(ReturnError::TooMany {
                sku: item.sku.clone(),
                left: left.max(0),
            });
        }
        stored.push(StoredLine {
            item_id: item.id,
            quantity: line.quantity,
        });
        summary.push(format!("{} × {}", line.quantity, item.sku));
    }
    let row = return_request::ActiveModel {
        order_id: Set(order.id),
        status: Set(ReturnStatus::Requested.as_str().into()),
        reason: Set(reason.chars().take(1000).collect()),
        lines: Set(serde_json::to_string(&stored).map_err(|e| DbErr::Custom(e.to_string()))?),
        requested_by: Set(actor.name.chars().take(320).collect()),
        decided_by: Set(String::new()),
        decision_note: Set(String::new()),
        created_at: Set(Utc::now()),
        decided_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    record(
        &txn,
        order.id,
        TimelineKind::Return,
        actor,
        None,
        Some(ReturnStatus::Requested.as_str()),
        &format!("{}: {reason}", summary.join(", ")),
    )
    .await?;
    emit(
        &txn,
        "return.requested",
        &format!("order:{}", order.id),
        serde_json::json!({ "order_id": order.id, "return_id": row.id }),
    )
    .await?;
    txn.commit().await?;
    Ok(row)
}

/// Staff approve or reject a return request (`decision`: `approve` or `reject`; a rejection
/// needs a note for the customer).
pub async fn decide(
    db: &DatabaseConnection,
    return_id: i32,
    decision: &str,
    note: &str,
    actor: &Actor,
) -> Result<(return_request::Model, order::Model), ReturnError> {
    let to = match decision {
        "approve" => ReturnStatus::Approved,
        "reject" => ReturnStatus::Rejected,
        _ => return Err(ReturnError::BadDecision),
    };
    let note = note.trim();
    if to == ReturnStatus::Rejected && note.is_empty() {
        return Err(ReturnError::RejectWithoutNote);
    }
    let found = return_request::Entity::find_by_id(return_id)
        .one(db)
        .await?
        .ok_or(ReturnError::NotFound)?;
    let txn = db.begin().await?;
    let order = lock_order(&txn, found.order_id)
        .await?
        .ok_or(ReturnError::OrderNotFound)?;
    // Read again under the lock: two staff members may answer at once.
    let row = return_request::Entity::find_by_id(return_id)
        .one(&txn)
        .await?
        .ok_or(ReturnError::NotFound)?;
    if row.status != ReturnStatus::Requested.as_str() {
        return Err(ReturnError::Decided(row.status));
    }
    let mut active: return_request::ActiveModel = row.into();
    active.status = Set(to.as_str().into());
    active.decided_by = Set(actor.name.chars().take(320).collect());
    active.decision_note = Set(note.chars().take(1000).collect());
    active.decided_at = Set(Some(Utc::now()));
    let row = active.update(&txn).await?;
    record(
        &txn,
        order.id,
        TimelineKind::Return,
        actor,
        Some(ReturnStatus::Requested.as_str()),
        Some(to.as_str()),
        note,
    )
    .await?;
    emit(
        &txn,
        "return.decided",
        &format!("order:{}", order.id),
        serde_json::json!({ "order_id": order.id, "return_id": row.id, "to": to.as_str() }),
    )
    .await?;
    txn.commit().await?;
    Ok((row, order))
}
