//! The sweeper: every `FLASHSALE_HOLD_SWEEP_MS`, each instance expires the holds past their
//! deadline and finishes any return cut short. Any number of instances sweep at once: each
//! transition is conditional on the hold still awaiting payment (under the sale's row lock), and
//! each return is keyed by order id.
use super::give_back;
use crate::error::Result;
use crate::metrics::Metrics;
use crate::periodic::spawn_every;
use crate::postgres::holds;
use crate::redis::RedisStore;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Holds ended, or returns finished, per statement: a sale's row stays locked that long.
const PER_PASS: i64 = 500;

pub fn spawn_sweeper(
    redis: RedisStore,
    db: PgPool,
    every: Duration,
    metrics: Arc<Metrics>,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    spawn_every("hold sweep", every, shutdown, move || {
        let (redis, db, metrics) = (redis.clone(), db.clone(), metrics.clone());
        async move { sweep(&redis, &db, &metrics).await }
    })
}

async fn sweep(redis: &RedisStore, db: &PgPool, metrics: &Metrics) -> Result<()> {
    for sale in holds::sales_with_due_holds(db, PER_PASS).await? {
        loop {
            let expired = holds::expire_due(db, &sale, PER_PASS).await?;
            metrics.hold_transition("expired", expired.len());
            let returned = give_back(redis, db, &expired).await?;
            metrics.hold_transition("returned", returned);
            if (expired.len() as i64) < PER_PASS {
                break;
            }
        }
    }
    let cut_short = holds::not_returned(db, PER_PASS).await?;
    let returned = give_back(redis, db, &cut_short).await?;
    metrics.hold_transition("returned", returned);
    let lag = holds::sweep_lag(db).await?;
    metrics.set_hold_sweep_lag(Duration::from_secs_f64(lag.max(0.0)));
    Ok(())
}
