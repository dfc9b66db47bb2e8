//! Stand-alone migration CLI (`up`, `down`, `status`, `fresh`…), reading `DATABASE_URL`.
use sea_orm_migration::prelude::*;

#[tokio::main]
async fn main() {
    cli::run_cli(migrations::Migrator).await;
}
