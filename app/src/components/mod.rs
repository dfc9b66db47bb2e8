//! Reusable pieces of the storefront and admin: the design system, the layout, auth context.
pub mod auth;
pub mod cart;
pub mod hydration;
pub mod layout;
pub mod picture;
pub mod search_box;
pub mod toast;
pub mod ui;
