//! The sold-out fast path: once Redis says a sale is sold out, this instance answers further
//! attempts from memory for `recheck`, without a Redis round trip.
//!
//! After `recheck` the next attempt goes to Redis again, so a restock made through another
//! instance is noticed within that delay (a restock through this instance clears it at once).
use crate::domain::SaleId;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

pub struct SoldOutCache {
    recheck: Duration,
    /// When Redis last answered `sold_out` for each sale.
    seen_at: RwLock<HashMap<SaleId, Instant>>,
}

impl SoldOutCache {
    pub fn new(recheck: Duration) -> Self {
        Self {
            recheck,
            seen_at: RwLock::new(HashMap::new()),
        }
    }

    pub fn is_sold_out(&self, sale: &SaleId) -> bool {
        let seen_at = self.seen_at.read().unwrap_or_else(|p| p.into_inner());
        seen_at
            .get(sale)
            .is_some_and(|at| at.elapsed() < self.recheck)
    }

    pub fn mark_sold_out(&self, sale: &SaleId) {
        let mut seen_at = self.seen_at.write().unwrap_or_else(|p| p.into_inner());
        seen_at.insert(sale.clone(), Instant::now());
    }

    pub fn forget(&self, sale: &SaleId) {
        let mut seen_at = self.seen_at.write().unwrap_or_else(|p| p.into_inner());
        seen_at.remove(sale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_a_sold_out_sale_until_the_recheck_is_due() {
        let sale = SaleId::parse("s").unwrap();
        let cache = SoldOutCache::new(Duration::from_millis(50));
        assert!(!cache.is_sold_out(&sale));
        cache.mark_sold_out(&sale);
        assert!(cache.is_sold_out(&sale));
        std::thread::sleep(Duration::from_millis(60));
        assert!(!cache.is_sold_out(&sale));
    }

    #[test]
    fn forgetting_a_sale_sends_the_next_attempt_to_redis() {
        let sale = SaleId::parse("s").unwrap();
        let cache = SoldOutCache::new(Duration::from_secs(60));
        cache.mark_sold_out(&sale);
        cache.forget(&sale);
        assert!(!cache.is_sold_out(&sale));
    }
}
