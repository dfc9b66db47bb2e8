//! Orders after checkout: who may see them, what shoppers see of them, what a payment does to
//! them, the workflow of their statuses with its timeline (`workflow`), closing unpaid ones
//! (cancel, expiry) and the outbox of facts about them. Checkout
//! creates orders; payments move payments and hand the order's side to this module.
mod access;
mod close;
pub mod documents;
mod expiry;
pub mod outbox;
mod payment;
pub mod refunds;
pub mod returns;
pub mod staff;
mod view;
mod workflow;

pub use access::{find_order, order_url, visible_order, Viewer};
pub use close::{close_unpaid, settle_reservations, Settlement};
pub use expiry::{expire_overdue, spawn_expiry_job, GATEWAY_SILENCE};
pub use outbox::{emit, outbox_row};
pub use payment::on_payment_moved;
pub use view::{order_view, orders_of, orders_page, timeline, view_from};
pub use workflow::{
    add_note, cancel_as_shopper, change_many, change_status, record, Actor, Change, WorkflowError,
};
