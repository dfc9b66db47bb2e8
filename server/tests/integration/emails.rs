//! Emails from the outbox: an order's facts become emails once (customer and staff), go out
//! through SMTP to a local sink, wait queued with a growing pause while SMTP is down and go out
//! exactly once when it returns, also when two drains and two senders race; without SMTP the
//! background worker writes `.eml` files. Runs on SQLite and on PostgreSQL.
use crate::common::{smtp::SmtpSink, spawn_app_with, unique_name, variant_with_stock, TestApp};
use crate::orders::customer_with_paid_order;
use app::server::{
    db::{email, outbox_event},
    emails::{send_due, Mailer},
    orders::outbox::drain,
};
use chrono::{Duration, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::json;

async fn emails(app: &TestApp) -> Vec<email::Model> {
    email::Entity::find()
        .order_by_asc(email::Column::Id)
        .all(&app.state.db)
        .await
        .unwrap()
}

fn header<'a>(data: &'a str, name: &str) -> &'a str {
    data.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_default()
}

#[tokio::test]
async fn order_emails_go_out_once_and_wait_while_smtp_is_down() {
    // A port nobody listens on yet: SMTP is down when the first emails are due.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(&[
        ("SMTP_URL", format!("smtp://127.0.0.1:{port}")),
        ("PASAR_STAFF_EMAIL", "gudang@toko.id".to_string()),
        // The test drives the rounds itself.
        ("PASAR_MAIL_EVERY_SECS", "3600".to_string()),
    ])
    .await;
    let mailer = Mailer::from_settings(&app.state.settings).unwrap();
    let (_, sku, _) = variant_with_stock(&app.state.db, &[20, 0]).await;
    let (_customer, number) = customer_with_paid_order(&app, &sku, 1).await;
    let order = app::server::db::order::Entity::find()
        .filter(app::server::db::order::Column::Number.eq(&number))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();

    // Placed and paid: the customer gets two emails, staff one.
    assert!(drain(&app.state.db, &app.state.settings).await.unwrap() >= 2);
    let queued = emails(&app).await;
    let kinds: Vec<(&str, &str)> = queued
        .iter()
        .map(|e| (e.kind.as_str(), e.to_address.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("order.placed", order.email.as_str()),
            ("order.paid", order.email.as_str()),
            ("staff.new_order", "gudang@toko.id"),
        ]
    );
    assert_eq!(
        queued[1].subject,
        format!("Payment received for order {number}")
    );
    assert!(queued[1].text_body.contains(&number));
    assert!(
        queued[1].text_body.contains("Rp "),
        "rupiah: {}",
        queued[1].text_body
    );
    assert!(
        queued[1].html_body.contains("<table"),
        "an HTML version too"
    );
    assert!(queued[2]
        .text_body
        .contains(&format!("/admin/orders/{number}")));
    let unprocessed = outbox_event::Entity::find()
        .filter(outbox_event::Column::ProcessedAt.is_null())
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(unprocessed, 0, "every fact handled");
    assert_eq!(drain(&app.state.db, &app.state.settings).await.unwrap(), 0);
    assert_eq!(emails(&app).await.len(), 3, "a fact is emailed once");

    // SMTP is down: nothing is lost, the first email waits 30 seconds before its next try.
    let now = Utc::now();
    let round = send_due(&app.state.db, &mailer, now).await.unwrap();
    assert_eq!((round.sent, round.failed), (0, 1));
    let first = &emails(&app).await[0];
    assert_eq!(first.status, "queued");
    assert_eq!(first.attempts, 1);
    assert!(first.next_attempt_at >= now + Duration::seconds(29));
    assert!(!first.last_error.is_empty());

    // SMTP comes back on the same port.
    let (sink, _) = SmtpSink::start(&format!("127.0.0.1:{port}")).await;
    let round = send_due(&app.state.db, &mailer, now).await.unwrap();
    assert_eq!(
        round.sent, 2,
        "the two not yet tried go; the failed one waits its turn"
    );
    let round = send_due(&app.state.db, &mailer, now + Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(round.sent, 1);
    assert_eq!(
        send_due(&app.state.db, &mailer, now + Duration::hours(2))
            .await
            .unwrap()
            .sent,
        0,
        "sent once"
    );
    let got = sink.messages();
    assert_eq!(got.len(), 3);
    let mut subjects: Vec<&str> = got.iter().map(|m| header(&m.data, "Subject")).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            format!(
                "New order {number}: {}",
                app::model::Money::new(order.grand_total, app::model::Currency::Idr).format()
            ),
            format!("Order {number} received"),
            format!("Payment received for order {number}"),
        ]
    );
    let staff = got
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains("gudang@toko.id")))
        .expect("staff email");
    assert!(staff.from.contains("no-reply@pasar.local"));
    assert!(staff.data.contains("multipart/alternative"));
    assert!(staff.data.contains("text/html"));
    assert!(header(&staff.data, "Message-ID").starts_with("<pasar-email-"));
    assert!(emails(&app).await.iter().all(|e| e.status == "sent"));

    // Staff ship it; the customer is told with the tracking number, once, although two
    // drains and two senders race.
    let staff_client = app.new_client();
    app.login_as_admin(&staff_client).await;
    for body in [
        json!({ "status": "processing" }),
        json!({ "status": "shipped", "carrier": "JNE", "tracking_number": "JNE0099887766" }),
    ] {
        let res = staff_client
            .patch(app.url(&format!("/api/v1/admin/orders/{number}")))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    let (a, b) = tokio::join!(
        drain(&app.state.db, &app.state.settings),
        drain(&app.state.db, &app.state.settings)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 2);
    let later = Utc::now() + Duration::hours(3);
    let (a, b) = tokio::join!(
        send_due(&app.state.db, &mailer, later),
        send_due(&app.state.db, &mailer, later)
    );
    assert_eq!(a.unwrap().sent + b.unwrap().sent, 2);
    let got = sink.messages();
    assert_eq!(got.len(), 5, "each email exactly once");
    let shipped = emails(&app)
        .await
        .into_iter()
        .find(|e| e.subject == format!("Order {number} has shipped"))
        .expect("shipped email");
    assert!(shipped.text_body.contains("JNE0099887766"));
    assert!(shipped
        .text_body
        .contains("https://cekresi.com/?noresi=JNE0099887766"));
}

#[tokio::test]
async fn without_smtp_the_worker_writes_eml_files() {
    let dir = std::env::temp_dir().join(unique_name("pasar-mail"));
    let app = spawn_app_with(&[
        ("PASAR_MAIL_DIR", dir.display().to_string()),
        ("PASAR_MAIL_EVERY_SECS", "1".to_string()),
    ])
    .await;
    let (_, sku, _) = variant_with_stock(&app.state.db, &[20, 0]).await;
    let (_customer, number) = customer_with_paid_order(&app, &sku, 1).await;
    // The worker drains the outbox and writes the files on its own.
    let mut files = Vec::new();
    for _ in 0..100 {
        files = std::fs::read_dir(&dir)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().to_string())
                    .filter(|n| n.ends_with(".eml"))
                    .collect()
            })
            .unwrap_or_default();
        if files.len() >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(files[0].ends_with("-order-placed.eml"), "{files:?}");
    let paid = std::fs::read_to_string(dir.join(&files[1])).unwrap();
    assert_eq!(
        header(&paid, "Subject"),
        format!("Payment received for order {number}")
    );
    assert!(paid.contains("text/plain") && paid.contains("text/html"));
    // The file is written before its row is marked sent: give the worker its moment.
    let mut all_sent = false;
    for _ in 0..100 {
        all_sent = emails(&app).await.iter().all(|e| e.status == "sent");
        if all_sent {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(all_sent, "{:?}", emails(&app).await);
    let _ = std::fs::remove_dir_all(&dir);
}
