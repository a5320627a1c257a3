//! The index of sales whose streams the persisters read, and how many orders wait in them.
use super::CONSUMER_GROUP;
use super::orders_stream::{OrdersStream, is_missing_stream};
use crate::domain::SaleId;
use chrono::{DateTime, TimeDelta, Utc};
use redis::streams::StreamInfoGroupsReply;
use redis::{AsyncCommands, RedisResult};

/// A sale that ended this long ago with nothing left to persist is no longer read. The margin
/// covers clock differences between this instance and Redis, whose clock closes the sale.
const FORGET_AFTER_END: TimeDelta = TimeDelta::minutes(1);

impl OrdersStream {
    /// The sales in the index, whose streams are to be read. One cheap call, made before every
    /// read so that a new sale's first orders are picked up at once.
    pub async fn active_sales(&self) -> RedisResult<Vec<SaleId>> {
        let ids: Vec<String> = self
            .pooled()
            .await?
            .smembers(self.keys.sales_index())
            .await?;
        Ok(ids.iter().filter_map(|id| SaleId::parse(id).ok()).collect())
    }

    /// The number of orders waiting in the sales' streams (delivered but unacknowledged, or not
    /// yet delivered). Sales that ended and are fully persisted leave the index and `sales`, so
    /// the persister's work does not grow with past sales.
    pub async fn measure_backlog(&self, sales: &mut Vec<SaleId>) -> RedisResult<usize> {
        let mut conn = self.pooled().await?;
        let mut backlog = 0;
        let mut finished = Vec::new();
        for sale in sales.iter() {
            let sale_keys = self.keys.sale(sale);
            let info: RedisResult<StreamInfoGroupsReply> =
                conn.xinfo_groups(&sale_keys.orders).await;
            let waiting: usize = match info {
                Ok(info) => info
                    .groups
                    .iter()
                    .filter(|group| group.name == CONSUMER_GROUP)
                    .map(|group| group.pending + group.lag.unwrap_or(0))
                    .sum(),
                // The stream is gone (Redis lost the sale): nothing waits in it, and the other
                // sales must still be read.
                Err(e) if is_missing_stream(&e) => 0,
                Err(e) => return Err(e),
            };
            backlog += waiting;
            if waiting == 0 && ended_long_ago(&mut conn, &sale_keys.sale).await? {
                let _: () = conn.srem(self.keys.sales_index(), sale.as_str()).await?;
                tracing::info!(sale_id = %sale, "sale ended and fully persisted; no longer read");
                finished.push(sale.clone());
            }
        }
        sales.retain(|sale| !finished.contains(sale));
        Ok(backlog)
    }
}

async fn ended_long_ago(
    conn: &mut deadpool_redis::Connection,
    sale_key: &str,
) -> RedisResult<bool> {
    let ends_at: Option<String> = conn.hget(sale_key, "ends_at").await?;
    Ok(ends_at
        .and_then(|ms| DateTime::from_timestamp_millis(ms.parse().ok()?))
        .is_some_and(|end| Utc::now() - end > FORGET_AFTER_END))
}
