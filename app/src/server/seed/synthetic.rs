//! Synthetic products for benchmarks (`pasar seed --products N`).
use std::collections::HashMap;

use chrono::Utc;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    PaginatorTrait, QueryFilter, Set, TransactionTrait,
};

use crate::server::{
    catalog::refresh_products,
    db::{brand, category, product, product_variant},
    inventory,
};

const NOUNS: [&str; 24] = [
    "Kemeja Batik",
    "Sepatu Lari",
    "Tas Ransel",
    "Kopi Arabika",
    "Teh Melati",
    "Kaos Polos",
    "Celana Chino",
    "Jaket Hoodie",
    "Headphone Nirkabel",
    "Powerbank",
    "Blender",
    "Rice Cooker",
    "Sajadah",
    "Mukena",
    "Sambal Bawang",
    "Keripik Singkong",
    "Sabun Cuci Muka",
    "Serum Wajah",
    "Botol Minum",
    "Kursi Lipat",
    "Lampu Meja",
    "Jam Tangan",
    "Sandal Jepit",
    "Payung Lipat",
];
const ADJECTIVES: [&str; 12] = [
    "Premium",
    "Klasik",
    "Modern",
    "Ringan",
    "Anti Air",
    "Organik",
    "Elegan",
    "Sporty",
    "Mini",
    "Jumbo",
    "Original",
    "Eksklusif",
];
const SIZES: [&str; 4] = ["S", "M", "L", "XL"];
const COLOURS: [&str; 5] = ["Hitam", "Putih", "Navy", "Merah", "Hijau"];

/// Deterministic pseudo-random numbers (SplitMix64), so generated data is repeatable.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

async fn ensure_category(db: &impl ConnectionTrait, slug: &str, name: &str) -> Result<i32, DbErr> {
    if let Some(found) = category::Entity::find()
        .filter(category::Column::Slug.eq(slug))
        .one(db)
        .await?
    {
        return Ok(found.id);
    }
    Ok(category::ActiveModel {
        parent_id: Set(None),
        slug: Set(slug.into()),
        name: Set(name.into()),
        description: Set(String::new()),
        position: Set(999),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?
    .id)
}

async fn ensure_brand(db: &impl ConnectionTrait, slug: &str, name: &str) -> Result<i32, DbErr> {
    if let Some(found) = brand::Entity::find()
        .filter(brand::Column::Slug.eq(slug))
        .one(db)
        .await?
    {
        return Ok(found.id);
    }
    Ok(brand::ActiveModel {
        slug: Set(slug.into()),
        name: Set(name.into()),
        created_at: Set(Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?
    .id)
}

/// Adds `count` synthetic active products (one to four variants each, stock in every
/// warehouse) in batches of 500, each batch one transaction. Returns how many were added.
pub async fn generate_synthetic_products(
    db: &DatabaseConnection,
    count: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize, DbErr> {
    const BATCH: usize = 500;
    let category_id = ensure_category(db, "produk-uji", "Produk Uji").await?;
    let brand_ids = [
        ensure_brand(db, "merek-uji-nusantara", "Nusantara Uji").await?,
        ensure_brand(db, "merek-uji-samudra", "Samudra Uji").await?,
        ensure_brand(db, "merek-uji-garuda", "Garuda Uji").await?,
    ];
    let warehouses = inventory::ensure_demo_warehouses(db).await?;
    let start = product::Entity::find()
        .filter(product::Column::CategoryId.eq(category_id))
        .count(db)
        .await? as usize;
    let mut rng = Sequence(start as u64 + 1);
    let mut added = 0;
    while added < count {
        let size = BATCH.min(count - added);
        let txn = db.begin().await?;
        let now = Utc::now();
        let first = start + added;
        let mut slugs = Vec::with_capacity(size);
        let mut products = Vec::with_capacity(size);
        for i in first..first + size {
            let name = format!(
                "{} {} {}",
                NOUNS[rng.below(NOUNS.len() as u64) as usize],
                ADJECTIVES[rng.below(ADJECTIVES.len() as u64) as usize],
                i + 1
            );
            let slug = format!("produk-uji-{}", i + 1);
            slugs.push(slug.clone());
            products.push(product::ActiveModel {
                slug: Set(slug),
                description: Set(format!("{name}: produk sintetis untuk uji beban.")),
                name: Set(name),
                brand_id: Set(Some(brand_ids[rng.below(3) as usize])),
                category_id: Set(category_id),
                status: Set("active".into()),
                rating_hundredths: Set(300 + rng.below(201) as i32),
                rating_count: Set(rng.below(500) as i32),
                sales_count: Set(rng.below(10_000) as i64),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
        product::Entity::insert_many(products)
            .exec_without_returning(&txn)
            .await?;
        let ids: HashMap<String, i32> = product::Entity::find()
            .filter(product::Column::Slug.is_in(slugs.clone()))
            .all(&txn)
            .await?
            .into_iter()
            .map(|p| (p.slug, p.id))
            .collect();

        let mut skus = Vec::new();
        let mut variants = Vec::new();
        for slug in &slugs {
            let product_id = ids[slug];
            let base_price = (15_000 + rng.below(2_000) * 2_500) as i64;
            let variant_count = 1 + rng.below(4) as usize;
            for v in 0..variant_count {
                let (size, colour) = (
                    SIZES[v % SIZES.len()],
                    COLOURS[rng.below(COLOURS.len() as u64) as usize],
                );
                let sku = format!("UJI-{product_id}-{}", v + 1);
                skus.push(sku.clone());
                variants.push(product_variant::ActiveModel {
                    product_id: Set(product_id),
                    sku: Set(sku),
                    title: Set(format!("{size} / {colour}")),
                    options: Set(serde_json::json!({ "Ukuran": size, "Warna": colour }).to_string()),
                    price: Set(base_price + v as i64 * 5_000),
                    compare_at_price: Set((rng.below(4) == 0).then_some(base_price + 50_000)),
                    weight_grams: Set(100 + rng.below(2_000) as i32),
                    barcode: Set(None),
                    active: Set(true),
                    position: Set(v as i32),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                });
            }
        }
        product_variant::Entity::insert_many(variants)
            .exec_without_returning(&txn)
            .await?;
        let variant_ids: Vec<i32> = product_variant::Entity::find()
            .filter(product_variant::Column::Sku.is_in(skus))
            .all(&txn)
            .await?
            .into_iter()
            .map(|v| v.id)
            .collect();
        let stock: Vec<(i32, i32, i32)> = variant_ids
            .iter()
            .flat_map(|&variant| warehouses.iter().map(move |w| (variant, w.id)))
            .map(|(variant, warehouse)| (variant, warehouse, rng.below(60) as i32))
            .collect();
        for chunk in stock.chunks(1_000) {
            inventory::receive_opening_stock(&txn, chunk, "seed:synthetic").await?;
        }
        refresh_products(&txn, &ids.values().copied().collect::<Vec<_>>()).await?;
        txn.commit().await?;
        added += size;
        progress(added, count);
        // Fresh planner statistics every 10,000 products: with the counts of an almost empty
        // table PostgreSQL hash-joins all of `stock_levels` for each product in
        // `refresh_products`, and a 100,000-product load slows from seconds to many minutes.
        if db.get_database_backend() == sea_orm::DbBackend::Postgres && added % 10_000 == 0 {
            db.execute_unprepared("ANALYZE products, product_variants, stock_levels")
                .await?;
        }
    }
    Ok(added)
}
