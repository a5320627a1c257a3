//! Group commit on the order path: attempts on a sale that arrive while a script call for that
//! sale is in flight wait for it, then go together as the next call (`lua/reserve.lua` decides
//! a batch in arrival order, each attempt by the single-attempt rules). No timer: a lone attempt
//! is sent at once, and batches form only when attempts overlap, so they grow with the load and
//! Redis pays its per-call cost once per batch instead of once per order.
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

type Answer = std::result::Result<Reservation, BatchFailure>;

struct Waiter {
    attempt: OrderAttempt,
    order_id: OrderId,
    answer: oneshot::Sender<Answer>,
}

/// The sales with a call in flight, each with the attempts waiting for the next one. Shared by
/// every worker's store of an instance.
#[derive(Clone, Default)]
pub(super) struct Lanes(Arc<Mutex<HashMap<SaleId, Vec<Waiter>>>>);

impl Lanes {
    fn lock(&self) -> MutexGuard<'_, HashMap<SaleId, Vec<Waiter>>> {
        // A panic while holding this lock cannot leave the map half-changed: every change is
        // a single insert, push or remove.
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
        let first = {
            let mut lanes = self.lanes.lock();
            match lanes.get_mut(&sale) {
                Some(waiting) => {
                    waiting.push(waiter);
                    None
                }
                None => {
                    lanes.insert(sale.clone(), Vec::new());
                    Some(waiter)
                }
            }
        };
        if let Some(waiter) = first {
            REDIS_IO.spawn(self.clone().fly(sale, vec![waiter]));
        }
        let answer = decided.await.map_err(|_| {
            ApiError::Unexpected(anyhow::anyhow!("the order's batch ended without an answer"))
        })?;
        Ok(answer?)
    }

    /// Sends batches for `sale` until no attempt is waiting. Runs on the Redis thread, so a
    /// reply is read, and the next batch sent, however busy the HTTP workers are.
    async fn fly(self, sale: SaleId, mut batch: Vec<Waiter>) {
        let mut lane = LaneGuard {
            lanes: &self.lanes,
            sale: &sale,
            closed: false,
        };
        loop {
            let attempts: Vec<(OrderAttempt, OrderId)> = batch
                .iter()
                .map(|w| (w.attempt.clone(), w.order_id))
                .collect();
            match self.call_reserve(&sale, &attempts).await {
                Ok(decisions) => {
                    for (waiter, decision) in batch.into_iter().zip(decisions) {
                        let _ = waiter.answer.send(Ok(decision));
                    }
                }
                Err(failure) => {
                    for waiter in batch {
                        let _ = waiter.answer.send(Err(failure.clone()));
                    }
                }
            }
            batch = match lane.next_batch() {
                Some(next) => next,
                None => return,
            };
        }
    }
}

/// Ends a sale's lane when its flight ends, even by a panic: attempts queued behind a lane
/// left open would wait forever.
struct LaneGuard<'a> {
    lanes: &'a Lanes,
    sale: &'a SaleId,
    closed: bool,
}

impl LaneGuard<'_> {
    /// The waiting attempts, oldest first, at most `MAX_BATCH`; `None` closes the lane.
    fn next_batch(&mut self) -> Option<Vec<Waiter>> {
        let mut lanes = self.lanes.lock();
        let Some(waiting) = lanes.get_mut(self.sale) else {
            self.closed = true;
            return None;
        };
        if waiting.is_empty() {
            lanes.remove(self.sale);
            self.closed = true;
            return None;
        }
        let take = waiting.len().min(MAX_BATCH);
        Some(waiting.drain(..take).collect())
    }
}

impl Drop for LaneGuard<'_> {
    fn drop(&mut self) {
        // After a panic the lane's waiters are dropped and get an error instead of waiting
        // forever. After a normal end the lane may already be another flight's: left alone.
        if !self.closed {
            self.lanes.lock().remove(self.sale);
        }
    }
}
