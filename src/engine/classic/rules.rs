//! The contract's rules applied to what a classic engine read: the same order of checks as
//! `lua/reserve.lua`.
use crate::domain::{OrderAttempt, Refusal, Reservation};
use crate::postgres::classic::Snapshot;

/// The refusal or replay this snapshot calls for, `None` if the order may go ahead.
pub(super) fn check(snapshot: &Snapshot, attempt: &OrderAttempt) -> Option<Reservation> {
    let quantity = i64::from(attempt.quantity.get());
    if let Some(earlier) = &snapshot.earlier {
        return Some(if earlier.quantity == quantity {
            Reservation::Replayed {
                order_id: earlier.order_id,
                created_at: earlier.created_at,
            }
        } else {
            Reservation::Refused(Refusal::IdempotencyKeyReused)
        });
    }
    let refusal = if snapshot.ended {
        Refusal::SaleEnded
    } else if snapshot.paused {
        Refusal::SalePaused
    } else if snapshot.not_started {
        Refusal::SaleNotStarted
    } else if snapshot.stock_left <= 0 {
        Refusal::SoldOut
    } else if snapshot.bought + quantity > snapshot.per_user_limit {
        Refusal::PurchaseLimitExceeded
    } else if snapshot.stock_left < quantity {
        Refusal::InsufficientStock
    } else {
        return None;
    };
    Some(Reservation::Refused(refusal))
}
