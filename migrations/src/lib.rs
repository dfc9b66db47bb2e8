//! Schema migrations for PostgreSQL and SQLite. One file per change, named by date and intent;
//! a migration that has landed is never edited. Run at server start-up, by `pasar migrate`, or
//! by this crate's own CLI (`cargo run -p migrations -- up`).
pub use sea_orm_migration::prelude::*;

mod m20261126_000001_create_users;
mod m20261126_000002_create_addresses;
mod m20261126_000003_create_catalog;
mod m20261126_000004_create_inventory;
mod m20261126_000005_catalog_search;
mod m20261126_000006_reviews_and_orders;
mod m20261126_000007_search_words;
mod m20261126_000008_checkout_and_payments;
mod m20261126_000009_reservations_reference_levels;
mod m20261202_000010_refunds;
mod m20261202_000011_order_client_ip;
mod m20261202_000012_cart_lines;
mod m20261202_000013_orders_cart_key_index;
mod m20261203_000014_order_workflow;
mod m20261203_000015_refund_ledger;
mod m20261203_000016_emails;
mod m20261204_000017_documents;
mod m20261204_000018_return_requests;
mod m20261204_000019_api_tokens;
mod m20261205_000020_warehouse_address;
mod m20261205_000021_stock_transfers;
mod m20261205_000022_low_stock;
mod m20261205_000023_reorder_settings;
mod m20261206_000024_unavailable_stock;
mod m20261206_000025_brand_reorder_settings;
mod m20261206_000026_purchase_orders;
mod m20261206_000027_outbox_counted;
mod m20261207_000028_orders_email_index;
mod m20261208_000029_products_facets_index;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_create_users::Migration),
            Box::new(m20261126_000002_create_addresses::Migration),
            Box::new(m20261126_000003_create_catalog::Migration),
            Box::new(m20261126_000004_create_inventory::Migration),
            Box::new(m20261126_000005_catalog_search::Migration),
            Box::new(m20261126_000006_reviews_and_orders::Migration),
            Box::new(m20261126_000007_search_words::Migration),
            Box::new(m20261126_000008_checkout_and_payments::Migration),
            Box::new(m20261126_000009_reservations_reference_levels::Migration),
            Box::new(m20261202_000010_refunds::Migration),
            Box::new(m20261202_000011_order_client_ip::Migration),
            Box::new(m20261202_000012_cart_lines::Migration),
            Box::new(m20261202_000013_orders_cart_key_index::Migration),
            Box::new(m20261203_000014_order_workflow::Migration),
            Box::new(m20261203_000015_refund_ledger::Migration),
            Box::new(m20261203_000016_emails::Migration),
            Box::new(m20261204_000017_documents::Migration),
            Box::new(m20261204_000018_return_requests::Migration),
            Box::new(m20261204_000019_api_tokens::Migration),
            Box::new(m20261205_000020_warehouse_address::Migration),
            Box::new(m20261205_000021_stock_transfers::Migration),
            Box::new(m20261205_000022_low_stock::Migration),
            Box::new(m20261205_000023_reorder_settings::Migration),
            Box::new(m20261206_000024_unavailable_stock::Migration),
            Box::new(m20261206_000025_brand_reorder_settings::Migration),
            Box::new(m20261206_000026_purchase_orders::Migration),
            Box::new(m20261206_000027_outbox_counted::Migration),
            Box::new(m20261207_000028_orders_email_index::Migration),
            Box::new(m20261208_000029_products_facets_index::Migration),
        ]
    }
}
