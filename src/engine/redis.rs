//! The Redis engine: `lua/reserve.lua` through the group commit, with the sold-out fast path
//! in front of it.
use super::StockEngine;
use super::split_stock::SplitStock;
use crate::domain::{Buckets, LiveSale, OrderAttempt, OrderId, Refusal, Reservation, SaleId};
use crate::error::ApiError;
use crate::error::Result;
use crate::redis::{RedisStore, lost_connection};
use crate::redis_gate::RedisGate;
use crate::sold_out::{Claim, SoldOutCache};
use futures_util::future::BoxFuture;
use std::sync::Arc;

pub struct RedisEngine {
    store: RedisStore,
    /// Shared by every worker of the instance.
    sold_out: Arc<SoldOutCache>,
    /// Closed while Redis's data is not verified (see `redis_gate`): nothing is sent to it.
    gate: Arc<RedisGate>,
    /// Shared by every worker of the instance.
    split: Arc<SplitStock>,
}

impl RedisEngine {
    pub fn new(
        store: RedisStore,
        sold_out: Arc<SoldOutCache>,
        gate: Arc<RedisGate>,
        split: Arc<SplitStock>,
    ) -> Self {
        Self {
            store,
            sold_out,
            gate,
            split,
        }
    }

    /// Through the group commit, on the sale or, if it is split, on the buyer's bucket.
    async fn decide(&self, attempt: &OrderAttempt) -> Result<Reservation> {
        let buckets = self.split.buckets(&self.store, &attempt.sale).await?;
        if buckets == Buckets::ONE {
            return self
                .store
                .reserve(attempt.clone(), OrderId::generate())
                .await;
        }
        self.split.reserve(&self.store, attempt, buckets).await
    }
}

impl StockEngine for RedisEngine {
    fn answer_from_memory(&self, attempt: &OrderAttempt) -> Option<Reservation> {
        // A retry with a key must reach Redis to get its original answer back.
        (attempt.idempotency_key.is_none() && self.sold_out.is_sold_out(&attempt.sale))
            .then_some(Reservation::Refused(Refusal::SoldOut))
    }

    fn reserve<'a>(&'a self, attempt: &'a OrderAttempt) -> BoxFuture<'a, Result<Reservation>> {
        Box::pin(async move {
            if !self.gate.is_open() {
                return Err(ApiError::Unavailable(anyhow::anyhow!(
                    "Redis's data is not verified yet"
                )));
            }
            // A retry with a key must reach Redis; any other attempt on a sale remembered sold
            // out answers from memory unless it is the one re-check.
            let claim = match &attempt.idempotency_key {
                Some(_) => Claim::NotRemembered,
                None => self.sold_out.claim(&attempt.sale),
            };
            if matches!(claim, Claim::SoldOut) {
                return Ok(Reservation::Refused(Refusal::SoldOut));
            }
            let reservation = self.decide(attempt).await.inspect_err(|e| {
                if lost_connection(e) {
                    self.gate.suspect();
                }
            })?;
            let sold_out = reservation == Reservation::Refused(Refusal::SoldOut);
            match claim {
                Claim::Recheck(recheck) => recheck.settle(sold_out),
                _ if sold_out => self.sold_out.mark_sold_out(&attempt.sale),
                _ => {}
            }
            Ok(reservation)
        })
    }

    fn live_sale<'a>(&'a self, sale: &'a SaleId) -> BoxFuture<'a, Result<Option<LiveSale>>> {
        Box::pin(self.store.live_sale(sale))
    }

    fn sale_changed(&self, sale: &SaleId) {
        self.sold_out.forget(sale);
    }
}
