//! Stand-alone migration CLI (`up`, `down`, `status`, `fresh`…), reading `DATABASE_URL`; without
//! it, the shop's default database (the SQLite file `data/pasar.db`, as `pasar serve` uses).
use sea_orm_migration::prelude::*;

/// The server's default (`Leptos.toml` / `DATABASE_URL` in the `pasar` binary).
const DEFAULT_DATABASE_URL: &str = "sqlite://data/pasar.db?mode=rwc";

#[tokio::main]
async fn main() {
    if std::env::var_os("DATABASE_URL").is_none() {
        let _ = std::fs::create_dir_all("data");
        std::env::set_var("DATABASE_URL", DEFAULT_DATABASE_URL);
    }
    cli::run_cli(migrations::Migrator).await;
}
