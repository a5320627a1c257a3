//! The Redis gate: no sale sells on Redis data the service has not verified against Postgres.
//!
//! Redis may come back from a restart with older data than it served (an AOF or RDB behind
//! the last writes, a failover to a lagging replica) or with none. Selling on it would accept
//! orders that Postgres later rejects (stock already gone, a buyer already at the limit) or
//! forget a sale. So every instance runs [`watch`]: it reads Redis's `run_id` (new on every
//! start, another server's after a failover) and the `run_id` recorded, in Redis itself, by
//! the last verification. The record lives in the data it vouches for, so any older copy of
//! the data, or none, carries a record that differs from the serving `run_id`: an instance
//! started after the restart notices too. While they differ the gate is closed and orders get
//! 503 `unavailable` before anything is sent to Redis; the watcher verifies every sale
//! (`reconcile::verify_all`), records the `run_id` it verified, reads the identity again and
//! opens the gate only if it now matches. Instances verifying at once are safe: every repair
//! step is. Postgres down keeps the gate closed, retried every 250 ms, each try bounded.
//!
//! A healthy Redis costs one `INFO server` + `GET` round trip per poll, and the order path
//! only reads an atomic flag. The order path closes the gate itself when its connection breaks
//! (before the reconnect can reach a restarted server) and wakes the watcher, which opens it
//! again after one round trip if nothing changed. What remains: a restart that no order on
//! this instance saw (the connection reconnected without one failing) sells on the restarted
//! server's data until the next poll, at most `POLL_EVERY` later.
use crate::error::Result;
use crate::metrics::Metrics;
use crate::postgres;
use crate::reconcile;
use crate::redis::RedisStore;
use sqlx::PgPool;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How often a healthy Redis's identity is read.
pub const POLL_EVERY: Duration = Duration::from_millis(100);
/// How long one identity read may take.
const READ_TIMEOUT: Duration = Duration::from_secs(1);
/// How long one verification of every sale may take before it is abandoned and retried.
const VERIFY_TIMEOUT: Duration = Duration::from_secs(10);
/// The wait before retrying a verification that failed (Postgres down, Redis gone again).
const RETRY_AFTER: Duration = Duration::from_millis(250);

/// Open while Redis's data is the data the service verified. Starts closed.
#[derive(Default)]
pub struct RedisGate {
    open: AtomicBool,
    wake: Notify,
}

impl RedisGate {
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Acquire)
    }

    /// The order path lost its connection: Redis may be another server when it reconnects.
    pub fn suspect(&self) {
        self.open.store(false, Ordering::Release);
        self.wake.notify_one();
    }

    fn set(&self, open: bool) {
        self.open.store(open, Ordering::Release);
    }
}

/// One step of the watcher: opens the gate if Redis's data is verified, else closes it,
/// verifies and records. Returns whether the identity must be read again at once.
pub async fn check(redis: &RedisStore, db: &PgPool, gate: &RedisGate) -> Result<bool> {
    let identity = within(READ_TIMEOUT, redis.identity()).await?;
    if identity.is_verified() {
        gate.set(true);
        return Ok(false);
    }
    gate.set(false);
    tracing::warn!(run_id = %identity.run_id, verified = ?identity.verified,
        "Redis serves data not verified yet: orders wait while every sale is checked");
    let sales = within(VERIFY_TIMEOUT, reconcile::verify_all(redis, db)).await?;
    postgres::deployments::record_verified(db, redis.keys().prefix(), &identity.run_id).await?;
    redis.mark_verified(&identity.run_id).await?;
    tracing::info!(run_id = %identity.run_id, sales, "Redis verified");
    Ok(true)
}

/// Checks before the server takes its first request, so a Redis that can be verified sells
/// from that request on: a verification is followed by the identity read that opens the gate
/// (left to the watcher, the first orders raced it and got 503). If it fails (Postgres down)
/// the watcher keeps trying.
pub async fn open_before_serving(redis: &RedisStore, db: &PgPool, gate: &RedisGate) {
    // A Redis restarting during the startup check could keep asking for another verification;
    // after these the watcher carries on.
    const ATTEMPTS: usize = 3;
    for _ in 0..ATTEMPTS {
        match check(redis, db, gate).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!(error = ?e, "Redis not verified at startup; orders wait");
                return;
            }
        }
    }
}

/// Runs [`check`] every `POLL_EVERY` (at once when the order path suspects Redis) until
/// `shutdown`. A failed read or verification keeps the gate as it is if it was open (orders
/// see the outage themselves) and closed if it was closed, and is retried.
pub async fn watch(
    redis: RedisStore,
    db: PgPool,
    gate: Arc<RedisGate>,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) {
    loop {
        let wait = match check(&redis, &db, &gate).await {
            Ok(true) => Duration::ZERO,
            Ok(false) => POLL_EVERY,
            Err(e) => {
                tracing::warn!(error = ?e, "could not verify Redis; retrying");
                RETRY_AFTER
            }
        };
        metrics.set_redis_verified(gate.is_open());
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = gate.wake.notified() => {}
            () = shutdown.cancelled() => return,
        }
    }
}

async fn within<T>(limit: Duration, step: impl Future<Output = Result<T>>) -> Result<T> {
    tokio::time::timeout(limit, step)
        .await
        .map_err(|_| anyhow::anyhow!("Redis verification step took over {limit:?}"))?
}
