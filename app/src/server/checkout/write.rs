//! Writing a new order's rows: one statement on PostgreSQL, one per table on SQLite.
use sea_orm::{
    sea_query::{InsertStatement, PostgresQueryBuilder},
    ActiveModelTrait, ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    FromQueryResult, QueryTrait, Statement,
};

use crate::server::{
    db::{order_item, order_reservation, outbox_event, payment, stock_movement},
    inventory,
};

/// Writes a new order's stock movements, items, reservations, outbox event and payment, and
/// returns the payment. On PostgreSQL that is one statement (data-modifying CTEs: one round
/// trip instead of five, the largest share of a checkout's cost after the reservations); on
/// SQLite, whose writes never leave the process, one statement per table.
pub(super) async fn write_order_rows(
    txn: &DatabaseTransaction,
    journal: inventory::Journal,
    items: Vec<order_item::ActiveModel>,
    reservations: Vec<order_reservation::ActiveModel>,
    event: outbox_event::ActiveModel,
    payment: payment::ActiveModel,
) -> Result<payment::Model, DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        journal.write(txn).await?;
        order_item::Entity::insert_many(items)
            .exec_without_returning(txn)
            .await?;
        order_reservation::Entity::insert_many(reservations)
            .exec_without_returning(txn)
            .await?;
        event.insert(txn).await?;
        return payment.insert(txn).await;
    }
    let movements = journal.into_rows();
    let mut parts: Vec<InsertStatement> = Vec::new();
    if !movements.is_empty() {
        parts.push(stock_movement::Entity::insert_many(movements).into_query());
    }
    parts.push(order_item::Entity::insert_many(items).into_query());
    parts.push(order_reservation::Entity::insert_many(reservations).into_query());
    parts.push(outbox_event::Entity::insert(event).into_query());
    let mut last = payment::Entity::insert(payment).into_query();
    last.returning_all();

    let (mut sql, mut values) = (String::from("WITH "), Vec::new());
    for (n, part) in parts.iter().enumerate() {
        let (text, part_values) = part.build(PostgresQueryBuilder);
        if n > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "w{n} AS ({})",
            shift_placeholders(&text, values.len())
        ));
        values.extend(part_values.0);
    }
    let (text, last_values) = last.build(PostgresQueryBuilder);
    sql.push(' ');
    sql.push_str(&shift_placeholders(&text, values.len()));
    values.extend(last_values.0);
    payment::Model::find_by_statement(Statement::from_sql_and_values(
        DbBackend::Postgres,
        sql,
        values,
    ))
    .one(txn)
    .await?
    .ok_or_else(|| DbErr::RecordNotInserted)
}

/// `$1, $2…` in a statement built on its own become `$(1 + by)…`, so several statements' values
/// can follow each other in one parameter list. Built statements carry every value as a
/// parameter, never as a literal, so every `$` followed by digits is a placeholder.
fn shift_placeholders(sql: &str, by: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c != '$' {
            continue;
        }
        let mut digits = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            digits.push(*d);
            chars.next();
        }
        match digits.parse::<usize>() {
            Ok(n) => out.push_str(&(n + by).to_string()),
            Err(_) => out.push_str(&digits),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_shift_past_earlier_statements_values() {
        assert_eq!(
            super::shift_placeholders("INSERT INTO t (a, b) VALUES ($1, $2), ($3, $10)", 4),
            "INSERT INTO t (a, b) VALUES ($5, $6), ($7, $14)"
        );
        assert_eq!(super::shift_placeholders("SELECT $1", 0), "SELECT $1");
    }
}
