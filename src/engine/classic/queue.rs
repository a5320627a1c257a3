//! The queue engine: every order attempt waits its turn for one worker task, which decides it
//! against Postgres on its own connection. No two orders ever race, and none run in parallel.
use super::{PostgresEngine, Strategy, read_check_write};
use crate::domain::{LiveSale, OrderAttempt, Reservation, SaleId};
use crate::engine::StockEngine;
use crate::error::{ApiError, Result};
use futures_util::future::BoxFuture;
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};

/// Attempts waiting beyond this are refused with 503 instead of queueing without bound.
const QUEUE_CAPACITY: usize = 10_000;

type Job = (OrderAttempt, oneshot::Sender<Result<Reservation>>);

pub struct QueueEngine {
    jobs: mpsc::Sender<Job>,
    /// Reads do not need the queue.
    reads: PostgresEngine,
}

impl QueueEngine {
    /// Starts the worker; it stops when the engine is dropped.
    pub fn start(db: PgPool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE_CAPACITY);
        tokio::spawn(work(db.clone(), queue));
        Self {
            jobs,
            reads: PostgresEngine::new(db, Strategy::Lock),
        }
    }
}

async fn work(db: PgPool, mut queue: mpsc::Receiver<Job>) {
    while let Some((attempt, reply)) = queue.recv().await {
        let decided = read_check_write(&db, &attempt, true).await;
        // The buyer may have gone away; the order stands either way.
        let _ = reply.send(decided);
    }
}

impl StockEngine for QueueEngine {
    fn reserve<'a>(&'a self, attempt: &'a OrderAttempt) -> BoxFuture<'a, Result<Reservation>> {
        Box::pin(async move {
            let (reply, answer) = oneshot::channel();
            let unavailable =
                |why: &str| ApiError::Unavailable(anyhow::anyhow!("order queue {why}"));
            self.jobs
                // The worker outlives this request, so it gets its own copy.
                .try_send((attempt.clone(), reply))
                .map_err(|_| unavailable("is full or stopped"))?;
            answer.await.map_err(|_| unavailable("worker stopped"))?
        })
    }

    fn live_sale<'a>(&'a self, sale: &'a SaleId) -> BoxFuture<'a, Result<Option<LiveSale>>> {
        self.reads.live_sale(sale)
    }
}
