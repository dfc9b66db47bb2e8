//! Invoices and credit notes over HTTP: refused before payment, issued once paid with the
//! seller, buyer, lines, DPP, PPN, shipping and total (read back with `pdftotext`), the same
//! bytes on every download, hidden from other customers, numbered without gaps or repeats when
//! many are issued at once, a credit note for a refund that went through, and the admin's bulk
//! print with each print on the order's timeline. Runs on SQLite and on PostgreSQL + Redis.
use crate::common::{spawn_app, unique_name, variant_with_stock, TestApp};
use crate::orders::{customer_with_paid_order, place};
use app::server::db::{document, order_event};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};

/// The text of a PDF, by poppler's `pdftotext` (installed by `cargo xtask setup`).
fn pdf_text(bytes: &[u8]) -> String {
    let dir = std::env::temp_dir().join(unique_name("pdf"));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("doc.pdf");
    std::fs::write(&file, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .arg("-layout")
        .arg(&file)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) must be installed: cargo xtask setup");
    assert!(out.status.success(), "pdftotext failed on the PDF");
    let _ = std::fs::remove_dir_all(&dir);
    String::from_utf8(out.stdout).unwrap()
}

async fn get(client: &reqwest::Client, url: String) -> (u16, String, Vec<u8>) {
    let res = client.get(url).send().await.unwrap();
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (status, kind, res.bytes().await.unwrap().to_vec())
}

async fn staff_view(app: &TestApp, staff: &reqwest::Client, number: &str) -> Value {
    let res = staff
        .get(app.url(&format!("/api/v1/admin/orders/{number}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn notes(app: &TestApp, order_id: i64) -> Vec<String> {
    order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order_id as i32))
        .filter(order_event::Column::Kind.eq("note"))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.note)
        .collect()
}

#[tokio::test]
async fn a_paid_order_gets_one_invoice_that_says_what_was_sold() {
    let app = spawn_app().await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[10, 0]).await;

    // Before payment there is no invoice.
    let guest = app.new_client();
    let placed = place(&app, &guest, &sku, 1).await;
    let unpaid = placed["order"]["number"].as_str().unwrap().to_string();
    let order_url = placed["order_url"].as_str().unwrap().to_string();
    let key = order_url
        .split("key=")
        .nth(1)
        .unwrap_or_default()
        .to_string();
    let (status, _, body) = get(
        &guest,
        app.url(&format!("/api/v1/orders/{unpaid}/invoice.pdf?key={key}")),
    )
    .await;
    assert_eq!(status, 409);
    assert!(String::from_utf8_lossy(&body).contains("once the order is paid"));

    let (customer, number) = customer_with_paid_order(&app, &sku, 2).await;
    let url = app.url(&format!("/api/v1/orders/{number}/invoice.pdf"));
    let res = customer.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"INV-"),
        "{disposition}"
    );
    let first = res.bytes().await.unwrap().to_vec();
    assert!(first.starts_with(b"%PDF-"));

    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    let order = staff_view(&app, &staff, &number).await;
    let stored = document::Entity::find()
        .filter(document::Column::OrderId.eq(order["id"].as_i64().unwrap() as i32))
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let invoice = &stored[0];
    assert_eq!(invoice.kind, "invoice");
    assert!(invoice.number.starts_with("INV/"), "{}", invoice.number);
    assert_eq!(
        invoice.total,
        order["totals"]["grand_total"]["amount"].as_i64().unwrap()
    );

    let text = pdf_text(&first);
    let line = &order["lines"][0];
    let totals = &order["totals"];
    for expected in [
        "INVOICE",
        invoice.number.as_str(),
        number.as_str(),
        "PT Pasar Digital Nusantara",
        "NPWP 01.234.567.8-012.000",
        "Budi Santoso",
        "Jl. Kenanga No. 9",
        line["sku"].as_str().unwrap(),
        line["unit_price"]["formatted"].as_str().unwrap(),
        line["line_total"]["formatted"].as_str().unwrap(),
        "DPP (11/12)",
        totals["dpp"]["formatted"].as_str().unwrap(),
        "PPN 12%",
        totals["ppn"]["formatted"].as_str().unwrap(),
        "Shipping",
        totals["grand_total"]["formatted"].as_str().unwrap(),
        "Payment: Paid",
    ] {
        assert!(
            text.contains(expected),
            "the invoice shows {expected:?}:\n{text}"
        );
    }
    assert!(
        text.lines()
            .any(|l| l.contains(line["sku"].as_str().unwrap()) && l.contains(" 2 ")),
        "the line shows its quantity:\n{text}"
    );

    // The same bytes every time, for the customer and for staff printing it.
    let (_, _, again) = get(&customer, url.clone()).await;
    assert_eq!(again, first);
    let res = staff
        .get(app.url(&format!("/admin/orders/{number}/invoice.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("inline"));
    assert_eq!(res.bytes().await.unwrap().to_vec(), first);

    // The print is on the staff timeline, not on the customer's.
    let order_id = order["id"].as_i64().unwrap();
    let notes = notes(&app, order_id).await;
    assert!(notes
        .iter()
        .any(|n| n == &format!("Invoice {} issued.", invoice.number)));
    assert!(notes
        .iter()
        .any(|n| n == &format!("Invoice {} printed.", invoice.number)));
    let mine: Value = customer
        .get(app.url(&format!("/api/v1/orders/{number}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(mine["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["kind"] != "note"));

    // Nobody else gets it.
    let stranger = app.new_client();
    let email = format!("{}@contoh.id", unique_name("other"));
    app.register(&stranger, "Sari", &email, "rahasia-sekali-2")
        .await;
    let (status, _, _) = get(&stranger, url.clone()).await;
    assert_eq!(status, 404);
    let (status, _, _) = get(&app.new_client(), url.clone()).await;
    assert_eq!(status, 404);
    let (status, _, _) = get(
        &customer,
        app.url(&format!("/admin/orders/{number}/invoice.pdf")),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(
        document::Entity::find()
            .filter(document::Column::Kind.eq("invoice"))
            .all(&app.state.db)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn invoice_numbers_have_no_gaps_and_no_repeats_when_issued_at_once() {
    let app = spawn_app().await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[40, 0]).await;
    let mut orders = Vec::new();
    for _ in 0..6 {
        orders.push(customer_with_paid_order(&app, &sku, 1).await);
    }
    // Every order's invoice asked for twice at the same moment.
    let requests = orders.iter().flat_map(|(client, number)| {
        let url = app.url(&format!("/api/v1/orders/{number}/invoice.pdf"));
        [get(client, url.clone()), get(client, url)]
    });
    let answers = futures::future::join_all(requests).await;
    for pair in answers.chunks(2) {
        assert_eq!(pair[0].0, 200);
        assert_eq!(pair[0].2, pair[1].2, "both asks get the one invoice");
    }
    let mut numbers: Vec<i64> = document::Entity::find()
        .filter(document::Column::Kind.eq("invoice"))
        .all(&app.state.db)
        .await
        .unwrap()
        .iter()
        .map(|d| d.number.rsplit('/').next().unwrap().parse().unwrap())
        .collect();
    numbers.sort();
    assert_eq!(numbers, (1..=6).collect::<Vec<i64>>(), "1 to 6, each once");
}

#[tokio::test]
async fn a_refund_that_went_through_gets_a_credit_note_and_staff_print_many_at_once() {
    let app = spawn_app().await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[10, 0]).await;
    let (customer, number) = customer_with_paid_order(&app, &sku, 2).await;
    let (_, second) = customer_with_paid_order(&app, &sku, 1).await;
    let guest = app.new_client();
    let unpaid = place(&app, &guest, &sku, 1).await["order"]["number"]
        .as_str()
        .unwrap()
        .to_string();
    let staff = app.new_client();
    app.login_as_admin(&staff).await;
    let order = staff_view(&app, &staff, &number).await;
    let item = order["lines"][0]["item_id"].as_i64().unwrap();
    let res = staff
        .post(app.url(&format!("/api/v1/admin/orders/{number}/refunds")))
        .header("Idempotency-Key", unique_name("refund"))
        .json(&json!({
            "lines": [{ "item_id": item, "quantity": 1, "restock": false }],
            "reason": "Arrived broken"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let refund: Value = res.json().await.unwrap();
    let refund_id = refund["refund"]["id"].as_i64().unwrap();
    let refunded = refund["refund"]["amount"]["formatted"]
        .as_str()
        .unwrap()
        .to_string();

    let (status, kind, pdf) = get(
        &customer,
        app.url(&format!(
            "/api/v1/orders/{number}/refunds/{refund_id}/credit-note.pdf"
        )),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(kind, "application/pdf");
    let text = pdf_text(&pdf);
    let invoice = document::Entity::find()
        .filter(document::Column::Subject.eq(format!("invoice:{}", order["id"])))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the credit note's invoice was issued with it");
    let note = document::Entity::find()
        .filter(document::Column::Subject.eq(format!("credit_note:{refund_id}")))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(note.number.starts_with("CN/") && note.number.ends_with("/000001"));
    for expected in [
        "CREDIT NOTE",
        note.number.as_str(),
        invoice.number.as_str(),
        "Refers to invoice",
        refunded.as_str(),
        "Reason: Arrived broken",
        "PPN 12%",
    ] {
        assert!(
            text.contains(expected),
            "the credit note shows {expected:?}:\n{text}"
        );
    }
    // Staff get the same file; another customer's refund id is not found on this order.
    let (status, _, again) = get(
        &staff,
        app.url(&format!("/admin/refunds/{refund_id}/credit-note.pdf")),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(again, pdf);
    let (status, _, _) = get(
        &customer,
        app.url(&format!(
            "/api/v1/orders/{second}/refunds/{refund_id}/credit-note.pdf"
        )),
    )
    .await;
    assert_eq!(status, 404);

    // Bulk print: an unpaid order among them prints nothing and says which.
    let form = |numbers: &[&str]| {
        numbers
            .iter()
            .map(|n| format!("number={n}"))
            .collect::<Vec<_>>()
            .join("&")
    };
    let post = |body: String| {
        staff
            .post(app.url("/admin/orders/invoices"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
    };
    let res = post(form(&[&number, &unpaid])).await.unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/admin/orders?error="), "{location}");
    assert!(location.contains(&unpaid), "{location}");
    let res = post(form(&[&number, &second])).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let both = pdf_text(&res.bytes().await.unwrap());
    let second_invoice = document::Entity::find()
        .filter(document::Column::Kind.eq("invoice"))
        .filter(document::Column::Number.ne(invoice.number.clone()))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the second order's invoice was issued by the print");
    assert!(both.contains(&invoice.number) && both.contains(&second_invoice.number));
    assert!(both.contains(&number) && both.contains(&second));
    for (id, printed) in [
        (order["id"].as_i64().unwrap(), &invoice.number),
        (
            staff_view(&app, &staff, &second).await["id"]
                .as_i64()
                .unwrap(),
            &second_invoice.number,
        ),
    ] {
        assert!(notes(&app, id)
            .await
            .iter()
            .any(|n| n == &format!("Invoice {printed} printed.")));
    }
    // Customers cannot bulk print.
    let res = customer
        .post(app.url("/admin/orders/invoices"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[&number]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
