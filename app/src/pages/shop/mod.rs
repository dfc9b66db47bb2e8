//! The shopper's buying path: the cart, the four checkout steps (address → shipping → payment
//! → review), the payment pages and the order pages, one file each. Every step is a plain form
//! posting to a server function, so it all works before (and without) hydration; with
//! JavaScript the same forms update in place and navigate without a page load.
mod cart;
mod checkout;
mod orders;
mod payment;

pub use cart::CartPage;
pub(crate) use checkout::TotalsTable;
pub use checkout::{
    CheckoutContactPage, CheckoutPaymentPage, CheckoutReviewPage, CheckoutShippingPage,
};
pub use orders::{OrderPage, OrdersPage};
pub use payment::{DemoPaymentPage, PaymentPage};
