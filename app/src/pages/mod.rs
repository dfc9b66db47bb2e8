//! Pages, one module per area of the shop.
pub mod account;
pub mod admin;
pub mod catalog;
pub mod home;
pub mod not_found;
pub mod shop;
