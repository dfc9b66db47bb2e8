//! What a shopper sees of their orders.
use std::collections::HashMap;

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};

use crate::{
    model::{
        ActorKind, Currency, Money, OrderLine, OrderStatus, OrderTotals, OrderView, Page,
        TimelineEntry, TimelineKind,
    },
    server::db::{order, order_event, order_item, payment},
};

/// The shopper's view of an order.
pub async fn order_view(
    db: &impl ConnectionTrait,
    order: &order::Model,
) -> Result<OrderView, DbErr> {
    let currency = Currency::parse(&order.currency).unwrap_or(Currency::Idr);
    let money = |amount: i64| Money::new(amount, currency).into();
    let items = order_item::Entity::find()
        .filter(order_item::Column::OrderId.eq(order.id))
        .order_by_asc(order_item::Column::Id)
        .all(db)
        .await?;
    let last_payment = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order.id))
        .order_by_desc(payment::Column::Id)
        .one(db)
        .await?;
    let (refunds, refunded) = super::refunds::refunds_of(db, order, &items).await?;
    let lines = items
        .into_iter()
        .map(|i| OrderLine {
            item_id: i.id,
            refunded: refunded.get(&i.id).copied().unwrap_or(0),
            sku: i.sku,
            name: i.name,
            unit_price: money(i.unit_price),
            quantity: i.quantity,
            line_total: money(i.line_total),
        })
        .collect();
    let mut view = view_from(order, lines, last_payment.as_ref());
    view.timeline = timeline(db, order.id, false).await?;
    view.refunds = refunds;
    view.returns = super::returns::of_order(db, order.id, &view.lines).await?;
    view.returnable = super::returns::may_request(order, &view.returns);
    Ok(view)
}

/// The shopper's view of an order from its row, its lines and its latest payment.
pub fn view_from(
    order: &order::Model,
    lines: Vec<OrderLine>,
    last_payment: Option<&payment::Model>,
) -> OrderView {
    let currency = Currency::parse(&order.currency).unwrap_or(Currency::Idr);
    let money = |amount: i64| Money::new(amount, currency).into();
    // PPN was added on top exactly when the grand total exceeds goods + shipping.
    let tax_included = order.grand_total == order.subtotal + order.shipping_total;
    OrderView {
        id: order.id,
        number: order.number.clone(),
        status: order.status.clone(),
        payment_status: order.payment_status.clone(),
        payment_method: order.payment_method.clone(),
        email: order.email.clone(),
        address: serde_json::from_str(&order.shipping_address).unwrap_or_default(),
        shipping_method: order.shipping_method.clone().unwrap_or_default(),
        lines,
        totals: OrderTotals {
            subtotal: money(order.subtotal),
            shipping: money(order.shipping_total),
            dpp: money(order.dpp),
            ppn: money(order.ppn),
            grand_total: money(order.grand_total),
            prices_include_tax: tax_included,
        },
        created_at: order.created_at.to_rfc3339(),
        expires_at: (order.status == "pending")
            .then(|| order.expires_at.map(|t| t.to_rfc3339()))
            .flatten(),
        payment_message: last_payment
            .map(|p| p.failure_message.clone())
            .unwrap_or_default(),
        carrier: order.carrier.clone(),
        tracking_number: order.tracking_number.clone(),
        cancellable: order
            .status
            .parse::<OrderStatus>()
            .is_ok_and(|s| s.may_move_to(OrderStatus::Cancelled, ActorKind::Customer)),
        timeline: Vec::new(),
        refunds: Vec::new(),
        returns: Vec::new(),
        returnable: false,
    }
}

/// The order's timeline, oldest first. Shoppers see who acted as "You" or "Shop", never a
/// staff member's name.
pub async fn timeline(
    db: &impl ConnectionTrait,
    order_id: i32,
    for_staff: bool,
) -> Result<Vec<TimelineEntry>, DbErr> {
    Ok(order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order_id))
        .order_by_asc(order_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        // Notes are staff's: internal remarks, invoice prints.
        .filter(|e| for_staff || e.kind != TimelineKind::Note.as_str())
        .map(|e| TimelineEntry {
            at: e.created_at.to_rfc3339(),
            actor_name: match (for_staff, e.actor.as_str()) {
                (true, _) => e.actor_name,
                (false, "customer") => "You".into(),
                (false, _) => "Shop".into(),
            },
            kind: e.kind,
            actor: e.actor,
            from: e.from_state,
            to: e.to_state,
            note: e.note,
        })
        .collect())
}

/// A customer's orders as they see them, newest first: three queries whatever the number of
/// orders (the orders, all their lines, their payments).
pub async fn orders_of(db: &impl ConnectionTrait, user_id: i32) -> Result<Vec<OrderView>, DbErr> {
    let orders = order::Entity::find()
        .filter(order::Column::UserId.eq(user_id))
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id)
        .all(db)
        .await?;
    views_of(db, orders).await
}

/// One page of a customer's orders, newest first (their order history).
pub async fn orders_page(
    db: &impl ConnectionTrait,
    user_id: i32,
    page: u64,
    per_page: u64,
) -> Result<Page<OrderView>, DbErr> {
    let page = page.max(1);
    let paginator = order::Entity::find()
        .filter(order::Column::UserId.eq(user_id))
        .order_by_desc(order::Column::CreatedAt)
        .order_by_desc(order::Column::Id)
        .paginate(db, per_page.max(1));
    let total = paginator.num_items().await?;
    let orders = paginator.fetch_page(page - 1).await?;
    Ok(Page {
        items: views_of(db, orders).await?,
        total,
        page,
        per_page: per_page.max(1),
    })
}

/// The shopper's views of these orders: three queries whatever their number.
async fn views_of(
    db: &impl ConnectionTrait,
    orders: Vec<order::Model>,
) -> Result<Vec<OrderView>, DbErr> {
    let mut lines: HashMap<i32, Vec<OrderLine>> = HashMap::new();
    let mut last_payments: HashMap<i32, payment::Model> = HashMap::new();
    let currencies: HashMap<i32, Currency> = orders
        .iter()
        .map(|o| (o.id, Currency::parse(&o.currency).unwrap_or(Currency::Idr)))
        .collect();
    for chunk in orders.chunks(500) {
        let ids: Vec<i32> = chunk.iter().map(|o| o.id).collect();
        for item in order_item::Entity::find()
            .filter(order_item::Column::OrderId.is_in(ids.clone()))
            .order_by_asc(order_item::Column::Id)
            .all(db)
            .await?
        {
            let currency = currencies
                .get(&item.order_id)
                .copied()
                .unwrap_or(Currency::Idr);
            lines.entry(item.order_id).or_default().push(OrderLine {
                item_id: item.id,
                // Lists leave refunds to the order's own page.
                refunded: 0,
                unit_price: Money::new(item.unit_price, currency).into(),
                line_total: Money::new(item.line_total, currency).into(),
                sku: item.sku,
                name: item.name,
                quantity: item.quantity,
            });
        }
        // Ascending ids: the last one kept per order is its latest payment.
        for payment in payment::Entity::find()
            .filter(payment::Column::OrderId.is_in(ids))
            .order_by_asc(payment::Column::Id)
            .all(db)
            .await?
        {
            last_payments.insert(payment.order_id, payment);
        }
    }
    Ok(orders
        .iter()
        .map(|order| {
            view_from(
                order,
                lines.remove(&order.id).unwrap_or_default(),
                last_payments.get(&order.id),
            )
        })
        .collect())
}
