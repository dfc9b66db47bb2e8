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
        /// Sold, then put back on the shelf (the order was cancelled before it shipped, or
        /// staff refunded units and chose to restock them).
        Restocked = "restocked",
        /// Sold, refunded and not resellable: never back on sale.
        WrittenOff = "written_off",
        /// Sold, refunded and back in the warehouse damaged: on hand, unavailable.
        ReturnedDamaged = "returned_damaged",
    }
}

stored_as_text! {
    /// Where a refund is. Every state but none counts against what the payment can still give
    /// back: a failed one is outstanding until staff retry it or send it by hand.
    RefundStatus, "refund status" {
        /// To send through the gateway (after the commit that queued it).
        Pending = "pending",
        /// The gateway accepted it; its confirmation (webhook) is awaited.
        Issued = "issued",
        /// The gateway confirms the money went back.
        Confirmed = "confirmed",
        /// The gateway refused it; staff retry or send it by hand.
        Failed = "failed",
        /// A bank refund staff must send (the gateway cannot send this payment back).
        Manual = "manual",
        /// Sent by hand and marked done by staff.
        Done = "done",
    }
}

impl RefundStatus {
    /// The money is back with the customer (a credit note can be issued).
    pub fn is_settled(self) -> bool {
        matches!(self, RefundStatus::Confirmed | RefundStatus::Done)
    }

    /// The state in words for shoppers and staff.
    pub fn label(self) -> &'static str {
        match self {
            RefundStatus::Pending => "Being sent",
            RefundStatus::Issued => "Sent, awaiting the gateway",
            RefundStatus::Confirmed => "Refunded",
            RefundStatus::Failed => "Failed: staff will follow up",
            RefundStatus::Manual => "To be sent by bank transfer",
            RefundStatus::Done => "Refunded by bank transfer",
        }
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
        /// Sold units back on the shelf (a paid order cancelled before shipping, refunded units
        /// staff chose to restock).
        Restock = "restock",
        /// A level set right by the invariant check.
        Reconcile = "reconcile",
        /// Staff changed on hand by hand (found, lost, damaged…), with a reason.
        Adjustment = "adjustment",
        /// Shipped to another warehouse: out of this one, in transit.
        TransferOut = "transfer_out",
        /// Received from another warehouse.
        TransferIn = "transfer_in",
        /// A stock count found a different on hand: set to what was counted.
        CountCorrection = "count_correction",
        /// Refunded units back in the warehouse but not resellable: on hand and damaged grow.
        Return = "return",
        /// Available units set aside as unavailable (damaged, quality control, safety stock).
        SetAside = "set_aside",
        /// Unavailable units made available again (passed quality control, safety stock freed).
        MadeAvailable = "made_available",
        /// Unavailable units thrown away or sent back: on hand and the state shrink.
        WriteOff = "write_off",
    }
}

stored_as_text! {
    /// Why units on hand are unavailable (Shopify's names): not for sale, not committed.
    UnavailableState, "unavailable state" {
        Damaged = "damaged",
        QualityControl = "quality_control",
        SafetyStock = "safety_stock",
    }
}

impl UnavailableState {
    /// The state in words.
    pub fn label(self) -> &'static str {
        match self {
            UnavailableState::Damaged => "Damaged",
            UnavailableState::QualityControl => "Quality control",
            UnavailableState::SafetyStock => "Safety stock",
        }
    }
}

stored_as_text! {
    /// Where a purchase order is.
    PurchaseOrderStatus, "purchase order status" {
        /// Sent to the supplier: its units are incoming at its warehouse.
        Ordered = "ordered",
        /// Every line is on hand.
        Received = "received",
        /// Will not arrive.
        Cancelled = "cancelled",
    }
}

stored_as_text! {
    /// Where a transfer between warehouses is.
    TransferStatus, "transfer status" {
        /// Out of the origin, not yet in the destination: incoming there.
        InTransit = "in_transit",
        Received = "received",
    }
}

impl MovementKind {
    /// The kind in words, for the stock history.
    pub fn label(self) -> &'static str {
        match self {
            MovementKind::Receive => "Received",
            MovementKind::Reserve => "Reserved for an order",
            MovementKind::Release => "Released",
            MovementKind::Sell => "Sold",
            MovementKind::Restock => "Restocked",
            MovementKind::Reconcile => "Reconciled",
            MovementKind::Adjustment => "Adjusted",
            MovementKind::TransferOut => "Transferred out",
            MovementKind::TransferIn => "Transferred in",
            MovementKind::CountCorrection => "Count correction",
            MovementKind::Return => "Returned, not resellable",
            MovementKind::SetAside => "Set aside (unavailable)",
            MovementKind::MadeAvailable => "Made available",
            MovementKind::WriteOff => "Written off",
        }
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

stored_as_text! {
    /// Who changed an order.
    ActorKind, "actor" {
        /// The shop itself: payments, expiry, the gateways' reports.
        System = "system",
        Staff = "staff",
        Customer = "customer",
    }
}

stored_as_text! {
    /// What an entry of an order's timeline records.
    TimelineKind, "timeline entry" {
        Status = "status",
        Payment = "payment",
        Shipment = "shipment",
        /// Staff's remarks and prints: staff only.
        Note = "note",
        /// A return request and staff's decision on it.
        Return = "return",
    }
}

stored_as_text! {
    /// Where a customer's return request is.
    ReturnStatus, "return status" {
        Requested = "requested",
        Approved = "approved",
        Rejected = "rejected",
    }
}

impl ReturnStatus {
    /// The state in words for shoppers and staff.
    pub fn label(self) -> &'static str {
        match self {
            ReturnStatus::Requested => "Return requested: awaiting the shop's answer",
            ReturnStatus::Approved => "Return approved: send the items back",
            ReturnStatus::Rejected => "Return declined",
        }
    }
}

/// What moving an order from one status to another takes: who may, and what must come with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionRule {
    pub by_system: bool,
    pub by_staff: bool,
    pub by_customer: bool,
    /// A carrier and a tracking number (shipping).
    pub needs_tracking: bool,
}

impl TransitionRule {
    const fn by(system: bool, staff: bool, customer: bool) -> Self {
        TransitionRule {
            by_system: system,
            by_staff: staff,
            by_customer: customer,
            needs_tracking: false,
        }
    }

    pub fn allows(self, actor: ActorKind) -> bool {
        match actor {
            ActorKind::System => self.by_system,
            ActorKind::Staff => self.by_staff,
            ActorKind::Customer => self.by_customer,
        }
    }
}

impl OrderStatus {
    /// The rule for moving from `self` to `to`; `None` when that move does not exist. This table
    /// is the whole workflow: pending → confirmed (paid) → processing → shipped → delivered,
    /// and cancelled from anywhere before shipping (unpaid: stock released; paid: stock back
    /// and the money refunded). Expired and cancelled unpaid orders come back only when late
    /// money finds their stock still there.
    pub fn rule_to(self, to: OrderStatus) -> Option<TransitionRule> {
        use OrderStatus::*;
        let rule = match (self, to) {
            (Pending, Confirmed) => TransitionRule::by(true, false, false),
            (Pending, Expired) => TransitionRule::by(true, false, false),
            (Pending, Cancelled) => TransitionRule::by(true, true, true),
            (Cancelled | Expired, Confirmed) => TransitionRule::by(true, false, false),
            (Confirmed, Processing) => TransitionRule::by(false, true, false),
            (Confirmed | Processing, Shipped) => TransitionRule {
                needs_tracking: true,
                ..TransitionRule::by(false, true, false)
            },
            (Shipped, Delivered) => TransitionRule::by(true, true, false),
            // A refund confirmed by the gateway for goods still here cancels the order.
            (Confirmed | Processing, Cancelled) => TransitionRule::by(true, true, true),
            _ => return None,
        };
        Some(rule)
    }

    /// Whether `actor` may move an order from `self` to `to`.
    pub fn may_move_to(self, to: OrderStatus, actor: ActorKind) -> bool {
        self.rule_to(to).is_some_and(|rule| rule.allows(actor))
    }

    /// The statuses `actor` may move an order to from here, in workflow order (the actions a
    /// page offers).
    pub fn next_for(self, actor: ActorKind) -> Vec<OrderStatus> {
        OrderStatus::ALL
            .iter()
            .copied()
            .filter(|&to| self.may_move_to(to, actor))
            .collect()
    }

    /// The button that moves an order here.
    pub fn action_label(self) -> &'static str {
        match self {
            OrderStatus::Pending => "Reopen",
            OrderStatus::Confirmed => "Confirm",
            OrderStatus::Processing => "Start processing",
            OrderStatus::Shipped => "Mark shipped",
            OrderStatus::Delivered => "Mark delivered",
            OrderStatus::Cancelled => "Cancel order",
            OrderStatus::Expired => "Expire",
        }
    }

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

    /// Money came in (and may have gone back since): the order has an invoice.
    pub fn has_captured(self) -> bool {
        matches!(
            self,
            PaymentStatus::Paid | PaymentStatus::PartiallyRefunded | PaymentStatus::Refunded
        )
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

/// Where a shopper follows a parcel: an Indonesian tracking aggregator that knows the common
/// carriers (JNE, J&T, SiCepat, AnterAja, Pos Indonesia…) by the tracking number alone.
pub fn tracking_url(tracking_number: &str) -> String {
    let encoded: String = tracking_number
        .trim()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    format!("https://cekresi.com/?noresi={encoded}")
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
        round_trip(RefundStatus::ALL);
        round_trip(MovementKind::ALL);
        round_trip(Gateway::ALL);
        round_trip(ActorKind::ALL);
        round_trip(TimelineKind::ALL);
        round_trip(ReturnStatus::ALL);
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

    #[test]
    fn the_order_workflow_allows_exactly_its_table_and_only_to_the_right_people() {
        use ActorKind::*;
        use OrderStatus::*;
        // Every pair, every actor: what is allowed is listed here, everything else is refused.
        let allowed = [
            (Pending, Confirmed, System),
            (Pending, Expired, System),
            (Pending, Cancelled, System),
            (Pending, Cancelled, Staff),
            (Pending, Cancelled, Customer),
            (Cancelled, Confirmed, System),
            (Expired, Confirmed, System),
            (Confirmed, Processing, Staff),
            (Confirmed, Shipped, Staff),
            (Processing, Shipped, Staff),
            (Shipped, Delivered, System),
            (Shipped, Delivered, Staff),
            (Confirmed, Cancelled, System),
            (Confirmed, Cancelled, Staff),
            (Confirmed, Cancelled, Customer),
            (Processing, Cancelled, System),
            (Processing, Cancelled, Staff),
            (Processing, Cancelled, Customer),
        ];
        for &from in OrderStatus::ALL {
            for &to in OrderStatus::ALL {
                for &actor in ActorKind::ALL {
                    assert_eq!(
                        from.may_move_to(to, actor),
                        allowed.contains(&(from, to, actor)),
                        "{from} → {to} by {actor}"
                    );
                }
            }
        }
        assert!(Processing.rule_to(Shipped).unwrap().needs_tracking);
        assert!(!Confirmed.rule_to(Processing).unwrap().needs_tracking);
        assert_eq!(Confirmed.next_for(Staff), [Processing, Shipped, Cancelled]);
        assert_eq!(Shipped.next_for(Customer), []);
        assert!(Delivered.next_for(Staff).is_empty(), "delivered is final");
    }
}
