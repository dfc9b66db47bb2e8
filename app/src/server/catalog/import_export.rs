//! Products and variants as CSV: one row per variant, product fields repeated on each row.
//! An import is all or nothing: every row is checked first (each problem reported with its line
//! number), then everything is written in one transaction.
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::{
    cache,
    manage::{
        check_slug, check_variant, new_product, CatalogError, ProductInput, VariantInput, STATUSES,
    },
    refresh_products,
};
use crate::{
    model::ImportReport,
    server::{
        cache::Cache,
        db::{brand, category, product, product_variant, warehouse},
        inventory,
    },
};

/// The columns, in export order. Imports accept them in any order; `brand`, `description`,
/// `variant_title`, `options`, `compare_at_price`, `weight_grams`, `barcode` and `active` may be
/// left out. Imports also take [`STOCK_COLUMNS`].
pub const COLUMNS: [&str; 14] = [
    "product_slug",
    "product_name",
    "status",
    "category",
    "brand",
    "description",
    "sku",
    "variant_title",
    "options",
    "price",
    "compare_at_price",
    "weight_grams",
    "barcode",
    "active",
];
/// Optional import columns: `on_hand` sets the variant's on hand in `warehouse` (a code; empty:
/// the first active warehouse by priority), recorded as an adjustment with the reason "CSV
/// import". Empty `on_hand` leaves stock as it is. Not exported: stock lives per warehouse,
/// and the stock screens export it.
pub const STOCK_COLUMNS: [&str; 2] = ["warehouse", "on_hand"];
const REQUIRED: [&str; 6] = [
    "product_slug",
    "product_name",
    "status",
    "category",
    "sku",
    "price",
];
/// More problems than this are summarised: the file needs fixing anyway.
const MAX_REPORTED: usize = 50;

/// Every product and variant, ordered by product slug and variant position.
pub async fn export_csv(db: &DatabaseConnection) -> Result<Vec<u8>, CatalogError> {
    let categories: HashMap<i32, String> = category::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.slug))
        .collect();
    let brands: HashMap<i32, String> = brand::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.id, b.slug))
        .collect();
    let products = product::Entity::find()
        .order_by_asc(product::Column::Slug)
        .all(db)
        .await?;
    let mut variants: HashMap<i32, Vec<product_variant::Model>> = HashMap::new();
    for v in product_variant::Entity::find()
        .order_by_asc(product_variant::Column::Position)
        .order_by_asc(product_variant::Column::Id)
        .all(db)
        .await?
    {
        variants.entry(v.product_id).or_default().push(v);
    }
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| CatalogError::Db(sea_orm::DbErr::Custom(e.to_string()));
    out.write_record(COLUMNS).map_err(fail)?;
    for p in &products {
        let category = categories.get(&p.category_id).cloned().unwrap_or_default();
        let brand = p
            .brand_id
            .and_then(|b| brands.get(&b).cloned())
            .unwrap_or_default();
        for v in variants.get(&p.id).map(Vec::as_slice).unwrap_or(&[]) {
            out.write_record([
                p.slug.as_str(),
                p.name.as_str(),
                p.status.as_str(),
                category.as_str(),
                brand.as_str(),
                p.description.as_str(),
                v.sku.as_str(),
                v.title.as_str(),
                &super::manage::options_text(&v.options),
                &v.price.to_string(),
                &v.compare_at_price
                    .map(|c| c.to_string())
                    .unwrap_or_default(),
                &v.weight_grams.to_string(),
                v.barcode.as_deref().unwrap_or(""),
                if v.active { "true" } else { "false" },
            ])
            .map_err(fail)?;
        }
    }
    out.into_inner()
        .map_err(|e| CatalogError::Db(sea_orm::DbErr::Custom(e.to_string())))
}

struct Row {
    line: u64,
    slug: String,
    name: String,
    status: String,
    category_id: i32,
    brand_id: Option<i32>,
    description: String,
    sku: String,
    options_json: String,
    variant: VariantInput,
    /// `(warehouse id, on hand)` to set.
    stock: Option<(i32, i32)>,
}

/// Checks every row, then writes them all in one transaction, or nothing.
pub async fn import_csv(
    db: &DatabaseConnection,
    cache_: &dyn Cache,
    bytes: &[u8],
    actor: Option<i32>,
) -> Result<ImportReport, CatalogError> {
    let categories: HashMap<String, i32> = category::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.slug, c.id))
        .collect();
    let brands: HashMap<String, i32> = brand::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|b| (b.slug, b.id))
        .collect();
    let warehouses = warehouse::Entity::find()
        .order_by_asc(warehouse::Column::Priority)
        .order_by_asc(warehouse::Column::Id)
        .all(db)
        .await?;
    let rows = parse_rows(bytes, &categories, &brands, &warehouses)?;
    let mut journal = inventory::Journal::default();

    let txn = db.begin().await?;
    let mut report = ImportReport {
        rows: rows.len(),
        ..Default::default()
    };
    // Products whose price range, stock or search text may have moved: the ones the file
    // changed, not every one it names (re-importing an unchanged file recomputes nothing).
    let mut touched: HashSet<i32> = HashSet::new();
    let product_ids = write_products(&txn, &rows, &mut report, &mut touched).await?;
    let variant_ids = write_variants(&txn, &rows, &product_ids, &mut report, &mut touched).await?;
    // The rows that set stock, and their levels' new values, in the same order.
    let (mut stocked, mut sets) = (Vec::new(), Vec::new());
    for row in &rows {
        if let Some((warehouse_id, on_hand)) = row.stock {
            let level = inventory::LevelKey {
                variant_id: written(&variant_ids, &row.sku)?,
                warehouse_id,
            };
            stocked.push(row);
            sets.push((level, on_hand));
        }
    }
    let set = inventory::adjust::set_many(&txn, &sets, actor, "CSV import", &mut journal)
        .await
        .map_err(|(i, e)| match stocked.get(i) {
            Some(row) => on_line(row.line, e.into()),
            None => e.into(),
        })?;
    for (row, set) in stocked.iter().zip(&set) {
        if set.on_hand != set.on_hand_before {
            report.stock_set += 1;
            touched.insert(written(&product_ids, &row.slug)?);
        }
    }
    let ids: Vec<i32> = touched.into_iter().collect();
    journal.write(&txn).await?;
    refresh_products(&txn, &ids).await?;
    txn.commit().await?;
    cache::invalidate(cache_).await;
    Ok(report)
}

/// Rows per multi-row INSERT or `IN (…)` list: well inside PostgreSQL's and SQLite's limits on
/// bound parameters.
const BATCH: usize = 200;

/// The id a product or variant of the file was written under.
fn written(ids: &HashMap<String, i32>, key: &str) -> Result<i32, CatalogError> {
    ids.get(key).copied().ok_or_else(|| {
        CatalogError::Db(sea_orm::DbErr::RecordNotFound(format!(
            "`{key}` was written but cannot be read back"
        )))
    })
}

fn on_line(line: u64, e: CatalogError) -> CatalogError {
    match e {
        CatalogError::Invalid { message, .. } | CatalogError::Conflict(message) => {
            CatalogError::Rows(vec![format!("line {line}: {message}")])
        }
        other => other,
    }
}

/// Creates or updates the file's products (a few queries per 200, plus one update per product
/// whose fields changed). Returns slug → id.
async fn write_products(
    txn: &DatabaseTransaction,
    rows: &[Row],
    report: &mut ImportReport,
    touched: &mut HashSet<i32>,
) -> Result<HashMap<String, i32>, CatalogError> {
    // The product fields are the same on every row of a product (checked when parsing).
    let mut firsts: Vec<&Row> = Vec::new();
    let mut seen = HashSet::new();
    for row in rows {
        if seen.insert(row.slug.as_str()) {
            firsts.push(row);
        }
    }
    let slugs: Vec<String> = firsts.iter().map(|r| r.slug.clone()).collect();
    let mut existing: HashMap<String, product::Model> = HashMap::new();
    for chunk in slugs.chunks(BATCH) {
        for found in product::Entity::find()
            .filter(product::Column::Slug.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            existing.insert(found.slug.clone(), found);
        }
    }
    let now = Utc::now();
    let mut ids: HashMap<String, i32> = HashMap::new();
    let mut created = Vec::new();
    for row in &firsts {
        match existing.remove(&row.slug) {
            Some(found) => {
                report.products_updated += 1;
                ids.insert(row.slug.clone(), found.id);
                let same = found.name == row.name
                    && found.status == row.status
                    && found.category_id == row.category_id
                    && found.brand_id == row.brand_id
                    && found.description == row.description;
                if same {
                    continue;
                }
                let mut active = found.into_active_model();
                active.name = Set(row.name.clone());
                active.status = Set(row.status.clone());
                active.category_id = Set(row.category_id);
                active.brand_id = Set(row.brand_id);
                active.description = Set(row.description.clone());
                active.updated_at = Set(now);
                touched.insert(active.update(txn).await?.id);
            }
            None => {
                report.products_created += 1;
                created.push(new_product(
                    row.slug.clone(),
                    row.name.clone(),
                    ProductInput {
                        name: row.name.clone(),
                        slug: row.slug.clone(),
                        description: row.description.clone(),
                        category_id: row.category_id,
                        brand_id: row.brand_id,
                        status: row.status.clone(),
                    },
                ));
            }
        }
    }
    let new_slugs: Vec<String> = firsts
        .iter()
        .filter(|r| !ids.contains_key(&r.slug))
        .map(|r| r.slug.clone())
        .collect();
    let mut created = created.into_iter().peekable();
    while created.peek().is_some() {
        let batch: Vec<product::ActiveModel> = created.by_ref().take(BATCH).collect();
        product::Entity::insert_many(batch).exec(txn).await?;
    }
    for chunk in new_slugs.chunks(BATCH) {
        for made in product::Entity::find()
            .filter(product::Column::Slug.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            touched.insert(made.id);
            ids.insert(made.slug, made.id);
        }
    }
    Ok(ids)
}

/// Creates or updates the file's variants the same way. Returns SKU → id.
async fn write_variants(
    txn: &DatabaseTransaction,
    rows: &[Row],
    product_ids: &HashMap<String, i32>,
    report: &mut ImportReport,
    touched: &mut HashSet<i32>,
) -> Result<HashMap<String, i32>, CatalogError> {
    let skus: Vec<String> = rows.iter().map(|r| r.sku.clone()).collect();
    let mut existing: HashMap<String, product_variant::Model> = HashMap::new();
    for chunk in skus.chunks(BATCH) {
        for found in product_variant::Entity::find()
            .filter(product_variant::Column::Sku.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?
        {
            existing.insert(found.sku.clone(), found);
        }
    }
    // New variants go after a product's existing ones.
    let mut next_position: HashMap<i32, i32> = HashMap::new();
    let products: Vec<i32> = {
        let mut ids: Vec<i32> = product_ids.values().copied().collect();
        ids.sort_unstable();
        ids
    };
    for chunk in products.chunks(BATCH) {
        for (product_id, count) in product_variant::Entity::find()
            .select_only()
            .column(product_variant::Column::ProductId)
            .column_as(
                sea_orm::sea_query::Expr::col(product_variant::Column::Id).count(),
                "count",
            )
            .filter(product_variant::Column::ProductId.is_in(chunk.iter().copied()))
            .group_by(product_variant::Column::ProductId)
            .into_tuple::<(i32, i64)>()
            .all(txn)
            .await?
        {
            next_position.insert(product_id, count as i32);
        }
    }
    let now = Utc::now();
    let mut ids: HashMap<String, i32> = HashMap::new();
    let mut created = Vec::new();
    let mut errors = Vec::new();
    for row in rows {
        let product_id = written(product_ids, &row.slug)?;
        let barcode = row
            .variant
            .barcode
            .as_ref()
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty());
        let title = row.variant.title.trim().to_string();
        match existing.remove(&row.sku) {
            Some(found) if found.product_id != product_id => errors.push(format!(
                "line {}: SKU `{}` belongs to another product",
                row.line, row.sku
            )),
            Some(found) => {
                report.variants_updated += 1;
                ids.insert(row.sku.clone(), found.id);
                let same = found.title == title
                    && found.options == row.options_json
                    && found.price == row.variant.price
                    && found.compare_at_price == row.variant.compare_at_price
                    && found.weight_grams == row.variant.weight_grams
                    && found.barcode == barcode
                    && found.active == row.variant.active;
                if same {
                    continue;
                }
                let mut active = found.into_active_model();
                active.title = Set(title);
                active.options = Set(row.options_json.clone());
                active.price = Set(row.variant.price);
                active.compare_at_price = Set(row.variant.compare_at_price);
                active.weight_grams = Set(row.variant.weight_grams);
                active.barcode = Set(barcode);
                active.active = Set(row.variant.active);
                active.updated_at = Set(now);
                active
                    .update(txn)
                    .await
                    .map_err(|e| on_line(row.line, CatalogError::from(e)))?;
                touched.insert(product_id);
            }
            None => {
                report.variants_created += 1;
                touched.insert(product_id);
                let position = next_position.entry(product_id).or_insert(0);
                created.push(product_variant::ActiveModel {
                    product_id: Set(product_id),
                    sku: Set(row.sku.clone()),
                    title: Set(title),
                    options: Set(row.options_json.clone()),
                    price: Set(row.variant.price),
                    compare_at_price: Set(row.variant.compare_at_price),
                    weight_grams: Set(row.variant.weight_grams),
                    barcode: Set(barcode),
                    active: Set(row.variant.active),
                    position: Set(*position),
                    // Starts empty, so below any threshold: the first alert is for a fall
                    // from above it, not for never having had stock.
                    low_stock_alerted_at: Set(Some(now)),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
                *position += 1;
            }
        }
    }
    if !errors.is_empty() {
        // Checked again inside the transaction: another import may have raced us.
        return Err(CatalogError::Rows(errors));
    }
    let new_skus: Vec<String> = rows
        .iter()
        .filter(|r| !ids.contains_key(&r.sku))
        .map(|r| r.sku.clone())
        .collect();
    let mut created = created.into_iter().peekable();
    while created.peek().is_some() {
        let batch: Vec<product_variant::ActiveModel> = created.by_ref().take(BATCH).collect();
        product_variant::Entity::insert_many(batch)
            .exec(txn)
            .await?;
    }
    for chunk in new_skus.chunks(BATCH) {
        let made = product_variant::Entity::find()
            .filter(product_variant::Column::Sku.is_in(chunk.iter().cloned()))
            .all(txn)
            .await?;
        let new_ids: Vec<i32> = made.iter().map(|v| v.id).collect();
        // A variant without levels could never be stocked or sold.
        inventory::ensure_levels(txn, Some(&new_ids)).await?;
        ids.extend(made.into_iter().map(|v| (v.sku, v.id)));
    }
    Ok(ids)
}

fn parse_rows(
    bytes: &[u8],
    categories: &HashMap<String, i32>,
    brands: &HashMap<String, i32>,
    warehouses: &[warehouse::Model],
) -> Result<Vec<Row>, CatalogError> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        CatalogError::Rows(vec![
            "the file is not UTF-8 text: save it as \"CSV UTF-8\"".into()
        ])
    })?;
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| CatalogError::Rows(vec![format!("line 1: {e}")]))?
        .clone();
    let index: HashMap<String, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.to_lowercase(), i))
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|c| !index.contains_key(*c))
        .collect();
    if !missing.is_empty() {
        return Err(CatalogError::Rows(vec![format!(
            "line 1: missing column(s) {}; expected {}",
            missing.join(", "),
            COLUMNS.join(",")
        )]));
    }
    if let Some(unknown) = headers.iter().find(|h| {
        let h = h.to_lowercase();
        !COLUMNS.contains(&h.as_str()) && !STOCK_COLUMNS.contains(&h.as_str())
    }) {
        return Err(CatalogError::Rows(vec![format!(
            "line 1: unknown column `{unknown}`"
        )]));
    }
    let mut errors: Vec<String> = Vec::new();
    let mut rows: Vec<Row> = Vec::new();
    let mut seen_skus: HashMap<String, u64> = HashMap::new();
    let mut product_fields: HashMap<String, (u64, String, String, i32, Option<i32>)> =
        HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                errors.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let get = |name: &str| -> String {
            index
                .get(name)
                .and_then(|i| record.get(*i))
                .unwrap_or("")
                .to_string()
        };
        match parse_row(line, &get, categories, brands, warehouses) {
            Ok(row) => {
                if let Some(first) = seen_skus.insert(row.sku.clone(), line) {
                    errors.push(format!(
                        "line {line}: SKU `{}` already appears on line {first}",
                        row.sku
                    ));
                    continue;
                }
                let fields = (
                    line,
                    row.name.clone(),
                    row.status.clone(),
                    row.category_id,
                    row.brand_id,
                );
                match product_fields.get(&row.slug) {
                    Some((first, name, status, category_id, brand_id))
                        if (name, status, category_id, brand_id)
                            != (&fields.1, &fields.2, &fields.3, &fields.4) =>
                    {
                        errors.push(format!(
                            "line {line}: product `{}` has different name, status, category or brand than on line {first}",
                            row.slug
                        ));
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        product_fields.insert(row.slug.clone(), fields);
                    }
                }
                rows.push(row);
            }
            Err(message) => errors.push(format!("line {line}: {message}")),
        }
        if errors.len() > MAX_REPORTED {
            break;
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push("the file has no rows below the header".into());
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(CatalogError::Rows(errors))
    }
}

/// `15500000` or `15.500.000` (dots only as thousands separators, in groups of three).
fn whole_number(text: &str) -> Option<i64> {
    let groups: Vec<&str> = text.split('.').collect();
    let well_grouped = groups.len() == 1
        || (!groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3));
    if !well_grouped
        || groups
            .iter()
            .any(|g| !g.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    groups.concat().parse().ok()
}

fn parse_row(
    line: u64,
    get: &dyn Fn(&str) -> String,
    categories: &HashMap<String, i32>,
    brands: &HashMap<String, i32>,
    warehouses: &[warehouse::Model],
) -> Result<Row, String> {
    let slug = get("product_slug");
    check_slug(&slug).map_err(|e| format!("product_slug: {e}"))?;
    let name = get("product_name");
    if name.chars().count() < 2 || name.chars().count() > 200 {
        return Err("product_name must be 2–200 characters".into());
    }
    let status = get("status").to_lowercase();
    if !STATUSES.contains(&status.as_str()) {
        return Err(format!(
            "status `{status}` is not one of draft, active, archived"
        ));
    }
    let category_slug = get("category");
    let category_id = *categories
        .get(&category_slug)
        .ok_or_else(|| format!("category `{category_slug}` does not exist"))?;
    let brand_slug = get("brand");
    let brand_id = if brand_slug.is_empty() {
        None
    } else {
        Some(
            *brands
                .get(&brand_slug)
                .ok_or_else(|| format!("brand `{brand_slug}` does not exist"))?,
        )
    };
    let integer = |column: &str, text: &str| -> Result<i64, String> {
        whole_number(text).ok_or_else(|| {
            format!("{column} `{text}` is not a whole number (in the smallest unit, e.g. 15500000)")
        })
    };
    let price = integer("price", &get("price"))?;
    let compare = get("compare_at_price");
    let compare_at_price = if compare.is_empty() {
        None
    } else {
        Some(integer("compare_at_price", &compare)?)
    };
    let weight = get("weight_grams");
    let weight_grams = if weight.is_empty() {
        0
    } else {
        i32::try_from(integer("weight_grams", &weight)?)
            .map_err(|_| format!("weight_grams `{weight}` is too large"))?
    };
    let active = match get("active").to_lowercase().as_str() {
        "" | "true" | "yes" | "1" | "ya" => true,
        "false" | "no" | "0" | "tidak" => false,
        other => return Err(format!("active `{other}` is not true or false")),
    };
    let barcode = get("barcode");
    let variant = VariantInput {
        sku: get("sku"),
        title: get("variant_title"),
        options: get("options"),
        price,
        compare_at_price,
        weight_grams,
        barcode: (!barcode.is_empty()).then_some(barcode),
        active,
    };
    let on_hand = get("on_hand");
    let stock = if on_hand.is_empty() {
        None
    } else {
        let units = i32::try_from(integer("on_hand", &on_hand)?)
            .ok()
            .filter(|u| *u <= inventory::adjust::MAX_ON_HAND)
            .ok_or_else(|| format!("on_hand `{on_hand}` is too large"))?;
        let code = get("warehouse").to_uppercase();
        let warehouse = if code.is_empty() {
            warehouses
                .iter()
                .find(|w| w.active)
                .ok_or("on_hand needs a warehouse, and the shop has no active one yet")?
        } else {
            warehouses
                .iter()
                .find(|w| w.code == code)
                .ok_or_else(|| format!("warehouse `{code}` does not exist"))?
        };
        Some((warehouse.id, units))
    };
    let (sku, options_json) = check_variant(&variant).map_err(|e| match e {
        CatalogError::Invalid { field, message } => format!("{field}: {message}"),
        other => other.to_string(),
    })?;
    Ok(Row {
        line,
        slug,
        name,
        status,
        category_id,
        brand_id,
        description: get("description"),
        sku,
        options_json,
        variant,
        stock,
    })
}

#[cfg(test)]
mod tests {
    use super::whole_number;

    #[test]
    fn numbers_take_thousands_dots_but_not_decimals() {
        assert_eq!(whole_number("15500000"), Some(15_500_000));
        assert_eq!(whole_number("15.500.000"), Some(15_500_000));
        assert_eq!(whole_number("155000.50"), None);
        assert_eq!(whole_number("1.5"), None);
        assert_eq!(whole_number("-5"), None);
        assert_eq!(whole_number(""), None);
    }
}
