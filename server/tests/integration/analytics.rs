//! Analytics against the real app (SQLite with the in-process counters; PostgreSQL with Redis
//! in the PG pass): a scripted day of orders, a declined attempt, a refund and a replayed
//! fact, read through `GET /api/v1/admin/analytics`, equals the SQL aggregate over the same
//! orders, and each fact counts once.
use crate::{
    common::{spawn_app, unique_name, variant_with_stock},
    orders::{checkout_body, customer_with_paid_order, place},
};
use app::server::{
    analytics,
    db::{order, order_item, outbox_event, product_variant},
};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

async fn dashboard(app: &crate::common::TestApp, staff: &reqwest::Client, range: &str) -> Value {
    let res = staff
        .get(app.url(&format!("/api/v1/admin/analytics?range={range}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_scripted_day_counts_every_fact_once_and_equals_the_database() {
    let app = spawn_app().await;
    let db = &app.state.db;
    let (first_id, first, _) = variant_with_stock(db, &[20, 0]).await;
    let (_, second, _) = variant_with_stock(db, &[20, 0]).await;

    // A registered customer buys twice (new, then returning).
    let (customer, number_one) = customer_with_paid_order(&app, &first, 2).await;
    let placed = place(&app, &customer, &second, 1).await;
    let number_two = placed["order"]["number"].as_str().unwrap().to_string();
    // Declined once, then paid: one failed attempt, one success.
    for verdict in ["decline", "approve"] {
        let res = customer
            .post(app.url(&format!("/api/v1/payments/demo/{number_two}/{verdict}")))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{verdict}: {}", res.status());
    }
    // A guest buys one unit.
    let guest = app.new_client();
    let res = guest
        .post(app.url("/api/v1/cart/items"))
        .json(&json!({ "sku": first, "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = guest
        .post(app.url("/api/v1/checkout"))
        .header("Idempotency-Key", unique_name("order"))
        .json(&checkout_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let guest_order: Value = res.json().await.unwrap();
    let guest_number = guest_order["order"]["number"].as_str().unwrap().to_string();
    let res = guest
        .post(app.url(&format!("/api/v1/payments/demo/{guest_number}/approve")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // Staff refund 10.000 of the first order.
    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    let res = staff
        .post(app.url(&format!("/api/v1/admin/orders/{number_one}/refunds")))
        .header("Idempotency-Key", unique_name("refund"))
        .json(&json!({ "amount": 10_000, "reason": "Goodwill" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);

    let view = dashboard(&app, &staff, "today").await;

    // A replayed fact (an outbox retry, a redelivered webhook) changes nothing.
    let paid = outbox_event::Entity::find()
        .filter(outbox_event::Column::Kind.eq("order.paid"))
        .all(db)
        .await
        .unwrap();
    assert_eq!(paid.len(), 3);
    assert!(paid.iter().all(|e| e.counted_at.is_some()), "counted");
    outbox_event::Entity::update_many()
        .col_expr(
            outbox_event::Column::CountedAt,
            Option::<chrono::DateTime<chrono::Utc>>::None.into(),
        )
        .filter(outbox_event::Column::Id.eq(paid[0].id))
        .exec(db)
        .await
        .unwrap();
    assert_eq!(
        analytics::count_outbox(db, &app.state.analytics)
            .await
            .unwrap(),
        1,
        "the fact is taken again"
    );
    let ops = analytics::ops_for(db, &app.state.analytics, &paid[0])
        .await
        .unwrap();
    assert!(!app
        .state
        .analytics
        .store
        .apply(
            Some((
                format!("analytics:seen:{}", paid[0].id).as_str(),
                app.state.analytics.retention
            )),
            &ops,
            app.state.analytics.retention
        )
        .await
        .unwrap());
    assert_eq!(
        dashboard(&app, &staff, "today").await["revenue"],
        view["revenue"]
    );

    // Every figure equals the SQL aggregate over the same orders.
    let orders = order::Entity::find()
        .filter(order::Column::PaidAt.is_not_null())
        .all(db)
        .await
        .unwrap();
    assert_eq!(orders.len(), 3);
    let grand: i64 = orders.iter().map(|o| o.grand_total).sum();
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.is_in(orders.iter().map(|o| o.id)))
        .all(db)
        .await
        .unwrap();
    let units: i64 = items.iter().map(|i| i64::from(i.quantity)).sum();
    assert_eq!(units, 4);
    assert_eq!(view["revenue"]["current"], grand - 10_000, "{view}");
    assert_eq!(view["revenue"]["previous"], 0);
    assert!(
        view["revenue"]["change_percent"].is_null(),
        "no % against nothing"
    );
    assert_eq!(view["orders"]["current"], 3);
    assert_eq!(view["units"]["current"], 4);
    assert_eq!(view["refunded"]["current"], 10_000);
    assert_eq!(view["average_order_value"]["current"], (grand - 10_000) / 3);
    assert_eq!(
        view["customers"]["current"], 2,
        "the customer and the guest"
    );
    assert_eq!(view["new_customers"]["current"], 2);
    assert_eq!(view["returning_customers"]["current"], 1);
    assert_eq!(
        view["payment_success_rate"]["current"], 75.0,
        "3 paid of 4 attempts"
    );
    assert!(view["payment_success_rate"]["previous"].is_null());
    assert_eq!(view["payment_methods"][0]["method"], "demo");
    assert_eq!(view["payment_methods"][0]["succeeded"], 3);
    assert_eq!(view["payment_methods"][0]["failed"], 1);
    let first_product = product_variant::Entity::find_by_id(first_id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .product_id;
    let top = &view["top_by_units"][0];
    assert_eq!(top["product_id"], first_product);
    assert_eq!(top["units"], 3);
    let first_lines: i64 = items
        .iter()
        .filter(|i| i.product_id == first_product)
        .map(|i| i.line_total)
        .sum();
    assert_eq!(top["revenue"], first_lines);
    let series = view["series"].as_array().unwrap();
    assert_eq!(series.len(), 1);
    assert_eq!(series[0]["orders"], 3);
    assert_eq!(series[0]["day"], view["to"]);

    // The week holds the same day, and six empty ones before it.
    let week = dashboard(&app, &staff, "7d").await;
    assert_eq!(week["series"].as_array().unwrap().len(), 7);
    assert_eq!(week["revenue"]["current"], view["revenue"]["current"]);
    assert_eq!(week["series"][0]["orders"], 0);

    // Rebuilt from the database, every figure is the same as counted live.
    let live = dashboard(&app, &staff, "7d").await;
    let (from, to) = app.state.analytics.window(chrono::Utc::now());
    let rebuilt = analytics::rebuild(db, &app.state.analytics, from, to)
        .await
        .unwrap();
    assert_eq!(rebuilt.days, 35);
    // 3 paid orders, 1 declined attempt, 1 confirmed refund.
    assert_eq!(rebuilt.facts, 5, "{rebuilt:?}");
    let again = dashboard(&app, &staff, "7d").await;
    for field in [
        "revenue",
        "orders",
        "units",
        "average_order_value",
        "customers",
        "new_customers",
        "returning_customers",
        "refunded",
        "payment_success_rate",
        "series",
        "top_by_revenue",
        "top_by_units",
        "payment_methods",
    ] {
        assert_eq!(again[field], live[field], "{field} after the rebuild");
    }

    // A fact of yesterday counted late (Redis was away at midnight): the days already over
    // are merged once and kept (in Redis), and this must not leave the week stale.
    let paid = order::Entity::find()
        .filter(order::Column::Number.eq(number_one.clone()))
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let yesterday = chrono::Utc::now() - chrono::Duration::days(1);
    let count_late = |n: u32| outbox_event::ActiveModel {
        kind: sea_orm::Set("order.paid".into()),
        reference: sea_orm::Set(format!("late:{}:{n}", paid.id)),
        payload: sea_orm::Set(json!({ "order_id": paid.id }).to_string()),
        created_at: sea_orm::Set(yesterday),
        processed_at: sea_orm::Set(Some(yesterday)),
        ..Default::default()
    };
    // The top lists are merged over the days too: each late order's two units count.
    let units_of = |view: &Value| {
        view["top_by_units"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["product_id"] == first_product)
            .map(|p| p["units"].as_i64().unwrap())
    };
    count_late(1).insert(db).await.unwrap();
    let late = dashboard(&app, &staff, "7d").await;
    assert_eq!(
        late["revenue"]["current"].as_i64().unwrap(),
        again["revenue"]["current"].as_i64().unwrap() + paid.grand_total
    );
    assert_eq!(late["orders"]["current"], 4);
    assert_eq!(late["series"][5]["orders"], 1, "counted on yesterday");
    assert_eq!(late["series"][6]["orders"], 3);
    assert_eq!(units_of(&late), units_of(&again).map(|u| u + 2));
    // Yesterday now has sales, so the merged days are kept; a second late fact still shows.
    count_late(2).insert(db).await.unwrap();
    let later = dashboard(&app, &staff, "7d").await;
    assert_eq!(later["series"][5]["orders"], 2);
    assert_eq!(units_of(&later), units_of(&late).map(|u| u + 2));

    // Refusals.
    let res = staff
        .get(app.url("/api/v1/admin/analytics?range=1y"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = customer
        .get(app.url("/api/v1/admin/analytics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_view_is_served_again_for_the_read_cache_time_then_read_afresh() {
    let app =
        crate::common::spawn_app_with(&[("PASAR_ANALYTICS_READ_CACHE_MS", "1500".into())]).await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[5]).await;
    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    let first = dashboard(&app, &staff, "today").await;
    assert_eq!(first["orders"]["current"], 0);
    customer_with_paid_order(&app, &sku, 1).await;
    // Within the cache time: the same view, computed at the same instant.
    let cached = dashboard(&app, &staff, "today").await;
    assert_eq!(cached["generated_at"], first["generated_at"]);
    assert_eq!(cached["orders"]["current"], 0);
    // Another period is its own view.
    assert_eq!(dashboard(&app, &staff, "7d").await["orders"]["current"], 1);
    tokio::time::sleep(std::time::Duration::from_millis(1600)).await;
    let fresh = dashboard(&app, &staff, "today").await;
    assert_ne!(fresh["generated_at"], first["generated_at"]);
    assert_eq!(fresh["orders"]["current"], 1);
}

#[tokio::test]
async fn days_start_at_the_shops_local_midnight() {
    use chrono::TimeZone;
    let store = std::sync::Arc::new(analytics::store::MemoryCounters::new());
    let jakarta = analytics::Analytics::new(store, "Asia/Jakarta", 35);
    // 16:59 UTC is 23:59 in Jakarta (UTC+7); 17:00 UTC is the next day there.
    let before = chrono::Utc
        .with_ymd_and_hms(2026, 12, 3, 16, 59, 59)
        .unwrap();
    let after = chrono::Utc.with_ymd_and_hms(2026, 12, 3, 17, 0, 0).unwrap();
    assert_eq!(jakarta.day_of(before).to_string(), "2026-12-03");
    assert_eq!(jakarta.day_of(after).to_string(), "2026-12-04");
}

/// Reads the dashboard until `ready` holds (the tracking worker applies visits a moment after
/// the request), at most 10 s.
async fn dashboard_when(
    app: &crate::common::TestApp,
    staff: &reqwest::Client,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let view = dashboard(app, staff, "today").await;
        if ready(&view) || std::time::Instant::now() > deadline {
            return view;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn visits_sessions_and_the_funnel_are_counted_and_robots_are_not() {
    use app::server::db::product;
    let app = spawn_app().await;
    let db = &app.state.db;
    let (variant_id, sku, _) = variant_with_stock(db, &[20, 0]).await;
    let variant = product_variant::Entity::find_by_id(variant_id)
        .one(db)
        .await
        .unwrap()
        .unwrap();
    let slug = product::Entity::find_by_id(variant.product_id)
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .slug;

    let shopper = app.new_client();
    let open = |client: &reqwest::Client, path: &str| {
        client
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
    };
    let first = open(&shopper, "/").await.unwrap();
    assert_eq!(first.status(), 200);
    let cookie = first
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("pasar_vid="))
        .expect("a first visit gets the visitor cookie")
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let again = open(&shopper, "/search").await.unwrap();
    assert_eq!(again.status(), 200);
    assert!(
        !again
            .headers()
            .get_all("set-cookie")
            .iter()
            .any(|v| v.to_str().unwrap_or("").starts_with("pasar_vid=")),
        "the cookie is set once"
    );
    assert_eq!(
        open(&shopper, &format!("/p/{slug}"))
            .await
            .unwrap()
            .status(),
        200
    );
    let res = shopper
        .post(app.url("/api/v1/cart/items"))
        .json(&json!({ "sku": sku, "quantity": 1 }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(open(&shopper, "/checkout").await.unwrap().status(), 200);
    let res = shopper
        .post(app.url("/api/v1/checkout"))
        .header("Idempotency-Key", unique_name("order"))
        .json(&checkout_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());

    // Two other visitors look once each; a robot and an API client are not visitors.
    for _ in 0..2 {
        assert_eq!(open(&app.new_client(), "/").await.unwrap().status(), 200);
    }
    let bot = app
        .new_client()
        .get(app.url("/"))
        .header("accept", "text/html")
        .header("user-agent", "Mozilla/5.0 (compatible; Googlebot/2.1)")
        .send()
        .await
        .unwrap();
    assert!(bot
        .headers()
        .get("set-cookie")
        .is_none_or(|c| !c.to_str().unwrap_or("").starts_with("pasar_vid=")));
    assert_eq!(
        app.new_client()
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    // 4 pages of the shopper, 1 each of the two other visitors (the robot and the API call
    // do not count).
    let view = dashboard_when(&app, &staff, |v| v["page_views"]["current"] == 6).await;
    assert_eq!(view["page_views"]["current"], 6, "{view:#}");
    assert_eq!(view["visitors"]["current"], 3);
    assert_eq!(view["sessions"]["current"], 3);
    assert_eq!(view["visitors_now"], 3);
    let funnel = &view["funnel"];
    assert_eq!(funnel["sessions"], 3);
    assert_eq!(funnel["product_views"], 1);
    assert_eq!(funnel["add_to_cart"], 1);
    assert_eq!(funnel["checkouts_started"], 1);
    assert_eq!(funnel["orders_placed"], 1);
    // One session of three placed an order.
    let conversion = view["conversion_rate"]["current"].as_f64().unwrap();
    assert!((conversion - 100.0 / 3.0).abs() < 0.01, "{conversion}");
    assert_eq!(app.state.analytics.tracker.dropped(), 0);
}

#[tokio::test]
async fn a_month_of_sales_counts_to_the_database_figures_day_by_day() {
    use std::collections::BTreeMap;
    let app = spawn_app().await;
    let db = &app.state.db;
    app::server::seed::demo::seed_demo_catalog(db)
        .await
        .unwrap();
    let made = app::server::seed::demo::seed_demo_sales(db, 30)
        .await
        .unwrap();
    assert!(made >= 60, "{made} orders");
    assert_eq!(
        app::server::seed::demo::seed_demo_sales(db, 30)
            .await
            .unwrap(),
        0,
        "seeding again adds nothing"
    );
    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    let view = dashboard(&app, &staff, "30d").await;

    // The truth, from the tables: paid orders by the shop day of their payment, within the
    // period the answer covers.
    let (from, to) = (
        view["from"].as_str().unwrap().to_string(),
        view["to"].as_str().unwrap().to_string(),
    );
    let orders: Vec<order::Model> = order::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| {
            let day = app
                .state
                .analytics
                .day_of(o.paid_at.unwrap())
                .format("%Y-%m-%d")
                .to_string();
            day >= from && day <= to
        })
        .collect();
    assert!(orders.len() > 40, "most of the month is inside 30 days");
    let ids: Vec<i32> = orders.iter().map(|o| o.id).collect();
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.is_in(ids.clone()))
        .all(db)
        .await
        .unwrap();
    let revenue: i64 = orders.iter().map(|o| o.grand_total).sum();
    let units: i64 = items.iter().map(|i| i64::from(i.quantity)).sum();
    assert_eq!(view["revenue"]["current"], revenue);
    assert_eq!(view["orders"]["current"], orders.len() as i64);
    assert_eq!(view["units"]["current"], units);
    assert_eq!(
        view["average_order_value"]["current"],
        revenue / orders.len() as i64
    );
    let emails: std::collections::HashSet<&str> = orders.iter().map(|o| o.email.as_str()).collect();
    let customers = view["customers"]["current"].as_i64().unwrap();
    if app.state.analytics.store.backend() == "redis" {
        // HyperLogLog: an estimate (standard error 0.81%; these 150 addresses count as 148).
        let off = (customers - emails.len() as i64).abs() as f64 / emails.len() as f64;
        assert!(off < 0.05, "{customers} customers for {}", emails.len());
    } else {
        assert_eq!(customers, emails.len() as i64);
    }

    // Day by day.
    let mut by_day: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    for o in &orders {
        let day = app
            .state
            .analytics
            .day_of(o.paid_at.unwrap())
            .format("%Y-%m-%d")
            .to_string();
        let entry = by_day.entry(day).or_default();
        entry.0 += o.grand_total;
        entry.1 += 1;
    }
    let series = view["series"].as_array().unwrap();
    assert_eq!(series.len(), 30);
    for day in series {
        let (revenue, count) = by_day
            .get(day["day"].as_str().unwrap())
            .copied()
            .unwrap_or_default();
        assert_eq!(day["revenue"], revenue, "{day}");
        assert_eq!(day["orders"], count, "{day}");
    }

    // Payments: every order paid once; the declined attempts are the outbox's.
    let failed = outbox_event::Entity::find()
        .filter(outbox_event::Column::Kind.eq("payment.failed"))
        .filter(outbox_event::Column::Reference.is_in(orders.iter().map(|o| o.number.clone())))
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .filter(|f| {
            let day = app
                .state
                .analytics
                .day_of(f.created_at)
                .format("%Y-%m-%d")
                .to_string();
            day >= from && day <= to
        })
        .count() as f64;
    let paid = orders.len() as f64;
    let success = view["payment_success_rate"]["current"].as_f64().unwrap();
    assert!(
        (success - paid * 100.0 / (paid + failed)).abs() < 1e-9,
        "{success}"
    );
    let mut methods: BTreeMap<String, i64> = BTreeMap::new();
    for o in &orders {
        *methods.entry(o.payment_method.clone()).or_default() += 1;
    }
    for m in view["payment_methods"].as_array().unwrap() {
        assert_eq!(
            m["succeeded"],
            methods[m["method"].as_str().unwrap()],
            "{m}"
        );
    }

    // The best seller by revenue.
    let mut product_revenue: BTreeMap<i32, i64> = BTreeMap::new();
    for i in &items {
        *product_revenue.entry(i.product_id).or_default() += i.line_total;
    }
    let best = product_revenue.values().copied().max().unwrap();
    assert_eq!(view["top_by_revenue"][0]["revenue"], best);
}
