//! How long a sale's oldest accepted order has waited for the persister: the live sale page's
//! persister lag, read from Redis so it is the same whichever instance persists.
use super::entry_time;
use super::sales_index::redis_time;
use crate::domain::{Buckets, SaleId};
use crate::error::Result;
use chrono::{DateTime, TimeDelta, Utc};
use redis::AsyncCommands;
use redis::streams::StreamRangeReply;

impl super::RedisStore {
    /// The age, by Redis's clock, of the oldest entry left in the sale's streams (every
    /// bucket's); zero when they are empty. An entry leaves its stream in the step that
    /// acknowledges it (`trim_orders.lua` keeps everything from the oldest unacknowledged entry
    /// on), so the first one is the oldest order not yet in Postgres or the dead letters.
    pub async fn oldest_unpersisted_age(
        &self,
        sale: &SaleId,
        buckets: Buckets,
    ) -> Result<TimeDelta> {
        let mut conn = self.pooled().await?;
        let mut oldest = None;
        for bucket in buckets.all() {
            let stream = self.keys.sale(&sale.bucket(bucket)).orders;
            let first: StreamRangeReply = conn.xrange_count(&stream, "-", "+", 1).await?;
            if let Some(created) = first.ids.first().and_then(|entry| entry_time(&entry.id)) {
                oldest = Some(oldest.map_or(created, |seen: DateTime<Utc>| seen.min(created)));
            }
        }
        let Some(oldest) = oldest else {
            return Ok(TimeDelta::zero());
        };
        let now = redis_time(&mut conn).await?;
        Ok((now - oldest).max(TimeDelta::zero()))
    }
}
