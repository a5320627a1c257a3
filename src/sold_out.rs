//! The sold-out fast path: once Redis says a sale is sold out, this instance answers further
//! attempts from memory for `recheck`, without a Redis round trip.
//!
//! After `recheck` one attempt (and only one: the re-check is single-flight) goes to Redis
//! again, while the others keep getting the remembered `sold_out` until its answer arrives:
//! a storm on a sold-out sale never sends all its in-flight attempts to Redis at once. A
//! restock made through another instance is noticed within about `recheck` (one through this
//! instance clears the memory at once).
use crate::domain::SaleId;
use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

struct Seen {
    /// When Redis last answered `sold_out`.
    at: Instant,
    /// The claim of the attempt re-checking with Redis now, if one is.
    recheck: Option<u64>,
}

pub struct SoldOutCache {
    recheck: Duration,
    seen: RwLock<HashMap<SaleId, Seen>>,
    /// Numbers claims, so that a late release never frees another attempt's claim.
    claims: AtomicU64,
}

/// What an attempt about to go to Redis should do.
pub enum Claim<'a> {
    /// Nothing is remembered about the sale: ask Redis.
    NotRemembered,
    /// Remembered sold out, fresh or being re-checked by another attempt: answer `sold_out`.
    SoldOut,
    /// This attempt is the re-check: ask Redis and settle the guard with its answer.
    Recheck(Recheck<'a>),
}

/// The one re-check in flight for a sale. Dropped unsettled (Redis failed, the request went
/// away), it frees the claim so that the next attempt re-checks.
pub struct Recheck<'a> {
    cache: &'a SoldOutCache,
    sale: SaleId,
    claim: u64,
}

impl SoldOutCache {
    pub fn new(recheck: Duration) -> Self {
        Self {
            recheck,
            seen: RwLock::new(HashMap::new()),
            claims: AtomicU64::new(0),
        }
    }

    /// Whether to answer `sold_out` without asking Redis: remembered and fresh, or a re-check
    /// is already in flight.
    pub fn is_sold_out(&self, sale: &SaleId) -> bool {
        let seen = self.seen.read().unwrap_or_else(|p| p.into_inner());
        seen.get(sale)
            .is_some_and(|s| s.recheck.is_some() || s.at.elapsed() < self.recheck)
    }

    /// Called just before asking Redis: at most one attempt per sale gets `Recheck`.
    pub fn claim(&self, sale: &SaleId) -> Claim<'_> {
        // The common case (a sale that is not sold out) takes only the read lock.
        if !self
            .seen
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(sale)
        {
            return Claim::NotRemembered;
        }
        let mut seen = self.seen.write().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = seen.get_mut(sale) else {
            return Claim::NotRemembered;
        };
        if entry.recheck.is_some() || entry.at.elapsed() < self.recheck {
            return Claim::SoldOut;
        }
        let claim = self.claims.fetch_add(1, Ordering::Relaxed);
        entry.recheck = Some(claim);
        Claim::Recheck(Recheck {
            cache: self,
            sale: sale.clone(),
            claim,
        })
    }

    pub fn mark_sold_out(&self, sale: &SaleId) {
        let mut seen = self.seen.write().unwrap_or_else(|p| p.into_inner());
        seen.insert(
            sale.clone(),
            Seen {
                at: Instant::now(),
                recheck: None,
            },
        );
    }

    pub fn forget(&self, sale: &SaleId) {
        let mut seen = self.seen.write().unwrap_or_else(|p| p.into_inner());
        seen.remove(sale);
    }
}

impl Recheck<'_> {
    /// Redis answered: remember the sale again if it is still sold out, else forget it.
    pub fn settle(self, sold_out: bool) {
        if sold_out {
            self.cache.mark_sold_out(&self.sale);
        } else {
            self.cache.forget(&self.sale);
        }
    }
}

impl Drop for Recheck<'_> {
    fn drop(&mut self) {
        let mut seen = self.cache.seen.write().unwrap_or_else(|p| p.into_inner());
        if let Some(entry) = seen.get_mut(&self.sale)
            && entry.recheck == Some(self.claim)
        {
            entry.recheck = None;
        }
    }
}

#[cfg(test)]
mod tests;
