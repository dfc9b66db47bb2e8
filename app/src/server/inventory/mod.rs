//! Inventory: warehouses and stock per variant per warehouse, every change recorded as a
//! stock movement in the same transaction: reservations, sales, releases and restocks here;
//! staff's adjustments in [`adjust`]; the proof that every level equals its movements in
//! [`audit`].
pub mod adjust;
pub mod alerts;
pub mod audit;
pub mod counts;
pub mod purchases;
pub mod reorder;
pub mod staff;
pub mod transfers;
pub mod unavailable;
pub mod warehouses;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, Set,
};

use super::db::{stock_level, stock_movement, warehouse};
use crate::model::MovementKind;

pub use adjust::{adjust, ensure_levels, Change, InventoryError, LevelKey};

/// The demo shop's warehouses: (code, name, city, province).
pub const DEMO_WAREHOUSES: [(&str, &str, &str, &str); 2] = [
    ("JKT", "Gudang Jakarta", "Jakarta Timur", "DKI Jakarta"),
    ("SBY", "Gudang Surabaya", "Surabaya", "Jawa Timur"),
];

/// Creates the demo warehouses that are missing; returns all active warehouses by priority.
pub async fn ensure_demo_warehouses(
    db: &impl ConnectionTrait,
) -> Result<Vec<warehouse::Model>, DbErr> {
    for (priority, (code, name, city, province)) in DEMO_WAREHOUSES.iter().enumerate() {
        let exists = warehouse::Entity::find()
            .filter(warehouse::Column::Code.eq(*code))
            .one(db)
            .await?
            .is_some();
        if !exists {
            warehouse::ActiveModel {
                code: Set(code.to_string()),
                name: Set(name.to_string()),
                city: Set(city.to_string()),
                province: Set(province.to_string()),
                active: Set(true),
                priority: Set(priority as i32),
                ..Default::default()
            }
            .insert(db)
            .await?;
        }
    }
    warehouse::Entity::find()
        .filter(warehouse::Column::Active.eq(true))
        .order_by_asc(warehouse::Column::Priority)
        .all(db)
        .await
}

/// Opening stock for new variants: creates each level and its `receive` movement. Rows are
/// `(variant_id, warehouse_id, quantity)`; callers run this inside their transaction.
pub async fn receive_opening_stock(
    db: &impl ConnectionTrait,
    rows: &[(i32, i32, i32)],
    reference: &str,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    let levels =
        rows.iter().map(
            |&(variant_id, warehouse_id, quantity)| stock_level::ActiveModel {
                variant_id: Set(variant_id),
                warehouse_id: Set(warehouse_id),
                on_hand: Set(quantity.max(0)),
                reserved: Set(0),
                damaged: Set(0),
                quality_control: Set(0),
                safety_stock: Set(0),
                reorder_point: Set(None),
                updated_at: Set(now),
            },
        );
    stock_level::Entity::insert_many(levels)
        .exec_without_returning(db)
        .await?;
    let movements =
        rows.iter().map(
            |&(variant_id, warehouse_id, quantity)| stock_movement::ActiveModel {
                variant_id: Set(variant_id),
                warehouse_id: Set(warehouse_id),
                kind: Set(MovementKind::Receive.to_string()),
                quantity: Set(quantity.max(0)),
                on_hand_before: Set(0),
                on_hand_after: Set(quantity.max(0)),
                reserved_before: Set(0),
                reserved_after: Set(0),
                reference: Set(reference.to_string()),
                note: Set("opening stock".into()),
                actor_user_id: Set(None),
                created_at: Set(now),
                ..Default::default()
            },
        );
    stock_movement::Entity::insert_many(movements)
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Why units could not be reserved.
#[derive(Debug, thiserror::Error)]
pub enum StockError {
    #[error("only {available} of {sku} left")]
    OutOfStock {
        sku: String,
        variant_id: i32,
        available: i32,
    },
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// On hand and reserved of one level, as a statement returns them.
#[derive(Debug, Clone, Copy, FromQueryResult)]
struct Level {
    on_hand: i32,
    reserved: i32,
    /// All unavailable states together (the level's `unavailable_sql`).
    unavailable: i32,
}

#[derive(Debug, FromQueryResult)]
struct TakenFrom {
    warehouse_id: i32,
    on_hand: i32,
    reserved: i32,
    unavailable: i32,
}

#[derive(Debug, FromQueryResult)]
struct Availability {
    warehouse_id: i32,
    available: i32,
}

/// Unavailable units of a level (an SQL expression over `stock_levels` columns, qualified
/// by `table` when it is not empty): on hand but not for sale.
pub fn unavailable_sql(table: &str) -> String {
    let t = if table.is_empty() {
        String::new()
    } else {
        format!("{table}.")
    };
    format!("({t}damaged + {t}quality_control + {t}safety_stock)")
}

/// Units of a level that nothing else claims (an SQL expression like [`unavailable_sql`]):
/// on hand minus committed minus unavailable. Every take of stock is conditional on it.
pub fn level_available_sql(table: &str) -> String {
    let t = if table.is_empty() {
        String::new()
    } else {
        format!("{table}.")
    };
    format!("({t}on_hand - {t}reserved - {})", unavailable_sql(table))
}

/// Units on their way to the variant `variant` (SQL expressions), into the warehouse
/// `warehouse` or into any: transfers in transit and lines of placed purchase orders.
pub fn incoming_sql(variant: &str, warehouse: Option<&str>) -> String {
    let (to_transfer, to_order) = match warehouse {
        Some(w) => (
            format!("AND t.to_warehouse_id = {w}"),
            format!("AND o.warehouse_id = {w}"),
        ),
        None => (String::new(), String::new()),
    };
    format!(
        "(COALESCE((SELECT SUM(t.quantity) FROM stock_transfers t \
            WHERE t.variant_id = {variant} {to_transfer} AND t.status = 'in_transit'), 0) \
          + COALESCE((SELECT SUM(l.quantity) FROM purchase_order_lines l \
            JOIN purchase_orders o ON o.id = l.purchase_order_id \
            WHERE l.variant_id = {variant} {to_order} AND o.status = 'ordered'), 0))"
    )
}

/// The one definition of "units a shopper can buy" of the variant `variant` (an SQL
/// expression): [`level_available_sql`] summed over the active warehouses. The listings
/// (`products.available`), the product page, the cart and checkout all use this.
pub fn available_units_sql(variant: &str) -> String {
    format!(
        "COALESCE((SELECT SUM({}) FROM stock_levels s \
           JOIN warehouses w ON w.id = s.warehouse_id \
           WHERE s.variant_id = {variant} AND w.active), 0)",
        level_available_sql("s")
    )
}

#[derive(Debug, FromQueryResult)]
struct VariantAvailability {
    variant_id: i32,
    available: i64,
}

/// Units a shopper can buy of each of these variants ([`available_units_sql`]).
pub async fn available_by_variant(
    db: &impl ConnectionTrait,
    variant_ids: &[i32],
) -> Result<std::collections::HashMap<i32, i64>, DbErr> {
    if variant_ids.is_empty() {
        return Ok(Default::default());
    }
    let backend = db.get_database_backend();
    let list = super::catalog::placeholders(backend, 1, variant_ids.len());
    let rows = VariantAvailability::find_by_statement(sea_orm::Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT v.id AS variant_id, CAST({} AS BIGINT) AS available \
             FROM product_variants v WHERE v.id IN ({list})",
            available_units_sql("v.id")
        ),
        variant_ids
            .iter()
            .map(|&id| id.into())
            .collect::<Vec<sea_orm::Value>>(),
    ))
    .all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.variant_id, r.available))
        .collect())
}

/// Recomputes `products.available` (what listings filter and label by) for the products of
/// these variants, and their low-stock alerts, in the caller's transaction. Every change of
/// stock calls it.
pub async fn refresh_listings(db: &impl ConnectionTrait, variant_ids: &[i32]) -> Result<(), DbErr> {
    let mut ids: Vec<i32> = variant_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(());
    }
    let backend = db.get_database_backend();
    let list = super::catalog::placeholders(backend, 1, ids.len());
    db.execute(sea_orm::Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE products SET available = {} \
             WHERE id IN (SELECT product_id FROM product_variants WHERE id IN ({list}))",
            super::catalog::product_available_sql("products.id")
        ),
        ids.iter()
            .map(|&id| sea_orm::Value::from(id))
            .collect::<Vec<_>>(),
    ))
    .await?;
    alerts::check(db, &ids).await
}

/// How many units of a variant came from which warehouse: `(warehouse_id, quantity)`.
pub type Allocation = Vec<(i32, i32)>;

/// Stock movements collected during a transaction and written in one statement at its end, so
/// an order of many lines costs one insert for its audit trail, not one per line. Writing it is
/// the caller's job (in the same transaction as the stock changes it records).
#[derive(Debug, Default)]
#[must_use = "the movements must be written in the same transaction"]
pub struct Journal {
    rows: Vec<stock_movement::ActiveModel>,
    /// Some level went between "some available" and "none" (see [`Journal::changes_sold_out`]).
    crossed_zero: bool,
}

impl Journal {
    /// Records a change of one level from `(on_hand, reserved)` before to after, with
    /// `unavailable` units (unchanged by it); the quantity is the size of the change.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        variant_id: i32,
        warehouse_id: i32,
        kind: MovementKind,
        before: (i32, i32),
        after: (i32, i32),
        reference: &str,
        unavailable: i32,
    ) {
        let available = |(on_hand, reserved): (i32, i32)| on_hand - reserved - unavailable > 0;
        let crossed = self.crossed_zero || available(before) != available(after);
        self.record_by(
            (variant_id, warehouse_id),
            kind,
            before,
            after,
            reference,
            None,
            "",
        );
        self.crossed_zero = crossed;
    }

    /// [`Journal::record`] with who made the change and why (staff's adjustments).
    #[allow(clippy::too_many_arguments)]
    fn record_by(
        &mut self,
        (variant_id, warehouse_id): (i32, i32),
        kind: MovementKind,
        before: (i32, i32),
        after: (i32, i32),
        reference: &str,
        actor: Option<i32>,
        note: &str,
    ) {
        let quantity = (after.0 - before.0).abs().max((after.1 - before.1).abs());
        // Without the level's unavailable units this may see a crossing that is not one: an
        // extra refresh, never a missed one (see `record` for the exact test).
        self.crossed_zero |= (before.0 - before.1 > 0) != (after.0 - after.1 > 0);
        self.rows.push(stock_movement::ActiveModel {
            variant_id: Set(variant_id),
            warehouse_id: Set(warehouse_id),
            kind: Set(kind.to_string()),
            quantity: Set(quantity),
            on_hand_before: Set(before.0),
            on_hand_after: Set(after.0),
            reserved_before: Set(before.1),
            reserved_after: Set(after.1),
            unavailable_state: Set(None),
            unavailable_before: Set(0),
            unavailable_after: Set(0),
            reference: Set(reference.to_string()),
            note: Set(note.to_string()),
            actor_user_id: Set(actor),
            created_at: Set(Utc::now()),
            ..Default::default()
        });
    }

    /// Records a change of one unavailable state of a level (and of on hand, which a write-off
    /// or a damaged return moves too): `before` and `after` are `(on_hand, reserved, units in
    /// the state)`.
    #[allow(clippy::too_many_arguments)]
    fn record_unavailable(
        &mut self,
        (variant_id, warehouse_id): (i32, i32),
        kind: MovementKind,
        state: crate::model::UnavailableState,
        before: (i32, i32, i32),
        after: (i32, i32, i32),
        reference: &str,
        actor: Option<i32>,
        note: &str,
    ) {
        self.record_by(
            (variant_id, warehouse_id),
            kind,
            (before.0, before.1),
            (after.0, after.1),
            reference,
            actor,
            note,
        );
        self.crossed_zero = true;
        if let Some(row) = self.rows.last_mut() {
            row.quantity = Set((after.2 - before.2).abs().max((after.0 - before.0).abs()));
            row.unavailable_state = Set(Some(state.to_string()));
            row.unavailable_before = Set(before.2);
            row.unavailable_after = Set(after.2);
        }
    }

    /// Whether a level changed between "some available" and "none": the moment a product
    /// may switch between in stock and sold out, so cached listings must be refreshed.
    /// (Checked per warehouse level, so it may say yes when another warehouse still has
    /// units: an extra refresh, never a missed one.)
    pub fn changes_sold_out(&self) -> bool {
        self.crossed_zero
    }

    /// The variants whose stock moved.
    pub fn variant_ids(&self) -> Vec<i32> {
        self.rows.iter().map(|r| *r.variant_id.as_ref()).collect()
    }

    /// The recorded movements, to be inserted by the caller (with other rows, in one statement).
    pub fn into_rows(self) -> Vec<stock_movement::ActiveModel> {
        self.rows
    }

    /// Writes every recorded movement (one statement per 500).
    pub async fn write(self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        let mut rows = self.rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(500).collect();
            stock_movement::Entity::insert_many(chunk)
                .exec_without_returning(db)
                .await?;
        }
        Ok(())
    }
}

/// One line of an order to reserve stock for.
#[derive(Debug, Clone)]
pub struct Wanted<'a> {
    pub variant_id: i32,
    pub sku: &'a str,
    pub quantity: i32,
}

/// Reserves `quantity` units of a variant for `reference` (e.g. `order:42`) and writes its
/// movements; see [`reserve_lines`].
pub async fn reserve(
    db: &impl ConnectionTrait,
    variant_id: i32,
    sku: &str,
    quantity: i32,
    reference: &str,
) -> Result<Allocation, StockError> {
    let mut journal = Journal::default();
    let allocation = reserve_into(
        db,
        &Wanted {
            variant_id,
            sku,
            quantity,
        },
        reference,
        &mut journal,
    )
    .await?;
    journal.write(db).await?;
    Ok(allocation)
}

/// Reserves every line of an order for `reference`, with a `reserve` movement per warehouse
/// used. Run it inside the order's transaction: either every
/// unit is reserved, or the first line that cannot be is the error and the caller rolls back.
///
/// The movements go into `journal`, for the caller to write with the order's other rows.
pub async fn reserve_lines(
    db: &impl ConnectionTrait,
    lines: &[Wanted<'_>],
    reference: &str,
    journal: &mut Journal,
) -> Result<Vec<Allocation>, StockError> {
    let mut allocations = Vec::with_capacity(lines.len());
    for line in lines {
        allocations.push(reserve_into(db, line, reference, journal).await?);
    }
    Ok(allocations)
}

/// The reservation of one line. A line ships from one warehouse when one can cover it (the
/// first by priority that can): one conditional `UPDATE` that picks the warehouse and takes
/// the units, so the common case is a single statement. Otherwise the units are taken from
/// the warehouses in priority order, each share by its own conditional `UPDATE`.
///
/// Every take is `UPDATE … WHERE on_hand - reserved - unavailable >= q`, so two buyers can never both take
/// the last unit, on any number of server processes: the database decides. When a concurrent
/// buyer got there first the update matches no row and the levels are read again (a bounded
/// number of times).
async fn reserve_into(
    db: &impl ConnectionTrait,
    line: &Wanted<'_>,
    reference: &str,
    journal: &mut Journal,
) -> Result<Allocation, StockError> {
    let backend = db.get_database_backend();
    let p = |n: usize| super::catalog::placeholders(backend, n, 1);
    let Wanted {
        variant_id,
        sku,
        quantity,
    } = *line;
    let whole = TakenFrom::find_by_statement(sea_orm::Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE stock_levels SET reserved = reserved + {q}, updated_at = {now} \
             WHERE variant_id = {v} AND {free} >= {q} AND warehouse_id = ( \
                 SELECT s.warehouse_id FROM stock_levels s \
                 JOIN warehouses w ON w.id = s.warehouse_id \
                 WHERE s.variant_id = {v} AND w.active AND {s_free} >= {q} \
                 ORDER BY w.priority, w.id LIMIT 1) \
             RETURNING warehouse_id, on_hand, reserved, damaged + quality_control + safety_stock AS unavailable",
            q = p(1),
            now = p(2),
            v = p(3),
            free = level_available_sql(""),
            s_free = level_available_sql("s"),
        ),
        [quantity.into(), Utc::now().into(), variant_id.into()],
    ))
    .one(db)
    .await?;
    if let Some(taken) = whole {
        journal.record(
            variant_id,
            taken.warehouse_id,
            MovementKind::Reserve,
            (taken.on_hand, taken.reserved - quantity),
            (taken.on_hand, taken.reserved),
            reference,
            taken.unavailable,
        );
        return Ok(vec![(taken.warehouse_id, quantity)]);
    }

    let mut allocation = Allocation::new();
    let mut needed = quantity;
    for _attempt in 0..8 {
        if needed == 0 {
            break;
        }
        let levels = Availability::find_by_statement(sea_orm::Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT s.warehouse_id, {free} AS available FROM stock_levels s \
                 JOIN warehouses w ON w.id = s.warehouse_id \
                 WHERE s.variant_id = {v} AND w.active AND {free} > 0 \
                 ORDER BY w.priority, w.id",
                free = level_available_sql("s"),
                v = p(1)
            ),
            [variant_id.into()],
        ))
        .all(db)
        .await?;
        let total: i32 = levels.iter().map(|l| l.available).sum();
        if total < needed {
            let already: i32 = allocation.iter().map(|(_, q)| q).sum();
            return Err(StockError::OutOfStock {
                sku: sku.to_string(),
                variant_id,
                available: total + already,
            });
        }
        for level in levels {
            if needed == 0 {
                break;
            }
            let take = needed.min(level.available);
            // Nothing changed: someone else took units meanwhile; the next round reads again.
            if !shift_reserved(db, variant_id, level.warehouse_id, take, reference, journal).await?
            {
                continue;
            }
            allocation.push((level.warehouse_id, take));
            needed -= take;
        }
    }
    if needed > 0 {
        let already: i32 = allocation.iter().map(|(_, q)| q).sum();
        return Err(StockError::OutOfStock {
            sku: sku.to_string(),
            variant_id,
            available: already,
        });
    }
    Ok(allocation)
}

/// Gives reserved units back (an unpaid order expired or was cancelled), with a `release`
/// movement per warehouse. The reserved count never drops below zero.
pub async fn release(
    db: &impl ConnectionTrait,
    variant_id: i32,
    allocation: &[(i32, i32)],
    reference: &str,
) -> Result<(), DbErr> {
    let mut journal = Journal::default();
    release_into(db, variant_id, allocation, reference, &mut journal).await?;
    journal.write(db).await
}

/// [`release`], with the movements recorded in the caller's journal.
pub async fn release_into(
    db: &impl ConnectionTrait,
    variant_id: i32,
    allocation: &[(i32, i32)],
    reference: &str,
    journal: &mut Journal,
) -> Result<(), DbErr> {
    for &(warehouse_id, quantity) in allocation {
        if !shift_reserved(db, variant_id, warehouse_id, -quantity, reference, journal).await? {
            return Err(DbErr::Custom(format!(
                "release of {quantity} × variant {variant_id} in warehouse {warehouse_id}: fewer reserved"
            )));
        }
    }
    Ok(())
}

/// Moves `delta` units of one level into reservation (positive, a `reserve` movement) or out
/// of it (negative, a `release` movement) with one conditional `UPDATE`, only if reserved
/// stays at least 0 and a reservation takes only available units. Returns whether it did.
async fn shift_reserved(
    db: &impl ConnectionTrait,
    variant_id: i32,
    warehouse_id: i32,
    delta: i32,
    reference: &str,
    journal: &mut Journal,
) -> Result<bool, DbErr> {
    let backend = db.get_database_backend();
    let p = |n: usize| super::catalog::placeholders(backend, n, 1);
    let after = Level::find_by_statement(sea_orm::Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE stock_levels SET reserved = reserved + {d}, updated_at = {now} \
             WHERE variant_id = {v} AND warehouse_id = {w} \
               AND reserved + {d} >= 0 AND {free} >= {d} \
             RETURNING on_hand, reserved, damaged + quality_control + safety_stock AS unavailable",
            d = p(1),
            now = p(2),
            v = p(3),
            w = p(4),
            free = level_available_sql(""),
        ),
        [
            delta.into(),
            Utc::now().into(),
            variant_id.into(),
            warehouse_id.into(),
        ],
    ))
    .one(db)
    .await?;
    let Some(after) = after else {
        return Ok(false);
    };
    journal.record(
        variant_id,
        warehouse_id,
        if delta >= 0 {
            MovementKind::Reserve
        } else {
            MovementKind::Release
        },
        (after.on_hand, after.reserved - delta),
        (after.on_hand, after.reserved),
        reference,
        after.unavailable,
    );
    Ok(true)
}

/// Turns reserved units into a sale once the order is paid: on hand and reserved both drop by
/// `quantity` in one conditional `UPDATE`, with a `sell` movement in `journal`. Fails (nothing
/// changed) if fewer units are reserved than that, which would mean the reservation was
/// already used.
pub async fn sell(
    db: &impl ConnectionTrait,
    variant_id: i32,
    warehouse_id: i32,
    quantity: i32,
    reference: &str,
    journal: &mut Journal,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let p = |n: usize| super::catalog::placeholders(backend, n, 1);
    let after = Level::find_by_statement(sea_orm::Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE stock_levels SET on_hand = on_hand - {q}, reserved = reserved - {q}, \
               updated_at = {now} \
             WHERE variant_id = {v} AND warehouse_id = {w} AND reserved >= {q} \
             RETURNING on_hand, reserved, damaged + quality_control + safety_stock AS unavailable",
            q = p(1),
            now = p(2),
            v = p(3),
            w = p(4)
        ),
        [
            quantity.into(),
            Utc::now().into(),
            variant_id.into(),
            warehouse_id.into(),
        ],
    ))
    .one(db)
    .await?
    .ok_or_else(|| {
        DbErr::Custom(format!(
            "sale of {quantity} × variant {variant_id} in warehouse {warehouse_id}: fewer reserved"
        ))
    })?;
    journal.record(
        variant_id,
        warehouse_id,
        MovementKind::Sell,
        (after.on_hand + quantity, after.reserved + quantity),
        (after.on_hand, after.reserved),
        reference,
        after.unavailable,
    );
    Ok(())
}

/// Puts sold units back on the shelf (a paid order cancelled before it shipped, or goods
/// returned in resellable condition): on hand grows by `quantity` in one `UPDATE`, with a
/// `restock` movement in `journal`.
pub async fn restock(
    db: &impl ConnectionTrait,
    variant_id: i32,
    warehouse_id: i32,
    quantity: i32,
    reference: &str,
    journal: &mut Journal,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let p = |n: usize| super::catalog::placeholders(backend, n, 1);
    let after = Level::find_by_statement(sea_orm::Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE stock_levels SET on_hand = on_hand + {q}, updated_at = {now} \
             WHERE variant_id = {v} AND warehouse_id = {w} \
             RETURNING on_hand, reserved, damaged + quality_control + safety_stock AS unavailable",
            q = p(1),
            now = p(2),
            v = p(3),
            w = p(4)
        ),
        [
            quantity.into(),
            Utc::now().into(),
            variant_id.into(),
            warehouse_id.into(),
        ],
    ))
    .one(db)
    .await?
    .ok_or_else(|| {
        DbErr::Custom(format!(
            "restock of {quantity} × variant {variant_id}: no level in warehouse {warehouse_id}"
        ))
    })?;
    journal.record(
        variant_id,
        warehouse_id,
        MovementKind::Restock,
        (after.on_hand - quantity, after.reserved),
        (after.on_hand, after.reserved),
        reference,
        after.unavailable,
    );
    Ok(())
}
