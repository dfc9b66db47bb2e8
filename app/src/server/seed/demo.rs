//! The demo shop's catalogue: a believable Indonesian store of 200+ products across the
//! category tree, with brands, variants, descriptions, ratings and opening stock in both
//! warehouses. Deterministic, and loaded idempotently by `pasar seed`.

use chrono::{Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set, TransactionTrait,
};

use crate::server::{
    catalog::{manage::CatalogError, refresh_products, slugify},
    db::{brand, category, order, order_item, product, product_image, product_variant},
    inventory,
    media::{self, MediaError, MediaStore},
};

/// (slug, name, parent slug)
pub const CATEGORIES: &[(&str, &str, Option<&str>)] = &[
    ("fashion-pria", "Fashion Pria", None),
    ("kemeja-pria", "Kemeja Pria", Some("fashion-pria")),
    ("kaos-pria", "Kaos Pria", Some("fashion-pria")),
    ("fashion-wanita", "Fashion Wanita", None),
    ("dress", "Dress", Some("fashion-wanita")),
    ("hijab", "Hijab", Some("fashion-wanita")),
    ("sepatu", "Sepatu", None),
    ("sepatu-lari", "Sepatu Lari", Some("sepatu")),
    ("sneakers", "Sneakers", Some("sepatu")),
    ("elektronik", "Elektronik", None),
    ("smartphone", "Smartphone", Some("elektronik")),
    ("audio", "Audio", Some("elektronik")),
    ("rumah-tangga", "Rumah Tangga", None),
    ("peralatan-dapur", "Peralatan Dapur", Some("rumah-tangga")),
    ("makanan-minuman", "Makanan & Minuman", None),
    ("kopi-teh", "Kopi & Teh", Some("makanan-minuman")),
    ("camilan", "Camilan", Some("makanan-minuman")),
    ("kecantikan", "Kecantikan", None),
    ("perawatan-wajah", "Perawatan Wajah", Some("kecantikan")),
    ("olahraga", "Olahraga", None),
    ("buku", "Buku", None),
    ("mainan-anak", "Mainan Anak", None),
];

/// How a category's products vary.
#[derive(Clone, Copy)]
pub enum Axis {
    /// Clothing sizes and colours.
    Apparel,
    /// EU shoe sizes.
    Shoes,
    /// Colours only.
    Colour,
    /// Storage sizes and colours (phones).
    Storage,
    /// Pack weights (food, drink).
    Weight,
    /// A single variant.
    Single,
}

/// A leaf category's line-up: brands, item names with a base price in rupiah, variant axis,
/// and a sentence used in descriptions.
pub struct Lineup {
    pub category: &'static str,
    pub brands: &'static [&'static str],
    pub items: &'static [(&'static str, i64)],
    pub axis: Axis,
    pub blurb: &'static str,
}

pub const LINEUPS: &[Lineup] = &[
    Lineup {
        category: "kemeja-pria",
        brands: &["Batik Keris", "Kalamata"],
        items: &[("Kemeja Batik Parang Lengan Panjang", 289_000), ("Kemeja Batik Kawung Slim Fit", 259_000), ("Kemeja Flanel Kotak", 189_000), ("Kemeja Oxford Putih", 199_000), ("Kemeja Linen Santai", 229_000), ("Kemeja Denim Biru", 249_000)],
        axis: Axis::Apparel,
        blurb: "Bahan adem dan nyaman dipakai seharian, jahitan rapi, cocok untuk kerja maupun kondangan.",
    },
    Lineup {
        category: "kaos-pria",
        brands: &["Erigo", "Cottonink"],
        items: &[("Kaos Polos Cotton Combed 30s", 69_000), ("Kaos Oversize Grafis Nusantara", 119_000), ("Kaos Polo Pique", 149_000), ("Kaos Henley Lengan Panjang", 129_000), ("Kaos Raglan Baseball", 99_000), ("Kaos Olahraga Dry-Fit", 89_000)],
        axis: Axis::Apparel,
        blurb: "Katun lembut yang menyerap keringat, warna tidak mudah pudar setelah dicuci.",
    },
    Lineup {
        category: "dress",
        brands: &["Cottonink", "Buttonscarves"],
        items: &[("Dress Midi Motif Bunga", 279_000), ("Dress Kaftan Rayon", 239_000), ("Dress Batik Modern", 319_000), ("Dress Maxi Ceruty", 299_000), ("Dress Linen Kancing Depan", 269_000), ("Dress Tunik Polos", 189_000)],
        axis: Axis::Apparel,
        blurb: "Potongan jatuh yang anggun, bahan ringan dan tidak menerawang.",
    },
    Lineup {
        category: "hijab",
        brands: &["Buttonscarves", "Elzatta"],
        items: &[("Hijab Segi Empat Voal", 89_000), ("Pashmina Ceruty Babydoll", 59_000), ("Hijab Instan Bergo", 75_000), ("Pashmina Kaos Rayon", 49_000), ("Hijab Motif Printing", 129_000), ("Inner Ninja Rajut", 25_000)],
        axis: Axis::Colour,
        blurb: "Mudah dibentuk, tidak licin, dan nyaman untuk aktivitas sehari-hari.",
    },
    Lineup {
        category: "sepatu-lari",
        brands: &["Ortuseight", "910 Nineten"],
        items: &[("Sepatu Lari Hyperglide", 499_000), ("Sepatu Lari Jogosala", 429_000), ("Sepatu Lari Trail Rinjani", 589_000), ("Sepatu Lari Ringan Harian", 379_000), ("Sepatu Lari Maraton Carbon", 1_299_000), ("Sepatu Training Gym", 449_000)],
        axis: Axis::Shoes,
        blurb: "Bantalan empuk dan sol anti selip untuk lari pagi di jalan maupun trek.",
    },
    Lineup {
        category: "sneakers",
        brands: &["Compass", "Ventela"],
        items: &[("Sneakers Kanvas Retro Low", 339_000), ("Sneakers Kanvas High", 369_000), ("Sneakers Kulit Putih", 549_000), ("Slip-On Kanvas Hitam", 259_000), ("Sneakers Suede Cokelat", 499_000), ("Sneakers Platform", 419_000)],
        axis: Axis::Shoes,
        blurb: "Desain klasik buatan lokal, sol vulkanisir yang awet.",
    },
    Lineup {
        category: "smartphone",
        brands: &["Samsung", "Xiaomi", "Infinix"],
        items: &[("Smartphone 5G Layar AMOLED", 3_499_000), ("Smartphone Kamera 108MP", 2_799_000), ("Smartphone Gaming 120Hz", 4_299_000), ("Smartphone Lipat", 15_500_000)],
        axis: Axis::Storage,
        blurb: "Garansi resmi Indonesia, baterai tahan seharian dan pengisian cepat.",
    },
    Lineup {
        category: "audio",
        brands: &["JBL", "Sony", "Robot"],
        items: &[("Earbuds TWS Noise Cancelling", 899_000), ("Headphone Bluetooth Over-Ear", 1_299_000), ("Speaker Bluetooth Portabel", 599_000), ("Earphone Kabel Bass", 99_000)],
        axis: Axis::Colour,
        blurb: "Suara jernih dengan bass mantap, koneksi Bluetooth stabil.",
    },
    Lineup {
        category: "peralatan-dapur",
        brands: &["Miyako", "Cosmos", "Maspion"],
        items: &[("Rice Cooker Digital 1.8 L", 459_000), ("Blender Kaca 2 in 1", 389_000), ("Kompor Gas 2 Tungku", 529_000), ("Panci Set Anti Lengket", 349_000), ("Air Fryer 4 L", 799_000), ("Dispenser Air Galon Bawah", 1_149_000)],
        axis: Axis::Single,
        blurb: "Hemat listrik, mudah dibersihkan, bergaransi resmi.",
    },
    Lineup {
        category: "kopi-teh",
        brands: &["Kopi Kenangan", "Kapal Api", "Teh Sariwangi"],
        items: &[("Kopi Arabika Gayo Biji", 95_000), ("Kopi Robusta Lampung Bubuk", 45_000), ("Kopi Toraja Kalosi", 110_000), ("Teh Melati Tubruk", 25_000), ("Teh Hijau Celup", 18_000)],
        axis: Axis::Weight,
        blurb: "Dipanen dan diolah di Indonesia, aroma kuat dan segar.",
    },
    Lineup {
        category: "camilan",
        brands: &["Maicih", "Kusuka", "Chitato"],
        items: &[("Keripik Singkong Pedas", 15_000), ("Keripik Kentang Rumput Laut", 12_500), ("Basreng Pedas Daun Jeruk", 20_000), ("Makaroni Bantat", 14_000), ("Kerupuk Kulit Sapi", 35_000)],
        axis: Axis::Weight,
        blurb: "Renyah, gurih, dan cocok untuk teman nonton atau bekal.",
    },
    Lineup {
        category: "perawatan-wajah",
        brands: &["Wardah", "Somethinc", "Emina"],
        items: &[("Serum Niacinamide 10%", 119_000), ("Sabun Cuci Muka Gentle", 45_000), ("Sunscreen SPF 50 PA++++", 79_000), ("Toner Hydrating", 89_000), ("Moisturizer Gel", 99_000)],
        axis: Axis::Single,
        blurb: "Halal, teruji dermatologis, dan cocok untuk iklim tropis.",
    },
    Lineup {
        category: "olahraga",
        brands: &["Specs", "Kettler", "Ortuseight"],
        items: &[("Matras Yoga 6 mm", 189_000), ("Bola Futsal Size 4", 249_000), ("Dumbbell Set 10 kg", 399_000), ("Raket Badminton Carbon", 459_000), ("Jersey Sepeda", 219_000)],
        axis: Axis::Single,
        blurb: "Perlengkapan olahraga yang kuat dan nyaman untuk latihan rutin.",
    },
    Lineup {
        category: "buku",
        brands: &["Gramedia", "Mizan", "Bentang Pustaka"],
        items: &[("Novel Laskar Pelangi", 99_000), ("Buku Resep Masakan Nusantara", 149_000), ("Buku Belajar Pemrograman Rust", 189_000), ("Kamus Bahasa Indonesia", 129_000), ("Komik Si Juki", 69_000)],
        axis: Axis::Single,
        blurb: "Cetakan asli dari penerbit, kertas tebal dan jilid rapi.",
    },
    Lineup {
        category: "mainan-anak",
        brands: &["Lego", "Hot Wheels", "Boneka Si Unyil"],
        items: &[("Balok Susun Kreatif 500 pcs", 349_000), ("Mobil Die-cast Set 5", 159_000), ("Boneka Karakter Lokal", 119_000), ("Puzzle Peta Indonesia", 89_000), ("Mainan Masak-masakan", 199_000)],
        axis: Axis::Single,
        blurb: "Aman untuk anak (SNI), melatih kreativitas dan motorik.",
    },
];

fn variants_for(axis: Axis, base: i64, seed: u64) -> Vec<(String, serde_json::Value, i64, i32)> {
    // (title, options, price, weight in grams)
    let colours = ["Hitam", "Putih", "Navy", "Merah Marun", "Hijau Army"];
    let pick = |n: usize| colours[(seed as usize + n) % colours.len()];
    match axis {
        Axis::Apparel => ["S", "M", "L", "XL"]
            .iter()
            .flat_map(|size| {
                [pick(0), pick(1)].map(|colour| {
                    let extra = if *size == "XL" { 10_000 } else { 0 };
                    (
                        format!("{size} / {colour}"),
                        serde_json::json!({ "Ukuran": size, "Warna": colour }),
                        base + extra,
                        250,
                    )
                })
            })
            .collect(),
        Axis::Shoes => (39..=43)
            .map(|size| {
                (
                    format!("EU {size}"),
                    serde_json::json!({ "Ukuran": size.to_string() }),
                    base,
                    800,
                )
            })
            .collect(),
        Axis::Colour => (0..3)
            .map(|n| {
                (
                    pick(n).to_string(),
                    serde_json::json!({ "Warna": pick(n) }),
                    base,
                    150,
                )
            })
            .collect(),
        Axis::Storage => [("128 GB", 0), ("256 GB", 700_000), ("512 GB", 1_900_000)]
            .iter()
            .flat_map(|(storage, extra)| {
                [pick(0), pick(2)].map(|colour| {
                    (
                        format!("{storage} / {colour}"),
                        serde_json::json!({ "Penyimpanan": storage, "Warna": colour }),
                        base + extra,
                        210,
                    )
                })
            })
            .collect(),
        Axis::Weight => [("100 g", 100, 0), ("250 g", 250, 1), ("1 kg", 1000, 3)]
            .iter()
            .map(|(label, grams, factor)| {
                let price = if *factor == 0 {
                    base
                } else {
                    base * factor * 2 - base / 4
                };
                (
                    label.to_string(),
                    serde_json::json!({ "Berat": label }),
                    price / 500 * 500,
                    *grams,
                )
            })
            .collect(),
        Axis::Single => vec![("Standar".into(), serde_json::json!({}), base, 1200)],
    }
}

/// Loads the demo catalogue; products that already exist (by slug) are left alone, so running
/// it again adds nothing. Returns how many products were created.
pub async fn seed_demo_catalog(db: &DatabaseConnection) -> Result<usize, DbErr> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let mut category_ids = std::collections::HashMap::new();
    for (position, (slug, name, parent)) in CATEGORIES.iter().enumerate() {
        let existing = category::Entity::find()
            .filter(category::Column::Slug.eq(*slug))
            .one(&txn)
            .await?;
        let id = match existing {
            Some(c) => c.id,
            None => {
                category::ActiveModel {
                    parent_id: Set(parent.and_then(|p| category_ids.get(p).copied())),
                    slug: Set(slug.to_string()),
                    name: Set(name.to_string()),
                    description: Set(format!(
                        "Belanja {} pilihan dengan harga terbaik.",
                        name.to_lowercase()
                    )),
                    position: Set(position as i32),
                    created_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?
                .id
            }
        };
        category_ids.insert(*slug, id);
    }
    let warehouses = inventory::ensure_demo_warehouses(&txn).await?;
    let mut created = 0;
    let mut seq: u64 = 0;
    for lineup in LINEUPS {
        let category_id = category_ids[lineup.category];
        for brand_name in lineup.brands {
            let brand_slug = slugify(brand_name);
            let brand_id = match brand::Entity::find()
                .filter(brand::Column::Slug.eq(&brand_slug))
                .one(&txn)
                .await?
            {
                Some(b) => b.id,
                None => {
                    brand::ActiveModel {
                        slug: Set(brand_slug),
                        name: Set(brand_name.to_string()),
                        created_at: Set(now),
                        ..Default::default()
                    }
                    .insert(&txn)
                    .await?
                    .id
                }
            };
            for (item, base_price) in lineup.items {
                seq += 1;
                let name = format!("{brand_name} {item}");
                let slug = slugify(&name);
                if product::Entity::find()
                    .filter(product::Column::Slug.eq(&slug))
                    .one(&txn)
                    .await?
                    .is_some()
                {
                    continue;
                }
                let description = format!(
                    "**{name}** dari {brand_name}.\n\n{}\n\n- Garansi 7 hari tukar barang\n- Dikirim dari Jakarta atau Surabaya\n- Harga sudah termasuk PPN",
                    lineup.blurb
                );
                let rating = 350 + ((seq * 37) % 150) as i32;
                let product = product::ActiveModel {
                    slug: Set(slug),
                    name: Set(name),
                    description: Set(description),
                    brand_id: Set(Some(brand_id)),
                    category_id: Set(category_id),
                    status: Set("active".into()),
                    rating_hundredths: Set(rating),
                    rating_count: Set(((seq * 53) % 400) as i32 + 3),
                    sales_count: Set(((seq * 7919) % 5000) as i64),
                    price_min: Set(0),
                    price_max: Set(0),
                    available: Set(0),
                    // Spread creation times so "newest" has a visible order.
                    created_at: Set(now - Duration::hours(seq as i64 * 5)),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                let mut stock = Vec::new();
                for (position, (title, options, price, grams)) in
                    variants_for(lineup.axis, *base_price, seq)
                        .into_iter()
                        .enumerate()
                {
                    let variant = product_variant::ActiveModel {
                        product_id: Set(product.id),
                        sku: Set(format!("PSR-{:04}-{:02}", product.id, position + 1)),
                        title: Set(title),
                        options: Set(options.to_string()),
                        price: Set(price),
                        compare_at_price: Set(seq
                            .is_multiple_of(5)
                            .then_some(price + price / 5 / 500 * 500)),
                        weight_grams: Set(grams),
                        barcode: Set(Some(format!(
                            "899{:010}",
                            product.id as u64 * 100 + position as u64
                        ))),
                        active: Set(true),
                        position: Set(position as i32),
                        created_at: Set(now),
                        updated_at: Set(now),
                        ..Default::default()
                    }
                    .insert(&txn)
                    .await?;
                    for (w, warehouse) in warehouses.iter().enumerate() {
                        // Every 9th product is sold out; the rest have 0–40 units per warehouse.
                        let quantity = if seq.is_multiple_of(9) {
                            0
                        } else {
                            ((seq * 13 + position as u64 * 7 + w as u64 * 11) % 41) as i32
                        };
                        stock.push((variant.id, warehouse.id, quantity));
                    }
                }
                inventory::receive_opening_stock(&txn, &stock, "seed:demo").await?;
                refresh_products(&txn, &[product.id]).await?;
                created += 1;
            }
        }
    }
    txn.commit().await?;
    Ok(created)
}

/// Pictures drawn locally for every demo product that has none yet (480 px; a second view for
/// every fourth product, so galleries show too), resized like an upload. Idempotent; renditions missing from disk (a fresh media folder next to an old
/// database) are drawn again. Runs two products at a time on the blocking pool.
pub async fn seed_demo_images(
    db: &DatabaseConnection,
    media: &MediaStore,
    mut progress: impl FnMut(usize, usize),
) -> Result<usize, CatalogError> {
    use futures::StreamExt;

    // Only the demo lineup: synthetic benchmark products stay without pictures.
    let demo_slugs: Vec<String> = LINEUPS
        .iter()
        .flat_map(|l| {
            l.brands.iter().flat_map(move |b| {
                l.items
                    .iter()
                    .map(move |(item, _)| slugify(&format!("{b} {item}")))
            })
        })
        .collect();
    let products = product::Entity::find()
        .filter(product::Column::Slug.is_in(demo_slugs))
        .order_by_asc(product::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = products.iter().map(|p| p.id).collect();
    let existing = product_image::Entity::find()
        .filter(product_image::Column::ProductId.is_in(ids))
        .all(db)
        .await?;
    let mut todo = Vec::new();
    for p in products {
        let images: Vec<&product_image::Model> =
            existing.iter().filter(|i| i.product_id == p.id).collect();
        let complete = !images.is_empty()
            && images
                .iter()
                .all(|i| media.has_all(&i.path, i.width.max(1) as u32));
        if !complete && images.iter().all(|i| i.path.contains("/demo-")) {
            todo.push((p, images.iter().map(|i| i.id).collect::<Vec<_>>()));
        }
    }
    let total = todo.len();
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let mut drawn = futures::stream::iter(todo.into_iter().map(|(p, old)| {
        let media = media.clone();
        async move {
            let seed = p
                .slug
                .bytes()
                .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
            let hue = ((p.category_id as u32) * 67) % 360;
            let pictures = tokio::task::spawn_blocking(move || {
                let views = if p.id % 4 == 1 { 2 } else { 1 };
                (0..views)
                    .map(|n| {
                        let picture = media::demo_picture(seed + n, hue, 480);
                        media.store_decoded(p.id, &picture, &format!("demo-{}", seed % 100_000 + n))
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .await
            .map_err(|e| MediaError::Storage(std::io::Error::other(e)))?;
            Ok::<_, CatalogError>((p, old, pictures?))
        }
    }))
    .buffer_unordered(workers);
    let mut done = 0;
    while let Some(result) = drawn.next().await {
        let (p, old, pictures) = result?;
        let txn = db.begin().await?;
        product_image::Entity::delete_many()
            .filter(product_image::Column::Id.is_in(old))
            .exec(&txn)
            .await?;
        for (position, stored) in pictures.into_iter().enumerate() {
            product_image::ActiveModel {
                product_id: Set(p.id),
                position: Set(position as i32),
                path: Set(stored.key),
                alt: Set(if position == 0 {
                    p.name.clone()
                } else {
                    format!("{} — tampak lain", p.name)
                }),
                width: Set(stored.width as i32),
                height: Set(stored.height as i32),
                webp: Set(stored.webp),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
        txn.commit().await?;
        done += 1;
        if done % 25 == 0 || done == total {
            progress(done, total);
        }
    }
    Ok(done)
}

/// A paid, delivered demo order for `user_id` with two products, so the demo customer can
/// write reviews. Idempotent (by its order number).
pub async fn seed_demo_order(db: &DatabaseConnection, user_id: i32) -> Result<bool, DbErr> {
    const NUMBER: &str = "PSR-DEMO-0001";
    if order::Entity::find()
        .filter(order::Column::Number.eq(NUMBER))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(false);
    }
    let variants = product_variant::Entity::find()
        .order_by_asc(product_variant::Column::Id)
        .limit(40)
        .all(db)
        .await?;
    let mut picked: Vec<product_variant::Model> = Vec::new();
    for v in variants {
        if picked.len() < 2 && !picked.iter().any(|p| p.product_id == v.product_id) {
            picked.push(v);
        }
    }
    if picked.is_empty() {
        return Ok(false);
    }
    let names = product_names(db, picked.iter().map(|v| v.product_id)).await?;
    let subtotal: i64 = picked.iter().map(|v| v.price).sum();
    let tax = crate::model::compute_ppn(subtotal, crate::model::TaxRule::INDONESIA);
    let (dpp, ppn) = (tax.dpp, tax.ppn);
    let placed = Utc::now() - Duration::days(12);
    let txn = db.begin().await?;
    let saved = order::ActiveModel {
        number: Set(NUMBER.into()),
        user_id: Set(Some(user_id)),
        email: Set(crate::server::seed::DEMO_CUSTOMER_EMAIL.into()),
        status: Set("delivered".into()),
        payment_status: Set("paid".into()),
        currency: Set("IDR".into()),
        subtotal: Set(subtotal),
        shipping_total: Set(0),
        dpp: Set(dpp),
        ppn: Set(ppn),
        grand_total: Set(subtotal),
        shipping_address: Set(r#"{"recipient":"Budi Santoso","city":"Jakarta Selatan","province":"DKI Jakarta","postal_code":"12730"}"#.into()),
        shipping_method: Set(Some("demo".into())),
        idempotency_key: Set(None),
        tracking_number: Set(Some("DEMO123456789".into())),
        expires_at: Set(None),
        paid_at: Set(Some(placed)),
        created_at: Set(placed),
        updated_at: Set(placed),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let lines: Vec<(&product_variant::Model, i32)> = picked.iter().map(|v| (v, 1)).collect();
    insert_lines(&txn, saved.id, &lines, &names).await?;
    txn.commit().await?;
    Ok(true)
}

/// Order numbers of the demo sales history start with this.
pub const DEMO_SALES_PREFIX: &str = "PSR-DEMO-S";

/// A month of delivered guest orders (a few a day, two to fourteen, busier at weekends), with
/// their `order.paid` facts and a declined attempt now and then, so the demo's dashboard and
/// reorder suggestions have a history to show. The facts are marked mailed (no demo email
/// goes out) and left for analytics to count. Stock is not touched: these units left before
/// the demo's stock was counted. Idempotent (by the number prefix). Returns the orders made.
pub async fn seed_demo_sales(db: &DatabaseConnection, days: i64) -> Result<usize, DbErr> {
    use crate::server::{db::outbox_event, orders::outbox::outbox_row};
    if order::Entity::find()
        .filter(order::Column::Number.starts_with(DEMO_SALES_PREFIX))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(0);
    }
    let variants = product_variant::Entity::find()
        .filter(product_variant::Column::Active.eq(true))
        .order_by_asc(product_variant::Column::Id)
        .all(db)
        .await?;
    if variants.is_empty() {
        return Ok(0);
    }
    // The walk below only visits the first 60 variants.
    let variants = &variants[..variants.len().min(60)];
    let names = product_names(db, variants.iter().map(|v| v.product_id)).await?;
    const METHODS: [&str; 5] = ["qris", "gopay", "card", "bank_transfer", "alfamart"];
    // A fixed walk through the catalogue (no randomness: every demo shop has the same month).
    let mut step: usize = 7;
    let mut next = |modulo: usize| {
        step = (step * 31 + 17) % 1_000_003;
        step % modulo.max(1)
    };
    let now = Utc::now();
    let mut made = 0;
    let txn = db.begin().await?;
    for back in (1..=days).rev() {
        let day = now - Duration::days(back);
        let weekend = matches!(
            chrono::Datelike::weekday(&day),
            chrono::Weekday::Sat | chrono::Weekday::Sun
        );
        let orders = 2 + next(if weekend { 13 } else { 8 });
        for i in 0..orders {
            let at = day - Duration::minutes(next(600) as i64);
            // A fifth of the buyers come back (the same address a few days apart).
            let buyer = if i % 5 == 0 { next(12) } else { 100 + made };
            let lines: Vec<(&product_variant::Model, i32)> = (0..1 + next(3))
                .map(|_| (&variants[next(variants.len())], 1 + next(2) as i32))
                .collect();
            let subtotal: i64 = lines.iter().map(|(v, q)| v.price * i64::from(*q)).sum();
            let tax = crate::model::compute_ppn(subtotal, crate::model::TaxRule::INDONESIA);
            let method = METHODS[next(METHODS.len())];
            let number = format!("{DEMO_SALES_PREFIX}{:04}", made + 1);
            let saved = order::ActiveModel {
                number: Set(number.clone()),
                user_id: Set(None),
                email: Set(format!("pembeli{buyer}@contoh.id")),
                status: Set("delivered".into()),
                payment_status: Set("paid".into()),
                currency: Set("IDR".into()),
                subtotal: Set(subtotal),
                shipping_total: Set(0),
                dpp: Set(tax.dpp),
                ppn: Set(tax.ppn),
                grand_total: Set(subtotal),
                shipping_address: Set(r#"{"recipient":"Pembeli Demo","city":"Bandung","province":"Jawa Barat","postal_code":"40132"}"#.into()),
                shipping_method: Set(Some("demo".into())),
                payment_method: Set(method.into()),
                access_token: Set(format!("demo-sales-{}", made + 1)),
                paid_at: Set(Some(at)),
                delivered_at: Set(Some(at + Duration::days(2))),
                created_at: Set(at),
                updated_at: Set(at),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            insert_lines(&txn, saved.id, &lines, &names).await?;
            let mut facts = vec![("order.paid", at)];
            if next(6) == 0 {
                facts.insert(0, ("payment.failed", at - Duration::minutes(3)));
            }
            for (kind, when) in facts {
                let mut fact = outbox_row(
                    kind,
                    &number,
                    serde_json::json!({ "order_id": saved.id, "number": number }),
                );
                fact.created_at = Set(when);
                fact.processed_at = Set(Some(now));
                outbox_event::Entity::insert(fact).exec(&txn).await?;
            }
            made += 1;
        }
    }
    txn.commit().await?;
    Ok(made)
}

/// The names of these products, by id (an order line keeps the name it was sold under).
async fn product_names(
    db: &DatabaseConnection,
    ids: impl Iterator<Item = i32>,
) -> Result<std::collections::HashMap<i32, String>, DbErr> {
    let ids: std::collections::BTreeSet<i32> = ids.collect();
    Ok(product::Entity::find()
        .filter(product::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect())
}

/// One order line per `(variant, quantity)`, at the variant's price.
async fn insert_lines(
    txn: &sea_orm::DatabaseTransaction,
    order_id: i32,
    lines: &[(&product_variant::Model, i32)],
    names: &std::collections::HashMap<i32, String>,
) -> Result<(), DbErr> {
    for (v, quantity) in lines {
        order_item::ActiveModel {
            order_id: Set(order_id),
            product_id: Set(v.product_id),
            variant_id: Set(Some(v.id)),
            warehouse_id: Set(None),
            sku: Set(v.sku.clone()),
            name: Set(names.get(&v.product_id).cloned().unwrap_or_default()),
            options: Set(v.options.clone()),
            unit_price: Set(v.price),
            quantity: Set(*quantity),
            line_total: Set(v.price * i64::from(*quantity)),
            ..Default::default()
        }
        .insert(txn)
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_catalogue_is_big_enough() {
        let products: usize = LINEUPS.iter().map(|l| l.items.len() * l.brands.len()).sum();
        assert!(products >= 200, "{products} products");
        let leaf_and_top = CATEGORIES.len();
        assert!(leaf_and_top >= 10);
        let brands: std::collections::HashSet<&str> = LINEUPS
            .iter()
            .flat_map(|l| l.brands.iter().copied())
            .collect();
        assert!(brands.len() >= 15, "{} brands", brands.len());
    }
}
