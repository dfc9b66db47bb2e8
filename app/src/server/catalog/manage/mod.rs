//! Catalogue management for shop staff: products and their variants and pictures, categories,
//! brands, publishing, and CSV import/export. Every write is one transaction that also refreshes
//! the product's aggregates and search index, then drops the cached listings, so no shopper sees
//! a stale price after an edit.
mod images;
mod products;
mod taxonomy;
mod variants;

pub use images::*;
pub use products::*;
pub use taxonomy::*;
pub use variants::*;

use sea_orm::DbErr;

use super::slugify;
use crate::{error::AppError, server::media::MediaError};

/// Why a catalogue change was refused.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}")]
    NotFound(String),
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Conflict(String),
    /// Problems of an import, one per line: `line 7: price `abc` is not a whole number`.
    #[error("{} problem(s) in the file; nothing was imported", .0.len())]
    Rows(Vec<String>),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

impl From<crate::server::inventory::InventoryError> for CatalogError {
    fn from(e: crate::server::inventory::InventoryError) -> Self {
        use crate::server::inventory::InventoryError as E;
        match e {
            E::NotFound(m) => CatalogError::NotFound(m),
            E::Invalid { field, message } => CatalogError::Invalid { field, message },
            E::Db(e) => CatalogError::Db(e),
            E::Rows(rows) => CatalogError::Rows(rows),
            other @ (E::Conflict(_) | E::BelowCommitted { .. } | E::Busy) => {
                CatalogError::Conflict(other.to_string())
            }
        }
    }
}

pub(super) fn invalid(field: &'static str, message: impl Into<String>) -> CatalogError {
    CatalogError::Invalid {
        field,
        message: message.into(),
    }
}

impl From<CatalogError> for AppError {
    fn from(err: CatalogError) -> Self {
        match err {
            CatalogError::NotFound(m) => AppError::NotFound(m),
            CatalogError::Invalid { field, message } => AppError::field(field, message),
            CatalogError::Conflict(m) => AppError::Conflict(m),
            CatalogError::Rows(rows) => AppError::Validation {
                message: format!(
                    "{} problem(s) in the file; nothing was imported. {}",
                    rows.len(),
                    rows.first().cloned().unwrap_or_default()
                ),
                fields: [("file".to_string(), rows)].into_iter().collect(),
            },
            CatalogError::Media(e) if e.is_client_error() => AppError::field("file", e.to_string()),
            CatalogError::Media(e) => crate::server::error::internal("media", e),
            CatalogError::Db(e) => crate::server::error::internal("catalogue", e),
        }
    }
}

pub const STATUSES: [&str; 3] = ["draft", "active", "archived"];

/// Lowercase letters, digits and single hyphens: safe in URLs and stable.
pub fn check_slug(slug: &str) -> Result<(), CatalogError> {
    let ok = !slug.is_empty()
        && slug.len() <= 120
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "slug",
            format!(
                "`{slug}` is not a valid slug: use lowercase letters, digits and single hyphens"
            ),
        ))
    }
}

pub(super) fn slug_or_from_name(slug: &str, name: &str) -> Result<String, CatalogError> {
    let slug = if slug.trim().is_empty() {
        slugify(name)
    } else {
        slug.trim().to_string()
    };
    check_slug(&slug)?;
    Ok(slug)
}

pub(super) fn check_name(
    field: &'static str,
    name: &str,
    max: usize,
) -> Result<String, CatalogError> {
    let name = name.trim();
    if name.chars().count() < 2 {
        return Err(invalid(field, "Give it a name of at least 2 characters."));
    }
    if name.chars().count() > max {
        return Err(invalid(field, format!("At most {max} characters.")));
    }
    Ok(name.to_string())
}
