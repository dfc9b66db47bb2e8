//! Serde types both the server and the browser use. Database models never leave the server;
//! they are mapped to these.
pub mod account;
pub mod analytics;
pub mod cart;
pub mod catalog;
pub mod checkout;
pub mod inventory;
pub mod manage;
pub mod money;
pub mod orders;
pub mod status;
pub mod tax;

pub use account::*;
pub use analytics::*;
pub use cart::*;
pub use catalog::*;
pub use checkout::*;
pub use inventory::*;
pub use manage::*;
pub use money::*;
pub use orders::*;
pub use status::*;
pub use tax::*;

use serde::{Deserialize, Serialize};

/// A list filter as a URL query: the non-empty values, and the page when past the first.
pub(crate) fn filter_query(pairs: &[(&str, &str)], page: u64) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        if !value.is_empty() {
            query.append_pair(key, value);
        }
    }
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    query.finish()
}

/// One page of a longer list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Page<T> {
    /// Number of pages (at least 1, so "page 1 of 1" reads right for an empty list).
    pub fn page_count(&self) -> u64 {
        if self.per_page == 0 {
            return 1;
        }
        self.total.div_ceil(self.per_page).max(1)
    }
}
