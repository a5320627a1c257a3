//! The classic engines, kept for comparison: stock kept in the `sales` row, every order
//! written before the answer. Their statements live in `postgres::classic`.
//!
//! The three Postgres strategies take the sale row's lock before reading the buyer's earlier
//! orders, so that read sees every committed order and the per-user limit and idempotency keys
//! hold under concurrency; the queue engine runs the locking one, one order at a time, and the
//! file-lock engine runs it without the row lock inside a lock file's `flock`.
mod file_lock;
mod queue;
mod rules;

pub use file_lock::FileLockEngine;
pub use queue::QueueEngine;

use super::StockEngine;
use crate::domain::{LiveSale, OrderAttempt, OrderId, Refusal, Reservation, SaleId};
use crate::error::{ApiError, Result};
use crate::postgres::{self, classic};
use futures_util::future::BoxFuture;
use rules::check;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;

/// After this many lost races an optimistic or conditional attempt gives up and answers 503.
const OPTIMISTIC_ATTEMPTS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// `SELECT … FOR UPDATE`, then update and insert.
    Lock,
    /// Read without a lock, then `UPDATE … WHERE sold = <read value>`; retry on conflict.
    Optimistic,
    /// `UPDATE … WHERE sold + q <= stock_total` first, then the checks that need the lock.
    Conditional,
}

pub struct PostgresEngine {
    db: PgPool,
    strategy: Strategy,
}

impl PostgresEngine {
    pub fn new(db: PgPool, strategy: Strategy) -> Self {
        Self { db, strategy }
    }

    async fn decide(&self, attempt: &OrderAttempt) -> Result<Reservation> {
        match self.strategy {
            Strategy::Lock => read_check_write(&self.db, attempt, true).await,
            Strategy::Optimistic => optimistic(&self.db, attempt).await,
            Strategy::Conditional => conditional(&self.db, attempt).await,
        }
    }
}

impl StockEngine for PostgresEngine {
    fn reserve<'a>(&'a self, attempt: &'a OrderAttempt) -> BoxFuture<'a, Result<Reservation>> {
        Box::pin(self.decide(attempt))
    }

    fn live_sale<'a>(&'a self, sale: &'a SaleId) -> BoxFuture<'a, Result<Option<LiveSale>>> {
        Box::pin(async move {
            let Some(definition) = postgres::sales::find(&self.db, sale).await? else {
                return Ok(None);
            };
            let sold = postgres::sales::sold(&self.db, sale).await?;
            Ok(Some(LiveSale {
                stock_left: definition.stock_total.get() - sold,
                reserved: sold,
                paused: postgres::sales::paused(&self.db, sale).await?,
                definition,
            }))
        })
    }
}

/// The pessimistic path, in one transaction: read, check, write. `row_lock` takes the sale
/// row's lock for the read; without it the caller must keep every other attempt on the sale
/// out until this returns (the file-lock engine's `flock`).
async fn read_check_write(
    db: &PgPool,
    attempt: &OrderAttempt,
    row_lock: bool,
) -> Result<Reservation> {
    let mut tx = db.begin().await?;
    let reservation = match classic::snapshot(&mut tx, attempt, row_lock).await? {
        None => Reservation::Refused(Refusal::SaleNotFound),
        Some(snapshot) => match check(&snapshot, attempt) {
            Some(decided) => decided,
            None => take_stock_and_insert(&mut tx, attempt).await?,
        },
    };
    tx.commit().await?;
    Ok(reservation)
}

async fn optimistic(db: &PgPool, attempt: &OrderAttempt) -> Result<Reservation> {
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        let mut conn = db.acquire().await?;
        let Some(snapshot) = classic::snapshot(&mut conn, attempt, false).await? else {
            return Ok(Reservation::Refused(Refusal::SaleNotFound));
        };
        if let Some(decided) = check(&snapshot, attempt) {
            return Ok(decided);
        }
        drop(conn);
        let mut tx = db.begin().await?;
        if classic::take_stock_if_unchanged(&mut tx, attempt, snapshot.sold).await? {
            let reservation = insert_order(&mut tx, attempt).await?;
            tx.commit().await?;
            return Ok(reservation);
        }
        tx.rollback().await?;
        // Without a pause, hundreds of losers retry in lockstep and lose again together.
        tokio::time::sleep(Duration::from_micros(rand::random_range(0..2_000))).await;
    }
    Err(ApiError::Unavailable(anyhow::anyhow!(
        "optimistic update lost {OPTIMISTIC_ATTEMPTS} races in a row"
    )))
}

async fn conditional(db: &PgPool, attempt: &OrderAttempt) -> Result<Reservation> {
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        let mut tx = db.begin().await?;
        let taken = classic::take_stock_if_available(&mut tx, attempt).await?;
        // With the update done the row is locked, so this read sees every committed order.
        let Some(mut snapshot) = classic::snapshot(&mut tx, attempt, false).await? else {
            return Ok(Reservation::Refused(Refusal::SaleNotFound));
        };
        if taken {
            snapshot.stock_left += i64::from(attempt.quantity.get());
        }
        let decided = check(&snapshot, attempt);
        match (taken, decided) {
            (true, None) => {
                let reservation = insert_order(&mut tx, attempt).await?;
                tx.commit().await?;
                return Ok(reservation);
            }
            (_, Some(decided)) => {
                tx.rollback().await?;
                return Ok(decided);
            }
            // The update was refused but stock came back since (another attempt rolled
            // back): try again.
            (_, None) => tx.rollback().await?,
        }
    }
    Err(ApiError::Unavailable(anyhow::anyhow!(
        "conditional update kept racing {OPTIMISTIC_ATTEMPTS} times"
    )))
}

async fn take_stock_and_insert(
    tx: &mut PgConnection,
    attempt: &OrderAttempt,
) -> Result<Reservation> {
    classic::take_stock(tx, attempt).await?;
    insert_order(tx, attempt).await
}

async fn insert_order(tx: &mut PgConnection, attempt: &OrderAttempt) -> Result<Reservation> {
    let order_id = OrderId::generate();
    let created_at = classic::insert_confirmed(tx, attempt, order_id).await?;
    Ok(Reservation::Accepted {
        order_id,
        created_at,
    })
}
