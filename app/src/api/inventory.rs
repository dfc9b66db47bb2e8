//! Inventory server functions for staff: warehouses, and setting a variant's on hand from the
//! product page. Thin: parse the form's text, call `server::inventory`, map the error.
#![allow(clippy::too_many_arguments)]
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use crate::{
    api::manage::{form, optional_id, staff},
    server::inventory::{self, warehouses},
};
use crate::{error::AppError, model::WarehouseView};

#[cfg(feature = "ssr")]
fn whole(field: &str, text: &str) -> Result<i32, AppError> {
    text.trim()
        .parse::<i32>()
        .map_err(|_| AppError::field(field, "Enter a whole number of units."))
}

/// Every warehouse, by priority.
#[server]
pub async fn admin_warehouses() -> Result<Vec<WarehouseView>, AppError> {
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    Ok(warehouses::list(&state.db).await?)
}

/// Creates (empty `id`) or updates a warehouse.
#[server]
pub async fn admin_save_warehouse(
    id: String,
    code: String,
    name: String,
    address: String,
    city: String,
    province: String,
    priority: String,
    active: Option<String>,
) -> Result<WarehouseView, AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        let input = warehouses::WarehouseInput {
            code,
            name,
            address,
            city,
            province,
            priority: whole("priority", &priority)?,
            active: active.is_some_and(|a| a != "false"),
        };
        let id = optional_id("id", &id)?;
        let saved = warehouses::save(&state.db, state.cache.as_ref(), id, input).await?;
        if id.is_none() {
            leptos_axum::redirect("/admin/warehouses?saved=Warehouse+added.");
        }
        Ok(saved)
    })
    .await
}

/// Sets a variant's on hand in one warehouse, with the reason (an `adjustment` movement).
#[server]
pub async fn admin_set_stock(
    variant_id: i32,
    warehouse_id: i32,
    on_hand: String,
    reason: String,
) -> Result<(), AppError> {
    form(None, async {
        let (state, user) = staff().await?;
        let target = whole("on_hand", &on_hand)?;
        if target < 0 {
            return Err(AppError::field("on_hand", "On hand cannot be negative."));
        }
        inventory::staff::adjust_level(
            &state.db,
            state.cache.as_ref(),
            user.id,
            inventory::LevelKey {
                variant_id,
                warehouse_id,
            },
            inventory::Change::Set(target),
            &reason,
        )
        .await?;
        Ok(())
    })
    .await
}

/// A SKU's levels and movements (newest first), optionally of one kind.
#[server]
pub async fn admin_stock_history(
    sku: String,
    kind: Option<String>,
) -> Result<crate::model::StockHistory, AppError> {
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    let result = async {
        let kind = match kind.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(k) => Some(
                k.parse::<crate::model::MovementKind>()
                    .map_err(|e| AppError::field("kind", e.to_string()))?,
            ),
        };
        let item = inventory::staff::stock(&state.db, Some(&sku), None)
            .await?
            .pop()
            .ok_or_else(|| AppError::NotFound(format!("There is no SKU `{sku}`.")))?;
        let movements = inventory::staff::movements(&state.db, &sku, kind).await?;
        let transfers = inventory::transfers::list(
            &state.db,
            Some(&sku),
            Some(crate::model::TransferStatus::InTransit),
        )
        .await?;
        let warehouses = warehouses::list(&state.db).await?;
        Ok(crate::model::StockHistory {
            item,
            transfers,
            movements,
            warehouses,
        })
    }
    .await;
    result.inspect_err(|e: &AppError| crate::server::set_status(e.status()))
}

/// Ships units of a SKU from one warehouse to another (in transit until received).
#[server]
pub async fn admin_ship_transfer(
    sku: String,
    from: String,
    to: String,
    quantity: String,
    reason: String,
) -> Result<crate::model::TransferView, AppError> {
    form(None, async {
        let (state, user) = staff().await?;
        let request = crate::model::TransferRequest {
            sku,
            from,
            to,
            quantity: whole("quantity", &quantity)?,
            reason,
        };
        Ok(inventory::transfers::ship(&state.db, state.cache.as_ref(), user.id, &request).await?)
    })
    .await
}

/// Moves units of a SKU in one warehouse into or out of an unavailable state (damaged,
/// quality control, safety stock): set aside, make available, or write off.
#[server]
pub async fn admin_change_unavailable(
    sku: String,
    warehouse: String,
    state: String,
    action: String,
    quantity: String,
    reason: String,
) -> Result<crate::model::StockItem, AppError> {
    form(None, async {
        let (app, user) = staff().await?;
        let action = crate::model::UnavailableAction::parse(&action)
            .ok_or_else(|| AppError::field("action", "Choose what to do with the units."))?;
        let request = crate::model::UnavailableRequest {
            sku,
            warehouse,
            state,
            action,
            quantity: whole("quantity", &quantity)?,
            reason,
        };
        Ok(
            inventory::unavailable::change_sku(&app.db, app.cache.as_ref(), user.id, &request)
                .await?,
        )
    })
    .await
}

/// Receives a transfer into its destination.
#[server]
pub async fn admin_receive_transfer(id: i32) -> Result<crate::model::TransferView, AppError> {
    form(None, async {
        let (state, user) = staff().await?;
        Ok(inventory::transfers::receive(&state.db, state.cache.as_ref(), user.id, id).await?)
    })
    .await
}

/// The variants below their low-stock alert level.
#[server]
pub async fn admin_low_stock() -> Result<Vec<crate::model::LowStockItem>, AppError> {
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    Ok(inventory::alerts::low_stock(&state.db).await?)
}

/// How many variants are low (the admin's badge).
#[server]
pub async fn admin_low_stock_count() -> Result<i64, AppError> {
    let (state, _) = staff().await?;
    Ok(inventory::alerts::low_stock_count(&state.db).await?)
}

/// Sets a variant's low-stock alert level (empty: the shop's default).
#[server]
pub async fn admin_set_low_stock_threshold(
    variant_id: i32,
    threshold: String,
) -> Result<(), AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        let threshold = match threshold.trim() {
            "" => None,
            t => Some(whole("threshold", t)?),
        };
        Ok(inventory::alerts::set_threshold(&state.db, variant_id, threshold).await?)
    })
    .await
}

/// Posts the count of one level from the SKU page: on hand becomes `counted` only if it is
/// still `expected`, the number shown when the count started.
#[server]
pub async fn admin_post_count(
    sku: String,
    warehouse: String,
    expected: String,
    counted: String,
    reason: String,
) -> Result<Vec<crate::model::CountedLine>, AppError> {
    form(None, async {
        let (state, user) = staff().await?;
        let line = crate::model::CountLine {
            sku,
            warehouse,
            expected: Some(whole("expected", &expected)?),
            counted: whole("counted", &counted)?,
        };
        Ok(inventory::counts::post(
            &state.db,
            state.cache.as_ref(),
            user.id,
            &reason,
            &[line],
            1,
        )
        .await?)
    })
    .await
}

/// Reorder suggestions, most urgent first.
#[server]
pub async fn admin_reorder_suggestions() -> Result<Vec<crate::model::ReorderSuggestion>, AppError> {
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    Ok(inventory::reorder::suggestions(&state.db, &state.settings).await?)
}

/// Sets a variant's own lead time and cover days for reorder suggestions (empty: the shop's).
#[server]
pub async fn admin_set_reorder_settings(
    variant_id: i32,
    lead_time_days: String,
    cover_days: String,
) -> Result<(), AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        let lead = reorder_days("lead_time_days", &lead_time_days)?;
        let cover = reorder_days("cover_days", &cover_days)?;
        Ok(inventory::reorder::set_variant_days(&state.db, variant_id, lead, cover).await?)
    })
    .await
}

/// A brand's lead time and cover days for reorder suggestions (empty: the shop's defaults);
/// a variant's own setting wins over its brand's.
#[server]
pub async fn admin_set_brand_reorder_settings(
    brand_id: i32,
    lead_time_days: String,
    cover_days: String,
) -> Result<(), AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        let lead = reorder_days("lead_time_days", &lead_time_days)?;
        let cover = reorder_days("cover_days", &cover_days)?;
        Ok(inventory::reorder::set_brand_days(&state.db, brand_id, lead, cover).await?)
    })
    .await
}

/// Days typed into a reorder setting: 0–365, or empty for "inherit".
#[cfg(feature = "ssr")]
fn reorder_days(field: &str, text: &str) -> Result<Option<i32>, AppError> {
    match text.trim() {
        "" => Ok(None),
        t => match t.parse::<i32>() {
            Ok(d) if (0..=365).contains(&d) => Ok(Some(d)),
            _ => Err(AppError::field(
                field,
                "Enter 0–365 days, or leave it empty.",
            )),
        },
    }
}

/// The stock overview: filtered, sorted, a page of SKUs with their levels.
#[server]
pub async fn admin_stock_overview(
    filter: crate::model::StockFilter,
) -> Result<crate::model::Page<crate::model::StockItem>, AppError> {
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    inventory::staff::overview(&state.db, &filter)
        .await
        .map_err(AppError::from)
        .inspect_err(|e| crate::server::set_status(e.status()))
}

/// Purchase orders, newest first; `status` empty for all.
#[server]
pub async fn admin_purchase_orders(
    status: String,
) -> Result<Vec<crate::model::PurchaseOrderView>, AppError> {
    let (state, _) = staff()
        .await
        .inspect_err(|e| crate::server::set_status(e.status()))?;
    let status = match status.trim() {
        "" => None,
        s => Some(
            s.parse::<crate::model::PurchaseOrderStatus>()
                .map_err(|e| AppError::field("status", e.to_string()))?,
        ),
    };
    Ok(inventory::purchases::list(&state.db, status).await?)
}

/// Places a purchase order from the admin's form: `lines` is one `SKU, units` per line.
#[server]
pub async fn admin_create_purchase_order(
    supplier: String,
    warehouse: String,
    expected_on: String,
    note: String,
    lines: String,
) -> Result<crate::model::PurchaseOrderView, AppError> {
    form(None, async {
        let (state, user) = staff().await?;
        let request = crate::model::PurchaseOrderRequest {
            supplier,
            warehouse,
            expected_on: Some(expected_on),
            note,
            lines: inventory::purchases::parse_lines(&lines)?,
        };
        Ok(inventory::purchases::create(&state.db, user.id, &request).await?)
    })
    .await
}

/// Places a purchase order for every reorder suggestion with units to order, at the suggested
/// quantities, then shows the purchase orders.
#[server]
pub async fn admin_order_suggestions(
    supplier: String,
    warehouse: String,
    expected_on: String,
) -> Result<crate::model::PurchaseOrderView, AppError> {
    form(Some("/admin/purchase-orders".into()), async {
        let (state, user) = staff().await?;
        let lines: Vec<_> = inventory::reorder::suggestions(&state.db, &state.settings)
            .await?
            .into_iter()
            .filter(|s| s.suggested > 0)
            .map(|s| crate::model::PurchaseOrderLineRequest {
                sku: s.sku,
                quantity: i32::try_from(s.suggested).unwrap_or(i32::MAX),
            })
            .collect();
        if lines.is_empty() {
            return Err(AppError::field(
                "supplier",
                "Nothing needs ordering: no suggestion has units to order.",
            ));
        }
        let request = crate::model::PurchaseOrderRequest {
            supplier,
            warehouse,
            expected_on: Some(expected_on),
            note: "From the reorder suggestions".into(),
            lines,
        };
        Ok(inventory::purchases::create(&state.db, user.id, &request).await?)
    })
    .await
}

/// Receives a purchase order: every line on hand at its warehouse.
#[server]
pub async fn admin_receive_purchase_order(
    id: i32,
) -> Result<crate::model::PurchaseOrderView, AppError> {
    form(None, async {
        let (state, user) = staff().await?;
        Ok(inventory::purchases::receive(&state.db, state.cache.as_ref(), user.id, id).await?)
    })
    .await
}

/// Cancels a purchase order that has not arrived.
#[server]
pub async fn admin_cancel_purchase_order(
    id: i32,
) -> Result<crate::model::PurchaseOrderView, AppError> {
    form(None, async {
        let (state, _) = staff().await?;
        Ok(inventory::purchases::cancel(&state.db, id).await?)
    })
    .await
}
