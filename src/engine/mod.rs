//! Stock engines: the strategy that decides an order attempt, selected with `FLASHSALE_ENGINE`.
//!
//! `redis` is the product: one atomic script, orders persisted asynchronously. The others are
//! the textbook answers, kept so the benchmark can compare them under the same HTTP API and the
//! same rules (time window, per-user limit, idempotency, no oversell); they write each order to
//! Postgres before answering:
//! - `pg-lock`: `SELECT … FOR UPDATE` on the sale row, then update and insert;
//! - `pg-optimistic`: `UPDATE … WHERE sold = <read value>`, retried on conflict;
//! - `pg-conditional`: `UPDATE … WHERE sold + q <= stock_total`;
//! - `queue`: one worker task that runs every order in turn.
mod postgres;
mod queue;
mod redis;

pub use postgres::{PostgresEngine, Strategy};
pub use queue::QueueEngine;
pub use redis::RedisEngine;

use crate::domain::{IdempotencyKey, Quantity, SaleId, UserId};
use crate::error::Result;
use crate::store::{LiveSale, Reservation};
use futures_util::future::BoxFuture;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum EngineKind {
    #[default]
    Redis,
    PgLock,
    PgOptimistic,
    PgConditional,
    Queue,
}

/// One validated order attempt.
#[derive(Debug, Clone)]
pub struct OrderAttempt {
    pub sale: SaleId,
    pub user: UserId,
    pub quantity: Quantity,
    pub idempotency_key: Option<IdempotencyKey>,
}

pub trait StockEngine: Send + Sync {
    /// Decides one attempt: takes stock and records the order, or refuses and changes nothing.
    fn reserve(&self, attempt: OrderAttempt) -> BoxFuture<'_, Result<Reservation>>;

    /// The sale as this engine sells it: definition, stock left, quantity reserved.
    fn live_sale<'a>(&'a self, sale: &'a SaleId) -> BoxFuture<'a, Result<Option<LiveSale>>>;

    /// An admin changed the sale (created, restocked, preloaded): drop anything cached about it.
    fn sale_changed(&self, _sale: &SaleId) {}
}
