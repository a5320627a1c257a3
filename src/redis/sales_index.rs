//! The index of sales whose streams the persisters read, and how many orders wait in them.
use super::CONSUMER_GROUP;
use super::connection::PooledConnection;
use super::orders_stream::{OrdersStream, is_missing_stream};
use crate::domain::SaleId;
use chrono::{DateTime, TimeDelta, Utc};
use redis::streams::StreamInfoGroupsReply;
use redis::{AsyncCommands, RedisResult};

/// A sale that ended this long ago with nothing left to persist is no longer read. The end is
/// judged by Redis's clock, the one that closes the sale (`TIME` in `reserve.lua`), so an
/// instance whose clock runs ahead cannot forget a sale that still sells.
const FORGET_AFTER_END: TimeDelta = TimeDelta::minutes(1);

impl OrdersStream {
    /// The sales in the index, whose streams are to be read: each bucket of a split sale is
    /// there under its own name (`SaleId::bucket`). One cheap call, made before every
    /// read so that a new sale's first orders are picked up at once.
    pub async fn active_sales(&self) -> RedisResult<Vec<SaleId>> {
        let ids: Vec<String> = self
            .pooled()
            .await?
            .smembers(self.keys.sales_index())
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| SaleId::parse_stored(id).ok())
            .collect())
    }

    /// Sales that ended and are fully persisted leave the index and `sales`, so the
    /// persister's work does not grow with past sales.
    pub async fn forget_finished(&self, sales: &mut Vec<SaleId>) -> RedisResult<()> {
        let mut conn = self.pooled().await?;
        let now = redis_time(&mut conn).await?;
        let mut finished = Vec::new();
        for sale in sales.iter() {
            let sale_keys = self.keys.sale(sale);
            let waiting = unacknowledged(&mut conn, &sale_keys.orders).await?;
            if waiting == 0 && ended_long_ago(&mut conn, &sale_keys.sale, now).await? {
                let _: () = conn.srem(self.keys.sales_index(), sale.as_str()).await?;
                // A dead letter replayed since the count above is read by nobody once the
                // sale left the index: look again, and keep the sale if anything came in.
                if unacknowledged(&mut conn, &sale_keys.orders).await? > 0 {
                    let _: () = conn.sadd(self.keys.sales_index(), sale.as_str()).await?;
                    continue;
                }
                tracing::info!(sale_id = %sale, "sale ended and fully persisted; no longer read");
                finished.push(sale.clone());
            }
        }
        sales.retain(|sale| !finished.contains(sale));
        Ok(())
    }
}

impl super::RedisStore {
    /// Accepted orders not yet in Postgres, over every sale (and bucket) in the index, read now:
    /// what the readiness probe reports, true even while the persister is stuck on Postgres
    /// (its own measurement waits for its next read).
    pub async fn backlog(&self) -> crate::error::Result<usize> {
        let mut conn = self.pooled().await?;
        let names: Vec<String> = conn.smembers(self.keys.sales_index()).await?;
        let mut backlog = 0;
        for sale in names
            .iter()
            .filter_map(|name| SaleId::parse_stored(name).ok())
        {
            let pending: usize = conn.hlen(self.keys.sale(&sale).pending).await?;
            backlog += pending;
        }
        Ok(backlog)
    }
}

/// Entries of the stream the group has not acknowledged (delivered or not).
async fn unacknowledged(conn: &mut PooledConnection, stream: &str) -> RedisResult<usize> {
    let info: RedisResult<StreamInfoGroupsReply> = conn.xinfo_groups(stream).await;
    match info {
        Ok(info) => Ok(info
            .groups
            .iter()
            .filter(|group| group.name == CONSUMER_GROUP)
            .map(|group| group.pending + group.lag.unwrap_or(0))
            .sum()),
        // The stream is gone (Redis lost the sale): nothing waits in it, and the other sales
        // must still be read.
        Err(e) if is_missing_stream(&e) => Ok(0),
        Err(e) => Err(e),
    }
}

/// Redis's clock: `TIME` answers seconds and microseconds.
pub(super) async fn redis_time(conn: &mut PooledConnection) -> RedisResult<DateTime<Utc>> {
    let (seconds, micros): (i64, u32) = redis::cmd("TIME").query_async(conn).await?;
    DateTime::from_timestamp(seconds, micros.saturating_mul(1000)).ok_or_else(|| {
        redis::RedisError::from(std::io::Error::other("Redis's TIME is out of range"))
    })
}

async fn ended_long_ago(
    conn: &mut PooledConnection,
    sale_key: &str,
    now: DateTime<Utc>,
) -> RedisResult<bool> {
    let ends_at: Option<String> = conn.hget(sale_key, "ends_at").await?;
    Ok(ends_at
        .and_then(|ms| DateTime::from_timestamp_millis(ms.parse().ok()?))
        .is_some_and(|end| now - end > FORGET_AFTER_END))
}
