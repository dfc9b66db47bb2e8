//! What shop staff read and do with stock: levels per SKU and warehouse, a SKU's movements,
//! and adjustments by SKU and warehouse code (the Store API's and the admin's shape).
use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Statement, TransactionTrait,
};

use super::{
    adjust::{adjust, Change, InventoryError, LevelKey},
    refresh_listings, Journal,
};
use crate::{
    model::{AdjustmentRequest, MovementKind, MovementView, StockItem, StockLevelView},
    server::{
        cache::Cache,
        catalog::{cache, placeholders},
        db::{product_variant, stock_movement, user, warehouse},
    },
};

#[derive(Debug, FromQueryResult)]
struct LevelRow {
    variant_id: i32,
    warehouse_id: i32,
    code: String,
    name: String,
    active: bool,
    on_hand: i32,
    reserved: i32,
    damaged: i32,
    quality_control: i32,
    safety_stock: i32,
    incoming: i64,
}

/// Every level of these variants, warehouses by priority.
pub async fn levels_of(
    db: &impl ConnectionTrait,
    variant_ids: &[i32],
) -> Result<HashMap<i32, Vec<StockLevelView>>, InventoryError> {
    if variant_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let backend = db.get_database_backend();
    let rows = LevelRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT s.variant_id, s.warehouse_id, w.code, w.name, w.active, s.on_hand, s.reserved, \
                    s.damaged, s.quality_control, s.safety_stock, \
                    CAST({} AS BIGINT) AS incoming \
             FROM stock_levels s JOIN warehouses w ON w.id = s.warehouse_id \
             WHERE s.variant_id IN ({}) ORDER BY s.variant_id, w.priority, w.id",
            super::incoming_sql("s.variant_id", Some("s.warehouse_id")),
            placeholders(backend, 1, variant_ids.len())
        ),
        variant_ids
            .iter()
            .map(|&id| id.into())
            .collect::<Vec<sea_orm::Value>>(),
    ))
    .all(db)
    .await?;
    let mut out: HashMap<i32, Vec<StockLevelView>> = HashMap::new();
    for r in rows {
        out.entry(r.variant_id).or_default().push(StockLevelView {
            warehouse_id: r.warehouse_id,
            warehouse: r.code,
            warehouse_name: r.name,
            warehouse_active: r.active,
            on_hand: r.on_hand,
            reserved: r.reserved,
            unavailable: r.damaged + r.quality_control + r.safety_stock,
            damaged: r.damaged,
            quality_control: r.quality_control,
            safety_stock: r.safety_stock,
            available: r.on_hand - r.reserved - r.damaged - r.quality_control - r.safety_stock,
            incoming: i32::try_from(r.incoming).unwrap_or(i32::MAX),
        });
    }
    Ok(out)
}

#[derive(Debug, FromQueryResult)]
struct VariantRow {
    id: i32,
    sku: String,
    title: String,
    product_id: i32,
    product_name: String,
}

/// At most this many SKUs per answer of [`stock`].
pub const STOCK_LIMIT: u64 = 200;

/// Stock of the SKUs matching `sku` (exact, case-insensitive; empty: all, by SKU, up to
/// [`STOCK_LIMIT`]), optionally only the levels of one warehouse (by code).
pub async fn stock(
    db: &DatabaseConnection,
    sku: Option<&str>,
    warehouse_code: Option<&str>,
) -> Result<Vec<StockItem>, InventoryError> {
    let backend = db.get_database_backend();
    let sku = sku
        .map(|s| s.trim().to_uppercase())
        .filter(|s| !s.is_empty());
    let warehouse_code = warehouse_code
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty());
    if let Some(code) = &warehouse_code {
        find_warehouse(db, code).await?;
    }
    let (filter, values): (String, Vec<sea_orm::Value>) = match &sku {
        Some(s) => (
            format!("WHERE v.sku = {}", placeholders(backend, 1, 1)),
            vec![s.clone().into()],
        ),
        None => (String::new(), vec![]),
    };
    let variants = VariantRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT v.id, v.sku, v.title, p.id AS product_id, p.name AS product_name \
             FROM product_variants v JOIN products p ON p.id = v.product_id {filter} \
             ORDER BY v.sku LIMIT {STOCK_LIMIT}"
        ),
        values,
    ))
    .all(db)
    .await?;
    if let (Some(s), true) = (&sku, variants.is_empty()) {
        return Err(InventoryError::NotFound(format!("There is no SKU `{s}`.")));
    }
    let ids: Vec<i32> = variants.iter().map(|v| v.id).collect();
    let mut levels = levels_of(db, &ids).await?;
    Ok(variants
        .into_iter()
        .map(|v| {
            let mut levels = levels.remove(&v.id).unwrap_or_default();
            if let Some(code) = &warehouse_code {
                levels.retain(|l| &l.warehouse == code);
            }
            item(v, levels)
        })
        .collect())
}

fn item(v: VariantRow, levels: Vec<StockLevelView>) -> StockItem {
    let incoming = levels.iter().map(|l| i64::from(l.incoming)).sum();
    let selling = levels.iter().filter(|l| l.warehouse_active);
    let (on_hand, reserved, unavailable) = selling.fold((0i64, 0i64, 0i64), |(h, r, u), l| {
        (
            h + i64::from(l.on_hand),
            r + i64::from(l.reserved),
            u + i64::from(l.unavailable),
        )
    });
    StockItem {
        variant_id: v.id,
        sku: v.sku,
        product_id: v.product_id,
        product_name: v.product_name,
        variant_title: v.title,
        levels,
        on_hand,
        reserved,
        unavailable,
        available: on_hand - reserved - unavailable,
        incoming,
    }
}

pub(super) async fn find_variant(
    db: &impl ConnectionTrait,
    sku: &str,
) -> Result<product_variant::Model, InventoryError> {
    let sku = sku.trim().to_uppercase();
    product_variant::Entity::find()
        .filter(product_variant::Column::Sku.eq(&sku))
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::NotFound(format!("There is no SKU `{sku}`.")))
}

pub(super) async fn find_warehouse(
    db: &impl ConnectionTrait,
    code: &str,
) -> Result<warehouse::Model, InventoryError> {
    let code = code.trim().to_uppercase();
    warehouse::Entity::find()
        .filter(warehouse::Column::Code.eq(&code))
        .one(db)
        .await?
        .ok_or_else(|| InventoryError::NotFound(format!("There is no warehouse `{code}`.")))
}

/// The change a request asks for: exactly one of `delta` and `set`.
pub fn change_of(request: &AdjustmentRequest) -> Result<Change, InventoryError> {
    match (request.delta, request.set) {
        (Some(d), None) => Ok(Change::Delta(d)),
        (None, Some(s)) if s >= 0 => Ok(Change::Set(s)),
        (None, Some(_)) => Err(InventoryError::Invalid {
            field: "set",
            message: "On hand cannot be negative.".into(),
        }),
        _ => Err(InventoryError::Invalid {
            field: "delta",
            message: "Give either `delta` (units to add or remove) or `set` (the new on hand)."
                .into(),
        }),
    }
}

/// Adjusts one SKU in one warehouse (see [`adjust`]) in its own transaction, with listings and
/// the catalogue cache brought up to date. Returns the SKU's stock afterwards.
pub async fn adjust_sku(
    db: &DatabaseConnection,
    cache_: &dyn Cache,
    actor: i32,
    request: &AdjustmentRequest,
) -> Result<StockItem, InventoryError> {
    let change = change_of(request)?;
    let variant = find_variant(db, &request.sku).await?;
    let warehouse = find_warehouse(db, &request.warehouse).await?;
    adjust_level(
        db,
        cache_,
        actor,
        LevelKey {
            variant_id: variant.id,
            warehouse_id: warehouse.id,
        },
        change,
        &request.reason,
    )
    .await?;
    let mut items = stock(db, Some(&variant.sku), None).await?;
    items
        .pop()
        .ok_or_else(|| InventoryError::NotFound(format!("There is no SKU `{}`.", variant.sku)))
}

/// Adjusts one level in its own transaction (the product page's "set on hand").
pub async fn adjust_level(
    db: &DatabaseConnection,
    cache_: &dyn Cache,
    actor: i32,
    level: LevelKey,
    change: Change,
    reason: &str,
) -> Result<(), InventoryError> {
    let txn = db.begin().await?;
    let mut journal = Journal::default();
    let adjusted = adjust(&txn, level, change, Some(actor), reason, &mut journal).await?;
    refresh_listings(&txn, &[level.variant_id]).await?;
    journal.write(&txn).await?;
    txn.commit().await?;
    // Staff's changes are rare: cached pages show the new count at once, not only when the
    // product crosses between in stock and sold out (as after a sale).
    if adjusted.on_hand != adjusted.on_hand_before {
        cache::invalidate(cache_).await;
    }
    Ok(())
}

/// At most this many movements per answer of [`movements`].
pub const MOVEMENTS_LIMIT: u64 = 500;

/// A SKU's movements, newest first, optionally of one kind.
pub async fn movements(
    db: &DatabaseConnection,
    sku: &str,
    kind: Option<MovementKind>,
) -> Result<Vec<MovementView>, InventoryError> {
    let variant = find_variant(db, sku).await?;
    let mut query = stock_movement::Entity::find()
        .filter(stock_movement::Column::VariantId.eq(variant.id))
        .order_by_desc(stock_movement::Column::Id)
        .limit(MOVEMENTS_LIMIT);
    if let Some(kind) = kind {
        query = query.filter(stock_movement::Column::Kind.eq(kind.as_str()));
    }
    let rows = query.all(db).await?;
    let codes: HashMap<i32, String> = warehouse::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|w| (w.id, w.code))
        .collect();
    let mut actor_ids: Vec<i32> = rows.iter().filter_map(|r| r.actor_user_id).collect();
    actor_ids.sort_unstable();
    actor_ids.dedup();
    let actors: HashMap<i32, String> = if actor_ids.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(actor_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|m| MovementView {
            id: m.id,
            at: m.created_at.to_rfc3339(),
            // A kind this version does not know (a newer writer) reads as a reconciliation.
            kind: m.kind.parse().unwrap_or(MovementKind::Reconcile),
            warehouse: codes.get(&m.warehouse_id).cloned().unwrap_or_default(),
            quantity: m.quantity,
            on_hand_before: m.on_hand_before,
            on_hand_after: m.on_hand_after,
            reserved_before: m.reserved_before,
            reserved_after: m.reserved_after,
            unavailable_state: m.unavailable_state,
            unavailable_before: m.unavailable_before,
            unavailable_after: m.unavailable_after,
            reference: m.reference,
            note: m.note,
            actor: m.actor_user_id.and_then(|id| actors.get(&id).cloned()),
        })
        .collect())
}

/// SKUs per page of the stock overview.
pub const OVERVIEW_PER_PAGE: u64 = 50;

#[derive(Debug, FromQueryResult)]
struct Total {
    n: i64,
}

/// The stock overview: every variant matching `filter`, with its levels (one warehouse's, when
/// filtered by one) and totals, sorted and paged.
pub async fn overview(
    db: &DatabaseConnection,
    filter: &crate::model::StockFilter,
) -> Result<crate::model::Page<StockItem>, InventoryError> {
    let backend = db.get_database_backend();
    let mut values: Vec<sea_orm::Value> = Vec::new();
    let next = |v: sea_orm::Value, values: &mut Vec<sea_orm::Value>| {
        values.push(v);
        placeholders(backend, values.len(), 1)
    };
    let warehouse = match filter.warehouse.trim() {
        "" => None,
        code => Some(find_warehouse(db, code).await?),
    };
    let available = match &warehouse {
        Some(w) => format!(
            "COALESCE((SELECT {} FROM stock_levels s \
               WHERE s.variant_id = v.id AND s.warehouse_id = {}), 0)",
            super::level_available_sql("s"),
            next(w.id.into(), &mut values)
        ),
        None => super::available_units_sql("v.id"),
    };
    let mut conditions: Vec<String> = vec!["1 = 1".into()];
    let q = filter.q.trim().to_lowercase();
    if !q.is_empty() {
        let pattern = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let p = next(pattern.into(), &mut values);
        conditions.push(format!(
            "(LOWER(v.sku) LIKE {p} ESCAPE '\\' OR LOWER(p.name) LIKE {p} ESCAPE '\\')"
        ));
    }
    let id = |field: &'static str, text: &str| -> Result<Option<i32>, InventoryError> {
        match text.trim() {
            "" => Ok(None),
            t => t.parse().map(Some).map_err(|_| InventoryError::Invalid {
                field,
                message: "Choose one from the list.".into(),
            }),
        }
    };
    if let Some(category) = id("category", &filter.category)? {
        conditions.push(format!(
            "p.category_id = {}",
            next(category.into(), &mut values)
        ));
    }
    if let Some(brand) = id("brand", &filter.brand)? {
        conditions.push(format!("p.brand_id = {}", next(brand.into(), &mut values)));
    }
    match filter.state.as_str() {
        "" => {}
        "out" => conditions.push(format!("{available} <= 0")),
        "low" => conditions.push(format!(
            "{available} > 0 AND {available} < COALESCE(v.low_stock_threshold, {})",
            next(super::alerts::default_threshold().into(), &mut values)
        )),
        "unavailable" => {
            let only = match &warehouse {
                Some(w) => format!("AND s.warehouse_id = {}", next(w.id.into(), &mut values)),
                None => String::new(),
            };
            conditions.push(format!(
                "EXISTS (SELECT 1 FROM stock_levels s WHERE s.variant_id = v.id {only} AND {} > 0)",
                super::unavailable_sql("s")
            ))
        }
        other => {
            return Err(InventoryError::Invalid {
                field: "state",
                message: format!("`{other}` is not low, out or unavailable"),
            })
        }
    }
    let order = match filter.sort.as_str() {
        "" | "sku" => "v.sku".to_string(),
        "available_asc" => format!("{available}, v.sku"),
        "available_desc" => format!("{available} DESC, v.sku"),
        "name" => "p.name, v.sku".to_string(),
        other => {
            return Err(InventoryError::Invalid {
                field: "sort",
                message: format!("`{other}` is not a sort"),
            })
        }
    };
    let from = format!(
        "FROM product_variants v JOIN products p ON p.id = v.product_id WHERE {}",
        conditions.join(" AND ")
    );
    let total = Total::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!("SELECT CAST(COUNT(*) AS BIGINT) AS n {from}"),
        values.clone(),
    ))
    .one(db)
    .await?
    .map_or(0, |t| t.n as u64);
    let page = filter.page.max(1);
    let rows = VariantRow::find_by_statement(Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT v.id, v.sku, v.title, p.id AS product_id, p.name AS product_name {from} \
             ORDER BY {order} LIMIT {OVERVIEW_PER_PAGE} OFFSET {}",
            (page - 1) * OVERVIEW_PER_PAGE
        ),
        values,
    ))
    .all(db)
    .await?;
    let ids: Vec<i32> = rows.iter().map(|v| v.id).collect();
    let mut levels = levels_of(db, &ids).await?;
    Ok(crate::model::Page {
        items: rows
            .into_iter()
            .map(|v| {
                let mut levels = levels.remove(&v.id).unwrap_or_default();
                if let Some(w) = &warehouse {
                    levels.retain(|l| l.warehouse_id == w.id);
                }
                item(v, levels)
            })
            .collect(),
        total,
        page,
        per_page: OVERVIEW_PER_PAGE,
    })
}
