//! What the admin catalogue screens and the review form exchange with the server.
use serde::{Deserialize, Serialize};

use super::{ImageView, NamedLink};

/// A row of `/admin/products`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminProductRow {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub category: String,
    pub brand: Option<String>,
    /// Formatted price range, e.g. `Rp 89.000` or `Rp 89.000 – Rp 129.000`.
    pub price: String,
    pub available: i32,
    pub variants: u64,
    pub thumbnail: Option<String>,
}

/// A category or brand as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminTaxon {
    pub id: i32,
    pub slug: String,
    pub name: String,
    /// Categories only.
    pub parent_id: Option<i32>,
    pub position: i32,
    /// Products directly in it.
    pub products: u64,
    /// Brands only: reorder lead time and cover days for its variants (none: the shop's).
    pub lead_time_days: Option<i32>,
    pub cover_days: Option<i32>,
}

/// A variant on the product edit screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminVariant {
    pub id: i32,
    pub sku: String,
    pub title: String,
    /// `Ukuran=M; Warna=Hitam`.
    pub options: String,
    pub price: i64,
    pub compare_at_price: Option<i64>,
    pub weight_grams: i32,
    pub barcode: Option<String>,
    pub active: bool,
    pub available: i64,
    /// Stock per warehouse (every active warehouse has a level).
    pub levels: Vec<super::StockLevelView>,
    /// Its own low-stock alert level; none: the shop's default (`low_stock_default`).
    pub low_stock_threshold: Option<i32>,
    pub low_stock_default: i32,
    /// Available is below the alert level (staff were told).
    pub low_stock: bool,
    /// Its own lead time and cover days for reorder suggestions (none: the shop's).
    pub lead_time_days: Option<i32>,
    pub cover_days: Option<i32>,
}

/// Everything the product edit screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminProduct {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub status: String,
    pub category_id: i32,
    pub brand_id: Option<i32>,
    pub variants: Vec<AdminVariant>,
    pub images: Vec<ImageView>,
}

/// The choices of the product form's selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct TaxonChoices {
    /// Categories with their tree path, e.g. `Fashion Pria › Kemeja`.
    pub categories: Vec<(i32, String)>,
    pub brands: Vec<(i32, String)>,
}

/// What a CSV import did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ImportReport {
    pub rows: usize,
    pub products_created: usize,
    pub products_updated: usize,
    pub variants_created: usize,
    pub variants_updated: usize,
    /// Variants whose on hand the `on_hand` column changed.
    #[serde(default)]
    pub stock_set: usize,
}

/// A published review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub id: i32,
    /// First name and initial only, e.g. `Budi S.`
    pub author: String,
    pub rating: i16,
    pub title: String,
    pub body: String,
    /// `2026-11-26`.
    pub date: String,
    pub mine: bool,
}

/// Whether the viewer may write a review, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewEligibility {
    /// Not logged in.
    LogInFirst,
    /// Logged in, but no paid order of theirs contains the product.
    NotPurchased,
    /// May write one (or edit theirs).
    Allowed,
}

/// The reviews section of a product page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductReviews {
    pub product: NamedLink,
    pub items: Vec<ReviewView>,
    pub eligibility: ReviewEligibility,
    /// The viewer's own review, to prefill the form.
    pub mine: Option<ReviewView>,
}

/// `Ukuran=M; Warna=Hitam` → pairs, in order. Errors name the bad part.
pub fn parse_options(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((name, value)) = part.split_once('=') else {
            return Err(format!("`{part}` is not `Name=Value`"));
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || value.is_empty() {
            return Err(format!("`{part}` needs both a name and a value"));
        }
        if pairs.iter().any(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(format!("option `{name}` appears twice"));
        }
        pairs.push((name.to_string(), value.to_string()));
    }
    Ok(pairs)
}

/// Pairs back to `Ukuran=M; Warna=Hitam`.
pub fn format_options<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_round_trip_and_reject_nonsense() {
        let pairs = parse_options(" Ukuran = M ; Warna=Hitam;").expect("parses");
        assert_eq!(
            pairs,
            vec![
                ("Ukuran".to_string(), "M".to_string()),
                ("Warna".to_string(), "Hitam".to_string())
            ]
        );
        assert_eq!(
            format_options(pairs.iter().map(|(k, v)| (k, v))),
            "Ukuran=M; Warna=Hitam"
        );
        assert!(parse_options("").expect("empty is fine").is_empty());
        assert!(parse_options("Ukuran").unwrap_err().contains("Name=Value"));
        assert!(parse_options("Ukuran=M; ukuran=L")
            .unwrap_err()
            .contains("twice"));
        assert!(parse_options("=M").unwrap_err().contains("both"));
    }
}
