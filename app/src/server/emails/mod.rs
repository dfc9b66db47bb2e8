//! Emails to shoppers and staff. The outbox consumer (`orders::outbox::drain`) turns each fact
//! (order placed, paid, moved, refund confirmed…) into rows of `emails`, rendered there and then
//! (plain text and HTML from the templates beside this file), in the same transaction that marks
//! the fact handled: a fact gets its emails once, even when several processes drain at once.
//! The sender (`send_due`) delivers queued emails through SMTP (`SMTP_URL`) or, without it, as
//! `.eml` files under the mail directory; a failure leaves the email queued with a growing
//! pause before the next try, so nothing is lost while SMTP is down. On PostgreSQL each email is
//! claimed with `FOR UPDATE SKIP LOCKED`, so processes share the queue and never send one twice.
mod letters;
mod transport;

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    sea_query::{LockBehavior, LockType, OnConflict},
    ActiveValue::NotSet,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

pub use letters::Letter;
pub use transport::{MailError, Mailer};

use crate::server::{
    config::Settings,
    db::{email, outbox_event},
};

/// Writes the emails a fact calls for, in the caller's transaction. Returns how many.
pub async fn plan(
    txn: &impl ConnectionTrait,
    settings: &Settings,
    event: &outbox_event::Model,
) -> Result<usize, DbErr> {
    let letters = letters::for_event(txn, settings, event).await?;
    let now = Utc::now();
    let mut written = 0;
    for (to, kind, letter) in letters {
        let Ok((text, html)) = letter.render() else {
            tracing::error!(event = event.id, %kind, "email template failed; not sent");
            continue;
        };
        let row = email::ActiveModel {
            id: NotSet,
            outbox_event_id: Set(Some(event.id)),
            kind: Set(kind.to_string()),
            to_address: Set(to),
            subject: Set(letter.subject.clone()),
            text_body: Set(text),
            html_body: Set(html),
            status: Set(STATUS_QUEUED.into()),
            attempts: Set(0),
            next_attempt_at: Set(now),
            last_error: Set(String::new()),
            sent_at: Set(None),
            created_at: Set(now),
        };
        // The outbox row is locked while this runs, so the index only backs that up.
        let inserted = email::Entity::insert(row)
            .on_conflict(
                OnConflict::columns([
                    email::Column::OutboxEventId,
                    email::Column::Kind,
                    email::Column::ToAddress,
                ])
                .do_nothing()
                .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
        written += inserted as usize;
    }
    Ok(written)
}

pub const STATUS_QUEUED: &str = "queued";
pub const STATUS_SENT: &str = "sent";

/// The pause before the next try after `attempts` failures: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i32) -> Duration {
    let seconds = 30_i64.saturating_mul(1_i64 << attempts.clamp(0, 7));
    Duration::seconds(seconds.min(3600))
}

/// What one round of sending did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed: usize,
}

/// Sends the emails due at `now`, oldest first, and marks each sent (or, when it fails, when
/// to try again). Stops at the first failure: SMTP is likely down, the rest wait for the next
/// round. On PostgreSQL each email is claimed in its own transaction with `FOR UPDATE SKIP
/// LOCKED` and marked in that transaction, so processes share the queue and never send one
/// twice. SQLite has one process; there a lock in the process keeps two rounds apart, and no
/// database lock is held while SMTP talks (it would stop every checkout meanwhile).
pub async fn send_due(
    db: &DatabaseConnection,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<Round, DbErr> {
    static ONE_ROUND_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let _guard = if postgres {
        None
    } else {
        Some(ONE_ROUND_AT_A_TIME.lock().await)
    };
    let mut round = Round::default();
    loop {
        let txn = if postgres {
            Some(db.begin().await?)
        } else {
            None
        };
        let mut query = email::Entity::find()
            .filter(email::Column::Status.eq(STATUS_QUEUED))
            .filter(email::Column::NextAttemptAt.lte(now))
            .order_by_asc(email::Column::Id)
            .limit(1);
        let due = match &txn {
            Some(txn) => {
                query = query.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
                query.one(txn).await?
            }
            None => query.one(db).await?,
        };
        let Some(due) = due else {
            if let Some(txn) = txn {
                txn.rollback().await?;
            }
            return Ok(round);
        };
        let result = mailer.send(&due).await;
        let update = match &result {
            Ok(()) => email::Entity::update_many()
                .col_expr(email::Column::Status, STATUS_SENT.into())
                .col_expr(email::Column::SentAt, Some(Utc::now()).into())
                .col_expr(email::Column::LastError, String::new().into()),
            Err(e) => {
                tracing::warn!(email = due.id, to = %due.to_address, error = %e, "email not sent; will retry");
                email::Entity::update_many()
                    .col_expr(
                        email::Column::NextAttemptAt,
                        (now + backoff(due.attempts)).into(),
                    )
                    .col_expr(
                        email::Column::LastError,
                        e.to_string().chars().take(500).collect::<String>().into(),
                    )
            }
        }
        .col_expr(email::Column::Attempts, (due.attempts + 1).into())
        .filter(email::Column::Id.eq(due.id));
        match txn {
            Some(txn) => {
                update.exec(&txn).await?;
                txn.commit().await?;
            }
            None => {
                update.exec(db).await?;
            }
        }
        match result {
            Ok(()) => round.sent += 1,
            Err(_) => {
                round.failed += 1;
                return Ok(round);
            }
        }
    }
}

/// How many emails wait to be sent (for the admin and the health page).
pub async fn queued(db: &DatabaseConnection) -> Result<u64, DbErr> {
    use sea_orm::PaginatorTrait;
    email::Entity::find()
        .filter(email::Column::Status.eq(STATUS_QUEUED))
        .count(db)
        .await
}

/// The background worker: drains the outbox into emails and sends what is due, every `every`.
pub fn spawn_worker(state: crate::server::state::AppState, every: std::time::Duration) {
    tokio::spawn(async move {
        let mailer = match Mailer::from_settings(&state.settings) {
            Ok(mailer) => mailer,
            Err(e) => {
                tracing::error!(error = %e, "emails: no mailer; emails stay queued");
                return;
            }
        };
        // The first round after one interval: start-up has enough to do.
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = crate::server::orders::outbox::drain(&state.db, &state.settings).await {
                tracing::warn!(error = %e, "outbox: drain failed; retrying next round");
            }
            match send_due(&state.db, &mailer, Utc::now()).await {
                Ok(Round { sent: 0, failed: 0 }) => {}
                Ok(round) => tracing::info!(sent = round.sent, failed = round.failed, "emails"),
                Err(e) => tracing::warn!(error = %e, "emails: round failed; retrying"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(0), Duration::seconds(30));
        assert_eq!(backoff(1), Duration::seconds(60));
        assert_eq!(backoff(3), Duration::seconds(240));
        assert_eq!(backoff(7), Duration::seconds(3600));
        assert_eq!(backoff(60), Duration::seconds(3600));
        assert_eq!(backoff(-1), Duration::seconds(30));
    }
}
