//! What `GET /metrics` reads from Redis: for each sale (and bucket) in the persisters' index,
//! its backlog, the age of its oldest unpersisted order, its dead letters and its live
//! counters, all from one script call on the bucket's slot (`lua/bucket_gauges.lua`).
use super::{CONSUMER_GROUP, RedisStore};
use crate::domain::SaleId;
use crate::error::Result;
use redis::{AsyncCommands, Script};
use std::sync::LazyLock;
use std::time::Duration;

static BUCKET_GAUGES: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/bucket_gauges.lua")));

/// One bucket of the index as the metrics see it, read at one instant by its master's clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketGauges {
    /// The bucket's Redis name (`SaleId::bucket`).
    pub bucket: SaleId,
    /// Accepted orders not yet in Postgres (dead letters included: they are not there either).
    pub pending_orders: u64,
    /// How long the oldest entry the persisters have not acknowledged has waited; `None` when
    /// every entry is acknowledged.
    pub oldest_unpersisted: Option<Duration>,
    pub dead_letters: u64,
    pub stock_left: i64,
    pub reserved: i64,
    /// Its `ends_at` is past.
    pub ended: bool,
    /// Redis holds the bucket's sale hash.
    pub held: bool,
}

impl RedisStore {
    /// Every bucket in the index: one `SMEMBERS`, then one script call per bucket, each on
    /// the bucket's own slot.
    pub async fn bucket_gauges(&self) -> Result<Vec<BucketGauges>> {
        let mut conn = self.pooled().await?;
        let names: Vec<String> = conn.smembers(self.keys.sales_index()).await?;
        let mut readings = Vec::with_capacity(names.len());
        for bucket in names
            .iter()
            .filter_map(|name| SaleId::parse_stored(name).ok())
        {
            let keys = self.keys.sale(&bucket);
            let (pending, age_ms, dead, stock_left, reserved, ended, held): (
                u64,
                i64,
                u64,
                i64,
                i64,
                i64,
                i64,
            ) = BUCKET_GAUGES
                .key(&keys.sale)
                .key(&keys.pending)
                .key(&keys.orders)
                .key(&keys.dead_letters)
                .arg(CONSUMER_GROUP)
                .invoke_async(&mut conn)
                .await?;
            readings.push(BucketGauges {
                bucket,
                pending_orders: pending,
                oldest_unpersisted: u64::try_from(age_ms).ok().map(Duration::from_millis),
                dead_letters: dead,
                stock_left,
                reserved,
                ended: ended == 1,
                held: held == 1,
            });
        }
        Ok(readings)
    }
}
