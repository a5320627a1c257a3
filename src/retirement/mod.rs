//! Retirement: Redis memory stays bounded over a shop's life. Every sale leaves keys in Redis
//! (about 64 bytes per buyer), and with `noeviction` a full Redis refuses every order of every
//! sale. So every `FLASHSALE_RETIRE_CHECK_MS` each instance looks in Postgres for sales that
//! ended and have no hold left to settle, and gives their keys `FLASHSALE_SALE_RETENTION_S` to
//! live, in one step per bucket that first checks, by Redis's clock and data, that the sale
//! ended and has nothing pending and no dead letter (`lua/retire_sale.lua`). Postgres then
//! records the sale as retired, and [`archive`] answers its reads and idempotent replays.
//!
//! Any number of instances retire at once: each step is idempotent. Loading a sale into Redis
//! again (preload, a retried create) clears the record and the time to live.
pub mod archive;

use crate::error::Result;
use crate::periodic::spawn_every;
use crate::postgres::retirement;
use crate::redis::{RedisStore, Retirement};
use sqlx::PgPool;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long after its end, by Redis's clock, a sale may retire: reserve.lua refuses every
/// attempt from its end on, and this much more covers a clock stepped back a little.
pub const AFTER_END: Duration = Duration::from_secs(5);
/// Sales looked at per check.
const PER_CHECK: i64 = 100;

pub fn spawn_retirer(
    redis: RedisStore,
    db: PgPool,
    retention: Duration,
    every: Duration,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    spawn_every("retiring ended sales", every, shutdown, move || {
        let (redis, db) = (redis.clone(), db.clone());
        async move { retire_due(&redis, &db, retention).await.map(drop) }
    })
}

/// Retires what may retire now; how many sales did.
pub async fn retire_due(redis: &RedisStore, db: &PgPool, retention: Duration) -> Result<usize> {
    let mut retired = 0;
    for sale in retirement::retirable(db, AFTER_END.as_secs_f64(), PER_CHECK).await? {
        match redis
            .retire_sale(&sale.id, sale.buckets, retention, AFTER_END)
            .await?
        {
            Retirement::Retired => {
                retirement::mark_retired(db, &sale.id).await?;
                tracing::info!(sale_id = %sale.id, ?retention, "sale retired from Redis");
                retired += 1;
            }
            waiting => tracing::debug!(sale_id = %sale.id, ?waiting, "sale not retired yet"),
        }
    }
    Ok(retired)
}
