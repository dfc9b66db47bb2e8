//! Transfers between warehouses, in two steps, each all or nothing:
//!
//! 1. **Ship**: the units leave the origin (one conditional `UPDATE` that takes them only from
//!    what is available there, never from units held for orders) and the transfer is recorded
//!    in transit, counted as incoming at the destination. Movement `transfer_out`.
//! 2. **Receive**: the transfer is marked received (a conditional `UPDATE` on its status, so a
//!    double click or two staff at once receive it once) and the units join the destination's
//!    on hand. Movement `transfer_in`.
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};

use super::{
    adjust::{
        add_on_hand, check_reason, ensure_levels, read, InventoryError, LevelKey, MAX_ON_HAND,
    },
    refresh_listings,
    staff::{find_variant, find_warehouse},
    Journal, Level,
};
use crate::{
    model::{MovementKind, TransferRequest, TransferStatus, TransferView},
    server::{
        cache::Cache,
        catalog::{cache, placeholders},
        db::{product_variant, stock_transfer, warehouse},
    },
};

/// Ships units from one warehouse to another (step 1). Returns the transfer, in transit.
pub async fn ship(
    db: &DatabaseConnection,
    cache_: &dyn Cache,
    actor: i32,
    request: &TransferRequest,
) -> Result<TransferView, InventoryError> {
    let reason = check_reason(&request.reason)?;
    if request.quantity <= 0 || request.quantity > MAX_ON_HAND {
        return Err(InventoryError::Invalid {
            field: "quantity",
            message: "Transfer at least 1 unit.".into(),
        });
    }
    let variant = find_variant(db, &request.sku).await?;
    let from = find_warehouse(db, &request.from).await?;
    let to = find_warehouse(db, &request.to).await?;
    if from.id == to.id {
        return Err(InventoryError::Invalid {
            field: "to",
            message: "A transfer goes to another warehouse.".into(),
        });
    }
    let txn = db.begin().await?;
    let now = Utc::now();
    let transfer = stock_transfer::ActiveModel {
        variant_id: Set(variant.id),
        from_warehouse_id: Set(from.id),
        to_warehouse_id: Set(to.id),
        quantity: Set(request.quantity),
        status: Set(TransferStatus::InTransit.to_string()),
        reason: Set(reason.clone()),
        shipped_by: Set(Some(actor)),
        received_by: Set(None),
        shipped_at: Set(now),
        received_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let backend = txn.get_database_backend();
    let p = |n: usize| placeholders(backend, n, 1);
    let after = Level::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE stock_levels SET on_hand = on_hand - {q}, updated_at = {now} \
             WHERE variant_id = {v} AND warehouse_id = {w} AND {free} >= {q} \
             RETURNING on_hand, reserved, damaged + quality_control + safety_stock AS unavailable",
            q = p(1),
            now = p(2),
            v = p(3),
            w = p(4),
            free = super::level_available_sql(""),
        ),
        [
            request.quantity.into(),
            now.into(),
            variant.id.into(),
            from.id.into(),
        ],
    ))
    .one(&txn)
    .await?;
    let Some(after) = after else {
        // Rolled back with the transfer row: nothing half-written.
        let now = read(
            &txn,
            LevelKey {
                variant_id: variant.id,
                warehouse_id: from.id,
            },
        )
        .await?;
        let available = now.on_hand - now.reserved - now.unavailable;
        return Err(InventoryError::Conflict(format!(
            "Only {available} of {} available in {} (units held for orders and unavailable ones stay).",
            variant.sku, from.code
        )));
    };
    let mut journal = Journal::default();
    journal.record_by(
        (variant.id, from.id),
        MovementKind::TransferOut,
        (after.on_hand + request.quantity, after.reserved),
        (after.on_hand, after.reserved),
        &format!("transfer:{}", transfer.id),
        Some(actor),
        &reason,
    );
    journal.write(&txn).await?;
    refresh_listings(&txn, &[variant.id]).await?;
    txn.commit().await?;
    cache::invalidate(cache_).await;
    Ok(view(transfer, variant.sku, from.code, to.code))
}

/// Receives a transfer into its destination (step 2). A transfer is received once: a second
/// try is refused with a clear message.
pub async fn receive(
    db: &DatabaseConnection,
    cache_: &dyn Cache,
    actor: i32,
    id: i32,
) -> Result<TransferView, InventoryError> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let backend = txn.get_database_backend();
    let p = |n: usize| placeholders(backend, n, 1);
    let claimed = txn
        .execute(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE stock_transfers SET status = {received}, received_at = {now}, received_by = {by} \
                 WHERE id = {id} AND status = {transit}",
                received = p(1),
                now = p(2),
                by = p(3),
                id = p(4),
                transit = p(5),
            ),
            [
                TransferStatus::Received.as_str().into(),
                now.into(),
                actor.into(),
                id.into(),
                TransferStatus::InTransit.as_str().into(),
            ],
        ))
        .await?
        .rows_affected();
    let transfer = stock_transfer::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(|| InventoryError::NotFound(format!("There is no transfer #{id}.")))?;
    if claimed == 0 {
        return Err(InventoryError::Conflict(format!(
            "Transfer #{id} was received already."
        )));
    }
    // The destination may have been added after the variant, or switched off meanwhile.
    ensure_levels(&txn, Some(&[transfer.variant_id])).await?;
    let level = add_on_hand(
        &txn,
        LevelKey {
            variant_id: transfer.variant_id,
            warehouse_id: transfer.to_warehouse_id,
        },
        transfer.quantity,
    )
    .await?;
    let mut journal = Journal::default();
    journal.record_by(
        (transfer.variant_id, transfer.to_warehouse_id),
        MovementKind::TransferIn,
        (level.on_hand - transfer.quantity, level.reserved),
        (level.on_hand, level.reserved),
        &format!("transfer:{id}"),
        Some(actor),
        &transfer.reason,
    );
    journal.write(&txn).await?;
    refresh_listings(&txn, &[transfer.variant_id]).await?;
    txn.commit().await?;
    cache::invalidate(cache_).await;
    let mut views = views(db, vec![transfer]).await?;
    views
        .pop()
        .ok_or_else(|| InventoryError::NotFound(format!("There is no transfer #{id}.")))
}

fn view(t: stock_transfer::Model, sku: String, from: String, to: String) -> TransferView {
    TransferView {
        id: t.id,
        sku,
        from,
        to,
        quantity: t.quantity,
        status: t.status.parse().unwrap_or(TransferStatus::InTransit),
        reason: t.reason,
        shipped_at: t.shipped_at.to_rfc3339(),
        received_at: t.received_at.map(|at| at.to_rfc3339()),
    }
}

async fn views(
    db: &DatabaseConnection,
    rows: Vec<stock_transfer::Model>,
) -> Result<Vec<TransferView>, InventoryError> {
    let codes: std::collections::HashMap<i32, String> = warehouse::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.code))
        .collect();
    let mut ids: Vec<i32> = rows.iter().map(|t| t.variant_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let skus: std::collections::HashMap<i32, String> = product_variant::Entity::find()
        .filter(product_variant::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.sku))
        .collect();
    Ok(rows
        .into_iter()
        .map(|t| {
            let sku = skus.get(&t.variant_id).cloned().unwrap_or_default();
            let from = codes.get(&t.from_warehouse_id).cloned().unwrap_or_default();
            let to = codes.get(&t.to_warehouse_id).cloned().unwrap_or_default();
            view(t, sku, from, to)
        })
        .collect())
}

/// Transfers, newest first (up to 200): of one SKU and/or of one status.
pub async fn list(
    db: &DatabaseConnection,
    sku: Option<&str>,
    status: Option<TransferStatus>,
) -> Result<Vec<TransferView>, InventoryError> {
    let mut query = stock_transfer::Entity::find()
        .order_by_desc(stock_transfer::Column::Id)
        .limit(200);
    if let Some(sku) = sku.map(str::trim).filter(|s| !s.is_empty()) {
        let variant = find_variant(db, sku).await?;
        query = query.filter(stock_transfer::Column::VariantId.eq(variant.id));
    }
    if let Some(status) = status {
        query = query.filter(stock_transfer::Column::Status.eq(status.as_str()));
    }
    views(db, query.all(db).await?).await
}
