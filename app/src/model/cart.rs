//! The cart as the shopper sees it: every line re-priced and re-checked by the server on every
//! view, with what changed since it was added said out loud.
use serde::{Deserialize, Serialize};

use super::{ImageView, PriceView};

/// Something about a line the shopper should know before paying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CartNotice {
    /// The price moved since the line was added.
    PriceChanged { was: PriceView, now: PriceView },
    /// Fewer units are available than were in the cart; the quantity was lowered to this.
    QuantityReduced { available: i32 },
    /// Sold out, unpublished or discontinued: the line cannot be bought and is kept only to say
    /// so (it is left out of the totals).
    Unavailable,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CartLine {
    pub sku: String,
    pub product_slug: String,
    pub name: String,
    /// The variant's title ("M / Hitam"); empty for a product with one variant.
    pub variant_title: String,
    pub image: Option<ImageView>,
    pub unit_price: PriceView,
    pub quantity: i32,
    pub line_total: PriceView,
    /// Units that can be bought now (on hand − reserved, every warehouse).
    pub available: i32,
    pub weight_grams: i32,
    pub notices: Vec<CartNotice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CartView {
    pub lines: Vec<CartLine>,
    /// Units across the buyable lines (the header badge).
    pub item_count: i32,
    /// Sum of the buyable lines, computed by the server.
    pub subtotal: Option<PriceView>,
    /// Whether the server knows this shopper's cart (a customer, or a guest with a cart
    /// cookie); a browser whose cookie is gone gets `false` and may offer its saved copy.
    #[serde(default)]
    pub known: bool,
}

impl CartView {
    /// Whether anything changed that the shopper has not seen yet.
    pub fn has_notices(&self) -> bool {
        self.lines.iter().any(|l| !l.notices.is_empty())
    }
}
