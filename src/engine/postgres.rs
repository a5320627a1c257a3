//! The classic engines: stock kept in the `sales` row, every order written before the answer.
//!
//! All three take the sale row's lock before reading the buyer's earlier orders, so that read
//! sees every committed order and the per-user limit and idempotency keys hold under
//! concurrency.
use super::StockEngine;
use super::snapshot::{check, snapshot};
use crate::domain::{LiveSale, OrderAttempt, OrderId, Refusal, Reservation, SaleId};
use crate::error::{ApiError, Result};
use crate::postgres;
use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
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
            Strategy::Lock => {
                let mut tx = self.db.begin().await?;
                let reservation = locked(&mut tx, attempt).await?;
                tx.commit().await?;
                Ok(reservation)
            }
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
            let sold: i64 = sqlx::query_scalar("SELECT sold FROM sales WHERE id = $1")
                .bind(sale.as_str())
                .fetch_one(&self.db)
                .await?;
            Ok(Some(LiveSale {
                stock_left: definition.stock_total.get() - sold,
                reserved: sold,
                definition,
            }))
        })
    }
}

/// The pessimistic path, also run by the queue engine's worker: lock, check, write.
pub(super) async fn locked(tx: &mut PgConnection, attempt: &OrderAttempt) -> Result<Reservation> {
    let Some(snapshot) = snapshot(tx, attempt, true).await? else {
        return Ok(Reservation::Refused(Refusal::SaleNotFound));
    };
    if let Some(decided) = check(&snapshot, attempt) {
        return Ok(decided);
    }
    take_stock_and_insert(tx, attempt).await
}

async fn optimistic(db: &PgPool, attempt: &OrderAttempt) -> Result<Reservation> {
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        let mut conn = db.acquire().await?;
        let Some(snapshot) = snapshot(&mut conn, attempt, false).await? else {
            return Ok(Reservation::Refused(Refusal::SaleNotFound));
        };
        if let Some(decided) = check(&snapshot, attempt) {
            return Ok(decided);
        }
        drop(conn);
        let mut tx = db.begin().await?;
        let updated = sqlx::query("UPDATE sales SET sold = sold + $2 WHERE id = $1 AND sold = $3")
            .bind(attempt.sale.as_str())
            .bind(i64::from(attempt.quantity.get()))
            .bind(snapshot.sold)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if updated == 1 {
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
    let quantity = i64::from(attempt.quantity.get());
    for _ in 0..OPTIMISTIC_ATTEMPTS {
        let mut tx = db.begin().await?;
        let updated = sqlx::query(
            "UPDATE sales SET sold = sold + $2
             WHERE id = $1 AND sold + $2 <= stock_total
               AND starts_at <= now() AND (ends_at IS NULL OR now() < ends_at)",
        )
        .bind(attempt.sale.as_str())
        .bind(quantity)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // With the update done the row is locked, so this read sees every committed order.
        let Some(mut snapshot) = snapshot(&mut tx, attempt, false).await? else {
            return Ok(Reservation::Refused(Refusal::SaleNotFound));
        };
        if updated == 1 {
            snapshot.stock_left += quantity;
        }
        let decided = check(&snapshot, attempt);
        match (updated, decided) {
            (1, None) => {
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
    sqlx::query("UPDATE sales SET sold = sold + $2 WHERE id = $1")
        .bind(attempt.sale.as_str())
        .bind(i64::from(attempt.quantity.get()))
        .execute(&mut *tx)
        .await?;
    insert_order(tx, attempt).await
}

async fn insert_order(tx: &mut PgConnection, attempt: &OrderAttempt) -> Result<Reservation> {
    let order_id = OrderId::generate();
    let created_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO orders (order_id, sale_id, user_id, quantity, status, created_at, idempotency_key)
         VALUES ($1, $2, $3, $4, 'confirmed', date_trunc('milliseconds', now()), $5)
         RETURNING created_at",
    )
    .bind(order_id.as_uuid())
    .bind(attempt.sale.as_str())
    .bind(attempt.user.as_str())
    .bind(attempt.quantity.get() as i32)
    .bind(attempt.idempotency_key.as_ref().map(|key| key.as_str()))
    .fetch_one(tx)
    .await?;
    Ok(Reservation::Accepted {
        order_id,
        created_at,
    })
}
