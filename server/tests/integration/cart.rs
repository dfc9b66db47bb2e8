//! Carts in the database (SQLite by default, PostgreSQL with `DATABASE_URL`):
//! stock limits, re-pricing on every view, unavailable lines, merging a guest cart at login.

use crate::common::variant_with_stock;
use app::{
    model::{CartNotice, Currency},
    server::{
        cart::{self, CartError, CartOwner},
        catalog,
    },
};
use sea_orm::ConnectionTrait;

#[tokio::test]
async fn a_cart_is_repriced_and_rechecked_on_every_view() {
    let app = crate::common::spawn_app().await;
    let (db, cache) = (&app.state.db, app.state.cache.as_ref());
    let (variant, sku, _) = variant_with_stock(db, &[2, 1]).await;
    let guest = CartOwner::Guest(crate::common::unique_name("guest"));

    cart::add(db, &guest, &sku, 2, Currency::Idr).await.unwrap();
    let view = cart::view(db, &guest, Currency::Idr).await.unwrap();
    assert_eq!(view.item_count, 2);
    assert_eq!(view.lines.len(), 1);
    let price = view.lines[0].unit_price.amount;
    assert_eq!(view.subtotal.as_ref().unwrap().amount, price * 2);
    assert!(view.lines[0].notices.is_empty());
    assert!(view.subtotal.as_ref().unwrap().formatted.starts_with("Rp "));

    // Only 3 in stock: a fourth unit is refused with how many are left; nothing changes.
    match cart::add(db, &guest, &sku, 2, Currency::Idr).await {
        Err(CartError::OutOfStock { available, .. }) => assert_eq!(available, 3),
        other => panic!("expected out of stock, got {other:?}"),
    }
    assert_eq!(
        cart::view(db, &guest, Currency::Idr)
            .await
            .unwrap()
            .item_count,
        2
    );
    assert!(matches!(
        cart::add(db, &guest, &sku, 0, Currency::Idr).await,
        Err(CartError::Quantity)
    ));
    assert!(matches!(
        cart::add(db, &guest, "NO-SUCH-SKU", 1, Currency::Idr).await,
        Err(CartError::UnknownSku(_))
    ));

    // An admin re-prices the variant: the cart shows the new price and says so.
    catalog::set_variant_price(db, cache, &sku, price + 5_000)
        .await
        .unwrap();
    let view = cart::view(db, &guest, Currency::Idr).await.unwrap();
    assert_eq!(view.lines[0].unit_price.amount, price + 5_000);
    assert_eq!(view.subtotal.as_ref().unwrap().amount, (price + 5_000) * 2);
    assert!(matches!(
        &view.lines[0].notices[..],
        [CartNotice::PriceChanged { was, now }] if was.amount == price && now.amount == price + 5_000
    ));
    // Choosing the quantity again acknowledges the new price.
    cart::set_quantity(db, &guest, &sku, 1, Currency::Idr)
        .await
        .unwrap();
    let view = cart::view(db, &guest, Currency::Idr).await.unwrap();
    assert!(view.lines[0].notices.is_empty());
    assert_eq!(view.item_count, 1);

    // Stock falls to 0 elsewhere: the line stays to say so, out of the totals.
    db.execute_unprepared(&format!(
        "UPDATE stock_levels SET on_hand = 0, reserved = 0 WHERE variant_id = {variant}"
    ))
    .await
    .unwrap();
    let view = cart::view(db, &guest, Currency::Idr).await.unwrap();
    assert_eq!(view.lines[0].notices, vec![CartNotice::Unavailable]);
    assert_eq!(view.item_count, 0);
    assert_eq!(view.subtotal.as_ref().unwrap().amount, 0);

    cart::remove(db, &guest, &sku).await.unwrap();
    let view = cart::view(db, &guest, Currency::Idr).await.unwrap();
    assert!(view.lines.is_empty() && view.subtotal.is_none());
}

#[tokio::test]
async fn fewer_units_than_in_the_cart_lowers_the_quantity_with_a_notice() {
    let app = crate::common::spawn_app().await;
    let db = &app.state.db;
    let (variant, sku, _) = variant_with_stock(db, &[5, 0]).await;
    let owner = CartOwner::Customer(7);
    cart::add(db, &owner, &sku, 4, Currency::Idr).await.unwrap();
    db.execute_unprepared(&format!(
        "UPDATE stock_levels SET on_hand = 2 WHERE variant_id = {variant} AND on_hand = 5"
    ))
    .await
    .unwrap();
    let view = cart::view(db, &owner, Currency::Idr).await.unwrap();
    assert_eq!(view.lines[0].quantity, 2);
    assert_eq!(
        view.lines[0].notices,
        vec![CartNotice::QuantityReduced { available: 2 }]
    );
    assert_eq!(view.item_count, 2);
}

#[tokio::test]
async fn logging_in_merges_the_guest_cart_capped_by_stock() {
    let app = crate::common::spawn_app().await;
    let db = &app.state.db;
    let (_, shirt, _) = variant_with_stock(db, &[3, 1]).await;
    let (_, shoes, _) = variant_with_stock(db, &[1, 1]).await;
    let token = crate::common::unique_name("guest");
    let guest = CartOwner::Guest(token.clone());
    let customer = CartOwner::Customer(42);

    cart::add(db, &customer, &shirt, 3, Currency::Idr)
        .await
        .unwrap();
    cart::add(db, &guest, &shirt, 2, Currency::Idr)
        .await
        .unwrap();
    cart::add(db, &guest, &shoes, 1, Currency::Idr)
        .await
        .unwrap();
    cart::merge_guest_cart(db, &token, 42).await.unwrap();

    let merged = cart::view(db, &customer, Currency::Idr).await.unwrap();
    let quantity = |sku: &str| {
        merged
            .lines
            .iter()
            .find(|l| l.sku == sku)
            .map(|l| l.quantity)
    };
    assert_eq!(quantity(&shirt), Some(4), "3 + 2 capped at the 4 in stock");
    assert_eq!(quantity(&shoes), Some(1));
    assert!(cart::view(db, &guest, Currency::Idr)
        .await
        .unwrap()
        .lines
        .is_empty());
}

#[tokio::test]
async fn a_cart_untouched_for_thirty_days_lapses_and_is_swept() {
    let app = crate::common::spawn_app().await;
    let db = &app.state.db;
    let (_, sku, _) = variant_with_stock(db, &[5]).await;
    let (_, other_sku, _) = variant_with_stock(db, &[5]).await;
    let stale = CartOwner::Guest("lapsed-token".into());
    let forgotten = CartOwner::Guest("forgotten-token".into());
    let fresh = CartOwner::Guest("fresh-token".into());
    cart::add(db, &stale, &sku, 1, Currency::Idr).await.unwrap();
    cart::add(db, &forgotten, &sku, 1, Currency::Idr)
        .await
        .unwrap();
    cart::add(db, &fresh, &sku, 2, Currency::Idr).await.unwrap();
    // Last changed 31 days ago.
    let long_ago = chrono::Utc::now().timestamp() - 31 * 24 * 60 * 60;
    db.execute_unprepared(&format!(
        "UPDATE cart_lines SET touched_at = {long_ago} WHERE cart_key IN ('{}', '{}')",
        stale.key(),
        forgotten.key()
    ))
    .await
    .unwrap();
    let view = cart::view(db, &stale, Currency::Idr).await.unwrap();
    assert_eq!(
        view.item_count, 0,
        "a lapsed cart reads as empty before any sweep"
    );
    // Adding to it starts a new cart: the lapsed line does not come back with the fresh touch.
    let view = cart::add(db, &stale, &other_sku, 1, Currency::Idr)
        .await
        .unwrap();
    assert_eq!(view.item_count, 1);
    let view = cart::view(db, &stale, Currency::Idr).await.unwrap();
    assert_eq!(
        view.lines
            .iter()
            .map(|l| l.sku.as_str())
            .collect::<Vec<_>>(),
        vec![other_sku.as_str()],
        "only the line added after the cart lapsed"
    );
    // The cart nobody came back to is swept by the hourly job.
    assert_eq!(cart::sweep_lapsed(db).await.unwrap(), 1, "one line swept");
    let view = cart::view(db, &fresh, Currency::Idr).await.unwrap();
    assert_eq!(view.item_count, 2, "a recent cart is kept");
    assert_eq!(cart::sweep_lapsed(db).await.unwrap(), 0);
}
