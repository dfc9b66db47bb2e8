//! What staff see of orders: the filtered, sorted, paged orders table and the count of new
//! (paid, not yet processed) orders in the admin header.
use std::collections::HashMap;

use chrono::{FixedOffset, NaiveDate, TimeZone, Utc};
use sea_orm::{
    sea_query::{Expr, Func, LikeExpr},
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::{
    error::AppError,
    model::{
        ActorKind, AddressInput, AdminGatewayEvent, AdminOrderDetail, AdminOrderRow, AdminPayment,
        Currency, Gateway, Money, OrderFilter, OrderStatus, Page, PaymentStatus,
    },
    server::db::{order, order_item, payment, payment_event},
};

/// Rows per page of the orders table.
pub const PER_PAGE: u64 = 25;

/// Why a filter was refused.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error("`{value}` is not a {what}.")]
    Unknown {
        field: &'static str,
        what: &'static str,
        value: String,
    },
    #[error("Enter the date as YYYY-MM-DD.")]
    BadDate(&'static str),
    #[error(transparent)]
    Db(#[from] DbErr),
}

impl From<FilterError> for AppError {
    fn from(e: FilterError) -> Self {
        match e {
            FilterError::Unknown { field, .. } | FilterError::BadDate(field) => {
                AppError::field(field, e.to_string())
            }
            FilterError::Db(e) => e.into(),
        }
    }
}

/// The shop's days are Jakarta's (WIB, UTC+7; Indonesia keeps no daylight saving).
fn wib() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

fn day_start(field: &'static str, day: &str) -> Result<chrono::DateTime<Utc>, FilterError> {
    let date = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d")
        .map_err(|_| FilterError::BadDate(field))?;
    let local = date
        .and_hms_opt(0, 0, 0)
        .ok_or(FilterError::BadDate(field))?;
    wib()
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or(FilterError::BadDate(field))
}

fn check<T: std::str::FromStr>(
    field: &'static str,
    what: &'static str,
    value: &str,
) -> Result<(), FilterError> {
    if value.is_empty() || value.parse::<T>().is_ok() {
        Ok(())
    } else {
        Err(FilterError::Unknown {
            field,
            what,
            value: value.chars().take(40).collect(),
        })
    }
}

/// One page of orders matching `filter`, with the units each holds and the moves staff can
/// make from the table. Three queries whatever the page size.
pub async fn list(
    db: &impl ConnectionTrait,
    filter: &OrderFilter,
) -> Result<Page<AdminOrderRow>, FilterError> {
    check::<OrderStatus>("status", "order status", &filter.status)?;
    check::<PaymentStatus>("payment_status", "payment status", &filter.payment_status)?;
    check::<Gateway>("method", "payment method", &filter.method)?;
    let mut query = order::Entity::find();
    if !filter.status.is_empty() {
        query = query.filter(order::Column::Status.eq(filter.status.as_str()));
    }
    if !filter.payment_status.is_empty() {
        query = query.filter(order::Column::PaymentStatus.eq(filter.payment_status.as_str()));
    }
    if !filter.method.is_empty() {
        query = query.filter(order::Column::PaymentMethod.eq(filter.method.as_str()));
    }
    if !filter.from.trim().is_empty() {
        query = query.filter(order::Column::CreatedAt.gte(day_start("from", &filter.from)?));
    }
    if !filter.to.trim().is_empty() {
        let end = day_start("to", &filter.to)? + chrono::Duration::days(1);
        query = query.filter(order::Column::CreatedAt.lt(end));
    }
    let q = filter.q.trim().to_lowercase();
    if !q.is_empty() {
        // Escape LIKE's wildcards: a search for "50%" means those characters.
        let escaped = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = || LikeExpr::new(format!("%{escaped}%")).escape('\\');
        let lower = |col: order::Column| Expr::expr(Func::lower(Expr::col(col)));
        query = query.filter(
            Condition::any()
                .add(lower(order::Column::Number).like(pattern()))
                .add(lower(order::Column::Email).like(pattern()))
                // The address is a JSON snapshot; the recipient's name is in it.
                .add(lower(order::Column::ShippingAddress).like(pattern())),
        );
    }
    query = match filter.sort.as_str() {
        "oldest" => query
            .order_by_asc(order::Column::CreatedAt)
            .order_by_asc(order::Column::Id),
        "total_desc" => query
            .order_by_desc(order::Column::GrandTotal)
            .order_by_desc(order::Column::Id),
        "total_asc" => query
            .order_by_asc(order::Column::GrandTotal)
            .order_by_asc(order::Column::Id),
        _ => query
            .order_by_desc(order::Column::CreatedAt)
            .order_by_desc(order::Column::Id),
    };
    let page = filter.page.max(1);
    let paginator = query.paginate(db, PER_PAGE);
    let total = paginator.num_items().await?;
    let orders = paginator.fetch_page(page - 1).await?;

    let ids: Vec<i32> = orders.iter().map(|o| o.id).collect();
    let units: HashMap<i32, i64> = order_item::Entity::find()
        .select_only()
        .column(order_item::Column::OrderId)
        .column_as(order_item::Column::Quantity.sum(), "units")
        .filter(order_item::Column::OrderId.is_in(ids))
        .group_by(order_item::Column::OrderId)
        .into_tuple::<(i32, Option<i64>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, n)| (id, n.unwrap_or(0)))
        .collect();
    let items = orders
        .into_iter()
        .map(|o| {
            let currency = Currency::parse(&o.currency).unwrap_or(Currency::Idr);
            let address: AddressInput =
                serde_json::from_str(&o.shipping_address).unwrap_or_default();
            let quick_moves = o
                .status
                .parse::<OrderStatus>()
                .map(|s| {
                    s.next_for(ActorKind::Staff)
                        .into_iter()
                        .filter(|to| s.rule_to(*to).is_some_and(|r| !r.needs_tracking))
                        .map(|to| to.as_str().to_string())
                        .collect()
                })
                .unwrap_or_default();
            AdminOrderRow {
                item_count: units.get(&o.id).copied().unwrap_or(0),
                created_at: o.created_at.to_rfc3339(),
                customer_name: address.recipient,
                grand_total: Money::new(o.grand_total, currency).into(),
                number: o.number,
                email: o.email,
                status: o.status,
                payment_status: o.payment_status,
                payment_method: o.payment_method,
                quick_moves,
            }
        })
        .collect();
    Ok(Page {
        items,
        total,
        page,
        per_page: PER_PAGE,
    })
}

/// An order with everything staff need to work on it.
pub async fn detail(
    db: &impl ConnectionTrait,
    order: &order::Model,
) -> Result<AdminOrderDetail, DbErr> {
    let mut view = super::order_view(db, order).await?;
    view.timeline = super::timeline(db, order.id, true).await?;
    let payments = payment::Entity::find()
        .filter(payment::Column::OrderId.eq(order.id))
        .order_by_asc(payment::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = payments.iter().map(|p| p.id).collect();
    let mut events: HashMap<i32, Vec<AdminGatewayEvent>> = HashMap::new();
    for e in payment_event::Entity::find()
        .filter(payment_event::Column::PaymentId.is_in(ids))
        .order_by_asc(payment_event::Column::Id)
        .all(db)
        .await?
    {
        if let Some(payment_id) = e.payment_id {
            events
                .entry(payment_id)
                .or_default()
                .push(AdminGatewayEvent {
                    received_at: e.received_at.to_rfc3339(),
                    kind: e.kind,
                    outcome: e.outcome,
                    note: e.note,
                });
        }
    }
    let moves = order
        .status
        .parse::<OrderStatus>()
        .map(|s| {
            s.next_for(ActorKind::Staff)
                .into_iter()
                .map(|to| to.as_str().to_string())
                .collect()
        })
        .unwrap_or_default();
    let (refundable, shipping_refundable) = super::refunds::refundable(db, order).await?;
    let currency = Currency::parse(&order.currency).unwrap_or(Currency::Idr);
    Ok(AdminOrderDetail {
        refundable: Money::new(refundable, currency).into(),
        shipping_refundable,
        refund_key: format!("staff-{}", crate::server::checkout::random_token(24)),
        order: view,
        payments: payments
            .into_iter()
            .map(|p| {
                let currency = Currency::parse(&p.currency).unwrap_or(Currency::Idr);
                AdminPayment {
                    events: events.remove(&p.id).unwrap_or_default(),
                    amount: Money::new(p.amount, currency).into(),
                    gateway: p.gateway,
                    gateway_ref: p.gateway_ref.unwrap_or_default(),
                    channel: p.channel,
                    status: p.status,
                    message: p.failure_message,
                }
            })
            .collect(),
        moves,
        registered_customer: order.user_id.is_some(),
    })
}

/// The order with this number or id, for staff.
pub async fn find(
    db: &impl ConnectionTrait,
    reference: &str,
) -> Result<Option<order::Model>, DbErr> {
    match reference.parse::<i32>() {
        Ok(id) => order::Entity::find_by_id(id).one(db).await,
        Err(_) => {
            order::Entity::find()
                .filter(order::Column::Number.eq(reference))
                .one(db)
                .await
        }
    }
}

/// Paid orders nobody has started on yet: what the admin header counts as new.
pub async fn count_new(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    order::Entity::find()
        .filter(order::Column::Status.eq(OrderStatus::Confirmed.as_str()))
        .count(db)
        .await
}
