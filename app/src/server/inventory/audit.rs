//! The proof that the audit trail is whole: every stock level equals the sum of its movements
//! (on hand, reserved and each unavailable state alike), and no movement points at a level that does not exist. Run by
//! `pasar inventory check` and by the tests after every concurrent run.
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Statement};

/// A level whose quantities differ from what its movements add up to.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Discrepancy {
    pub sku: String,
    pub warehouse: String,
    pub on_hand: i64,
    pub reserved: i64,
    pub on_hand_from_movements: i64,
    pub reserved_from_movements: i64,
    /// All unavailable states together (a difference in any one of them is a discrepancy).
    pub unavailable: i64,
    pub unavailable_from_movements: i64,
}

impl std::fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} in {}: on hand {} but movements add up to {}; reserved {} but movements add up to {}; unavailable {} but movements add up to {}",
            self.sku,
            self.warehouse,
            self.on_hand,
            self.on_hand_from_movements,
            self.reserved,
            self.reserved_from_movements,
            self.unavailable,
            self.unavailable_from_movements
        )
    }
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    pub levels: u64,
    pub movements: u64,
    pub discrepancies: Vec<Discrepancy>,
}

#[derive(Debug, FromQueryResult)]
struct Count {
    n: i64,
}

/// Compares every level with its movements, in one grouped pass. A movement without a level
/// (the level deleted by hand) counts against a level of zero.
pub async fn check(db: &impl ConnectionTrait) -> Result<Audit, DbErr> {
    let backend = db.get_database_backend();
    let count = |sql: &str| {
        Count::find_by_statement(Statement::from_string(backend, sql.to_string())).one(db)
    };
    let levels = count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM stock_levels")
        .await?
        .map_or(0, |c| c.n);
    let movements = count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM stock_movements")
        .await?
        .map_or(0, |c| c.n);
    // Both sides as (variant, warehouse) keys: levels, and movement sums; a full outer join
    // written as a union, which SQLite understands too.
    let discrepancies = Discrepancy::find_by_statement(Statement::from_string(
        backend,
        "WITH sums AS ( \
             SELECT variant_id, warehouse_id, \
                    CAST(SUM(on_hand_after - on_hand_before) AS BIGINT) AS on_hand, \
                    CAST(SUM(reserved_after - reserved_before) AS BIGINT) AS reserved, \
                    CAST(SUM(CASE WHEN unavailable_state = 'damaged' \
                        THEN unavailable_after - unavailable_before ELSE 0 END) AS BIGINT) AS damaged, \
                    CAST(SUM(CASE WHEN unavailable_state = 'quality_control' \
                        THEN unavailable_after - unavailable_before ELSE 0 END) AS BIGINT) AS quality_control, \
                    CAST(SUM(CASE WHEN unavailable_state = 'safety_stock' \
                        THEN unavailable_after - unavailable_before ELSE 0 END) AS BIGINT) AS safety_stock \
             FROM stock_movements GROUP BY variant_id, warehouse_id), \
         keys AS ( \
             SELECT variant_id, warehouse_id FROM stock_levels \
             UNION SELECT variant_id, warehouse_id FROM sums) \
         SELECT COALESCE(v.sku, CAST(k.variant_id AS TEXT)) AS sku, \
                COALESCE(w.code, CAST(k.warehouse_id AS TEXT)) AS warehouse, \
                CAST(COALESCE(l.on_hand, 0) AS BIGINT) AS on_hand, \
                CAST(COALESCE(l.reserved, 0) AS BIGINT) AS reserved, \
                CAST(COALESCE(m.on_hand, 0) AS BIGINT) AS on_hand_from_movements, \
                CAST(COALESCE(m.reserved, 0) AS BIGINT) AS reserved_from_movements, \
                CAST(COALESCE(l.damaged + l.quality_control + l.safety_stock, 0) AS BIGINT) AS unavailable, \
                CAST(COALESCE(m.damaged + m.quality_control + m.safety_stock, 0) AS BIGINT) \
                    AS unavailable_from_movements \
         FROM keys k \
         LEFT JOIN stock_levels l ON l.variant_id = k.variant_id AND l.warehouse_id = k.warehouse_id \
         LEFT JOIN sums m ON m.variant_id = k.variant_id AND m.warehouse_id = k.warehouse_id \
         LEFT JOIN product_variants v ON v.id = k.variant_id \
         LEFT JOIN warehouses w ON w.id = k.warehouse_id \
         WHERE COALESCE(l.on_hand, 0) <> COALESCE(m.on_hand, 0) \
            OR COALESCE(l.reserved, 0) <> COALESCE(m.reserved, 0) \
            OR COALESCE(l.damaged, 0) <> COALESCE(m.damaged, 0) \
            OR COALESCE(l.quality_control, 0) <> COALESCE(m.quality_control, 0) \
            OR COALESCE(l.safety_stock, 0) <> COALESCE(m.safety_stock, 0) \
         ORDER BY 1, 2"
            .to_string(),
    ))
    .all(db)
    .await?;
    Ok(Audit {
        levels: levels as u64,
        movements: movements as u64,
        discrepancies,
    })
}
