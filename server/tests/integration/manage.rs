//! Catalogue management over HTTP, against the real app: picture uploads (type/size checks,
//! renditions, cache headers), product and variant editing with publish/unpublish and cache
//! invalidation, categories, CSV export and all-or-nothing import, and reviews (buyers only, one
//! per customer, average and count kept). Runs on SQLite and, with `DATABASE_URL`, PostgreSQL.

use std::io::Cursor;

use crate::common::{spawn_app, TestApp};
use app::server::db::{order, order_item, product, product_image};
use leptos::server_fn::ServerFn;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::Value;

async fn catalog_app() -> TestApp {
    let app = spawn_app().await;
    app::server::seed::demo::seed_demo_catalog(&app.state.db)
        .await
        .expect("demo catalogue");
    app
}

/// Flat colour blocks: artwork that lossless WebP compresses better than JPEG.
fn png(width: u32, height: u32) -> Vec<u8> {
    encode_png(image::RgbImage::from_fn(width, height, |x, y| {
        if (x / 100 + y / 100) % 2 == 0 {
            image::Rgb([200, 60, 40])
        } else {
            image::Rgb([240, 235, 220])
        }
    }))
}

/// Noise, like a photograph's grain: JPEG wins, so no WebP renditions are kept.
fn noisy_png(width: u32, height: u32) -> Vec<u8> {
    let mut state: u32 = 12345;
    encode_png(image::RgbImage::from_fn(width, height, |_, _| {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let v = (state >> 16) as u8;
        image::Rgb([v, v.wrapping_mul(3), v.wrapping_add(90)])
    }))
}

fn encode_png(img: image::RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// Calls a server function the way a browser form does (URL-encoded POST).
pub(crate) async fn call<F: ServerFn>(
    app: &TestApp,
    client: &reqwest::Client,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let res = client
        .post(app.url(F::PATH))
        .header("origin", &app.base)
        .form(form)
        .send()
        .await
        .expect("server fn call");
    let status = res.status().as_u16();
    let text = res.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn first_product(app: &TestApp) -> product::Model {
    product::Entity::find()
        .filter(product::Column::Status.eq("active"))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("a demo product")
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    id: i32,
    bytes: Vec<u8>,
    json: bool,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("foto.png"),
        )
        .text("alt", "Tampak depan");
    let mut req = client
        .post(app.url(&format!("/admin/products/{id}/images")))
        .header("origin", &app.base)
        .multipart(form);
    req = if json {
        req.header("accept", "application/json")
    } else {
        req.header("accept", "text/html")
    };
    req.send().await.expect("upload")
}

#[tokio::test]
async fn pictures_are_checked_resized_and_served_for_a_year() {
    let app = catalog_app().await;
    let product = first_product(&app).await;
    let visitor = app.new_client();
    let refused = upload(&app, &visitor, product.id, png(400, 300), true).await;
    assert_eq!(refused.status(), 401, "visitors cannot upload");

    app.login_as_admin(&app.client).await;
    let res = upload(&app, &app.client, product.id, png(900, 600), true).await;
    assert_eq!(res.status(), 200);
    let image: Value = res.json().await.unwrap();
    assert_eq!(image["width"], 900);
    assert_eq!(image["height"], 600);
    assert_eq!(image["alt"], "Tampak depan");
    let srcset = image["srcset_webp"].as_str().unwrap();
    for w in ["160w", "320w", "640w", "900w"] {
        assert!(srcset.contains(w), "{srcset}");
    }
    assert!(!srcset.contains("1200w"), "never upscaled: {srcset}");

    let first_url = srcset.split(' ').next().unwrap();
    let file = app.client.get(app.url(first_url)).send().await.unwrap();
    assert_eq!(file.status(), 200);
    assert_eq!(file.headers()["content-type"], "image/webp");
    assert_eq!(
        file.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    let missing = app
        .client
        .get(app.url("/media/products/1/nothing-160.jpg"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing
        .headers()
        .get("cache-control")
        .is_none_or(|v| !v.to_str().unwrap().contains("immutable")));

    // The storefront and the API show it.
    let detail: Value = app
        .client
        .get(app.url(&format!("/api/v1/products/{}", product.slug)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["images"][0]["srcset"].as_str().unwrap(),
        image["srcset"].as_str().unwrap()
    );
    let page = app
        .client
        .get(app.url(&format!("/p/{}", product.slug)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("type=\"image/webp\""),
        "picture element with WebP source"
    );
    assert!(page.contains("width=\"900\"") && page.contains("height=\"600\""));

    // Bad files get a clear message and nothing is stored.
    let pdf = upload(
        &app,
        &app.client,
        product.id,
        b"%PDF-1.7 hello".to_vec(),
        true,
    )
    .await;
    assert_eq!(pdf.status(), 422);
    let body: Value = pdf.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JPEG, PNG, WebP or GIF"),
        "{body}"
    );
    let tiny = upload(&app, &app.client, product.id, png(40, 40), true).await;
    assert_eq!(tiny.status(), 422);
    let huge = upload(
        &app,
        &app.client,
        product.id,
        vec![0x89; 9 * 1024 * 1024],
        true,
    )
    .await;
    assert_eq!(huge.status(), 422, "too large");
    let count = product_image::Entity::find()
        .filter(product_image::Column::ProductId.eq(product.id))
        .all(&app.state.db)
        .await
        .unwrap()
        .len();
    assert_eq!(count, 1);

    // A photograph-like picture: JPEG renditions only (lossless WebP would be bigger).
    let res = upload(&app, &app.client, product.id, noisy_png(500, 500), true).await;
    assert_eq!(res.status(), 200);
    let grainy: Value = res.json().await.unwrap();
    assert_eq!(grainy["srcset_webp"], "");
    assert!(grainy["srcset"].as_str().unwrap().contains("500w"));

    // Without JavaScript the form is answered with a redirect carrying the message.
    let html = upload(
        &app,
        &app.client,
        product.id,
        b"GIF89a broken".to_vec(),
        false,
    )
    .await;
    assert_eq!(html.status(), 303);
    let location = html.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.starts_with(&format!("/admin/products/{}?error=", product.id)),
        "{location}"
    );
}

#[tokio::test]
async fn staff_edit_publish_and_unpublish_products_and_shoppers_see_it_at_once() {
    let app = catalog_app().await;
    app.login_as_admin(&app.client).await;
    let category = app::server::db::category::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let category_id = category.id.to_string();

    // A customer cannot use the admin functions.
    let customer = app.new_client();
    app.register(&customer, "Rina", "rina@pasar.test", "rahasia-rina-1")
        .await;
    let (status, _) = call::<app::api::AdminSaveProduct>(
        &app,
        &customer,
        &[
            ("id", ""),
            ("name", "Nope"),
            ("slug", ""),
            ("description", ""),
            ("category_id", &category_id),
            ("brand_id", ""),
            ("status", "draft"),
        ],
    )
    .await;
    assert_eq!(status, 403);

    let (status, body) = call::<app::api::AdminSaveProduct>(
        &app,
        &app.client,
        &[
            ("id", ""),
            ("name", "Tas Anyaman Rotan Bali"),
            ("slug", ""),
            ("description", "Tas **rotan** asli."),
            ("category_id", &category_id),
            ("brand_id", ""),
            ("status", "draft"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body.as_i64().unwrap() as i32;
    let id_text = id.to_string();
    let saved = product::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(saved.slug, "tas-anyaman-rotan-bali");

    // Same slug again: a field error, not a 500.
    let (status, body) = call::<app::api::AdminSaveProduct>(
        &app,
        &app.client,
        &[
            ("id", ""),
            ("name", "Tas Anyaman Rotan Bali"),
            ("slug", ""),
            ("description", ""),
            ("category_id", &category_id),
            ("brand_id", ""),
            ("status", "draft"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");

    // Publishing needs a sellable variant.
    let (status, body) = call::<app::api::AdminSetProductStatus>(
        &app,
        &app.client,
        &[("id", &id_text), ("status", "active")],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = call::<app::api::AdminSaveVariant>(
        &app,
        &app.client,
        &[
            ("product_id", &id_text),
            ("variant_id", ""),
            ("sku", "tas-rotan-01"),
            ("title", "Natural"),
            ("options", "Warna=Natural"),
            ("price", "350.000"),
            ("compare_at_price", "200000"),
            ("weight_grams", "400"),
            ("barcode", ""),
            ("active", "true"),
        ],
    )
    .await;
    assert_eq!(status, 422, "compare-at below price: {body}");
    let (status, body) = call::<app::api::AdminSaveVariant>(
        &app,
        &app.client,
        &[
            ("product_id", &id_text),
            ("variant_id", ""),
            ("sku", "tas-rotan-01"),
            ("title", "Natural"),
            ("options", "Warna=Natural"),
            ("price", "350.000"),
            ("compare_at_price", ""),
            ("weight_grams", "400"),
            ("barcode", ""),
            ("active", "true"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let variant_id = body.as_i64().unwrap().to_string();

    let missing = app
        .client
        .get(app.url("/api/v1/products/tas-anyaman-rotan-bali"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404, "a draft is not in the shop");
    // Warm the listing cache, then publish: the listing must show the product at once.
    let listed = |page: &Value| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["slug"] == "tas-anyaman-rotan-bali")
            .cloned()
    };
    let before: Value = app
        .client
        .get(app.url("/api/v1/products?q=rotan"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed(&before).is_none());
    let (status, _) = call::<app::api::AdminSetProductStatus>(
        &app,
        &app.client,
        &[("id", &id_text), ("status", "active")],
    )
    .await;
    assert_eq!(status, 200);
    let after: Value = app
        .client
        .get(app.url("/api/v1/products?q=rotan"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let item = listed(&after).expect("published product listed");
    assert_eq!(item["price"]["amount"], 350000);
    assert_eq!(item["price"]["formatted"], "Rp 350.000");

    // A price edit is visible immediately (no stale cached price).
    let (status, body) = call::<app::api::AdminSaveVariant>(
        &app,
        &app.client,
        &[
            ("product_id", &id_text),
            ("variant_id", &variant_id),
            ("sku", "TAS-ROTAN-01"),
            ("title", "Natural"),
            ("options", "Warna=Natural"),
            ("price", "325000"),
            ("compare_at_price", "350000"),
            ("weight_grams", "400"),
            ("barcode", ""),
            ("active", "true"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let repriced: Value = app
        .client
        .get(app.url("/api/v1/products?q=rotan"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed(&repriced).expect("still listed")["price"]["amount"],
        325000
    );

    // Unpublish: gone from the shop.
    let (status, _) = call::<app::api::AdminSetProductStatus>(
        &app,
        &app.client,
        &[("id", &id_text), ("status", "draft")],
    )
    .await;
    assert_eq!(status, 200);
    let gone: Value = app
        .client
        .get(app.url("/api/v1/products?q=rotan"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed(&gone).is_none());

    // The admin pages render for staff and refuse customers.
    let list = app
        .client
        .get(app.url("/admin/products?q=rotan"))
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    assert!(list
        .text()
        .await
        .unwrap()
        .contains("Tas Anyaman Rotan Bali"));
    let edit = app
        .client
        .get(app.url(&format!("/admin/products/{id}")))
        .send()
        .await
        .unwrap();
    assert!(edit.text().await.unwrap().contains("TAS-ROTAN-01"));
    let forbidden = customer
        .get(app.url("/admin/products"))
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), 403);

    // Categories: no cycles, no deleting a category in use.
    let parent = category.id.to_string();
    let (status, body) = call::<app::api::AdminSaveCategory>(
        &app,
        &app.client,
        &[
            ("id", ""),
            ("name", "Tas & Dompet"),
            ("slug", ""),
            ("parent_id", &parent),
            ("position", "3"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let child = body.as_i64().unwrap().to_string();
    let (status, body) = call::<app::api::AdminSaveCategory>(
        &app,
        &app.client,
        &[
            ("id", &parent),
            ("name", &category.name),
            ("slug", &category.slug),
            ("parent_id", &child),
            ("position", "0"),
        ],
    )
    .await;
    assert_eq!(status, 422, "a category under its own child: {body}");
    let (status, _) =
        call::<app::api::AdminDeleteCategory>(&app, &app.client, &[("id", &parent)]).await;
    assert_eq!(status, 409, "in use");
    let (status, _) =
        call::<app::api::AdminDeleteCategory>(&app, &app.client, &[("id", &child)]).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn csv_round_trips_and_a_bad_row_imports_nothing() {
    let app = catalog_app().await;
    app.login_as_admin(&app.client).await;
    let res = app
        .client
        .get(app.url("/admin/catalog/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .starts_with("product_slug,product_name,status,category,brand"));
    // Descriptions span lines (quoted), so count variants by their SKU column instead.
    let variants = app::server::db::product_variant::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(variants.len() > 200);
    for v in &variants {
        assert_eq!(
            csv.matches(&format!(",{},", v.sku)).count(),
            1,
            "one row for {}",
            v.sku
        );
    }
    assert_eq!(
        app.new_client()
            .get(app.url("/admin/catalog/export.csv"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let import = |body: String| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::text(body).file_name("produk.csv"),
        );
        app.client
            .post(app.url("/admin/catalog/import"))
            .header("origin", &app.base)
            .header("accept", "application/json")
            .multipart(form)
            .send()
    };
    let header = "product_slug,product_name,status,category,brand,sku,price,options";
    let good = format!(
        "{header}\nbatik-tulis-lasem,Batik Tulis Lasem,active,kemeja-pria,,BTL-01,1.250.000,Ukuran=M\nbatik-tulis-lasem,Batik Tulis Lasem,active,kemeja-pria,,BTL-02,1250000,Ukuran=L\n"
    );
    let bad = format!(
        "{header}\nkain-songket,Kain Songket,active,kemeja-pria,,SGK-01,900000,\nkain-songket,Kain Songket,active,kemeja-pria,,SGK-02,sembilan ratus,\nkain-ulos,Kain Ulos,active,tidak-ada,,ULS-01,500000,\n"
    );
    let res = import(bad).await.unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let problems: Vec<String> = body["error"]["fields"]["file"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("line 3:") && p.contains("price")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("line 4:") && p.contains("category")),
        "{problems:?}"
    );
    assert!(
        product::Entity::find()
            .filter(product::Column::Slug.eq("kain-songket"))
            .one(&app.state.db)
            .await
            .unwrap()
            .is_none(),
        "the good row of a failed import is not written"
    );

    let res = import(good).await.unwrap();
    assert_eq!(res.status(), 200);
    let report: Value = res.json().await.unwrap();
    assert_eq!(report["products_created"], 1);
    assert_eq!(report["variants_created"], 2);
    let found: Value = app
        .client
        .get(app.url("/api/v1/products/batik-tulis-lasem"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["variants"].as_array().unwrap().len(), 2);
    assert_eq!(found["variants"][0]["price"]["amount"], 1_250_000);

    // Without JavaScript: a redirect back to the page with the outcome.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::text("nonsense").file_name("x.csv"),
    );
    let res = app
        .client
        .post(app.url("/admin/catalog/import"))
        .header("origin", &app.base)
        .header("accept", "text/html")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(res.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/admin/catalog?error="));
}

#[tokio::test]
async fn only_buyers_review_once_and_the_average_follows() {
    let app = catalog_app().await;
    let product = first_product(&app).await;
    let (count_before, avg_before) = (product.rating_count, product.rating_hundredths);
    let client = app.new_client();
    let res = app
        .register(&client, "Dewi Lestari", "dewi@pasar.test", "rahasia-dewi-1")
        .await;
    let user: Value = res.json().await.unwrap();
    let user_id = user["id"].as_i64().unwrap() as i32;
    let form = |rating: &'static str, body: &'static str| {
        vec![
            ("slug", product.slug.clone()),
            ("rating", rating.to_string()),
            ("title", "Mantap".to_string()),
            ("body", body.to_string()),
        ]
    };
    let post = |form: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = app.url(app::api::SubmitReview::PATH);
        let origin = app.base.clone();
        async move {
            let res = client
                .post(url)
                .header("origin", origin)
                .form(&form)
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap())
        }
    };

    let (status, body) = post(form("5", "Bagus sekali, sesuai foto.")).await;
    assert_eq!(status, 409, "not bought yet: {body}");
    assert!(body.contains("bought"), "{body}");

    let now = chrono::Utc::now();
    let placed = order::ActiveModel {
        number: Set("PSR-TEST-1".into()),
        user_id: Set(Some(user_id)),
        email: Set("dewi@pasar.test".into()),
        status: Set("delivered".into()),
        payment_status: Set("paid".into()),
        currency: Set("IDR".into()),
        subtotal: Set(100_000),
        shipping_total: Set(0),
        dpp: Set(0),
        ppn: Set(0),
        grand_total: Set(100_000),
        shipping_address: Set("{}".into()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();
    order_item::ActiveModel {
        order_id: Set(placed.id),
        product_id: Set(product.id),
        sku: Set("X".into()),
        name: Set(product.name.clone()),
        options: Set("{}".into()),
        unit_price: Set(100_000),
        quantity: Set(1),
        line_total: Set(100_000),
        ..Default::default()
    }
    .insert(&app.state.db)
    .await
    .unwrap();

    let (status, body) = post(form("9", "Bagus sekali, sesuai foto.")).await;
    assert_eq!(status, 422, "rating out of range: {body}");
    let (status, body) = post(form("5", "ok")).await;
    assert_eq!(status, 422, "too short: {body}");
    let (status, body) = post(form("1", "Jahitan lepas setelah dipakai dua kali.")).await;
    assert_eq!(status, 200, "{body}");
    let after_first = product::Entity::find_by_id(product.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after_first.rating_count, count_before + 1);
    let expected =
        (i64::from(avg_before) * i64::from(count_before) + 100 + (i64::from(count_before) + 1) / 2)
            / (i64::from(count_before) + 1);
    assert_eq!(i64::from(after_first.rating_hundredths), expected);

    // A second review replaces the first: still one per customer, the count unchanged.
    let (status, body) = post(form("5", "Penjual mengganti barangnya, sekarang bagus.")).await;
    assert_eq!(status, 200, "{body}");
    let after_edit = product::Entity::find_by_id(product.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after_edit.rating_count, count_before + 1);
    assert!(after_edit.rating_hundredths > after_first.rating_hundredths);
    let reviews = app::server::db::review::Entity::find()
        .filter(app::server::db::review::Column::ProductId.eq(product.id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(reviews.len(), 1);
    assert_eq!(reviews[0].rating, 5);

    // The product page lists it, with the author's short name.
    let page = client
        .get(app.url(&format!("/p/{}", product.slug)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Penjual mengganti barangnya"), "review shown");
    assert!(page.contains("Dewi L."));
    assert!(page.contains("review-form"), "the buyer sees the form");
    let stranger = app
        .new_client()
        .get(app.url(&format!("/p/{}", product.slug)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!stranger.contains("id=\"review-form\""));
}

#[tokio::test]
async fn pages_carry_description_canonical_and_open_graph_and_remember_the_view() {
    let app = catalog_app().await;
    let product = first_product(&app).await;
    let html = app
        .client
        .get(app.url(&format!("/p/{}", product.slug)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let head = &html[..html.find("</head>").expect("a head")];
    assert!(
        head.contains(&format!(
            "<link rel=\"canonical\" href=\"{}/p/{}\">",
            app.base, product.slug
        )),
        "{head}"
    );
    assert!(head.contains("<meta name=\"description\" content=\""));
    assert!(head.contains("<meta property=\"og:type\" content=\"product\">"));
    assert!(head.contains("<meta property=\"og:title\""));
    assert!(head.contains("<meta property=\"product:price:currency\" content=\"IDR\">"));

    let res = app
        .client
        .get(app.url("/c/sepatu?view=list&page=1&sort=price_asc"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get("set-cookie")
        .expect("view remembered")
        .to_str()
        .unwrap()
        .to_string();
    assert!(cookie.starts_with("pasar_view=list;"), "{cookie}");
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!(
            "<link rel=\"canonical\" href=\"{}/c/sepatu?sort=price_asc\">",
            app.base
        )),
        "canonical drops view and page 1"
    );
    assert!(html.contains("<meta property=\"og:title\" content=\"Sepatu\">"));

    // A later visit without `view` in the URL shows the remembered list view.
    let again = app
        .client
        .get(app.url("/c/sepatu"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The toggle's current view: `<a … aria-current="true" …>List</a>`.
    let pressed = |html: &str, label: &str| {
        let end = html.find(&format!(">{label}</a>")).expect("view toggle");
        let start = html[..end].rfind("<a ").expect("link start");
        html[start..end].contains("aria-current=\"true\"")
    };
    assert!(
        pressed(&again, "List") && !pressed(&again, "Grid"),
        "list view remembered"
    );
    let fresh = app
        .new_client()
        .get(app.url("/c/sepatu"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        pressed(&fresh, "Grid") && !pressed(&fresh, "List"),
        "grid by default"
    );

    let search = app
        .client
        .get(app.url("/search?q=kemeja"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(search.contains("<meta name=\"robots\" content=\"noindex, follow\">"));
}

/// The body with its CSP nonce (from the header) replaced by a placeholder.
async fn without_nonce(res: reqwest::Response) -> String {
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let start = csp.find("'nonce-").expect("a nonce") + "'nonce-".len();
    let nonce = csp[start..start + csp[start..].find('\'').unwrap()].to_string();
    res.text().await.unwrap().replace(&nonce, "NONCE")
}

#[tokio::test]
async fn anonymous_pages_come_from_the_page_cache_until_the_catalogue_changes() {
    let app = catalog_app().await;
    let product = first_product(&app).await;
    let visitor = app.new_client();
    let url = app.url(&format!("/p/{}", product.slug));
    let first = visitor.get(&url).send().await.unwrap();
    assert!(
        first.headers().contains_key("x-pasar-cache"),
        "{:?} {:?}",
        first.status(),
        first.headers()
    );
    assert_eq!(first.headers()["x-pasar-cache"], "miss");
    assert_eq!(
        first.headers()["cache-control"],
        "no-cache",
        "never a shared-cache header"
    );
    let first_html = without_nonce(first).await;
    let second = visitor.get(&url).send().await.unwrap();
    assert_eq!(second.headers()["x-pasar-cache"], "hit");
    // The same page, but with a nonce of its own (the CSP needs one per response).
    assert_eq!(without_nonce(second).await, first_html);

    // A price change shows at once.
    let variants = app::server::db::product_variant::Entity::find()
        .filter(app::server::db::product_variant::Column::ProductId.eq(product.id))
        .all(&app.state.db)
        .await
        .unwrap();
    for v in &variants {
        app::server::catalog::set_variant_price(
            &app.state.db,
            app.state.cache.as_ref(),
            &v.sku,
            777_000,
        )
        .await
        .unwrap();
    }
    let third = visitor.get(&url).send().await.unwrap();
    assert_eq!(third.headers()["x-pasar-cache"], "miss");
    assert!(third.text().await.unwrap().contains("Rp 777.000"));

    // Logged-in visitors always get a fresh render.
    app.login_as_admin(&app.client).await;
    let mine = app.client.get(&url).send().await.unwrap();
    assert!(mine.headers().get("x-pasar-cache").is_none());
    assert_eq!(mine.headers()["cache-control"], "no-cache");
}
