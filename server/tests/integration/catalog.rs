//! The catalogue through the Store API, on the demo catalogue: search relevance (typo, prefix,
//! multi-word, Indonesian), every filter and sort alone and combined, facet counts equal to the
//! filtered totals, pagination edges, bad parameters, SQL-looking input. Runs on SQLite and, with
//! `DATABASE_URL`, on PostgreSQL.

use crate::common::{spawn_app, TestApp};
use serde_json::Value;

async fn catalog_app() -> TestApp {
    let app = spawn_app().await;
    let created = app::server::seed::demo::seed_demo_catalog(&app.state.db)
        .await
        .expect("demo catalogue");
    assert!(created >= 200);
    app
}

async fn get(app: &TestApp, query: &str) -> (u16, Value) {
    let res = app
        .client
        .get(app.url(&format!("/api/v1/products?{query}")))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

async fn ok(app: &TestApp, query: &str) -> Value {
    let (status, body) = get(app, query).await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

fn names(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_lowercase())
        .collect()
}

fn numbers(page: &Value, pick: impl Fn(&Value) -> f64) -> Vec<f64> {
    page["items"].as_array().unwrap().iter().map(pick).collect()
}

#[tokio::test]
async fn search_finds_typos_prefixes_phrases_and_indonesian_words() {
    let app = catalog_app().await;
    let typo = ok(&app, "q=kemja").await;
    assert!(typo["total"].as_u64().unwrap() > 0, "kemja finds kemeja");
    assert!(names(&typo)[0].contains("kemeja"), "{:?}", names(&typo));
    // Several words, one misspelt, that no product has together: each unknown word is
    // corrected, and the products with any of the words are found.
    let mixed = ok(&app, "q=kemja+sepatu&per_page=100").await;
    let found = names(&mixed);
    assert!(found.iter().any(|n| n.contains("kemeja")), "{found:?}");
    assert!(found.iter().any(|n| n.contains("sepatu")), "{found:?}");
    assert!(
        found[0].contains("kemeja") || found[0].contains("sepatu"),
        "{found:?}"
    );

    let phrase = ok(&app, "q=sepatu+lari").await;
    let top = names(&phrase);
    assert!(!top.is_empty());
    assert!(
        top.iter().take(5).all(|n| n.contains("sepatu lari")),
        "{top:?}"
    );

    let prefix = ok(&app, "q=sepat").await;
    assert!(
        names(&prefix)
            .iter()
            .all(|n| n.contains("sepatu") || n.contains("sneakers") || n.contains("slip-on")),
        "{:?}",
        names(&prefix)
    );
    assert!(prefix["total"].as_u64().unwrap() >= 12);

    let kopi = ok(&app, "q=kopi&per_page=100").await;
    assert!(names(&kopi).iter().any(|n| n.contains("kopi arabika")));
    // A brand or category word finds products by it (weight B).
    let brand = ok(&app, "q=ortuseight&per_page=100").await;
    assert_eq!(
        brand["total"], 11,
        "6 running shoes + 5 sports items by Ortuseight"
    );

    // Name matches rank above description-only matches.
    let batik = ok(&app, "q=batik").await;
    assert!(names(&batik)[0].contains("batik"));

    let nothing = ok(&app, "q=zzzzqqq").await;
    assert_eq!(nothing["total"], 0);
    assert_eq!(nothing["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn sql_looking_input_is_plain_text() {
    let app = catalog_app().await;
    for q in [
        "%27%3B+DROP+TABLE+products%3B+--",
        "%22+OR+1%3D1+--",
        "kemeja%22*+NOT",
        "a%26b%7Cc%21%3A*",
    ] {
        let (status, body) = get(&app, &format!("q={q}")).await;
        assert_eq!(status, 200, "{q}: {body}");
    }
    let (_, all) = get(&app, "").await;
    assert!(
        all["total"].as_u64().unwrap() >= 200,
        "products still there"
    );
}

#[tokio::test]
async fn every_filter_alone_and_combined() {
    let app = catalog_app().await;
    let all = ok(&app, "per_page=100").await;
    let total = all["total"].as_u64().unwrap();
    assert_eq!(total, 204);
    assert_eq!(all["items"].as_array().unwrap().len(), 100);

    // A category includes its subcategories.
    let fashion = ok(&app, "category=fashion-pria&per_page=100").await;
    let kemeja = ok(&app, "category=kemeja-pria").await["total"]
        .as_u64()
        .unwrap();
    let kaos = ok(&app, "category=kaos-pria").await["total"]
        .as_u64()
        .unwrap();
    assert_eq!(fashion["total"].as_u64().unwrap(), kemeja + kaos);
    assert!(kemeja > 0 && kaos > 0);

    let brands = ok(&app, "brand=compass&brand=ventela&per_page=100").await;
    assert_eq!(brands["total"], 12);
    for item in brands["items"].as_array().unwrap() {
        assert!(["Compass", "Ventela"].contains(&item["brand"].as_str().unwrap()));
    }

    let priced = ok(&app, "min_price=100000&max_price=300000&per_page=100").await;
    assert!(priced["total"].as_u64().unwrap() > 0);
    for p in numbers(&priced, |i| i["price"]["amount"].as_f64().unwrap()) {
        assert!((100_000.0..=300_000.0).contains(&p), "{p}");
    }

    let rated = ok(&app, "min_rating=4&per_page=100").await;
    assert!(rated["total"].as_u64().unwrap() > 0 && rated["total"].as_u64().unwrap() < total);
    assert!(numbers(&rated, |i| i["rating"].as_f64().unwrap())
        .iter()
        .all(|r| *r >= 4.0));

    let stocked = ok(&app, "in_stock=true&per_page=100").await;
    let in_stock = stocked["total"].as_u64().unwrap();
    assert!(
        in_stock > 0 && in_stock < total,
        "some demo products are sold out"
    );
    assert!(stocked["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["in_stock"] == true));

    let combined = ok(&app, "q=kemeja&category=fashion-pria&brand=batik-keris&max_price=280000&min_rating=3&in_stock=1&sort=price_asc&per_page=100").await;
    for item in combined["items"].as_array().unwrap() {
        assert_eq!(item["brand"], "Batik Keris");
        assert!(item["price"]["amount"].as_i64().unwrap() <= 280_000);
        assert_eq!(item["in_stock"], true);
        assert!(item["name"].as_str().unwrap().contains("Kemeja"));
    }
    assert!(combined["total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn sorts_order_the_results() {
    let app = catalog_app().await;
    let asc = numbers(&ok(&app, "sort=price_asc&per_page=50").await, |i| {
        i["price"]["amount"].as_f64().unwrap()
    });
    assert!(asc.windows(2).all(|w| w[0] <= w[1]), "{asc:?}");
    let desc = numbers(&ok(&app, "sort=price_desc&per_page=50").await, |i| {
        i["price"]["amount"].as_f64().unwrap()
    });
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "{desc:?}");
    assert_eq!(desc[0], 15_500_000.0, "the foldable phone is the priciest");
    let rating = numbers(&ok(&app, "sort=rating&per_page=50").await, |i| {
        i["rating"].as_f64().unwrap()
    });
    assert!(rating.windows(2).all(|w| w[0] >= w[1]));
    let newest = ok(&app, "sort=newest&per_page=3").await;
    let oldest_first = ok(&app, "sort=newest&page=68&per_page=3").await;
    assert_ne!(newest["items"][0]["id"], oldest_first["items"][0]["id"]);
    let popular = ok(&app, "sort=popular").await;
    assert_eq!(popular["items"].as_array().unwrap().len(), 24);
    assert_eq!(
        ok(&app, "").await["items"][0]["id"],
        popular["items"][0]["id"],
        "default order is popularity"
    );
    // Formatted rupiah.
    assert!(popular["items"][0]["price"]["formatted"]
        .as_str()
        .unwrap()
        .starts_with("Rp "));
    assert_eq!(popular["items"][0]["price"]["currency"], "IDR");

    // Search results are sorted, paged and counted the same way (in memory over the matches).
    let relevant = ok(&app, "q=sepatu&per_page=100").await;
    let cheapest = ok(&app, "q=sepatu&sort=price_asc&per_page=100").await;
    let priciest = ok(&app, "q=sepatu&sort=price_desc&per_page=100").await;
    assert!(relevant["total"].as_u64().unwrap() > 3);
    assert_eq!(cheapest["total"], relevant["total"]);
    let asc = numbers(&cheapest, |i| i["price"]["amount"].as_f64().unwrap());
    assert!(asc.windows(2).all(|w| w[0] <= w[1]), "{asc:?}");
    let desc = numbers(&priciest, |i| i["price"]["amount"].as_f64().unwrap());
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "{desc:?}");
    let ids = |v: &Value| -> Vec<i64> {
        let mut ids: Vec<i64> = v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(
        ids(&relevant),
        ids(&cheapest),
        "same matches, another order"
    );
    let rated = numbers(&ok(&app, "q=sepatu&sort=rating&per_page=100").await, |i| {
        i["rating"].as_f64().unwrap()
    });
    assert!(rated.windows(2).all(|w| w[0] >= w[1]), "{rated:?}");
    let page_two = ok(&app, "q=sepatu&sort=price_asc&per_page=2&page=2").await;
    assert_eq!(page_two["items"][0]["id"], cheapest["items"][2]["id"]);
}

#[tokio::test]
async fn facet_counts_equal_filtered_totals() {
    let app = catalog_app().await;
    let base = ok(&app, "q=kaos&in_stock=1").await;
    let facets = &base["facets"];
    for brand in facets["brands"].as_array().unwrap() {
        let slug = brand["slug"].as_str().unwrap();
        let filtered = ok(&app, &format!("q=kaos&in_stock=1&brand={slug}")).await;
        assert_eq!(filtered["total"], brand["count"], "brand {slug}");
    }
    for category in facets["categories"].as_array().unwrap() {
        let slug = category["slug"].as_str().unwrap();
        let filtered = ok(&app, &format!("q=kaos&in_stock=1&category={slug}")).await;
        assert_eq!(filtered["total"], category["count"], "category {slug}");
    }
    for rating in facets["ratings"].as_array().unwrap() {
        let min = rating["min_rating"].as_u64().unwrap();
        let filtered = ok(&app, &format!("q=kaos&in_stock=1&min_rating={min}")).await;
        assert_eq!(filtered["total"], rating["count"], "rating {min}");
    }
    let without_stock_filter = ok(&app, "q=kaos").await;
    assert_eq!(without_stock_filter["facets"]["in_stock"], base["total"]);
    // A facet ignores its own filter, so picking a brand keeps the other brands on offer.
    let one_brand = ok(&app, "q=kaos&brand=erigo").await;
    assert!(one_brand["facets"]["brands"].as_array().unwrap().len() >= 2);

    // Without search text the counts come from SQL over the whole catalogue: same contract.
    let listing = ok(&app, "category=fashion-pria&min_rating=3").await;
    for brand in listing["facets"]["brands"].as_array().unwrap() {
        let slug = brand["slug"].as_str().unwrap();
        let filtered = ok(
            &app,
            &format!("category=fashion-pria&min_rating=3&brand={slug}"),
        )
        .await;
        assert_eq!(filtered["total"], brand["count"], "brand {slug}");
    }
    let all_ratings = ok(&app, "category=fashion-pria").await;
    for rating in all_ratings["facets"]["ratings"].as_array().unwrap() {
        let min = rating["min_rating"].as_u64().unwrap();
        let filtered = ok(&app, &format!("category=fashion-pria&min_rating={min}")).await;
        assert_eq!(filtered["total"], rating["count"], "rating {min}");
    }
}

#[tokio::test]
async fn pagination_edges() {
    let app = catalog_app().await;
    let last = ok(&app, "per_page=100&page=3").await;
    assert_eq!(last["items"].as_array().unwrap().len(), 4);
    let beyond = ok(&app, "per_page=100&page=9").await;
    assert_eq!(
        beyond["items"].as_array().unwrap().len(),
        0,
        "out of range is empty, not an error"
    );
    assert_eq!(beyond["total"], 204);
    let single = ok(&app, "per_page=1&page=204").await;
    assert_eq!(single["items"].as_array().unwrap().len(), 1);
    // Pages do not overlap.
    let p1 = ok(&app, "per_page=10&page=1&sort=price_asc").await;
    let p2 = ok(&app, "per_page=10&page=2&sort=price_asc").await;
    let ids1: Vec<&Value> = p1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["id"])
        .collect();
    assert!(p2["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| !ids1.contains(&&i["id"])));
}

#[tokio::test]
async fn bad_parameters_are_400_or_422() {
    let app = catalog_app().await;
    for (query, status) in [
        ("page=-1", 400),
        ("page=0", 400),
        ("page=abc", 400),
        ("per_page=101", 400),
        ("sort=cheapest", 400),
        ("min_rating=9", 400),
        ("min_price=500&max_price=100", 422),
        ("min_price=-1", 422),
    ] {
        let (got, body) = get(&app, query).await;
        assert_eq!(got, status, "{query}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().len() > 10);
    }
    let categories: Value = app
        .client
        .get(app.url("/api/v1/categories"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(categories.as_array().unwrap().len() >= 10);
    let brands: Value = app
        .client
        .get(app.url("/api/v1/brands"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(brands.as_array().unwrap().len() >= 15);
}

#[tokio::test]
async fn product_detail_has_variants_with_availability() {
    let app = catalog_app().await;
    let res = app
        .client
        .get(app.url("/api/v1/products/batik-keris-kemeja-batik-parang-lengan-panjang"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let p: Value = res.json().await.unwrap();
    let variants = p["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 8, "4 sizes × 2 colours");
    let xl = variants
        .iter()
        .find(|v| v["options"]["Ukuran"] == "XL")
        .unwrap();
    let s = variants
        .iter()
        .find(|v| v["options"]["Ukuran"] == "S")
        .unwrap();
    assert_eq!(
        xl["price"]["amount"].as_i64().unwrap(),
        s["price"]["amount"].as_i64().unwrap() + 10_000
    );
    assert!(variants
        .iter()
        .all(|v| v["available"].as_i64().unwrap() >= 0
            && v["sku"].as_str().unwrap().starts_with("PSR-")));
    assert_eq!(p["categories"][0]["slug"], "fashion-pria");
    assert_eq!(p["categories"][1]["slug"], "kemeja-pria");
    assert!(p["description_html"].as_str().unwrap().contains("<strong>"));
    assert_eq!(p["related"].as_array().unwrap().len(), 4);

    let res = app
        .client
        .get(app.url("/api/v1/products/tidak-ada"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let page = app
        .client
        .get(app.url("/p/tidak-ada"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        404,
        "the product page of a missing product is a 404"
    );
    let page = app
        .client
        .get(app.url("/p/batik-keris-kemeja-batik-parang-lengan-panjang?sku=PSR-0001-07"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("application/ld+json") && html.contains("\"@type\":\"Product\""),
        "schema.org JSON-LD"
    );
    let listing = app
        .client
        .get(app.url("/search?q=kemeja&sort=cheapest"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        listing.status(),
        400,
        "bad listing parameters show an error page with status 400"
    );
    assert!(listing.text().await.unwrap().contains("Unknown sort"));
}

#[tokio::test]
async fn suggest_returns_products_and_categories() {
    let app = catalog_app().await;
    let s: Value = app
        .client
        .get(app.url("/api/v1/search/suggest?q=sepatu"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let products = s["products"].as_array().unwrap();
    assert!(!products.is_empty() && products.len() <= 6);
    assert!(products[0]["price"].as_str().unwrap().starts_with("Rp "));
    let categories: Vec<&str> = s["categories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["slug"].as_str().unwrap())
        .collect();
    assert!(
        categories.contains(&"sepatu") && categories.contains(&"sepatu-lari"),
        "{categories:?}"
    );
    let typo: Value = app
        .client
        .get(app.url("/api/v1/search/suggest?q=kemja"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(typo["products"][0]["name"]
        .as_str()
        .unwrap()
        .contains("Kemeja"));
    let empty: Value = app
        .client
        .get(app.url("/api/v1/search/suggest?q="))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(empty["products"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_price_edit_is_never_served_stale_from_the_cache() {
    let app = catalog_app().await;
    let query = "q=kemeja+oxford&brand=kalamata";
    let before = ok(&app, query).await;
    let again = ok(&app, query).await;
    assert_eq!(
        before, again,
        "a repeated query is answered the same (from the cache)"
    );
    let slug = before["items"][0]["slug"].as_str().unwrap().to_string();
    let detail: Value = app
        .client
        .get(app.url(&format!("/api/v1/products/{slug}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for variant in detail["variants"].as_array().unwrap() {
        app::server::catalog::set_variant_price(
            &app.state.db,
            app.state.cache.as_ref(),
            variant["sku"].as_str().unwrap(),
            123_000,
        )
        .await
        .unwrap();
    }
    let after = ok(&app, query).await;
    assert_eq!(
        after["items"][0]["price"]["amount"], 123_000,
        "the new price shows at once"
    );
    assert_eq!(after["items"][0]["price"]["formatted"], "Rp 123.000");
    let bad = app::server::catalog::set_variant_price(
        &app.state.db,
        app.state.cache.as_ref(),
        "PSR-0001-01",
        -1,
    )
    .await;
    assert_eq!(bad.unwrap_err().status(), 422);
}

#[tokio::test]
async fn robots_and_sitemap_list_the_public_pages() {
    let app = catalog_app().await;
    let robots = app
        .client
        .get(app.url("/robots.txt"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        robots.contains("Disallow: /admin")
            && robots.contains("Disallow: /checkout")
            && robots.contains(&format!("Sitemap: {}/sitemap.xml", app.base))
    );
    let res = app
        .client
        .get(app.url("/sitemap.xml"))
        .send()
        .await
        .unwrap();
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/xml"));
    let xml = res.text().await.unwrap();
    let count = |path: &str| {
        let client = app.client.clone();
        let url = app.url(path);
        async move {
            client
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
                .as_array()
                .unwrap()
                .len()
        }
    };
    let (categories, brands) = (
        count("/api/v1/categories").await,
        count("/api/v1/brands").await,
    );
    assert_eq!(
        xml.matches("<loc>").count(),
        2 + categories + brands + 204,
        "home, search, categories, brands, products"
    );
    assert!(xml.contains(&format!(
        "<loc>{}/p/batik-keris-kemeja-batik-parang-lengan-panjang</loc>",
        app.base
    )));
}
