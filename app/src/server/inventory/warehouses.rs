//! Warehouses: where stock is kept and, by priority, which ships first. A new or reactivated
//! warehouse gets a level for every variant, so stock can be put in it straight away.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};

use super::adjust::{ensure_levels, InventoryError};
use crate::{
    model::WarehouseView,
    server::{cache::Cache, catalog::cache, db::warehouse},
};

/// A warehouse's fields as staff enter them.
#[derive(Debug, Clone, Default)]
pub struct WarehouseInput {
    pub code: String,
    pub name: String,
    pub address: String,
    pub city: String,
    pub province: String,
    pub priority: i32,
    pub active: bool,
}

fn view(w: warehouse::Model) -> WarehouseView {
    WarehouseView {
        id: w.id,
        code: w.code,
        name: w.name,
        address: w.address,
        city: w.city,
        province: w.province,
        priority: w.priority,
        active: w.active,
    }
}

/// Every warehouse, by priority (the order stock is allocated in).
pub async fn list(db: &DatabaseConnection) -> Result<Vec<WarehouseView>, InventoryError> {
    Ok(warehouse::Entity::find()
        .order_by_asc(warehouse::Column::Priority)
        .order_by_asc(warehouse::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(view)
        .collect())
}

fn invalid(field: &'static str, message: &str) -> InventoryError {
    InventoryError::Invalid {
        field,
        message: message.into(),
    }
}

fn checked(input: WarehouseInput) -> Result<WarehouseInput, InventoryError> {
    let code = input.code.trim().to_uppercase();
    if code.is_empty()
        || code.len() > 16
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(invalid(
            "code",
            "A code is 1–16 letters, digits or `-` (e.g. JKT).",
        ));
    }
    let name = input.name.trim().to_string();
    if name.chars().count() < 2 || name.chars().count() > 100 {
        return Err(invalid("name", "A name is 2–100 characters."));
    }
    let address = input.address.trim().to_string();
    if address.chars().count() > 300 {
        return Err(invalid("address", "At most 300 characters."));
    }
    let city = input.city.trim().to_string();
    let province = input.province.trim().to_string();
    if city.chars().count() > 100 || province.chars().count() > 100 {
        return Err(invalid(
            "city",
            "City and province: at most 100 characters each.",
        ));
    }
    if !(0..=1000).contains(&input.priority) {
        return Err(invalid("priority", "Priority is 0–1000 (0 ships first)."));
    }
    Ok(WarehouseInput {
        code,
        name,
        address,
        city,
        province,
        ..input
    })
}

/// Creates (`id` = None) or updates a warehouse. Deactivating one takes its stock off sale
/// (it stays on record); its held units still ship.
pub async fn save(
    db: &DatabaseConnection,
    cache_: &dyn Cache,
    id: Option<i32>,
    input: WarehouseInput,
) -> Result<WarehouseView, InventoryError> {
    let input = checked(input)?;
    let txn = db.begin().await?;
    let taken = warehouse::Entity::find()
        .filter(warehouse::Column::Code.eq(&input.code))
        .one(&txn)
        .await?;
    if taken.as_ref().is_some_and(|t| Some(t.id) != id) {
        return Err(InventoryError::Conflict(format!(
            "Warehouse code `{}` is already used.",
            input.code
        )));
    }
    let (mut row, was_active) = match id {
        Some(id) => {
            let found = warehouse::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or_else(|| InventoryError::NotFound(format!("There is no warehouse #{id}.")))?;
            let was_active = found.active;
            (found.into_active_model(), Some(was_active))
        }
        None => (<warehouse::ActiveModel as Default>::default(), None),
    };
    let availability_changes = was_active != Some(input.active);
    row.code = Set(input.code);
    row.name = Set(input.name);
    row.address = Set(input.address);
    row.city = Set(input.city);
    row.province = Set(input.province);
    row.priority = Set(input.priority);
    row.active = Set(input.active);
    let saved = if id.is_some() {
        row.update(&txn).await?
    } else {
        row.insert(&txn).await?
    };
    ensure_levels(&txn, None).await?;
    if availability_changes {
        // Availability counts active warehouses only: switching one on or off changes
        // what every listing shows.
        sea_orm::ConnectionTrait::execute_unprepared(
            &txn,
            &format!(
                "UPDATE products SET available = {}",
                crate::server::catalog::product_available_sql("products.id")
            ),
        )
        .await?;
    }
    txn.commit().await?;
    if availability_changes {
        cache::invalidate(cache_).await;
    }
    Ok(view(saved))
}
