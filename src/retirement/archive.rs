//! Answers for sales that retired from Redis, from Postgres: the sale as buyers and operators
//! see it, and an order attempt's answer (its original 202 for a replayed idempotency key, else
//! `sale_ended`). Asked only when Redis does not hold a sale, which is also what an unknown
//! sale id looks like, so each instance remembers Postgres's answer, either way, for a moment:
//! a flood of attempts on a sale that is gone or never was costs Postgres one read a second.
use crate::domain::{OrderAttempt, Refusal, Reservation, SaleId};
use crate::error::Result;
use crate::postgres::retirement::{self, RetiredSale};
use dashmap::DashMap;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long an answer is remembered: a sale loaded again (preload) is sold from Redis anyway,
/// and a retired one never changes.
const REMEMBER_FOR: Duration = Duration::from_secs(1);
/// Sales remembered at most; past that, all are forgotten (each costs one read again).
const MAX_REMEMBERED: usize = 10_000;

#[derive(Default)]
pub struct Archive {
    remembered: DashMap<SaleId, (Instant, Option<Arc<RetiredSale>>)>,
}

impl Archive {
    /// The sale, if it retired.
    pub async fn find(&self, db: &PgPool, sale: &SaleId) -> Result<Option<Arc<RetiredSale>>> {
        if let Some(entry) = self.remembered.get(sale)
            && entry.0.elapsed() < REMEMBER_FOR
        {
            return Ok(entry.1.clone());
        }
        let found = retirement::find_retired(db, sale).await?.map(Arc::new);
        if self.remembered.len() >= MAX_REMEMBERED {
            self.remembered.clear();
        }
        self.remembered
            .insert(sale.clone(), (Instant::now(), found.clone()));
        Ok(found)
    }

    /// The answer to an attempt Redis found no sale for: the same rules as `reserve.lua` on an
    /// ended sale, with Postgres's orders standing in for its idempotency keys.
    pub async fn answer(&self, db: &PgPool, attempt: &OrderAttempt) -> Result<Reservation> {
        if self.find(db, &attempt.sale).await?.is_none() {
            return Ok(Reservation::Refused(Refusal::SaleNotFound));
        }
        Ok(match retirement::keyed_order(db, attempt).await? {
            Some(earlier) if earlier.quantity == i64::from(attempt.quantity.get()) => {
                Reservation::Replayed {
                    order_id: earlier.order_id,
                    created_at: earlier.created_at,
                }
            }
            Some(_) => Reservation::Refused(Refusal::IdempotencyKeyReused),
            None => Reservation::Refused(Refusal::SaleEnded),
        })
    }
}
