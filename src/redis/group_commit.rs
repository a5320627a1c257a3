//! Group commit on the order path: attempts on a sale that arrive while script calls for that
//! sale are in flight wait for one to return, then go together as the next call
//! (`lua/reserve.lua` decides a batch in arrival order, each attempt by the single-attempt
//! rules). No timer: a lone attempt is sent at once, and batches form only when attempts
//! overlap, so they grow with the load and Redis pays its per-call cost once per batch instead
//! of once per order.
use super::reservation::BatchFailure;
use super::{REDIS_IO, RedisStore};
use crate::domain::{OrderAttempt, OrderId, Reservation, SaleId};
use crate::error::{ApiError, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::oneshot;

/// Most attempts in one call: a batch blocks Redis for its whole run (a few µs per attempt),
/// and every attempt in it waits for the slowest.
pub const MAX_BATCH: usize = 128;

/// Calls in flight per sale: a second one keeps Redis busy while the first one's reply travels
/// back, so the round trip is not paid between batches. Two are enough for that; more would
/// only split the waiting attempts into smaller batches.
const FLIGHTS_PER_SALE: usize = 2;

type Answer = std::result::Result<Reservation, BatchFailure>;

struct Waiter {
    attempt: OrderAttempt,
    order_id: OrderId,
    answer: oneshot::Sender<Answer>,
}

/// A sale with calls in flight: how many, and the attempts waiting for the next call.
#[derive(Default)]
struct Lane {
    flights: usize,
    waiting: Vec<Waiter>,
}

/// The sales with calls in flight. Shared by every worker's store of an instance.
#[derive(Clone, Default)]
pub(super) struct Lanes(Arc<Mutex<HashMap<SaleId, Lane>>>);

impl Lanes {
    fn lock(&self) -> MutexGuard<'_, HashMap<SaleId, Lane>> {
        // A panic while holding this lock cannot leave the map half-changed: every change is
        // a single insert, push, count or remove.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl RedisStore {
    /// Decides one attempt, in the next script call for its sale; `order_id` is used only if
    /// it is accepted.
    #[tracing::instrument(name = "redis reserve", skip_all)]
    pub async fn reserve(&self, attempt: OrderAttempt, order_id: OrderId) -> Result<Reservation> {
        let (answer, decided) = oneshot::channel();
        let sale = attempt.sale.clone();
        let waiter = Waiter {
            attempt,
            order_id,
            answer,
        };
        let take_off = {
            let mut lanes = self.lanes.lock();
            let lane = lanes.entry(sale.clone()).or_default();
            lane.waiting.push(waiter);
            let free = lane.flights < FLIGHTS_PER_SALE;
            if free {
                lane.flights += 1;
            }
            free
        };
        if take_off {
            REDIS_IO.spawn(self.clone().fly(sale));
        }
        let answer = decided.await.map_err(|_| {
            ApiError::Unexpected(anyhow::anyhow!("the order's batch ended without an answer"))
        })?;
        Ok(answer?)
    }

    /// Sends batches for `sale` until no attempt is waiting. Runs on the Redis thread, so a
    /// reply is read, and the next batch sent, however busy the HTTP workers are.
    async fn fly(self, sale: SaleId) {
        let mut flight = Flight {
            lanes: &self.lanes,
            sale: &sale,
            landed: false,
        };
        while let Some(batch) = flight.next_batch() {
            let (attempts, answers): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .map(|w| ((w.attempt, w.order_id), w.answer))
                .unzip();
            match self.call_reserve(&sale, &attempts).await {
                Ok(decisions) => {
                    for (answer, decision) in answers.into_iter().zip(decisions) {
                        let _ = answer.send(Ok(decision));
                    }
                }
                Err(failure) => {
                    for answer in answers {
                        let _ = answer.send(Err(failure.clone()));
                    }
                }
            }
        }
    }
}

/// One flight of a sale's lane. It lands (and the lane closes with its last flight) when no
/// attempt is waiting, or when it ends by a panic: attempts queued behind a lane whose flights
/// are all gone would wait forever.
struct Flight<'a> {
    lanes: &'a Lanes,
    sale: &'a SaleId,
    landed: bool,
}

impl Flight<'_> {
    /// The waiting attempts, oldest first, at most `MAX_BATCH`; `None` lands the flight.
    fn next_batch(&mut self) -> Option<Vec<Waiter>> {
        let mut lanes = self.lanes.lock();
        let lane = lanes.get_mut(self.sale)?;
        if lane.waiting.is_empty() {
            self.land(&mut lanes);
            return None;
        }
        let take = lane.waiting.len().min(MAX_BATCH);
        Some(lane.waiting.drain(..take).collect())
    }

    fn land(&mut self, lanes: &mut HashMap<SaleId, Lane>) {
        self.landed = true;
        let Some(lane) = lanes.get_mut(self.sale) else {
            return;
        };
        lane.flights -= 1;
        if lane.flights == 0 {
            // Its waiters, if a panic left any, are dropped and get an error.
            lanes.remove(self.sale);
        }
    }
}

impl Drop for Flight<'_> {
    fn drop(&mut self) {
        if !self.landed {
            let lanes = self.lanes;
            self.land(&mut lanes.lock());
        }
    }
}
