//! What an order attempt is and what was decided about it, whichever engine decided.
use super::{IdempotencyKey, OrderId, Quantity, SaleId, UserId};
use chrono::{DateTime, Utc};
use std::fmt;

/// One validated order attempt.
#[derive(Debug, Clone)]
pub struct OrderAttempt {
    pub sale: SaleId,
    pub user: UserId,
    pub quantity: Quantity,
    pub idempotency_key: Option<IdempotencyKey>,
}

/// The decision about one order attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// Stock was taken and the order recorded.
    Accepted {
        order_id: OrderId,
        created_at: DateTime<Utc>,
    },
    /// The idempotency key was seen before with the same user and quantity: nothing was taken,
    /// this is the original order.
    Replayed {
        order_id: OrderId,
        created_at: DateTime<Utc>,
    },
    Refused(Refusal),
}

/// Why an attempt was refused; a refusal changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    SaleNotFound,
    IdempotencyKeyReused,
    SaleNotStarted,
    SaleEnded,
    /// An operator paused the sale: retry later.
    SalePaused,
    SoldOut,
    PurchaseLimitExceeded,
    InsufficientStock,
}

impl Refusal {
    pub const ALL: [Self; 8] = [
        Self::SaleNotFound,
        Self::IdempotencyKeyReused,
        Self::SaleNotStarted,
        Self::SaleEnded,
        Self::SalePaused,
        Self::SoldOut,
        Self::PurchaseLimitExceeded,
        Self::InsufficientStock,
    ];

    /// The machine-readable code: the one place these strings are written in Rust. The
    /// reservation script answers with the same codes, the API sends them as `code`, and the
    /// metrics label attempts with them.
    pub fn code(self) -> &'static str {
        match self {
            Self::SaleNotFound => "sale_not_found",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::SaleNotStarted => "sale_not_started",
            Self::SaleEnded => "sale_ended",
            Self::SalePaused => "sale_paused",
            Self::SoldOut => "sold_out",
            Self::PurchaseLimitExceeded => "purchase_limit_exceeded",
            Self::InsufficientStock => "insufficient_stock",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|refusal| refusal.code() == code)
    }
}

/// What the buyer is told.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SaleNotFound => "No sale has this id.",
            Self::IdempotencyKeyReused => {
                "This buyer already used this Idempotency-Key with a different quantity."
            }
            Self::SaleNotStarted => "The sale has not started yet.",
            Self::SaleEnded => "The sale has ended.",
            Self::SalePaused => "The sale is paused; retry after the delay in Retry-After.",
            Self::SoldOut => "The sale is sold out.",
            Self::PurchaseLimitExceeded => {
                "This order would take the buyer past the sale's per-user limit."
            }
            Self::InsufficientStock => "Less stock is left than the quantity asked for.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Refusal;

    #[test]
    fn every_refusal_has_a_distinct_code_that_parses_back() {
        for refusal in Refusal::ALL {
            assert_eq!(Refusal::from_code(refusal.code()), Some(refusal));
        }
        assert_eq!(Refusal::from_code("accepted"), None);
    }
}
