//! Inventory: warehouses and stock per variant per warehouse, every change recorded as a
//! stock movement in the same transaction. (Reservations, sales and the admin screens build on
//! this in later work.)
use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Set,
};

use super::db::{stock_level, stock_movement, warehouse};

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
                kind: Set("receive".into()),
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
