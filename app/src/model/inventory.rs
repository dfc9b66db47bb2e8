//! What the inventory screens and the Store API's inventory endpoints exchange.
use serde::{Deserialize, Serialize};

use super::MovementKind;

/// A warehouse as staff see and edit it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WarehouseView {
    pub id: i32,
    pub code: String,
    pub name: String,
    pub address: String,
    pub city: String,
    pub province: String,
    /// Lower ships first: an order line goes to the first warehouse by priority that can fill
    /// it whole, else is split across them in this order.
    pub priority: i32,
    pub active: bool,
}

/// One variant's stock in one warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StockLevelView {
    pub warehouse_id: i32,
    pub warehouse: String,
    pub warehouse_name: String,
    /// Stock in an inactive warehouse is not for sale.
    pub warehouse_active: bool,
    pub on_hand: i32,
    /// Committed: held by orders not yet paid.
    pub reserved: i32,
    /// On hand but not for sale: `damaged + quality_control + safety_stock`.
    pub unavailable: i32,
    pub damaged: i32,
    pub quality_control: i32,
    pub safety_stock: i32,
    /// On hand minus committed minus unavailable: what shoppers can buy.
    pub available: i32,
    /// Units shipped here from another warehouse, not yet received.
    pub incoming: i32,
}

impl StockLevelView {
    /// Units of one unavailable state.
    pub fn unavailable_of(&self, state: super::UnavailableState) -> i32 {
        match state {
            super::UnavailableState::Damaged => self.damaged,
            super::UnavailableState::QualityControl => self.quality_control,
            super::UnavailableState::SafetyStock => self.safety_stock,
        }
    }
}

/// A SKU with its stock per warehouse and in total (active warehouses only in the totals).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StockItem {
    pub variant_id: i32,
    pub sku: String,
    pub product_id: i32,
    pub product_name: String,
    pub variant_title: String,
    pub levels: Vec<StockLevelView>,
    pub on_hand: i64,
    pub reserved: i64,
    pub unavailable: i64,
    pub available: i64,
    /// In transit to any of its warehouses.
    pub incoming: i64,
}

/// One row of a SKU's stock history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MovementView {
    pub id: i64,
    /// RFC 3339, UTC.
    pub at: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "adjustment"))]
    pub kind: MovementKind,
    pub warehouse: String,
    /// Size of the change (always positive; before and after say which way).
    pub quantity: i32,
    pub on_hand_before: i32,
    pub on_hand_after: i32,
    pub reserved_before: i32,
    pub reserved_after: i32,
    /// The unavailable state this movement changed (`damaged`, `quality_control`,
    /// `safety_stock`), with its units before and after.
    pub unavailable_state: Option<String>,
    pub unavailable_before: i32,
    pub unavailable_after: i32,
    /// `order:42`, `manual`, `seed:demo`…
    pub reference: String,
    /// Staff's reason, for adjustments.
    pub note: String,
    /// Who made the change (staff), when a person did.
    pub actor: Option<String>,
}

/// A change of on hand, as staff ask for it: `delta` (add or remove) or `set` (the new on hand),
/// exactly one of them, and a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AdjustmentRequest {
    pub sku: String,
    /// Warehouse code, e.g. `JKT`.
    pub warehouse: String,
    #[serde(default)]
    pub delta: Option<i32>,
    #[serde(default)]
    pub set: Option<i32>,
    pub reason: String,
}

/// What staff do with unavailable units of one level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UnavailableAction {
    /// Available units become unavailable (found damaged, sent to quality control, kept as
    /// safety stock).
    SetAside,
    /// Unavailable units become available again.
    MakeAvailable,
    /// Unavailable units leave on hand (thrown away, sent back to the supplier).
    WriteOff,
}

impl UnavailableAction {
    pub const ALL: [UnavailableAction; 3] = [
        UnavailableAction::SetAside,
        UnavailableAction::MakeAvailable,
        UnavailableAction::WriteOff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnavailableAction::SetAside => "set_aside",
            UnavailableAction::MakeAvailable => "make_available",
            UnavailableAction::WriteOff => "write_off",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == text)
    }

    /// The action in words, for the form.
    pub fn label(self) -> &'static str {
        match self {
            UnavailableAction::SetAside => "Set aside from available",
            UnavailableAction::MakeAvailable => "Make available again",
            UnavailableAction::WriteOff => "Write off (leaves on hand)",
        }
    }
}

/// Staff move `quantity` units of `sku` in `warehouse` into or out of an unavailable `state`
/// (`damaged`, `quality_control`, `safety_stock`), with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UnavailableRequest {
    pub sku: String,
    /// Warehouse code, e.g. `JKT`.
    pub warehouse: String,
    pub state: String,
    pub action: UnavailableAction,
    pub quantity: i32,
    pub reason: String,
}

/// A SKU's stock page: its levels, its transfers in transit, its movements (newest first) and
/// the warehouses a transfer can go between.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockHistory {
    pub item: StockItem,
    pub transfers: Vec<TransferView>,
    pub movements: Vec<MovementView>,
    pub warehouses: Vec<WarehouseView>,
}

/// Units moving between two warehouses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransferView {
    pub id: i32,
    pub sku: String,
    /// Warehouse codes.
    pub from: String,
    pub to: String,
    pub quantity: i32,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "in_transit"))]
    pub status: super::TransferStatus,
    pub reason: String,
    /// RFC 3339, UTC.
    pub shipped_at: String,
    pub received_at: Option<String>,
}

/// Staff ship `quantity` units of `sku` from one warehouse to another (codes), with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransferRequest {
    pub sku: String,
    pub from: String,
    pub to: String,
    pub quantity: i32,
    pub reason: String,
}

/// A variant whose available units fell below its low-stock threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LowStockItem {
    pub variant_id: i32,
    pub sku: String,
    pub variant_title: String,
    pub product_id: i32,
    pub product_name: String,
    pub available: i64,
    pub threshold: i32,
    /// When the alert went out (RFC 3339, UTC).
    pub since: String,
}

/// One counted level: what the system said when counting started (`expected`, the snapshot;
/// omitted: whatever it is when posted) and what was counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CountLine {
    pub sku: String,
    pub warehouse: String,
    #[serde(default)]
    pub expected: Option<i32>,
    pub counted: i32,
}

/// A stock count to post: every line applies, or none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CountRequest {
    /// e.g. "Monthly count, aisle 3".
    pub reason: String,
    pub lines: Vec<CountLine>,
}

/// A posted line: on hand before and after, and the variance (counted − system).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CountedLine {
    pub sku: String,
    pub warehouse: String,
    pub before: i32,
    pub after: i32,
    pub variance: i32,
}

/// A reorder suggestion for one variant (all stock over active warehouses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ReorderSuggestion {
    pub variant_id: i32,
    pub sku: String,
    pub product_name: String,
    pub variant_title: String,
    /// Units per day: an exponentially weighted average of the last 30 days' daily sales.
    pub velocity: f64,
    /// Standard deviation of daily sales over the 30 days.
    pub sigma: f64,
    pub available: i64,
    pub incoming: i64,
    /// Days until available runs out at `velocity` (none when nothing sells).
    pub days_of_cover: Option<f64>,
    pub lead_time_days: i32,
    pub cover_days: i32,
    pub safety_stock: f64,
    pub reorder_point: f64,
    /// Units to order now (0: enough on hand and incoming).
    pub suggested: i64,
}

/// The stock overview's filters, sort and page, as in the URL
/// (`/admin/inventory?q=&warehouse=&state=&category=&brand=&sort=&page=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StockFilter {
    /// Part of a SKU or product name, any case.
    pub q: String,
    /// A warehouse code: only its levels, and the states judged by its numbers.
    pub warehouse: String,
    /// `low` (below the alert level, not out), `out` (none available), or empty for all.
    pub state: String,
    /// A category id (directly in it).
    pub category: String,
    /// A brand id.
    pub brand: String,
    /// `sku` (default), `available_asc`, `available_desc`, `name`.
    pub sort: String,
    /// From 1.
    pub page: u64,
}

impl StockFilter {
    /// The URL query that shows this filter (the page included when past the first).
    pub fn to_query(&self) -> String {
        super::filter_query(
            &[
                ("q", &self.q),
                ("warehouse", &self.warehouse),
                ("state", &self.state),
                ("category", &self.category),
                ("brand", &self.brand),
                ("sort", &self.sort),
            ],
            self.page,
        )
    }
}

/// A purchase order as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PurchaseOrderView {
    pub id: i32,
    /// `PO-000042`.
    pub number: String,
    pub supplier: String,
    /// Warehouse code.
    pub warehouse: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "ordered"))]
    pub status: super::PurchaseOrderStatus,
    pub note: String,
    /// `YYYY-MM-DD`.
    pub expected_on: Option<String>,
    pub lines: Vec<PurchaseOrderLineView>,
    /// Units over all lines.
    pub units: i64,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// When it was received or cancelled.
    pub closed_at: Option<String>,
}

/// Units of one SKU on a purchase order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PurchaseOrderLineView {
    pub sku: String,
    pub product_name: String,
    pub variant_title: String,
    pub quantity: i32,
}

/// A purchase order staff place: a supplier, the warehouse it comes to (code), when it is
/// expected (`YYYY-MM-DD`, optional), a note, and the units per SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PurchaseOrderRequest {
    pub supplier: String,
    pub warehouse: String,
    #[serde(default)]
    pub expected_on: Option<String>,
    #[serde(default)]
    pub note: String,
    pub lines: Vec<PurchaseOrderLineRequest>,
}

/// Units of one SKU to order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PurchaseOrderLineRequest {
    pub sku: String,
    pub quantity: i32,
}
