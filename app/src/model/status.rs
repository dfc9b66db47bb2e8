//! The states an order, a payment, a reservation and a stock movement can be in, and the
//! gateways, as types instead of strings. The database keeps today's text (`as_str` writes it,
//! `FromStr` reads it back), so no migration is needed; code that matches on these gets the
//! compiler's help when a state is added.
//!
//! Payment transitions are decided here ([`PaymentStatus::can_move_to`]); the event path asks
//! before it writes.
use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// A stored state that is not one of the known ones (a row written by a newer version, or a
/// typo in a hand-made update).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownState {
    pub kind: &'static str,
    pub value: String,
}

/// Declares a text-backed enum: `as_str`, `Display`, `FromStr`, serde as the same text.
macro_rules! stored_as_text {
    ($(#[$meta:meta])* $name:ident, $kind:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in workflow order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text stored in the database and sent in JSON.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownState;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownState { kind: $kind, value: s.to_string() }),
                }
            }
        }
    };
}

stored_as_text! {
    /// Where an order is in its life. Pending until paid; closed unpaid as cancelled or expired.
    OrderStatus, "order status" {
        Pending = "pending",
        Confirmed = "confirmed",
        Processing = "processing",
        Shipped = "shipped",
        Delivered = "delivered",
        Cancelled = "cancelled",
        Expired = "expired",
    }
}

stored_as_text! {
    /// Where the money for an order is. A declined attempt leaves it pending (the shopper may
    /// try again); `failed` remains for payments recorded before that rule.
    PaymentStatus, "payment status" {
        Pending = "pending",
        Paid = "paid",
        Failed = "failed",
        Cancelled = "cancelled",
        Expired = "expired",
        PartiallyRefunded = "partially_refunded",
        Refunded = "refunded",
    }
}

stored_as_text! {
    /// Units an order holds in one warehouse: held while unpaid, then sold or released.
    ReservationState, "reservation state" {
        Held = "held",
        Sold = "sold",
        Released = "released",
    }
}

stored_as_text! {
    /// Why a stock level changed (one row of the audit trail each).
    MovementKind, "stock movement" {
        /// Goods received into a warehouse.
        Receive = "receive",
        /// Units held for an unpaid order.
        Reserve = "reserve",
        /// Held units given back (order cancelled or expired, cart replaced).
        Release = "release",
        /// Held units sold when the order was paid.
        Sell = "sell",
        /// A level set right by the invariant check.
        Reconcile = "reconcile",
    }
}

stored_as_text! {
    /// Who takes the money.
    Gateway, "gateway" {
        /// Local runs only: no money moves (see docs/checkout.md for when it is on).
        Demo = "demo",
        Stripe = "stripe",
        Midtrans = "midtrans",
    }
}

impl OrderStatus {
    /// Unpaid and still holding stock.
    pub fn is_open(self) -> bool {
        self == OrderStatus::Pending
    }

    /// Paid for: the shopper bought these goods (reviews, sales counts).
    pub fn is_purchased(self) -> bool {
        matches!(
            self,
            OrderStatus::Confirmed
                | OrderStatus::Processing
                | OrderStatus::Shipped
                | OrderStatus::Delivered
        )
    }

    /// Closed without payment.
    pub fn is_closed_unpaid(self) -> bool {
        matches!(self, OrderStatus::Cancelled | OrderStatus::Expired)
    }

    /// The state in words for shoppers and staff.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Pending => "Awaiting payment",
            OrderStatus::Confirmed => "Paid, being prepared",
            OrderStatus::Processing => "Processing",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Expired => "Expired (not paid in time)",
        }
    }
}

impl PaymentStatus {
    /// Whether a payment may go from `self` to `to`. Forward only: a paid payment never returns
    /// to pending. Money that arrives after its order closed is recorded as paid (the money is
    /// in), so cancelled and expired payments may still become paid.
    pub fn can_move_to(self, to: PaymentStatus) -> bool {
        use PaymentStatus::*;
        match (self, to) {
            (a, b) if a == b => false,
            (Pending, _) => true,
            (Failed, Paid | Cancelled | Expired) => true,
            (Cancelled | Expired, Paid) => true,
            (Paid, PartiallyRefunded | Refunded) => true,
            (PartiallyRefunded, Refunded) => true,
            _ => false,
        }
    }

    /// Still waiting for money (a declined attempt included).
    pub fn is_open(self) -> bool {
        matches!(self, PaymentStatus::Pending | PaymentStatus::Failed)
    }

    /// The state in words for shoppers and staff.
    pub fn label(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "Awaiting payment",
            PaymentStatus::Paid => "Paid",
            PaymentStatus::Failed => "Payment failed",
            PaymentStatus::Cancelled => "Cancelled",
            PaymentStatus::Expired => "Expired (not paid in time)",
            PaymentStatus::PartiallyRefunded => "Partly refunded",
            PaymentStatus::Refunded => "Refunded",
        }
    }
}

impl Gateway {
    /// How the shop names the payment method to shoppers.
    pub fn label(self) -> &'static str {
        match self {
            Gateway::Demo => "Demo payment (no real money)",
            Gateway::Stripe => "Card or wallet (Stripe)",
            Gateway::Midtrans => {
                "GoPay, OVO, DANA, QRIS, bank transfer, Alfamart/Indomaret (Midtrans)"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_what_it_writes_in_the_database_and_in_json() {
        fn round_trip<T>(all: &[T])
        where
            T: Copy + PartialEq + fmt::Debug + fmt::Display + FromStr + Serialize,
            T::Err: fmt::Debug,
        {
            for &value in all {
                let text = value.to_string();
                assert_eq!(text.parse::<T>().unwrap(), value);
                assert_eq!(
                    serde_json::to_string(&value).unwrap(),
                    format!("\"{text}\"")
                );
            }
        }
        round_trip(OrderStatus::ALL);
        round_trip(PaymentStatus::ALL);
        round_trip(ReservationState::ALL);
        round_trip(MovementKind::ALL);
        round_trip(Gateway::ALL);
        assert_eq!(
            "partially_refunded".parse::<PaymentStatus>(),
            Ok(PaymentStatus::PartiallyRefunded)
        );
        let unknown = "lost".parse::<OrderStatus>().unwrap_err();
        assert_eq!(unknown.to_string(), "unknown order status `lost`");
    }

    #[test]
    fn payments_only_move_forward() {
        use PaymentStatus::*;
        assert!(Pending.can_move_to(Paid));
        assert!(Pending.can_move_to(Failed));
        assert!(Failed.can_move_to(Paid));
        assert!(Expired.can_move_to(Paid), "late money is recorded");
        assert!(Paid.can_move_to(PartiallyRefunded));
        assert!(PartiallyRefunded.can_move_to(Refunded));
        assert!(!Paid.can_move_to(Pending));
        assert!(!Paid.can_move_to(Cancelled));
        assert!(!Refunded.can_move_to(Paid));
        assert!(!Cancelled.can_move_to(Pending));
        for &s in PaymentStatus::ALL {
            assert!(!s.can_move_to(s), "{s} to itself is no move");
        }
    }

    #[test]
    fn order_states_are_grouped_as_the_shop_reads_them() {
        let purchased: Vec<_> = OrderStatus::ALL
            .iter()
            .filter(|s| s.is_purchased())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            purchased,
            ["confirmed", "processing", "shipped", "delivered"]
        );
        assert!(OrderStatus::Pending.is_open());
        assert!(OrderStatus::Expired.is_closed_unpaid());
        assert!(!OrderStatus::Delivered.is_closed_unpaid());
    }
}
