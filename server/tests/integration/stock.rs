//! Staff's side of inventory, against the real app: a product made in the admin gets a level
//! in every warehouse, is stocked from its page and sold; adjustments over the Store API with
//! reasons, limits and history; the CSV import's stock column; concurrent adjustments and sales
//! that leave every level equal to its movements; the invariant check catching a tampered
//! table. Runs on SQLite and, with `DATABASE_URL`, PostgreSQL.

use crate::{
    common::{spawn_app, variant_with_stock, TestApp},
    manage::call,
    orders::{customer_with_paid_order, place, stock},
};
use app::server::{
    db::{product, product_variant, stock_level},
    inventory::{self, audit},
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde_json::{json, Value};

async fn assert_audit_clean(app: &TestApp) {
    let audit = audit::check(&app.state.db).await.unwrap();
    assert!(
        audit.discrepancies.is_empty(),
        "every level equals its movements: {:#?}",
        audit.discrepancies
    );
    assert!(audit.levels > 0);
}

async fn levels_of(app: &TestApp, variant_id: i32) -> Vec<stock_level::Model> {
    let mut levels = stock_level::Entity::find()
        .filter(stock_level::Column::VariantId.eq(variant_id))
        .all(&app.state.db)
        .await
        .unwrap();
    levels.sort_by_key(|l| l.warehouse_id);
    levels
}

async fn adjust_api(app: &TestApp, client: &reqwest::Client, body: Value) -> (u16, Value) {
    let res = client
        .post(app.url("/api/v1/admin/inventory/adjustments"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

async fn get_json(client: &reqwest::Client, url: String) -> (u16, Value) {
    let res = client.get(url).send().await.unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn a_product_made_in_the_admin_is_stocked_from_its_page_and_sold() {
    let app = spawn_app().await;
    app::server::seed::demo::seed_demo_catalog(&app.state.db)
        .await
        .unwrap();
    let warehouses = inventory::ensure_demo_warehouses(&app.state.db)
        .await
        .unwrap();
    app.login_as_admin(&app.client).await;
    let category = app::server::db::category::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string();
    let (status, body) = call::<app::api::AdminSaveProduct>(
        &app,
        &app.client,
        &[
            ("id", ""),
            ("name", "Kain Tenun Ikat Sumba"),
            ("slug", ""),
            ("description", "Tenun ikat asli."),
            ("category_id", &category),
            ("brand_id", ""),
            ("status", "draft"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let product_id = body.as_i64().unwrap().to_string();
    let (status, body) = call::<app::api::AdminSaveVariant>(
        &app,
        &app.client,
        &[
            ("product_id", &product_id),
            ("variant_id", ""),
            ("sku", "tenun-sumba-01"),
            ("title", "Merah"),
            ("options", "Warna=Merah"),
            ("price", "1.250.000"),
            ("compare_at_price", ""),
            ("weight_grams", "600"),
            ("barcode", ""),
            ("active", "true"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let variant_id = body.as_i64().unwrap() as i32;

    // A level in every active warehouse, empty, with nothing to account for yet.
    let levels = levels_of(&app, variant_id).await;
    assert_eq!(levels.len(), warehouses.len());
    assert!(levels.iter().all(|l| l.on_hand == 0 && l.reserved == 0));
    assert_audit_clean(&app).await;
    let (status, _) = call::<app::api::AdminSetProductStatus>(
        &app,
        &app.client,
        &[("id", &product_id), ("status", "active")],
    )
    .await;
    assert_eq!(status, 200);

    // The product page's stock form: a reason is required, then on hand is set.
    let page = app
        .client
        .get(app.url(&format!("/admin/products/{product_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Stock"),
        "the product page has a stock section"
    );
    assert!(page.contains(&warehouses[0].code), "levels per warehouse");
    let variant_text = variant_id.to_string();
    let warehouse_text = warehouses[0].id.to_string();
    let (status, body) = call::<app::api::AdminSetStock>(
        &app,
        &app.client,
        &[
            ("variant_id", &variant_text),
            ("warehouse_id", &warehouse_text),
            ("on_hand", "5"),
            ("reason", " "),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let (status, body) = call::<app::api::AdminSetStock>(
        &app,
        &app.client,
        &[
            ("variant_id", &variant_text),
            ("warehouse_id", &warehouse_text),
            ("on_hand", "5"),
            ("reason", "Opening stock from the weaver"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let slug = product::Entity::find_by_id(product_id.parse::<i32>().unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .slug;
    let (_, detail) = get_json(&app.client, app.url(&format!("/api/v1/products/{slug}"))).await;
    assert_eq!(detail["variants"][0]["available"], 5, "{detail}");

    // A shopper buys two and pays.
    customer_with_paid_order(&app, "TENUN-SUMBA-01", 2).await;
    assert_eq!(stock(&app, variant_id).await, (3, 0));
    let (_, detail) = get_json(&app.client, app.url(&format!("/api/v1/products/{slug}"))).await;
    assert_eq!(detail["variants"][0]["available"], 3);

    // The history, newest first: sold, reserved, then the adjustment with who and why.
    let (status, history) = get_json(
        &app.client,
        app.url("/api/v1/admin/inventory/TENUN-SUMBA-01/movements"),
    )
    .await;
    assert_eq!(status, 200, "{history}");
    let kinds: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["sell", "reserve", "adjustment"]);
    assert_eq!(history[2]["note"], "Opening stock from the weaver");
    assert_eq!(history[2]["actor"], "Admin");
    assert_eq!(history[2]["on_hand_before"], 0);
    assert_eq!(history[2]["on_hand_after"], 5);
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn staff_adjust_stock_over_the_api_with_a_reason_within_what_orders_hold() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[5, 0]).await;
    app.login_as_admin(&app.client).await;

    let (status, item) = adjust_api(
        &app,
        &app.client,
        json!({ "sku": sku.to_lowercase(), "warehouse": "jkt", "delta": 3, "reason": "Found in the back room" }),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(item["levels"][0]["warehouse"], "JKT");
    assert_eq!(item["levels"][0]["on_hand"], 8);
    assert_eq!(item["available"], 8);

    // A shopper holds 2 units (an unpaid order).
    place(&app, &app.new_client(), &sku, 2).await;
    let (status, body) = adjust_api(
        &app,
        &app.client,
        json!({ "sku": sku, "warehouse": "JKT", "set": 1, "reason": "Count" }),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("held for orders"));
    let (status, body) = adjust_api(
        &app,
        &app.client,
        json!({ "sku": sku, "warehouse": "JKT", "delta": -7, "reason": "Damaged" }),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    let (status, item) = adjust_api(
        &app,
        &app.client,
        json!({ "sku": sku, "warehouse": "JKT", "set": 2, "reason": "Six were damaged in the flood" }),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(item["levels"][0]["on_hand"], 2);
    assert_eq!(item["levels"][0]["reserved"], 2);
    assert_eq!(item["available"], 0);

    // Refusals say what is wrong, and nothing changes.
    for (body, want) in [
        (
            json!({ "sku": sku, "warehouse": "JKT", "delta": 1, "reason": "" }),
            422,
        ),
        (
            json!({ "sku": sku, "warehouse": "JKT", "delta": 1, "set": 3, "reason": "x" }),
            422,
        ),
        (
            json!({ "sku": sku, "warehouse": "JKT", "set": -1, "reason": "x" }),
            422,
        ),
        (
            json!({ "sku": "NO-SUCH-SKU", "warehouse": "JKT", "delta": 1, "reason": "x" }),
            404,
        ),
        (
            json!({ "sku": sku, "warehouse": "XXX", "delta": 1, "reason": "x" }),
            404,
        ),
    ] {
        let (status, answer) = adjust_api(&app, &app.client, body.clone()).await;
        assert_eq!(status, want, "{body} → {answer}");
        assert!(answer["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    let customer = app.new_client();
    app.register(&customer, "Rina", "rina@pasar.test", "rahasia-rina-1")
        .await;
    let (status, _) = adjust_api(
        &app,
        &customer,
        json!({ "sku": sku, "warehouse": "JKT", "delta": 100, "reason": "mine" }),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(stock(&app, variant_id).await, (2, 2));

    // Stock per SKU and warehouse; history filtered by kind.
    let (status, items) = get_json(
        &app.client,
        app.url(&format!("/api/v1/admin/inventory?sku={sku}&warehouse=JKT")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(items.as_array().unwrap().len(), 1);
    assert_eq!(items[0]["levels"].as_array().unwrap().len(), 1);
    let (_, adjustments) = get_json(
        &app.client,
        app.url(&format!(
            "/api/v1/admin/inventory/{sku}/movements?kind=adjustment"
        )),
    )
    .await;
    let notes: Vec<&str> = adjustments
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["note"].as_str().unwrap())
        .collect();
    // Newest first, down to the stock the test started from.
    assert_eq!(
        notes[..3],
        [
            "Six were damaged in the flood",
            "Found in the back room",
            "test stock"
        ]
    );
    assert!(notes[2..].iter().all(|n| *n == "test stock"));
    let (status, _) = get_json(
        &app.client,
        app.url(&format!(
            "/api/v1/admin/inventory/{sku}/movements?kind=stolen"
        )),
    )
    .await;
    assert_eq!(status, 422);
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn the_csv_import_sets_stock_and_a_bad_stock_row_imports_nothing() {
    let app = spawn_app().await;
    app::server::seed::demo::seed_demo_catalog(&app.state.db)
        .await
        .unwrap();
    inventory::ensure_demo_warehouses(&app.state.db)
        .await
        .unwrap();
    app.login_as_admin(&app.client).await;
    let category = app::server::db::category::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .slug;
    let import = |csv: String| {
        let client = app.client.clone();
        let url = app.url("/admin/catalog/import");
        let origin = app.base.clone();
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("stock.csv"),
            );
            let res = client
                .post(url)
                .header("origin", origin)
                .header("accept", "application/json")
                .multipart(form)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let header = "product_slug,product_name,status,category,sku,price,warehouse,on_hand";
    let bad = format!(
        "{header}\n\
         batik-tulis-solo,Batik Tulis Solo,active,{category},BATIK-SOLO-M,450000,SBY,12\n\
         batik-tulis-solo,Batik Tulis Solo,active,{category},BATIK-SOLO-L,450000,MDN,4\n"
    );
    let (status, body) = import(bad).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string()
            .contains("line 3: warehouse `MDN` does not exist"),
        "{body}"
    );
    assert!(product_variant::Entity::find()
        .filter(product_variant::Column::Sku.eq("BATIK-SOLO-M"))
        .one(&app.state.db)
        .await
        .unwrap()
        .is_none());

    let good = format!(
        "{header}\n\
         batik-tulis-solo,Batik Tulis Solo,active,{category},BATIK-SOLO-M,450000,SBY,12\n\
         batik-tulis-solo,Batik Tulis Solo,active,{category},BATIK-SOLO-L,450000,,4\n\
         batik-tulis-solo,Batik Tulis Solo,active,{category},BATIK-SOLO-XL,450000,,\n"
    );
    let (status, body) = import(good.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stock_set"], 2, "{body}");
    let (_, items) = get_json(
        &app.client,
        app.url("/api/v1/admin/inventory?sku=BATIK-SOLO-M"),
    )
    .await;
    let by_code = |item: &Value, code: &str| {
        item["levels"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["warehouse"] == code)
            .unwrap()["on_hand"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(by_code(&items[0], "SBY"), 12);
    assert_eq!(by_code(&items[0], "JKT"), 0);
    let (_, items) = get_json(
        &app.client,
        app.url("/api/v1/admin/inventory?sku=BATIK-SOLO-L"),
    )
    .await;
    assert_eq!(
        by_code(&items[0], "JKT"),
        4,
        "empty warehouse: the first by priority"
    );
    let (_, items) = get_json(
        &app.client,
        app.url("/api/v1/admin/inventory?sku=BATIK-SOLO-XL"),
    )
    .await;
    assert_eq!(items[0]["on_hand"], 0, "no on_hand: stock left alone");
    assert_eq!(items[0]["levels"].as_array().unwrap().len(), 2);

    // The same file again changes no stock and records nothing new.
    let (status, body) = import(good).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["stock_set"], 0);
    let (_, history) = get_json(
        &app.client,
        app.url("/api/v1/admin/inventory/BATIK-SOLO-M/movements"),
    )
    .await;
    assert_eq!(history.as_array().unwrap().len(), 1);
    assert_eq!(history[0]["note"], "CSV import");

    // 5 of SBY's 12 set aside as damaged: a file setting it to 3 is refused on its line, and
    // the rest of the file (L to 9) is not written either.
    let (status, item) = unavailable_api(
        &app,
        &app.client,
        json!({ "sku": "BATIK-SOLO-M", "warehouse": "SBY", "state": "damaged",
                "action": "set_aside", "quantity": 5, "reason": "Water damage" }),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    let below = format!(
        "{header}\n\
         batik-tulis-solo,Batik Tulis Solo,active,{category},BATIK-SOLO-L,450000,,9\n\
         batik-tulis-solo,Batik Tulis Solo,active,{category},BATIK-SOLO-M,450000,SBY,3\n"
    );
    let (status, body) = import(below).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string()
            .contains("line 3: On hand cannot go below 5"),
        "{body}"
    );
    let (_, items) = get_json(
        &app.client,
        app.url("/api/v1/admin/inventory?sku=BATIK-SOLO-L"),
    )
    .await;
    assert_eq!(by_code(&items[0], "JKT"), 4, "nothing of the file written");
    assert_audit_clean(&app).await;
}

/// Many tasks at once on one SKU: staff add and remove units while shoppers' orders reserve
/// and sell them. No update is lost: the level ends equal to the start plus what was adjusted
/// minus what was sold, equal to the sum of its movements, and never below zero.
#[tokio::test]
async fn concurrent_adjustments_and_sales_keep_every_level_equal_to_its_movements() {
    let app = spawn_app().await;
    let (variant_id, sku, warehouses) = variant_with_stock(&app.state.db, &[10, 0]).await;
    let level = inventory::LevelKey {
        variant_id,
        warehouse_id: warehouses[0],
    };
    let staff = app.login_as_admin(&app.client).await as i32;
    let mut tasks = Vec::new();
    for i in 0..40 {
        let db = app.state.db.clone();
        let cache = app.state.cache.clone();
        let sku = sku.clone();
        tasks.push(tokio::spawn(async move {
            match i % 4 {
                // Staff: +2 or -1.
                0 | 1 => {
                    let delta = if i % 4 == 0 { 2 } else { -1 };
                    let mut outcome = Err(String::new());
                    for _try in 0..20 {
                        match inventory::staff::adjust_level(
                            &db,
                            cache.as_ref(),
                            staff,
                            level,
                            inventory::Change::Delta(delta),
                            "concurrent test",
                        )
                        .await
                        {
                            Ok(()) => {
                                outcome = Ok((delta, 0));
                                break;
                            }
                            Err(inventory::InventoryError::BelowCommitted { .. }) => {
                                outcome = Ok((0, 0));
                                break;
                            }
                            // SQLite: a writer busy past the timeout; try again.
                            Err(e) => outcome = Err(e.to_string()),
                        }
                    }
                    outcome
                }
                // A shopper: reserve one unit and sell it, in one transaction.
                _ => {
                    let mut outcome = Err(String::new());
                    for _try in 0..20 {
                        let attempt = async {
                            let txn = db.begin().await?;
                            let mut journal = inventory::Journal::default();
                            let taken = match inventory::reserve_lines(
                                &txn,
                                &[inventory::Wanted {
                                    variant_id,
                                    sku: &sku,
                                    quantity: 1,
                                }],
                                &format!("order:test-{i}"),
                                &mut journal,
                            )
                            .await
                            {
                                Ok(mut a) => a.remove(0),
                                Err(inventory::StockError::OutOfStock { .. }) => {
                                    return Ok::<_, sea_orm::DbErr>(0);
                                }
                                Err(inventory::StockError::Db(e)) => return Err(e),
                            };
                            for (warehouse_id, q) in taken {
                                inventory::sell(
                                    &txn,
                                    variant_id,
                                    warehouse_id,
                                    q,
                                    &format!("order:test-{i}"),
                                    &mut journal,
                                )
                                .await?;
                            }
                            journal.write(&txn).await?;
                            txn.commit().await?;
                            Ok(1)
                        };
                        match attempt.await {
                            Ok(sold) => {
                                outcome = Ok((0, sold));
                                break;
                            }
                            Err(e) => outcome = Err(e.to_string()),
                        }
                    }
                    outcome
                }
            }
        }));
    }
    let (mut adjusted, mut sold) = (0, 0);
    for task in tasks {
        let (delta, units) = task.await.unwrap().expect("every task finishes");
        adjusted += delta;
        sold += units;
    }
    let levels = levels_of(&app, variant_id).await;
    assert_eq!(levels[0].on_hand, 10 + adjusted - sold);
    assert_eq!(levels[0].reserved, 0);
    assert!(levels.iter().all(|l| l.on_hand >= 0));
    assert!(sold > 0 && adjusted != 0);
    let movements = app::server::db::stock_movement::Entity::find()
        .filter(app::server::db::stock_movement::Column::VariantId.eq(variant_id))
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(movements
        .iter()
        .all(|m| m.on_hand_after >= m.reserved_after && m.on_hand_after >= 0));
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn the_invariant_check_catches_a_level_changed_behind_the_trail() {
    let app = spawn_app().await;
    let (variant_id, sku, warehouses) = variant_with_stock(&app.state.db, &[7, 3]).await;
    assert_audit_clean(&app).await;
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE stock_levels SET on_hand = on_hand + 5 WHERE variant_id = {variant_id} AND warehouse_id = {}",
            warehouses[1]
        ))
        .await
        .unwrap();
    let found = audit::check(&app.state.db).await.unwrap();
    assert_eq!(found.discrepancies.len(), 1, "{:#?}", found.discrepancies);
    let d = &found.discrepancies[0];
    assert_eq!(d.sku, sku);
    assert_eq!(d.warehouse, "SBY");
    assert_eq!((d.on_hand, d.on_hand_from_movements), (8, 3));
}

#[tokio::test]
async fn a_transfer_ships_then_is_received_once_each_step_whole() {
    let app = spawn_app().await;
    let (variant_id, sku, warehouses) = variant_with_stock(&app.state.db, &[6, 1]).await;
    app.login_as_admin(&app.client).await;
    // A shopper holds 2 of the 6 in Jakarta: those stay.
    place(&app, &app.new_client(), &sku, 2).await;
    let ship = |body: Value| {
        let client = app.client.clone();
        let url = app.url("/api/v1/admin/inventory/transfers");
        async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let transfers_before = app::server::db::stock_transfer::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .len();
    for (body, want) in [
        (
            json!({ "sku": sku, "from": "JKT", "to": "SBY", "quantity": 5, "reason": "rebalance" }),
            409,
        ),
        (
            json!({ "sku": sku, "from": "JKT", "to": "JKT", "quantity": 1, "reason": "rebalance" }),
            422,
        ),
        (
            json!({ "sku": sku, "from": "JKT", "to": "SBY", "quantity": 0, "reason": "rebalance" }),
            422,
        ),
        (
            json!({ "sku": sku, "from": "JKT", "to": "SBY", "quantity": 1, "reason": "" }),
            422,
        ),
        (
            json!({ "sku": sku, "from": "JKT", "to": "MDN", "quantity": 1, "reason": "x" }),
            404,
        ),
    ] {
        let (status, answer) = ship(body.clone()).await;
        assert_eq!(status, want, "{body} → {answer}");
    }
    assert_eq!(
        app::server::db::stock_transfer::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .len(),
        transfers_before,
        "a refused transfer leaves no row"
    );
    assert_eq!(stock(&app, variant_id).await, (7, 2));

    // Ship the 4 available: out of Jakarta now, incoming in Surabaya.
    let (status, shipped) = ship(json!({ "sku": sku, "from": "jkt", "to": "sby", "quantity": 4, "reason": "Surabaya sells more" })).await;
    assert_eq!(status, 201, "{shipped}");
    assert_eq!(shipped["status"], "in_transit");
    let id = shipped["id"].as_i64().unwrap();
    let (_, items) = get_json(
        &app.client,
        app.url(&format!("/api/v1/admin/inventory?sku={sku}")),
    )
    .await;
    let levels = &items[0]["levels"];
    assert_eq!(
        (
            levels[0]["on_hand"].as_i64(),
            levels[0]["reserved"].as_i64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(
        (
            levels[1]["on_hand"].as_i64(),
            levels[1]["incoming"].as_i64()
        ),
        (Some(1), Some(4))
    );
    assert_eq!(
        items[0]["available"], 1,
        "units in transit are not for sale"
    );
    assert_eq!(items[0]["incoming"], 4);

    // Received by several staff at once: once.
    let mut tries = Vec::new();
    for _ in 0..6 {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/admin/inventory/transfers/{id}/receive"));
        tries.push(tokio::spawn(async move {
            client.post(url).send().await.unwrap().status().as_u16()
        }));
    }
    let mut answers = Vec::new();
    for t in tries {
        answers.push(t.await.unwrap());
    }
    answers.sort_unstable();
    assert_eq!(answers, [200, 409, 409, 409, 409, 409]);
    assert_eq!(
        levels_of(&app, variant_id)
            .await
            .iter()
            .map(|l| (l.warehouse_id, l.on_hand))
            .collect::<Vec<_>>(),
        vec![(warehouses[0], 2), (warehouses[1], 5)]
    );
    let (status, _) = get_json(
        &app.client,
        app.url("/api/v1/admin/inventory/transfers/9999/receive"),
    )
    .await;
    assert_eq!(status, 405, "receiving is a POST");
    let res = app
        .client
        .post(app.url("/api/v1/admin/inventory/transfers/9999/receive"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let (_, received) = get_json(
        &app.client,
        app.url(&format!(
            "/api/v1/admin/inventory/transfers?sku={sku}&status=received"
        )),
    )
    .await;
    assert_eq!(received.as_array().unwrap().len(), 1);
    assert_eq!(received[0]["from"], "JKT");
    assert!(received[0]["received_at"].is_string());

    let (_, history) = get_json(
        &app.client,
        app.url(&format!("/api/v1/admin/inventory/{sku}/movements")),
    )
    .await;
    assert_eq!(history[0]["kind"], "transfer_in");
    assert_eq!(history[0]["reference"], format!("transfer:{id}"));
    assert_eq!(history[1]["kind"], "transfer_out");
    assert_eq!(history[1]["note"], "Surabaya sells more");
    assert_audit_clean(&app).await;
}

async fn low_stock_events(app: &TestApp, variant_id: i32) -> Vec<Value> {
    app::server::db::outbox_event::Entity::find()
        .filter(app::server::db::outbox_event::Column::Kind.eq("stock.low"))
        .filter(
            app::server::db::outbox_event::Column::Reference.eq(format!("variant:{variant_id}")),
        )
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| serde_json::from_str(&e.payload).unwrap())
        .collect()
}

#[tokio::test]
async fn a_low_stock_alert_goes_out_once_per_fall_below_the_threshold() {
    let app = crate::common::spawn_app_with(&[
        ("PASAR_STAFF_EMAIL", "gudang@toko.id".to_string()),
        ("PASAR_MAIL_EVERY_SECS", "3600".to_string()),
    ])
    .await;
    let (variant_id, sku, warehouses) = variant_with_stock(&app.state.db, &[8, 0]).await;
    let staff = app.login_as_admin(&app.client).await as i32;
    let warehouse_id = warehouses[0];
    let adjust = |delta: i32| {
        let db = app.state.db.clone();
        let cache = app.state.cache.clone();
        async move {
            inventory::staff::adjust_level(
                &db,
                cache.as_ref(),
                staff,
                inventory::LevelKey {
                    variant_id,
                    warehouse_id,
                },
                inventory::Change::Delta(delta),
                "test",
            )
            .await
            .unwrap()
        }
    };
    // 8 → 6: still at or above the shop's default of 5.
    customer_with_paid_order(&app, &sku, 2).await;
    assert!(low_stock_events(&app, variant_id).await.is_empty());
    // 6 → 4: below. One alert, with the numbers.
    customer_with_paid_order(&app, &sku, 2).await;
    let events = low_stock_events(&app, variant_id).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["available"], 4);
    assert_eq!(events[0]["threshold"], 5);
    assert_eq!(events[0]["sku"], sku);
    // 4 → 3: still low, no repeat. The badge and the list show it.
    customer_with_paid_order(&app, &sku, 1).await;
    assert_eq!(low_stock_events(&app, variant_id).await.len(), 1);
    let (status, count) = call::<app::api::AdminLowStockCount>(&app, &app.client, &[]).await;
    assert_eq!((status, count), (200, json!(1)));
    let (_, list) = call::<app::api::AdminLowStock>(&app, &app.client, &[]).await;
    assert_eq!(list[0]["sku"], sku);
    assert_eq!(list[0]["available"], 3);
    // Back up to 8 (cleared), down to 2: a second alert.
    adjust(5).await;
    let (_, count) = call::<app::api::AdminLowStockCount>(&app, &app.client, &[]).await;
    assert_eq!(count, json!(0));
    adjust(-6).await;
    assert_eq!(low_stock_events(&app, variant_id).await.len(), 2);

    // A variant's own level: 1 clears it (2 is not below 1); 3 arms it again at once.
    let variant = variant_id.to_string();
    let (status, body) = call::<app::api::AdminSetLowStockThreshold>(
        &app,
        &app.client,
        &[("variant_id", &variant), ("threshold", "1")],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, count) = call::<app::api::AdminLowStockCount>(&app, &app.client, &[]).await;
    assert_eq!(count, json!(0));
    let (status, _) = call::<app::api::AdminSetLowStockThreshold>(
        &app,
        &app.client,
        &[("variant_id", &variant), ("threshold", "-2")],
    )
    .await;
    assert_eq!(status, 422);
    call::<app::api::AdminSetLowStockThreshold>(
        &app,
        &app.client,
        &[("variant_id", &variant), ("threshold", "3")],
    )
    .await;
    let events = low_stock_events(&app, variant_id).await;
    assert_eq!(events.len(), 3);
    assert_eq!(events[2]["threshold"], 3);

    // Staff get each alert by email, once.
    app::server::orders::outbox::drain(&app.state.db, &app.state.settings)
        .await
        .unwrap();
    let mails: Vec<_> = app::server::db::email::Entity::find()
        .filter(app::server::db::email::Column::Kind.eq("staff.low_stock"))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(mails.len(), 3);
    assert!(mails.iter().all(|m| m.to_address == "gudang@toko.id"));
    assert!(mails[0].subject.contains(&sku), "{}", mails[0].subject);
    assert!(mails[0]
        .text_body
        .contains(&format!("/admin/inventory/{sku}")));
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn many_buyers_crossing_the_threshold_at_once_send_one_alert() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[6, 0]).await;
    let mut buyers = Vec::new();
    for _ in 0..6 {
        let client = app.new_client();
        let sku = sku.clone();
        let base = app.base.clone();
        buyers.push(tokio::spawn(async move {
            let res = client
                .post(format!("{base}/api/v1/cart/items"))
                .json(&json!({ "sku": sku, "quantity": 1 }))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let res = client
                .post(format!("{base}/api/v1/checkout"))
                .header("Idempotency-Key", crate::common::unique_name("low"))
                .json(&json!({
                    "email": "pembeli@contoh.id",
                    "address": {
                        "recipient": "Pembeli", "phone": "081234567890",
                        "street": "Jl. Pasar 1", "district": "Gambir", "city": "Jakarta Pusat",
                        "province": "DKI Jakarta", "postal_code": "10110"
                    },
                    "shipping_method": "reguler",
                    "payment_method": "demo"
                }))
                .send()
                .await
                .unwrap();
            res.status().as_u16()
        }));
    }
    for b in buyers {
        assert_eq!(b.await.unwrap(), 201);
    }
    assert_eq!(stock(&app, variant_id).await, (6, 6));
    assert_eq!(low_stock_events(&app, variant_id).await.len(), 1);
}

#[tokio::test]
async fn a_count_posts_whole_and_refuses_a_level_that_moved_since_its_snapshot() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[10, 4]).await;
    app.login_as_admin(&app.client).await;
    let count = |body: Value| {
        let client = app.client.clone();
        let url = app.url("/api/v1/admin/inventory/counts");
        async move {
            let res = client.post(url).json(&body).send().await.unwrap();
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    // Snapshot taken: JKT 10, SBY 4. Then a shopper holds 1 in JKT (on hand unchanged) and
    // staff adjust SBY (on hand moved).
    place(&app, &app.new_client(), &sku, 1).await;
    adjust_api(
        &app,
        &app.client,
        json!({ "sku": sku, "warehouse": "SBY", "delta": 1, "reason": "returned by a courier" }),
    )
    .await;
    let (status, body) = count(json!({ "reason": "Monthly count", "lines": [
        { "sku": sku, "warehouse": "JKT", "expected": 10, "counted": 9 },
        { "sku": sku, "warehouse": "SBY", "expected": 4, "counted": 3 },
    ]}))
    .await;
    assert_eq!(status, 422, "{body}");
    let lines = body["error"]["fields"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{body}");
    assert!(
        lines[0].as_str().unwrap().starts_with("line 2:")
            && lines[0]
                .as_str()
                .unwrap()
                .contains("moved since it was counted"),
        "{body}"
    );
    // Nothing posted, not even the good line.
    assert_eq!(stock(&app, variant_id).await, (15, 1));

    // Counted again: SBY 5 by the system; posted.
    let (status, posted) = count(json!({ "reason": "Monthly count", "lines": [
        { "sku": sku, "warehouse": "JKT", "expected": 10, "counted": 9 },
        { "sku": sku, "warehouse": "SBY", "expected": 5, "counted": 5 },
    ]}))
    .await;
    assert_eq!(status, 200, "{posted}");
    assert_eq!(posted[0]["variance"], -1);
    assert_eq!(posted[1]["variance"], 0);
    assert_eq!(stock(&app, variant_id).await, (14, 1));
    // Below what orders hold: refused.
    let (status, body) = count(json!({ "reason": "Count", "lines": [
        { "sku": sku, "warehouse": "JKT", "counted": 0 },
    ]}))
    .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("held for orders"), "{body}");
    let (_, corrections) = get_json(
        &app.client,
        app.url(&format!(
            "/api/v1/admin/inventory/{sku}/movements?kind=count_correction"
        )),
    )
    .await;
    assert_eq!(
        corrections.as_array().unwrap().len(),
        1,
        "a zero variance records nothing"
    );
    assert_eq!(corrections[0]["on_hand_before"], 10);
    assert_eq!(corrections[0]["on_hand_after"], 9);
    assert_eq!(corrections[0]["note"], "Monthly count");

    // The same as a CSV file, with per-line problems and nothing posted.
    let upload = |csv: String| {
        let client = app.client.clone();
        let url = app.url("/admin/inventory/counts");
        let origin = app.base.clone();
        async move {
            let form = reqwest::multipart::Form::new()
                .text("reason", "Cycle count")
                .part(
                    "file",
                    reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("count.csv"),
                );
            let res = client
                .post(url)
                .header("origin", origin)
                .header("accept", "application/json")
                .multipart(form)
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = upload(format!(
        "sku,warehouse,expected,counted\n{sku},JKT,9,8\n{sku},MDN,,3\nNOPE,JKT,,1\n"
    ))
    .await;
    assert_eq!(status, 422, "{body}");
    let problems = body["error"]["fields"]["lines"].as_array().unwrap();
    assert_eq!(problems.len(), 2, "{body}");
    assert!(problems[0].as_str().unwrap().starts_with("line 3:"));
    assert!(problems[1].as_str().unwrap().starts_with("line 4:"));
    assert_eq!(stock(&app, variant_id).await, (14, 1));
    let (status, body) = upload(format!(
        "sku,warehouse,expected,counted\n{sku},JKT,9,8\n{sku},SBY,5,7\n"
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(stock(&app, variant_id).await, (15, 1));
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn reorder_suggestions_follow_a_known_sales_history() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[100, 0]).await;
    app.login_as_admin(&app.client).await;
    // Three paid orders: 2 units two days ago, 4 yesterday, 6 today (the sales moved back in
    // time; only their dates change, so the trail still adds up).
    for (units, days_ago) in [(2, 2), (4, 1), (6, 0)] {
        let (_, number) = customer_with_paid_order(&app, &sku, units).await;
        let order = app::server::db::order::Entity::find()
            .filter(app::server::db::order::Column::Number.eq(&number))
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let when = chrono::Utc::now() - chrono::Duration::days(days_ago);
        app.state
            .db
            .execute(sea_orm::Statement::from_sql_and_values(
                app.state.db.get_database_backend(),
                match app.state.db.get_database_backend() {
                    sea_orm::DbBackend::Postgres => {
                        "UPDATE stock_movements SET created_at = $1 WHERE reference = $2 AND kind = 'sell'"
                    }
                    _ => "UPDATE stock_movements SET created_at = ?1 WHERE reference = ?2 AND kind = 'sell'",
                },
                [when.into(), format!("order:{}", order.id).into()],
            ))
            .await
            .unwrap();
    }
    // Its brand's lead time and cover (5 and 20 days) apply until the variant has its own.
    let product_id = product_variant::Entity::find_by_id(variant_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .product_id;
    let brand_id = product::Entity::find_by_id(product_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .brand_id
        .expect("synthetic products have a brand")
        .to_string();
    let (status, body) = call::<app::api::AdminSetBrandReorderSettings>(
        &app,
        &app.client,
        &[
            ("brand_id", &brand_id),
            ("lead_time_days", "400"),
            ("cover_days", ""),
        ],
    )
    .await;
    assert_eq!(status, 422, "more than a year is refused: {body}");
    let (status, body) = call::<app::api::AdminSetBrandReorderSettings>(
        &app,
        &app.client,
        &[
            ("brand_id", &brand_id),
            ("lead_time_days", "5"),
            ("cover_days", "20"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, rows) = get_json(
        &app.client,
        app.url("/api/v1/admin/inventory/reorder-suggestions"),
    )
    .await;
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sku"] == sku)
        .expect("the variant that sold");
    assert_eq!(
        (row["lead_time_days"].as_i64(), row["cover_days"].as_i64()),
        (Some(5), Some(20)),
        "the brand's"
    );

    // Its own lead time and cover: 10 and 30 days.
    let variant = variant_id.to_string();
    let (status, body) = call::<app::api::AdminSetReorderSettings>(
        &app,
        &app.client,
        &[
            ("variant_id", &variant),
            ("lead_time_days", "10"),
            ("cover_days", "30"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, rows) = get_json(
        &app.client,
        app.url("/api/v1/admin/inventory/reorder-suggestions"),
    )
    .await;
    assert_eq!(status, 200, "{rows}");
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["sku"] == sku)
        .expect("the variant that sold");
    let close = |v: &Value, want: f64| (v.as_f64().unwrap() - want).abs() < 1e-6;
    // Daily sales, oldest first: 27 × 0, then 2, 4, 6. Weighted with α = 0.25:
    // 0.5, then 0.25·4 + 0.75·0.5 = 1.375, then 0.25·6 + 0.75·1.375 = 2.53125.
    assert!(close(&row["velocity"], 2.531_25), "{row}");
    // Mean 0.4; σ² = (1.6² + 3.6² + 5.6² + 27 × 0.4²) / 30 = 51.2 / 30.
    let sigma = (51.2f64 / 30.0).sqrt();
    assert!(close(&row["sigma"], sigma), "{row}");
    assert_eq!(row["available"], 88);
    assert!(close(&row["days_of_cover"], 88.0 / 2.531_25), "{row}");
    // z(0.95) × σ × √10 ≈ 6.7953; order ⌈2.53125 × 40 + 6.7953 − 88⌉ = ⌈20.045⌉ = 21.
    let safety = 1.644_853_626_951 * sigma * 10f64.sqrt();
    assert!(
        (row["safety_stock"].as_f64().unwrap() - safety).abs() < 1e-6,
        "{row}"
    );
    assert!(
        close(&row["reorder_point"], 2.531_25 * 10.0 + safety),
        "{row}"
    );
    assert_eq!(row["suggested"], 21);
    assert_eq!(
        (row["lead_time_days"].as_i64(), row["cover_days"].as_i64()),
        (Some(10), Some(30))
    );

    // The same as CSV, most urgent first.
    let res = app
        .client
        .get(app.url("/api/v1/admin/inventory/reorder-suggestions?format=csv"))
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
        .starts_with("sku,product,variant,velocity_per_day"));
    let first = lines.next().unwrap();
    assert!(first.starts_with(&sku) && first.ends_with(",21"), "{first}");
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn the_stock_overview_filters_sorts_and_pages() {
    let app = spawn_app().await;
    let (_, low, _) = variant_with_stock(&app.state.db, &[3, 0]).await;
    let (_, out, _) = variant_with_stock(&app.state.db, &[0, 0]).await;
    let (_, plenty, _) = variant_with_stock(&app.state.db, &[20, 7]).await;
    app.login_as_admin(&app.client).await;
    let overview = |pairs: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let form: Vec<(String, String)> = pairs
                .into_iter()
                .map(|(k, v)| (format!("filter[{k}]"), v))
                .collect();
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            call::<app::api::AdminStockOverview>(app, &app.client, &form).await
        }
    };
    let skus = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["sku"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, page) = overview(vec![("state", "low".into())]).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        skus(&page).contains(&low) && !skus(&page).contains(&out) && !skus(&page).contains(&plenty)
    );
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| (1..5).contains(&i["available"].as_i64().unwrap())));
    let (_, page) = overview(vec![("state", "out".into())]).await;
    assert!(skus(&page).contains(&out) && !skus(&page).contains(&low));
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["available"] == 0));

    // Search by part of the SKU, any case.
    let (_, page) = overview(vec![("q", plenty.to_lowercase())]).await;
    assert_eq!(skus(&page), std::slice::from_ref(&plenty));
    assert_eq!(page["items"][0]["available"], 27);
    assert_eq!(page["items"][0]["levels"].as_array().unwrap().len(), 2);
    // One warehouse: its level only, its numbers for the totals.
    let (_, page) = overview(vec![("q", plenty.clone()), ("warehouse", "SBY".into())]).await;
    assert_eq!(page["items"][0]["levels"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["available"], 7);
    // Sorted by available, most first; paged 50 at a time.
    let (_, page) = overview(vec![("sort", "available_desc".into())]).await;
    let available: Vec<i64> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["available"].as_i64().unwrap())
        .collect();
    assert!(available.windows(2).all(|w| w[0] >= w[1]), "{available:?}");
    let total = page["total"].as_u64().unwrap();
    assert!(total >= 3);
    assert_eq!(page["per_page"], 50);
    // Bad input is a clear 422.
    let (status, body) = overview(vec![("state", "sideways".into())]).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = overview(vec![("warehouse", "MDN".into())]).await;
    assert_eq!(status, 404);
    // The page itself, filtered in the URL.
    let html = app
        .client
        .get(app.url("/admin/inventory?state=low"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("data-sku=\"{low}\"")),
        "the low SKU is listed"
    );
}

async fn unavailable_api(app: &TestApp, client: &reqwest::Client, body: Value) -> (u16, Value) {
    let res = client
        .post(app.url("/api/v1/admin/inventory/unavailable"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (
        res.status().as_u16(),
        res.json().await.unwrap_or(Value::Null),
    )
}

/// The units a shopper can still buy of one SKU, as checkout sees them: the largest quantity
/// a cart accepts.
async fn buyable(app: &TestApp, sku: &str) -> i64 {
    let (status, items) = get_json(
        &app.client,
        app.url(&format!("/api/v1/admin/inventory?sku={sku}")),
    )
    .await;
    assert_eq!(status, 200, "{items}");
    items[0]["available"].as_i64().unwrap()
}

#[tokio::test]
async fn unavailable_units_stay_on_hand_are_never_sold_and_are_on_the_trail() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[10, 0]).await;
    app.login_as_admin(&app.client).await;
    let product = product_variant::Entity::find_by_id(variant_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
        .product_id;
    let listed = || async {
        product::Entity::find_by_id(product)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap()
            .available
    };
    let listed_before = listed().await;

    // 3 damaged and 2 in quality control: on hand stays 10, available drops to 5.
    for (state, units, reason) in [
        ("damaged", 3, "Crushed cartons"),
        ("quality_control", 2, "Stitching to check"),
    ] {
        let (status, item) = unavailable_api(
            &app,
            &app.client,
            json!({ "sku": sku, "warehouse": "JKT", "state": state, "action": "set_aside",
                    "quantity": units, "reason": reason }),
        )
        .await;
        assert_eq!(status, 200, "{item}");
    }
    let (_, items) = get_json(
        &app.client,
        app.url(&format!("/api/v1/admin/inventory?sku={sku}&warehouse=JKT")),
    )
    .await;
    let level = &items[0]["levels"][0];
    assert_eq!(
        (
            level["on_hand"].as_i64(),
            level["damaged"].as_i64(),
            level["quality_control"].as_i64(),
            level["unavailable"].as_i64(),
            level["available"].as_i64()
        ),
        (Some(10), Some(3), Some(2), Some(5), Some(5)),
        "{level}"
    );
    assert_eq!(items[0]["unavailable"], 5);
    assert_eq!(buyable(&app, &sku).await, 5);

    // The shop sells the 5 available units and not one more.
    assert_eq!(
        listed().await,
        listed_before - 5,
        "listings count only available units"
    );
    let shopper = app.new_client();
    let res = shopper
        .post(app.url("/api/v1/cart/items"))
        .json(&json!({ "sku": sku, "quantity": 6 }))
        .send()
        .await
        .unwrap();
    let refused = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!(
        refused == 409 || refused == 422,
        "a sixth unit is not for sale: {refused} {body}"
    );
    place(&app, &app.new_client(), &sku, 5).await;
    assert_eq!(buyable(&app, &sku).await, 0);

    // Nothing is left to set aside; on hand cannot drop below held + unavailable.
    let (status, body) = unavailable_api(
        &app,
        &app.client,
        json!({ "sku": sku, "warehouse": "JKT", "state": "safety_stock", "action": "set_aside",
                "quantity": 1, "reason": "Keep one back" }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Only 0 units are available"),
        "{body}"
    );
    let (status, body) = adjust_api(
        &app,
        &app.client,
        json!({ "sku": sku, "warehouse": "JKT", "set": 9, "reason": "Count" }),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("5 held for orders and 5 unavailable"),
        "{body}"
    );

    // Quality control passes one unit; two damaged ones are thrown away.
    let (status, item) = unavailable_api(
        &app,
        &app.client,
        json!({ "sku": sku, "warehouse": "JKT", "state": "quality_control",
                "action": "make_available", "quantity": 1, "reason": "Passed QC" }),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(item["available"], 1);
    let (status, item) = unavailable_api(
        &app,
        &app.client,
        json!({ "sku": sku, "warehouse": "JKT", "state": "damaged",
                "action": "write_off", "quantity": 2, "reason": "Beyond repair" }),
    )
    .await;
    assert_eq!(status, 200, "{item}");
    let level = &item["levels"][0];
    assert_eq!(
        (
            level["on_hand"].as_i64(),
            level["reserved"].as_i64(),
            level["damaged"].as_i64(),
            level["quality_control"].as_i64(),
            level["available"].as_i64()
        ),
        (Some(8), Some(5), Some(1), Some(1), Some(1)),
        "{level}"
    );

    // Refusals say what is wrong, and nothing changes.
    for (body, field) in [
        (
            json!({ "sku": sku, "warehouse": "JKT", "state": "damaged", "action": "write_off",
                    "quantity": 2, "reason": "More than there is" }),
            "quantity",
        ),
        (
            json!({ "sku": sku, "warehouse": "JKT", "state": "lost", "action": "set_aside",
                    "quantity": 1, "reason": "x" }),
            "state",
        ),
        (
            json!({ "sku": sku, "warehouse": "JKT", "state": "damaged", "action": "set_aside",
                    "quantity": 0, "reason": "x" }),
            "quantity",
        ),
        (
            json!({ "sku": sku, "warehouse": "JKT", "state": "damaged", "action": "make_available",
                    "quantity": 1, "reason": " " }),
            "reason",
        ),
    ] {
        let (status, answer) = unavailable_api(&app, &app.client, body).await;
        assert_eq!(status, 422, "{answer}");
        assert!(answer["error"]["fields"][field].is_array(), "{answer}");
    }
    let (status, _) = unavailable_api(
        &app,
        &app.client,
        json!({ "sku": "NO-SUCH-SKU", "warehouse": "JKT", "state": "damaged",
                "action": "set_aside", "quantity": 1, "reason": "x" }),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = unavailable_api(
        &app,
        &app.new_client(),
        json!({ "sku": sku, "warehouse": "JKT", "state": "damaged", "action": "set_aside",
                "quantity": 1, "reason": "x" }),
    )
    .await;
    assert_eq!(status, 401, "only staff");

    // Each change is a movement with its state, before and after, who and why.
    let (status, moves) = get_json(
        &app.client,
        app.url(&format!("/api/v1/admin/inventory/{sku}/movements")),
    )
    .await;
    assert_eq!(status, 200);
    let moves = moves.as_array().unwrap();
    let find = |kind: &str| {
        moves
            .iter()
            .find(|m| m["kind"] == kind)
            .unwrap_or_else(|| panic!("a {kind} movement"))
    };
    let write_off = find("write_off");
    assert_eq!(write_off["unavailable_state"], "damaged");
    assert_eq!(
        (
            write_off["unavailable_before"].as_i64(),
            write_off["unavailable_after"].as_i64(),
            write_off["on_hand_before"].as_i64(),
            write_off["on_hand_after"].as_i64()
        ),
        (Some(3), Some(1), Some(10), Some(8))
    );
    assert_eq!(write_off["note"], "Beyond repair");
    assert!(write_off["actor"].is_string());
    assert_eq!(
        find("made_available")["unavailable_state"],
        "quality_control"
    );
    assert_eq!(moves.iter().filter(|m| m["kind"] == "set_aside").count(), 2);
    assert_audit_clean(&app).await;

    // A level changed behind the trail is caught, unavailable units too.
    app.state
        .db
        .execute_unprepared(&format!(
            "UPDATE stock_levels SET safety_stock = safety_stock + 1 WHERE variant_id = {variant_id} \
             AND warehouse_id = (SELECT MIN(warehouse_id) FROM stock_levels WHERE variant_id = {variant_id})"
        ))
        .await
        .unwrap();
    let audit = audit::check(&app.state.db).await.unwrap();
    assert_eq!(audit.discrepancies.len(), 1, "{:#?}", audit.discrepancies);
    assert_eq!(audit.discrepancies[0].unavailable, 3);
    assert_eq!(audit.discrepancies[0].unavailable_from_movements, 2);

    // The database itself refuses more unavailable units than are on hand.
    let over = app
        .state
        .db
        .execute_unprepared(&format!(
            "UPDATE stock_levels SET damaged = damaged + 100 WHERE variant_id = {variant_id}"
        ))
        .await;
    assert!(over.is_err(), "the CHECK keeps unavailable within on hand");
}

#[tokio::test]
async fn setting_aside_races_shoppers_for_the_last_units_and_nothing_is_sold_twice() {
    let app = spawn_app().await;
    let (variant_id, sku, _) = variant_with_stock(&app.state.db, &[6, 0]).await;
    app.login_as_admin(&app.client).await;
    // Six shoppers and six set-asides of one unit each race for six units.
    let mut tasks = Vec::new();
    for n in 0..12 {
        let app_url = app.url("");
        let staff = app.client.clone();
        let sku = sku.clone();
        let shopper = app.new_client();
        tasks.push(tokio::spawn(async move {
            if n % 2 == 0 {
                let res = staff
                    .post(format!("{app_url}/api/v1/admin/inventory/unavailable"))
                    .json(&json!({ "sku": sku, "warehouse": "JKT", "state": "damaged",
                                   "action": "set_aside", "quantity": 1, "reason": "race" }))
                    .send()
                    .await
                    .unwrap();
                ("aside", res.status().as_u16())
            } else {
                let res = shopper
                    .post(format!("{app_url}/api/v1/cart/items"))
                    .json(&json!({ "sku": sku, "quantity": 1 }))
                    .send()
                    .await
                    .unwrap();
                if res.status() != 200 {
                    return ("order", res.status().as_u16());
                }
                let res = shopper
                    .post(format!("{app_url}/api/v1/checkout"))
                    .header("Idempotency-Key", format!("race-{n}-{variant_id}"))
                    .json(&crate::orders::checkout_body())
                    .send()
                    .await
                    .unwrap();
                ("order", res.status().as_u16())
            }
        }));
    }
    let mut done = (0, 0);
    for t in tasks {
        match t.await.unwrap() {
            ("aside", 200) => done.0 += 1,
            ("order", 201) => done.1 += 1,
            (_, status) => assert!(
                status == 409 || status == 422,
                "a loser is told the stock is gone: {status}"
            ),
        }
    }
    let levels = levels_of(&app, variant_id).await;
    let jkt = &levels[0];
    assert_eq!(jkt.damaged, done.0, "each set-aside that succeeded");
    assert_eq!(jkt.reserved, done.1, "each order that succeeded");
    assert!(
        jkt.reserved + jkt.damaged <= jkt.on_hand && jkt.on_hand == 6,
        "no unit both sold and set aside: {jkt:?}"
    );
    assert_audit_clean(&app).await;
}

#[tokio::test]
async fn a_purchase_order_is_incoming_until_received_whole_once() {
    let app = spawn_app().await;
    let (first_id, first, _) = variant_with_stock(&app.state.db, &[2, 0]).await;
    let (second_id, second, _) = variant_with_stock(&app.state.db, &[0, 0]).await;
    app.login_as_admin(&app.client).await;
    let post = |path: &str, body: Value| {
        let req = app.client.post(app.url(path)).json(&body);
        async move {
            let res = req.send().await.unwrap();
            (
                res.status().as_u16(),
                res.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };

    // A bad line refuses the whole order, each problem named.
    let (status, body) = post(
        "/api/v1/admin/purchase-orders",
        json!({ "supplier": "CV Batik Pekalongan", "warehouse": "SBY",
                "lines": [{ "sku": first, "quantity": 10 }, { "sku": "NO-SUCH", "quantity": 1 },
                          { "sku": second, "quantity": 0 }] }),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["error"]["fields"]["lines"].as_array().unwrap().len(),
        2,
        "{body}"
    );
    for (request, field) in [
        (
            json!({ "supplier": " ", "warehouse": "SBY", "lines": [{ "sku": first, "quantity": 1 }] }),
            "supplier",
        ),
        (
            json!({ "supplier": "CV", "warehouse": "SBY", "expected_on": "next week", "lines": [{ "sku": first, "quantity": 1 }] }),
            "expected_on",
        ),
        (
            json!({ "supplier": "CV", "warehouse": "SBY", "lines": [] }),
            "lines",
        ),
    ] {
        let (status, body) = post("/api/v1/admin/purchase-orders", request).await;
        assert_eq!(status, 422, "{body}");
        assert!(body["error"]["fields"][field].is_array(), "{body}");
    }
    let (_, none) = get_json(&app.client, app.url("/api/v1/admin/purchase-orders")).await;
    assert_eq!(none.as_array().unwrap().len(), 0, "refusals write nothing");

    let (status, order) = post(
        "/api/v1/admin/purchase-orders",
        json!({ "supplier": "CV Batik Pekalongan", "warehouse": "sby", "expected_on": "2026-12-20",
                "note": "Restock before the holidays",
                "lines": [{ "sku": first, "quantity": 10 }, { "sku": second.to_lowercase(), "quantity": 4 }] }),
    )
    .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["status"], "ordered");
    assert_eq!(order["units"], 14);
    assert_eq!(order["expected_on"], "2026-12-20");
    let id = order["id"].as_i64().unwrap();
    assert_eq!(order["number"], format!("PO-{id:06}"));

    // Incoming at Surabaya, not yet available anywhere.
    let (_, items) = get_json(
        &app.client,
        app.url(&format!("/api/v1/admin/inventory?sku={first}")),
    )
    .await;
    assert_eq!(items[0]["incoming"], 10);
    assert_eq!(items[0]["levels"][1]["incoming"], 10);
    assert_eq!(items[0]["levels"][0]["incoming"], 0);
    assert_eq!(items[0]["available"], 2);

    // Received by two clicks at once: once.
    let path = format!("/api/v1/admin/purchase-orders/{id}/receive");
    let (a, b) = tokio::join!(post(&path, json!({})), post(&path, json!({})));
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{a:?} {b:?}");
    let levels = levels_of(&app, first_id).await;
    assert_eq!((levels[0].on_hand, levels[1].on_hand), (2, 10));
    let levels = levels_of(&app, second_id).await;
    assert_eq!(levels[1].on_hand, 4);
    let (_, items) = get_json(
        &app.client,
        app.url(&format!("/api/v1/admin/inventory?sku={first}")),
    )
    .await;
    assert_eq!(items[0]["incoming"], 0);
    assert_eq!(items[0]["available"], 12);
    let (_, moves) = get_json(
        &app.client,
        app.url(&format!(
            "/api/v1/admin/inventory/{second}/movements?kind=receive"
        )),
    )
    .await;
    let received = &moves.as_array().unwrap()[0];
    assert_eq!(received["reference"], format!("po:{id}"));
    assert_eq!(received["warehouse"], "SBY");
    assert_eq!(received["quantity"], 4);
    assert!(received["note"]
        .as_str()
        .unwrap()
        .contains("CV Batik Pekalongan"));
    assert!(received["actor"].is_string());

    // Cancelled orders never arrive, and a received one cannot be cancelled.
    let (status, _) = post(
        &format!("/api/v1/admin/purchase-orders/{id}/cancel"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409);
    let (_, other) = post(
        "/api/v1/admin/purchase-orders",
        json!({ "supplier": "PT Lain", "warehouse": "JKT", "lines": [{ "sku": first, "quantity": 5 }] }),
    )
    .await;
    let other_id = other["id"].as_i64().unwrap();
    let (status, cancelled) = post(
        &format!("/api/v1/admin/purchase-orders/{other_id}/cancel"),
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled");
    let (status, _) = post(
        &format!("/api/v1/admin/purchase-orders/{other_id}/receive"),
        json!({}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(levels_of(&app, first_id).await[0].on_hand, 2);
    let (_, open) = get_json(
        &app.client,
        app.url("/api/v1/admin/purchase-orders?status=ordered"),
    )
    .await;
    assert_eq!(open.as_array().unwrap().len(), 0);
    let (status, _) = get_json(
        &app.client,
        app.url("/api/v1/admin/purchase-orders?status=lost"),
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = get_json(&app.new_client(), app.url("/api/v1/admin/purchase-orders")).await;
    assert_eq!(status, 401);

    // The admin page lists them (server-rendered).
    let page = app
        .client
        .get(app.url("/admin/purchase-orders"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("PO-{id:06}")),
        "the page lists the order"
    );
    assert_audit_clean(&app).await;
}
