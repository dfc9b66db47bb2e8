//! Catalogue types shared by the storefront, the Store API and the server.
use serde::{Deserialize, Serialize};

use super::Money;

/// How a product listing is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best match first (only meaningful with a search query; otherwise popularity).
    #[default]
    Relevance,
    PriceAsc,
    PriceDesc,
    Popular,
    Newest,
    Rating,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::Relevance,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::Popular,
        Sort::Newest,
        Sort::Rating,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Relevance => "relevance",
            Sort::PriceAsc => "price_asc",
            Sort::PriceDesc => "price_desc",
            Sort::Popular => "popular",
            Sort::Newest => "newest",
            Sort::Rating => "rating",
        }
    }

    pub fn parse(text: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|s| s.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Relevance => "Paling sesuai",
            Sort::PriceAsc => "Harga terendah",
            Sort::PriceDesc => "Harga tertinggi",
            Sort::Popular => "Terlaris",
            Sort::Newest => "Terbaru",
            Sort::Rating => "Rating tertinggi",
        }
    }
}

/// A validated listing request: search text, filters, order and page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct ProductQuery {
    pub q: String,
    /// Category slug; its subcategories are included.
    pub category: Option<String>,
    /// Brand slugs (any of them).
    pub brands: Vec<String>,
    pub min_price: Option<i64>,
    pub max_price: Option<i64>,
    /// 1–5: only products rated at least this.
    pub min_rating: Option<u8>,
    pub in_stock: bool,
    pub sort: Sort,
    pub page: u64,
    pub per_page: u64,
}

pub const DEFAULT_PER_PAGE: u64 = 24;
pub const MAX_PER_PAGE: u64 = 100;

/// A product in a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductSummary {
    pub id: i32,
    pub slug: String,
    pub name: String,
    pub brand: Option<String>,
    pub category: String,
    /// The lowest active variant price.
    #[cfg_attr(feature = "ssr", schema(value_type = PriceView))]
    pub price: PriceView,
    /// Average rating (0–5, two decimals) and how many reviews.
    pub rating: f32,
    pub rating_count: i32,
    pub in_stock: bool,
    /// The first picture, if the product has one.
    pub image: Option<ImageView>,
}

/// The cookie that remembers the shopper's grid/list choice.
pub const VIEW_COOKIE: &str = "pasar_view";

/// Widths (px) of the renditions made of every uploaded picture; never wider than the original.
pub const IMAGE_WIDTHS: [u32; 4] = [160, 320, 640, 1200];

/// The rendition widths that exist for an original `width` pixels wide: every standard width
/// below it, plus the original's own width when it is narrower than the largest standard one.
pub fn rendition_widths(width: u32) -> Vec<u32> {
    let mut widths: Vec<u32> = IMAGE_WIDTHS
        .iter()
        .copied()
        .filter(|w| *w < width)
        .collect();
    let largest = *IMAGE_WIDTHS.last().unwrap_or(&1200);
    widths.push(width.min(largest));
    widths.dedup();
    widths
}

/// A product picture with its resized renditions, ready for `<picture>` and `srcset`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ImageView {
    pub id: i32,
    /// A JPEG rendition about 640 px wide, for clients that ignore `srcset`.
    pub url: String,
    /// The smallest JPEG rendition, for thumbnails.
    pub thumbnail: String,
    /// JPEG renditions as a `srcset` value (`/media/…-320.jpg 320w, …`).
    pub srcset: String,
    /// The same renditions in WebP; empty when the picture is better as JPEG.
    pub srcset_webp: String,
    /// The original's size: sets the aspect ratio so nothing shifts while it loads.
    pub width: u32,
    pub height: u32,
    pub alt: String,
}

impl ImageView {
    /// Builds the URLs of the renditions stored under `key` (see `server::media`).
    pub fn new(id: i32, key: &str, width: u32, height: u32, alt: &str, webp: bool) -> ImageView {
        let widths = rendition_widths(width);
        let url_of = |w: u32, ext: &str| format!("/media/{key}-{w}.{ext}");
        let set = |ext: &str| {
            widths
                .iter()
                .map(|w| format!("{} {w}w", url_of(*w, ext)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let main = widths
            .iter()
            .copied()
            .filter(|w| *w <= 640)
            .max()
            .unwrap_or(widths[0]);
        ImageView {
            id,
            url: url_of(main, "jpg"),
            thumbnail: url_of(widths[0], "jpg"),
            srcset: set("jpg"),
            srcset_webp: if webp { set("webp") } else { String::new() },
            width,
            height,
            alt: alt.to_string(),
        }
    }
}

/// A price as the API shows it: integer amount, currency, and the formatted text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PriceView {
    /// In the currency's smallest unit in use (whole rupiah for IDR).
    pub amount: i64,
    pub currency: String,
    /// e.g. `Rp 15.500.000`.
    pub formatted: String,
}

impl From<Money> for PriceView {
    fn from(m: Money) -> Self {
        PriceView {
            amount: m.amount,
            currency: m.currency.code().to_string(),
            formatted: m.format(),
        }
    }
}

/// One value of a facet with how many results it would give.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FacetCount {
    pub slug: String,
    pub name: String,
    pub count: u64,
    /// Parent category slug (category facet only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// Counts for the current result, each computed with every other filter applied.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Facets {
    pub categories: Vec<FacetCount>,
    pub brands: Vec<FacetCount>,
    /// Products rated at least 4, 3, 2 and 1 stars.
    pub ratings: Vec<RatingCount>,
    pub in_stock: u64,
    /// Lowest and highest price in the result (ignoring the price filter).
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RatingCount {
    pub min_rating: u8,
    pub count: u64,
}

/// One page of products with facets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductPage {
    pub items: Vec<ProductSummary>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub facets: Facets,
}

/// Why listing parameters were refused: `BadRequest` for values that do not parse, `Invalid`
/// for values that parse but make no sense together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryProblem {
    BadRequest(String),
    Invalid(String),
}

impl ProductQuery {
    /// Parses URL query pairs (`q`, `category`, `brand` (repeatable), `min_price`, `max_price`,
    /// `min_rating`, `in_stock`, `sort`, `page`, `per_page`). Unknown keys are ignored.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<ProductQuery, QueryProblem> {
        fn number<T: std::str::FromStr>(key: &str, value: &str) -> Result<T, QueryProblem> {
            value.trim().parse().map_err(|_| {
                QueryProblem::BadRequest(format!("`{key}` must be a whole number, not `{value}`."))
            })
        }
        let mut query = ProductQuery {
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            ..Default::default()
        };
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "q" => query.q = value.chars().take(200).collect(),
                "category" if !value.is_empty() => query.category = Some(value.to_string()),
                "brand" if !value.is_empty() && !query.brands.iter().any(|b| b == value) => {
                    query.brands.push(value.to_string())
                }
                "min_price" if !value.is_empty() => query.min_price = Some(number::<i64>(key, value)?),
                "max_price" if !value.is_empty() => query.max_price = Some(number::<i64>(key, value)?),
                "min_rating" if !value.is_empty() => {
                    let r: u8 = number(key, value)?;
                    if !(1..=5).contains(&r) {
                        return Err(QueryProblem::BadRequest("`min_rating` must be between 1 and 5.".into()));
                    }
                    query.min_rating = Some(r);
                }
                "in_stock" => query.in_stock = matches!(value, "1" | "true" | "on" | "yes"),
                "sort" if !value.is_empty() => {
                    query.sort = Sort::parse(value).ok_or_else(|| {
                        QueryProblem::BadRequest(format!(
                            "Unknown sort `{value}`: use relevance, price_asc, price_desc, popular, newest or rating."
                        ))
                    })?
                }
                "page" if !value.is_empty() => {
                    let page: i64 = number(key, value)?;
                    if page < 1 {
                        return Err(QueryProblem::BadRequest("`page` starts at 1.".into()));
                    }
                    query.page = page as u64;
                }
                "per_page" if !value.is_empty() => {
                    let n: i64 = number(key, value)?;
                    if !(1..=MAX_PER_PAGE as i64).contains(&n) {
                        return Err(QueryProblem::BadRequest(format!("`per_page` must be between 1 and {MAX_PER_PAGE}.")));
                    }
                    query.per_page = n as u64;
                }
                _ => {}
            }
        }
        for (key, value) in [
            ("min_price", query.min_price),
            ("max_price", query.max_price),
        ] {
            if value.is_some_and(|v| v < 0) {
                return Err(QueryProblem::Invalid(format!(
                    "`{key}` cannot be negative."
                )));
            }
        }
        if let (Some(min), Some(max)) = (query.min_price, query.max_price) {
            if min > max {
                return Err(QueryProblem::Invalid(
                    "`min_price` must not be greater than `max_price`.".into(),
                ));
            }
        }
        Ok(query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_parameter() {
        let q = ProductQuery::from_pairs([
            ("q", " sepatu lari "),
            ("category", "sepatu"),
            ("brand", "compass"),
            ("brand", "ventela"),
            ("brand", "compass"),
            ("min_price", "100000"),
            ("max_price", "500000"),
            ("min_rating", "4"),
            ("in_stock", "1"),
            ("sort", "price_asc"),
            ("page", "2"),
            ("per_page", "48"),
        ])
        .unwrap();
        assert_eq!(q.q, "sepatu lari");
        assert_eq!(q.brands, vec!["compass", "ventela"]);
        assert_eq!(
            (q.min_price, q.max_price, q.min_rating),
            (Some(100_000), Some(500_000), Some(4))
        );
        assert!(q.in_stock);
        assert_eq!((q.sort, q.page, q.per_page), (Sort::PriceAsc, 2, 48));
    }

    #[test]
    fn refuses_bad_parameters() {
        let bad =
            |pairs: &[(&str, &str)]| ProductQuery::from_pairs(pairs.iter().copied()).unwrap_err();
        assert!(matches!(
            bad(&[("page", "-1")]),
            QueryProblem::BadRequest(_)
        ));
        assert!(matches!(
            bad(&[("page", "abc")]),
            QueryProblem::BadRequest(_)
        ));
        assert!(matches!(
            bad(&[("sort", "cheapest")]),
            QueryProblem::BadRequest(_)
        ));
        assert!(matches!(
            bad(&[("per_page", "101")]),
            QueryProblem::BadRequest(_)
        ));
        assert!(matches!(
            bad(&[("min_price", "9"), ("max_price", "1")]),
            QueryProblem::Invalid(_)
        ));
        assert!(matches!(
            bad(&[("min_price", "-5")]),
            QueryProblem::Invalid(_)
        ));
    }
}

/// Splits `text` into (piece, matched) parts, marking case-insensitive occurrences of any search
/// term, for highlighting results.
pub fn highlight(text: &str, terms: &[String]) -> Vec<(String, bool)> {
    let lower = text.to_lowercase();
    // Only when lower-casing keeps byte offsets (ASCII-like text); otherwise no highlight.
    if lower.len() != text.len() || terms.is_empty() {
        return vec![(text.to_string(), false)];
    }
    let mut marks = vec![false; text.len()];
    for term in terms.iter().filter(|t| !t.is_empty()) {
        let mut from = 0;
        while let Some(pos) = lower[from..].find(term.as_str()) {
            let start = from + pos;
            marks[start..start + term.len()]
                .iter_mut()
                .for_each(|m| *m = true);
            from = start + term.len();
        }
    }
    let mut parts: Vec<(String, bool)> = Vec::new();
    for (i, ch) in text.char_indices() {
        let marked = marks[i];
        match parts.last_mut() {
            Some((piece, m)) if *m == marked => piece.push(ch),
            _ => parts.push((ch.to_string(), marked)),
        }
    }
    parts
}

/// The words of a search text as `highlight` expects them.
pub fn highlight_terms(q: &str) -> Vec<String> {
    q.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 2)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod highlight_tests {
    use super::*;

    #[test]
    fn marks_every_occurrence_case_insensitively() {
        let parts = highlight("Kemeja Batik Kemeja", &["kemeja".into()]);
        assert_eq!(
            parts,
            vec![
                ("Kemeja".into(), true),
                (" Batik ".into(), false),
                ("Kemeja".into(), true)
            ]
        );
        assert_eq!(highlight("Kaos", &[]), vec![("Kaos".into(), false)]);
    }
}

/// One sellable variant on the product page and in the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VariantView {
    pub sku: String,
    pub title: String,
    /// Option name → value, e.g. `{"Ukuran": "M", "Warna": "Hitam"}`.
    pub options: std::collections::BTreeMap<String, String>,
    pub price: PriceView,
    pub compare_at_price: Option<PriceView>,
    /// Units available now across warehouses.
    pub available: i64,
}

/// A link to a category or brand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NamedLink {
    pub slug: String,
    pub name: String,
}

/// Everything the product page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductDetail {
    pub id: i32,
    pub slug: String,
    pub name: String,
    /// The Markdown description rendered to HTML with raw HTML and unsafe links removed.
    pub description_html: String,
    /// Plain-text summary for meta descriptions.
    pub summary: String,
    pub brand: Option<NamedLink>,
    /// Root first.
    pub categories: Vec<NamedLink>,
    pub variants: Vec<VariantView>,
    pub images: Vec<ImageView>,
    pub rating: f32,
    pub rating_count: i32,
    pub related: Vec<ProductSummary>,
}

impl ProductDetail {
    /// Option names in the order they first appear.
    pub fn option_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for v in &self.variants {
            for k in v.options.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
        names
    }

    /// The variant to show for `sku`, else the first one in stock, else the first.
    pub fn selected(&self, sku: Option<&str>) -> Option<&VariantView> {
        sku.and_then(|s| self.variants.iter().find(|v| v.sku == s))
            .or_else(|| self.variants.iter().find(|v| v.available > 0))
            .or_else(|| self.variants.first())
    }

    /// The variant reached from `current` by setting option `name` to `value`: an exact match on
    /// the other options if one exists, else any variant with that value.
    pub fn switch(&self, current: &VariantView, name: &str, value: &str) -> Option<&VariantView> {
        let mut wanted = current.options.clone();
        wanted.insert(name.to_string(), value.to_string());
        self.variants
            .iter()
            .find(|v| v.options == wanted)
            .or_else(|| {
                self.variants
                    .iter()
                    .find(|v| v.options.get(name).map(String::as_str) == Some(value))
            })
    }
}

/// What the search box suggests while typing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Suggestions {
    pub products: Vec<ProductSuggestion>,
    pub categories: Vec<NamedLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProductSuggestion {
    pub slug: String,
    pub name: String,
    pub price: String,
    pub image: Option<String>,
}
