//! Payments: the gateways (Stripe Payment Intents, Midtrans Snap, the labelled demo gateway),
//! their currency rules and webhook signatures. Checkout creates a pending payment per order;
//! gateway events move it, once each (idempotent by event id) and never backwards.
pub mod amounts;
pub mod signatures;
