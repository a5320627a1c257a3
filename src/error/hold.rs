//! Why a hold cannot be paid or cancelled: final answers the payment service and the buyer act
//! on (refund, show the order), each with its own code.
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldConflict {
    /// Paid, with another payment reference than this call's (or cancelling a paid order).
    Paid,
    /// Its deadline passed: the units went back on sale.
    Expired,
    Cancelled,
    /// Accepted and not yet in Postgres: it can be paid in a moment.
    Pending,
    /// The sale has no payment window: the order was confirmed as it was accepted.
    NotAHold,
    /// Postgres refused it (past the stock or the buyer's limit): there is nothing to pay.
    Rejected,
}

impl HoldConflict {
    pub fn code(self) -> &'static str {
        match self {
            Self::Paid => "order_paid",
            Self::Expired => "order_expired",
            Self::Cancelled => "order_cancelled",
            Self::Pending => "order_pending",
            Self::NotAHold => "order_not_a_hold",
            Self::Rejected => "order_rejected",
        }
    }
}

impl fmt::Display for HoldConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Paid => "The order is already paid.",
            Self::Expired => "The hold expired before it was paid; its units went back on sale.",
            Self::Cancelled => "The buyer cancelled the order; its units went back on sale.",
            Self::Pending => "The order is being recorded; retry after the delay in Retry-After.",
            Self::NotAHold => "The sale has no payment window: the order is confirmed as it is.",
            Self::Rejected => "The order was rejected: there is nothing to pay or cancel.",
        })
    }
}
