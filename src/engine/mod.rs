//! Stock engines: the strategy that decides an order attempt, selected with `FLASHSALE_ENGINE`.
//!
//! `redis` is the product: one atomic script, orders persisted asynchronously. The others are
//! the textbook answers, kept so the benchmark can compare them under the same HTTP API and the
//! same rules (time window, per-user limit, idempotency, no oversell); they write each order to
//! Postgres before answering:
//! - `pg-lock`: `SELECT … FOR UPDATE` on the sale row, then update and insert;
//! - `pg-optimistic`: `UPDATE … WHERE sold = <read value>`, retried on conflict;
//! - `pg-conditional`: `UPDATE … WHERE sold + q <= stock_total`;
//! - `queue`: one worker task that runs every order in turn;
//! - `file-lock`: PHP's `flock` on a lock file per sale around `pg-lock`'s read and write,
//!   without the row lock; it holds on one host only.
mod classic;
mod redis;
mod split_stock;

pub use classic::{FileLockEngine, PostgresEngine, QueueEngine, Strategy};
pub use redis::RedisEngine;

use crate::configuration::EngineKind;
use crate::domain::{LiveSale, OrderAttempt, Reservation, SaleId};
use crate::error::Result;
use crate::redis::RedisStore;
use crate::redis_gate::RedisGate;
use crate::sold_out::SoldOutCache;
use futures_util::future::BoxFuture;
use split_stock::SplitStock;
use sqlx::PgPool;
use std::ops::Deref;
use std::path::PathBuf;
use std::sync::Arc;

pub trait StockEngine: Send + Sync {
    /// An answer this instance can give without any I/O (the Redis engine's sold-out fast
    /// path), checked before rate limits so that a storm on a sold-out sale costs nothing.
    fn answer_from_memory(&self, _attempt: &OrderAttempt) -> Option<Reservation> {
        None
    }

    /// Decides one attempt: takes stock and records the order, or refuses and changes nothing.
    fn reserve<'a>(&'a self, attempt: &'a OrderAttempt) -> BoxFuture<'a, Result<Reservation>>;

    /// The sale as this engine sells it: definition, stock left, quantity reserved.
    fn live_sale<'a>(&'a self, sale: &'a SaleId) -> BoxFuture<'a, Result<Option<LiveSale>>>;

    /// An admin changed the sale (created, restocked, preloaded): drop anything cached about it.
    fn sale_changed(&self, _sale: &SaleId) {}
}

/// The engine one HTTP worker uses.
pub struct Engine(Arc<dyn StockEngine>);

impl Deref for Engine {
    type Target = dyn StockEngine;

    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}

/// Makes each HTTP worker's engine. The Redis engine gets a connection of the worker's own;
/// the others are shared (the queue engine must be: it is one queue).
#[derive(Clone)]
pub enum EngineFactory {
    Redis {
        store: Box<RedisStore>,
        sold_out: Arc<SoldOutCache>,
        gate: Arc<RedisGate>,
        split: Arc<SplitStock>,
    },
    Shared(Arc<dyn StockEngine>),
}

impl EngineFactory {
    pub fn new(
        kind: EngineKind,
        redis: &RedisStore,
        db: &PgPool,
        sold_out: SoldOutCache,
        gate: &Arc<RedisGate>,
        file_lock_dir: PathBuf,
    ) -> Self {
        let shared: Arc<dyn StockEngine> = match kind {
            EngineKind::Redis => {
                return Self::Redis {
                    store: Box::new(redis.clone()),
                    sold_out: Arc::new(sold_out),
                    gate: gate.clone(),
                    split: Arc::default(),
                };
            }
            EngineKind::PgLock => Arc::new(PostgresEngine::new(db.clone(), Strategy::Lock)),
            EngineKind::PgOptimistic => {
                Arc::new(PostgresEngine::new(db.clone(), Strategy::Optimistic))
            }
            EngineKind::PgConditional => {
                Arc::new(PostgresEngine::new(db.clone(), Strategy::Conditional))
            }
            EngineKind::Queue => Arc::new(QueueEngine::start(db.clone())),
            EngineKind::FileLock => Arc::new(FileLockEngine::new(db.clone(), file_lock_dir)),
        };
        Self::Shared(shared)
    }

    /// Called once on each worker's thread.
    pub async fn for_worker(self) -> anyhow::Result<Engine> {
        Ok(Engine(match self {
            Self::Redis {
                store,
                sold_out,
                gate,
                split,
            } => Arc::new(RedisEngine::new(
                store.with_own_connection().await?,
                sold_out,
                gate,
                split,
            )),
            Self::Shared(engine) => engine,
        }))
    }
}
