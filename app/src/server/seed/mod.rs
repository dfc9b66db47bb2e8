//! The demo shop: staff accounts, a customer with an address book, the warehouses and the
//! catalogue. Idempotent: running it again changes nothing but the demo admin's password (reset
//! to the configured one).
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use super::{
    accounts::{self, AccountError, Registration},
    db::user,
};
use crate::model::{AddressInput, Role};

pub mod demo;
pub mod synthetic;

pub use synthetic::generate_synthetic_products;

/// Demo admin login, from `PASAR_ADMIN_EMAIL` / `PASAR_ADMIN_PASSWORD` or these defaults.
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@pasar.test";
pub const DEFAULT_ADMIN_PASSWORD: &str = "pasar-admin-2026";
/// The demo shopper (password `belanja-2026`).
pub const DEMO_CUSTOMER_EMAIL: &str = "budi@pasar.test";
pub const DEMO_CUSTOMER_PASSWORD: &str = "belanja-2026";
pub const DEMO_STAFF_EMAIL: &str = "sari@pasar.test";

/// The demo admin's credentials as configured.
pub fn admin_credentials() -> (String, String) {
    let non_empty = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    (
        non_empty("PASAR_ADMIN_EMAIL").unwrap_or_else(|| DEFAULT_ADMIN_EMAIL.into()),
        non_empty("PASAR_ADMIN_PASSWORD").unwrap_or_else(|| DEFAULT_ADMIN_PASSWORD.into()),
    )
}

/// What the seed did, for the progress lines.
#[derive(Debug, Default)]
pub struct SeedReport {
    pub users_created: usize,
    pub addresses_created: usize,
    pub products_created: usize,
}

/// Loads the demo shop. `progress` receives one line per step.
pub async fn seed_demo(
    db: &DatabaseConnection,
    admin_email: &str,
    admin_password: &str,
    mut progress: impl FnMut(&str),
) -> Result<SeedReport, AccountError> {
    let mut report = SeedReport::default();
    let (_, created) =
        accounts::ensure_admin(db, admin_email, admin_password, "Admin Pasar").await?;
    report.users_created += usize::from(created);
    progress(&format!(
        "admin {admin_email}: {}",
        if created { "created" } else { "updated" }
    ));

    let staff = ensure_customer(
        db,
        "Sari Wulandari",
        DEMO_STAFF_EMAIL,
        "staf-pasar-2026",
        &mut report,
    )
    .await?;
    if staff.role != Role::Staff.as_str() {
        accounts::update_user(db, -1, staff.id, Some(Role::Staff), Some(true)).await?;
    }
    progress(&format!("staff {DEMO_STAFF_EMAIL}: ready"));

    let budi = ensure_customer(
        db,
        "Budi Santoso",
        DEMO_CUSTOMER_EMAIL,
        DEMO_CUSTOMER_PASSWORD,
        &mut report,
    )
    .await?;
    if accounts::list_addresses(db, budi.id).await?.is_empty() {
        let home = AddressInput {
            label: "Rumah".into(),
            recipient: "Budi Santoso".into(),
            phone: "0812-3456-7890".into(),
            street: "Jl. Kemang Raya No. 12, RT 04/RW 02".into(),
            district: "Mampang Prapatan".into(),
            city: "Jakarta Selatan".into(),
            province: "DKI Jakarta".into(),
            postal_code: "12730".into(),
        };
        let office = AddressInput {
            label: "Kantor".into(),
            recipient: "Budi Santoso".into(),
            phone: "0812-3456-7890".into(),
            street: "Jl. Basuki Rahmat No. 8, Lt. 5".into(),
            district: "Tegalsari".into(),
            city: "Surabaya".into(),
            province: "Jawa Timur".into(),
            postal_code: "60271".into(),
        };
        accounts::save_address(db, budi.id, None, &home, true).await?;
        accounts::save_address(db, budi.id, None, &office, false).await?;
        report.addresses_created += 2;
    }
    progress(&format!(
        "customer {DEMO_CUSTOMER_EMAIL}: ready with an address book"
    ));
    let warehouses = super::inventory::ensure_demo_warehouses(db).await?;
    progress(&format!("{} warehouses ready", warehouses.len()));
    let products = demo::seed_demo_catalog(db).await?;
    report.products_created += products;
    progress(&format!("catalogue: {products} products created"));
    if demo::seed_demo_order(db, budi.id).await? {
        progress("demo order PSR-DEMO-0001 for the demo customer (so they can write reviews)");
    }
    let sales = demo::seed_demo_sales(db, 30).await?;
    if sales > 0 {
        progress(&format!(
            "{sales} demo orders over the last 30 days (a history for the dashboard and reorder suggestions)"
        ));
    }
    Ok(report)
}

async fn ensure_customer(
    db: &DatabaseConnection,
    name: &str,
    email: &str,
    password: &str,
    report: &mut SeedReport,
) -> Result<user::Model, AccountError> {
    if let Some(found) = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    accounts::register(
        db,
        Registration {
            name: name.into(),
            email: email.into(),
            password: password.into(),
        },
    )
    .await?;
    report.users_created += 1;
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?
        .ok_or(AccountError::NotFound("user"))
}
