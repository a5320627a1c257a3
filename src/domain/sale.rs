//! A sale: its definition (what the admin created) and its live state (what is left).
use super::{Buckets, PaymentWindow, Quantity, SaleId, StockAmount};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// What a sale is, independent of how much of it has sold. Postgres holds the authoritative
/// copy; Redis holds the serving copy that the reservation script reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleDefinition {
    pub id: SaleId,
    pub name: String,
    pub stock_total: StockAmount,
    pub per_user_limit: Quantity,
    pub starts_at: DateTime<Utc>,
    /// `None` means the sale runs until it sells out.
    pub ends_at: Option<DateTime<Utc>>,
    /// Stock counters the sale is split over in Redis; fixed at creation.
    pub buckets: Buckets,
    /// With one, an order is a hold its buyer must pay within this window.
    pub payment_window: Option<PaymentWindow>,
}

impl SaleDefinition {
    /// Bucket `bucket` as Redis sells it, a sale of its own: its name and its share of the
    /// stock (see `Buckets`).
    pub fn bucket(&self, bucket: u16) -> Self {
        let share = self.buckets.share(self.stock_total.get(), bucket);
        Self {
            id: self.id.bucket(bucket),
            // A share is at most the total, itself a valid amount.
            stock_total: StockAmount::parse(share).unwrap_or(self.stock_total),
            ..self.clone()
        }
    }
}

/// A sale as it is being sold: its definition and live counters.
#[derive(Debug, Clone)]
pub struct LiveSale {
    pub definition: SaleDefinition,
    pub stock_left: i64,
    /// Quantity accepted so far.
    pub reserved: i64,
    /// An operator paused it: attempts are refused with `sale_paused`, nothing is taken.
    pub paused: bool,
}

impl LiveSale {
    /// Adds another bucket of the same sale (see `Buckets`): its counters, its share of the
    /// stock, and its pause.
    pub fn add_bucket(&mut self, bucket: &LiveSale) {
        self.stock_left += bucket.stock_left;
        self.reserved += bucket.reserved;
        self.paused |= bucket.paused;
        let total = self.definition.stock_total.get() + bucket.definition.stock_total.get();
        // The shares of a sale add up to its total, itself a valid amount.
        self.definition.stock_total =
            StockAmount::parse(total).unwrap_or(self.definition.stock_total);
    }
}

/// Where a sale stands at a given instant, as shown to buyers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SaleState {
    Upcoming,
    Active,
    SoldOut,
    /// Paused by an operator; shown to buyers too, since their attempts get `sale_paused`.
    Paused,
    Ended,
}

/// The public view of a sale: its definition plus the stock still sellable.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "summer-drop", "name": "Summer drop", "stock_total": 500, "stock_left": 498,
    "per_user_limit": 2, "starts_at": "2026-06-01T09:00:00Z", "ends_at": null, "state": "active"
}))]
pub struct Sale {
    pub id: SaleId,
    pub name: String,
    pub stock_total: i64,
    pub stock_left: i64,
    pub per_user_limit: Quantity,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub state: SaleState,
}

impl Sale {
    pub fn new(definition: SaleDefinition, stock_left: i64, now: DateTime<Utc>) -> Self {
        let state = if definition.ends_at.is_some_and(|end| now >= end) {
            SaleState::Ended
        } else if now < definition.starts_at {
            SaleState::Upcoming
        } else if stock_left <= 0 {
            SaleState::SoldOut
        } else {
            SaleState::Active
        };
        Self {
            id: definition.id,
            name: definition.name,
            stock_total: definition.stock_total.get(),
            stock_left,
            per_user_limit: definition.per_user_limit,
            starts_at: definition.starts_at,
            ends_at: definition.ends_at,
            state,
        }
    }

    /// The view of a paused sale. An end outranks a pause, as in `lua/reserve.lua`: an ended
    /// sale never sells again, while a paused one may.
    pub fn with_pause(mut self, paused: bool) -> Self {
        if paused && self.state != SaleState::Ended {
            self.state = SaleState::Paused;
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn definition(starts_in: i64, ends_in: Option<i64>) -> SaleDefinition {
        let now = Utc::now();
        SaleDefinition {
            id: SaleId::parse("s").unwrap(),
            name: String::new(),
            stock_total: StockAmount::parse(10).unwrap(),
            per_user_limit: Quantity::ONE,
            starts_at: now + TimeDelta::seconds(starts_in),
            ends_at: ends_in.map(|s| now + TimeDelta::seconds(s)),
            buckets: Buckets::ONE,
            payment_window: None,
        }
    }

    #[test]
    fn state_follows_the_window_then_the_stock() {
        let now = Utc::now();
        assert_eq!(
            Sale::new(definition(60, None), 5, now).state,
            SaleState::Upcoming
        );
        assert_eq!(
            Sale::new(definition(-60, None), 5, now).state,
            SaleState::Active
        );
        assert_eq!(
            Sale::new(definition(-60, None), 0, now).state,
            SaleState::SoldOut
        );
        assert_eq!(
            Sale::new(definition(-60, Some(-1)), 5, now).state,
            SaleState::Ended
        );
        assert_eq!(
            Sale::new(definition(-60, Some(-1)), 0, now).state,
            SaleState::Ended
        );
    }

    #[test]
    fn a_pause_shows_unless_the_sale_has_ended() {
        let now = Utc::now();
        for (starts_in, stock_left) in [(60, 5), (-60, 5), (-60, 0)] {
            let sale = Sale::new(definition(starts_in, None), stock_left, now);
            assert_eq!(sale.clone().with_pause(false).state, sale.state);
            assert_eq!(sale.with_pause(true).state, SaleState::Paused);
        }
        let ended = Sale::new(definition(-60, Some(-1)), 5, now);
        assert_eq!(ended.with_pause(true).state, SaleState::Ended);
    }
}
