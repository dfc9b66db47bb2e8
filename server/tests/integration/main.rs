//! The integration tests, one binary (linking the whole app once instead of once per file):
//! each module drives the real server over HTTP, or the real `pasar` binary, against a fresh
//! database. `cargo xtask test` runs them on SQLite and on PostgreSQL + Redis.
mod common;

mod analytics;
mod api;
mod cart;
mod catalog;
mod checkout;
mod checkout_race;
mod cli;
mod documents;
mod emails;
mod gateways;
mod hardening;
mod inventory;
mod manage;
mod operations;
mod orders;
mod refunds;
mod resilience;
mod returns;
mod scale_out;
mod soak;
mod stock;
mod tokens;
