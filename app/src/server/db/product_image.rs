//! `product_images`: ordered pictures of a product. `path` is the storage key of the upload
//! (`products/{product}/{hash}`); the resized renditions next to it are named by width and
//! format (see `server::media`), and `width`/`height` are the original's, for the aspect ratio.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "product_images")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub product_id: i32,
    pub position: i32,
    pub path: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
    /// WebP renditions exist too (written only when smaller than the JPEG ones).
    pub webp: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
