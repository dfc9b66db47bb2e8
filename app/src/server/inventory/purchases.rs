//! Purchase orders: units ordered from a supplier for one warehouse.
//!
//! - **Placed** (`ordered`): its lines count as incoming at its warehouse (next to transfers in
//!   transit), so reorder suggestions stop asking for what is already on its way.
//! - **Received**: one transaction claims it (a conditional `UPDATE` on its status, so a double
//!   click or two staff at once receive it once) and puts every line on hand, a `receive`
//!   movement each referencing `po:{id}`. All lines or none.
//! - **Cancelled**: it will not arrive; nothing moves.
use std::collections::HashMap;

use chrono::{NaiveDate, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};

use super::{
    adjust::{add_on_hand, ensure_levels, InventoryError, LevelKey, MAX_ON_HAND},
    refresh_listings,
    staff::{find_variant, find_warehouse},
    Journal,
};
use crate::{
    model::{
        MovementKind, PurchaseOrderLineRequest, PurchaseOrderLineView, PurchaseOrderRequest,
        PurchaseOrderStatus, PurchaseOrderView,
    },
    server::{
        cache::Cache,
        catalog::{cache, placeholders},
        db::{purchase_order, purchase_order_line, warehouse},
    },
};

/// At most this many lines on one purchase order.
pub const MAX_LINES: usize = 500;

/// The number staff and suppliers quote: `PO-000042`.
pub fn number(id: i32) -> String {
    format!("PO-{id:06}")
}

/// Places a purchase order. Every line is checked first; any problem refuses the whole order
/// (one message per line) and nothing is written.
pub async fn create(
    db: &DatabaseConnection,
    actor: i32,
    request: &PurchaseOrderRequest,
) -> Result<PurchaseOrderView, InventoryError> {
    let supplier = request.supplier.trim();
    if supplier.is_empty() || supplier.chars().count() > 120 {
        return Err(InventoryError::Invalid {
            field: "supplier",
            message: "Name the supplier (at most 120 characters).".into(),
        });
    }
    let note = request.note.trim();
    if note.chars().count() > 1000 {
        return Err(InventoryError::Invalid {
            field: "note",
            message: "A note is at most 1000 characters.".into(),
        });
    }
    let expected_on = match request.expected_on.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
            InventoryError::Invalid {
                field: "expected_on",
                message: "Write the expected date as YYYY-MM-DD.".into(),
            }
        })?),
    };
    let warehouse = find_warehouse(db, &request.warehouse).await?;
    if !warehouse.active {
        return Err(InventoryError::Invalid {
            field: "warehouse",
            message: format!(
                "{} is switched off; order for an active warehouse.",
                warehouse.code
            ),
        });
    }
    if request.lines.is_empty() {
        return Err(InventoryError::Invalid {
            field: "lines",
            message: "Order at least one SKU.".into(),
        });
    }
    if request.lines.len() > MAX_LINES {
        return Err(InventoryError::Invalid {
            field: "lines",
            message: format!("At most {MAX_LINES} lines per purchase order."),
        });
    }
    let mut errors = Vec::new();
    let mut lines: Vec<(i32, i32)> = Vec::new();
    for (n, line) in request.lines.iter().enumerate() {
        let n = n + 1;
        if line.quantity <= 0 || line.quantity > MAX_ON_HAND {
            errors.push(format!("line {n}: order at least 1 unit of {}", line.sku));
            continue;
        }
        match find_variant(db, &line.sku).await {
            Ok(v) if lines.iter().any(|(id, _)| *id == v.id) => {
                errors.push(format!("line {n}: {} is listed twice", v.sku))
            }
            Ok(v) => lines.push((v.id, line.quantity)),
            Err(InventoryError::NotFound(m)) => errors.push(format!("line {n}: {m}")),
            Err(e) => return Err(e),
        }
    }
    if !errors.is_empty() {
        return Err(InventoryError::Rows(errors));
    }
    let txn = db.begin().await?;
    let order = purchase_order::ActiveModel {
        supplier: Set(supplier.to_string()),
        warehouse_id: Set(warehouse.id),
        status: Set(PurchaseOrderStatus::Ordered.to_string()),
        note: Set(note.to_string()),
        expected_on: Set(expected_on),
        created_by: Set(Some(actor)),
        received_by: Set(None),
        created_at: Set(Utc::now()),
        closed_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    purchase_order_line::Entity::insert_many(lines.iter().map(|&(variant_id, quantity)| {
        purchase_order_line::ActiveModel {
            purchase_order_id: Set(order.id),
            variant_id: Set(variant_id),
            quantity: Set(quantity),
            ..Default::default()
        }
    }))
    .exec_without_returning(&txn)
    .await?;
    txn.commit().await?;
    one(db, order.id).await
}

/// Lines of `text`, one per SKU: `SKU, units` (or `SKU units`), as the admin's form sends them.
pub fn parse_lines(text: &str) -> Result<Vec<PurchaseOrderLineRequest>, InventoryError> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let mut parts = raw
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|p| !p.is_empty());
        match (parts.next(), parts.next(), parts.next()) {
            (Some(sku), Some(units), None) => match units.parse::<i32>() {
                Ok(quantity) => lines.push(PurchaseOrderLineRequest {
                    sku: sku.to_string(),
                    quantity,
                }),
                Err(_) => errors.push(format!("line {}: `{units}` is not a number", n + 1)),
            },
            _ => errors.push(format!("line {}: write `SKU, units`", n + 1)),
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(InventoryError::Rows(errors))
    }
}

/// Receives a purchase order: every line on hand at its warehouse in one transaction.
pub async fn receive(
    db: &DatabaseConnection,
    cache_: &dyn Cache,
    actor: i32,
    id: i32,
) -> Result<PurchaseOrderView, InventoryError> {
    let txn = db.begin().await?;
    let order = claim(&txn, id, PurchaseOrderStatus::Received, Some(actor)).await?;
    let lines = purchase_order_line::Entity::find()
        .filter(purchase_order_line::Column::PurchaseOrderId.eq(id))
        .order_by_asc(purchase_order_line::Column::Id)
        .all(&txn)
        .await?;
    let variant_ids: Vec<i32> = lines.iter().map(|l| l.variant_id).collect();
    // The warehouse may have been added after a variant was.
    ensure_levels(&txn, Some(&variant_ids)).await?;
    let reference = format!("po:{id}");
    let note = format!("{} from {}", number(id), order.supplier);
    let mut journal = Journal::default();
    for line in &lines {
        // A refusal rolls back the transaction: no line of the order is received.
        let level = add_on_hand(
            &txn,
            LevelKey {
                variant_id: line.variant_id,
                warehouse_id: order.warehouse_id,
            },
            line.quantity,
        )
        .await?;
        journal.record_by(
            (line.variant_id, order.warehouse_id),
            MovementKind::Receive,
            (level.on_hand - line.quantity, level.reserved),
            (level.on_hand, level.reserved),
            &reference,
            Some(actor),
            &note,
        );
    }
    journal.write(&txn).await?;
    refresh_listings(&txn, &variant_ids).await?;
    txn.commit().await?;
    cache::invalidate(cache_).await;
    one(db, id).await
}

/// Cancels a purchase order that has not arrived. Nothing moves.
pub async fn cancel(db: &DatabaseConnection, id: i32) -> Result<PurchaseOrderView, InventoryError> {
    let txn = db.begin().await?;
    claim(&txn, id, PurchaseOrderStatus::Cancelled, None).await?;
    txn.commit().await?;
    one(db, id).await
}

/// Moves an `ordered` purchase order to `to`, once: a second receive or cancel (a double
/// click, two staff at once) matches no row and is refused.
async fn claim(
    txn: &impl ConnectionTrait,
    id: i32,
    to: PurchaseOrderStatus,
    by: Option<i32>,
) -> Result<purchase_order::Model, InventoryError> {
    let backend = txn.get_database_backend();
    let p = |n: usize| placeholders(backend, n, 1);
    let claimed = txn
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE purchase_orders SET status = {to}, closed_at = {now}, received_by = {by} \
                 WHERE id = {id} AND status = {ordered}",
                to = p(1),
                now = p(2),
                by = p(3),
                id = p(4),
                ordered = p(5),
            ),
            [
                to.as_str().into(),
                Utc::now().into(),
                by.into(),
                id.into(),
                PurchaseOrderStatus::Ordered.as_str().into(),
            ],
        ))
        .await?
        .rows_affected();
    let order = purchase_order::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or_else(|| InventoryError::NotFound(format!("There is no purchase order #{id}.")))?;
    if claimed == 0 {
        return Err(InventoryError::Conflict(format!(
            "{} is {} already.",
            number(id),
            order.status
        )));
    }
    Ok(order)
}

async fn one(db: &DatabaseConnection, id: i32) -> Result<PurchaseOrderView, InventoryError> {
    let order = purchase_order::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::NotFound(format!("There is no purchase order #{id}.")))?;
    let mut views = views(db, vec![order]).await?;
    views
        .pop()
        .ok_or_else(|| InventoryError::NotFound(format!("There is no purchase order #{id}.")))
}

/// Purchase orders, newest first (up to 200), optionally of one status.
pub async fn list(
    db: &DatabaseConnection,
    status: Option<PurchaseOrderStatus>,
) -> Result<Vec<PurchaseOrderView>, InventoryError> {
    let mut query = purchase_order::Entity::find()
        .order_by_desc(purchase_order::Column::Id)
        .limit(200);
    if let Some(status) = status {
        query = query.filter(purchase_order::Column::Status.eq(status.as_str()));
    }
    views(db, query.all(db).await?).await
}

#[derive(Debug, FromQueryResult)]
struct LineRow {
    purchase_order_id: i32,
    sku: String,
    title: String,
    product_name: String,
    quantity: i32,
}

async fn views(
    db: &DatabaseConnection,
    orders: Vec<purchase_order::Model>,
) -> Result<Vec<PurchaseOrderView>, InventoryError> {
    if orders.is_empty() {
        return Ok(Vec::new());
    }
    let codes: HashMap<i32, String> = warehouse::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.code))
        .collect();
    let ids: Vec<i32> = orders.iter().map(|o| o.id).collect();
    let backend = db.get_database_backend();
    let rows = LineRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT l.purchase_order_id, v.sku, v.title, p.name AS product_name, l.quantity \
             FROM purchase_order_lines l JOIN product_variants v ON v.id = l.variant_id \
             JOIN products p ON p.id = v.product_id \
             WHERE l.purchase_order_id IN ({list}) ORDER BY l.id",
            list = placeholders(backend, 1, ids.len()),
        ),
        ids.iter()
            .map(|&id| sea_orm::Value::from(id))
            .collect::<Vec<_>>(),
    ))
    .all(db)
    .await?;
    let mut by_order: HashMap<i32, Vec<PurchaseOrderLineView>> = HashMap::new();
    for r in rows {
        by_order
            .entry(r.purchase_order_id)
            .or_default()
            .push(PurchaseOrderLineView {
                sku: r.sku,
                product_name: r.product_name,
                variant_title: r.title,
                quantity: r.quantity,
            });
    }
    Ok(orders
        .into_iter()
        .map(|o| {
            let lines = by_order.remove(&o.id).unwrap_or_default();
            PurchaseOrderView {
                id: o.id,
                number: number(o.id),
                supplier: o.supplier,
                warehouse: codes.get(&o.warehouse_id).cloned().unwrap_or_default(),
                status: o.status.parse().unwrap_or(PurchaseOrderStatus::Ordered),
                note: o.note,
                expected_on: o.expected_on.map(|d| d.format("%Y-%m-%d").to_string()),
                units: lines.iter().map(|l| i64::from(l.quantity)).sum(),
                lines,
                created_at: o.created_at.to_rfc3339(),
                closed_at: o.closed_at.map(|at| at.to_rfc3339()),
            }
        })
        .collect())
}
