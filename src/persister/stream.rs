//! Reading the sales' order streams with the persisters' consumer group.
use super::active_sales;
use super::entries::{DeadEntry, SaleBatch, sale_batch};
use crate::domain::SaleId;
use crate::metrics::Metrics;
use crate::redis::{CONSUMER_GROUP, KeySpace};
use redis::aio::MultiplexedConnection;
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamReadOptions, StreamReadReply,
};
use redis::{AsyncCommands, AsyncConnectionConfig, RedisResult};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the backlog gauge is measured (and finished sales are forgotten).
const MEASURE_EVERY: Duration = Duration::from_secs(1);

pub struct StreamReader {
    client: redis::Client,
    /// Only for blocking reads: its response timeout is off, because a read blocks for up to
    /// `block` by design and redis-rs would otherwise time it out after 500 ms.
    blocking: Option<MultiplexedConnection>,
    pool: deadpool_redis::Pool,
    keys: KeySpace,
    consumer: String,
    batch_size: usize,
    block: Duration,
    claim_idle: Duration,
    sales: Vec<SaleId>,
    measured_at: Option<Instant>,
    claimed_at: Option<Instant>,
    metrics: Arc<Metrics>,
}

pub struct ReaderSettings {
    pub consumer: String,
    pub batch_size: usize,
    pub block: Duration,
    pub claim_idle: Duration,
}

impl StreamReader {
    pub fn new(
        client: redis::Client,
        pool: deadpool_redis::Pool,
        keys: KeySpace,
        settings: ReaderSettings,
        metrics: Arc<Metrics>,
    ) -> Self {
        Self {
            client,
            blocking: None,
            pool,
            keys,
            consumer: settings.consumer,
            batch_size: settings.batch_size,
            block: settings.block,
            claim_idle: settings.claim_idle,
            sales: Vec::new(),
            measured_at: None,
            claimed_at: None,
            metrics,
        }
    }

    /// The next entries to persist: entries abandoned by a dead consumer when a claim round is
    /// due and finds some, otherwise new entries (waiting up to `block` for them).
    pub async fn next_batch(&mut self) -> RedisResult<Vec<SaleBatch>> {
        let due = |at: Option<Instant>, every: Duration| at.is_none_or(|t| t.elapsed() >= every);
        self.refresh(due(self.measured_at, MEASURE_EVERY)).await?;
        if self.sales.is_empty() {
            tokio::time::sleep(self.block).await;
            return Ok(Vec::new());
        }
        if due(self.claimed_at, self.claim_idle / 2) {
            self.claimed_at = Some(Instant::now());
            let claimed = self.claim_abandoned().await?;
            if !claimed.is_empty() {
                // There may be more than one batch's worth: claim again on the next call.
                self.claimed_at = None;
                return Ok(claimed);
            }
        }
        self.read_new().await
    }

    /// Moves entries that can never be written to the sale's dead-letter stream, with the
    /// reason, and acknowledges them, so they stop coming back and blocking the others. Their
    /// pending-order records stay: the orders were accepted and are not in Postgres.
    pub async fn bury(
        &self,
        sale: &SaleId,
        entries: &[DeadEntry],
        reason: &str,
    ) -> RedisResult<()> {
        let keys = self.keys.sale(sale);
        let mut pipe = redis::pipe();
        pipe.atomic();
        for entry in entries {
            let mut fields = entry.fields.clone();
            fields.push(("entry_id".into(), entry.entry_id.clone()));
            fields.push(("reason".into(), reason.to_owned()));
            pipe.xadd(&keys.dead_letters, "*", &fields).ignore();
        }
        let ids: Vec<&str> = entries.iter().map(|e| e.entry_id.as_str()).collect();
        pipe.xack(&keys.orders, CONSUMER_GROUP, &ids)
            .xdel(&keys.orders, &ids);
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        pipe.exec_async(&mut conn).await
    }

    /// Acknowledges a committed batch and forgets it: the stream entries and the pending-order
    /// records go in one transaction.
    pub async fn acknowledge(&self, batch: &SaleBatch) -> RedisResult<()> {
        let keys = self.keys.sale(&batch.sale);
        let entry_ids: Vec<&str> = batch.orders.iter().map(|o| o.entry_id.as_str()).collect();
        let order_ids: Vec<String> = batch
            .orders
            .iter()
            .map(|o| o.order_id.to_string())
            .collect();
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        redis::pipe()
            .atomic()
            .xack(&keys.orders, CONSUMER_GROUP, &entry_ids)
            .xdel(&keys.orders, &entry_ids)
            .hdel(&keys.pending, &order_ids)
            .exec_async(&mut conn)
            .await
    }

    async fn refresh(&mut self, measure: bool) -> RedisResult<()> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        self.sales = active_sales::list(&mut conn, &self.keys).await?;
        if measure {
            let backlog =
                active_sales::measure_backlog(&mut conn, &self.keys, &mut self.sales).await?;
            self.metrics.set_orders_pending(backlog);
            self.measured_at = Some(Instant::now());
        }
        Ok(())
    }

    async fn claim_abandoned(&mut self) -> RedisResult<Vec<SaleBatch>> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        let min_idle = self.claim_idle.as_millis() as u64;
        let mut batches = Vec::new();
        for sale in &self.sales {
            let reply: RedisResult<StreamAutoClaimReply> = conn
                .xautoclaim_options(
                    &self.keys.sale(sale).orders,
                    CONSUMER_GROUP,
                    &self.consumer,
                    min_idle,
                    "0-0",
                    StreamAutoClaimOptions::default().count(self.batch_size),
                )
                .await;
            let reply = match reply {
                Ok(reply) => reply,
                Err(e) if active_sales::is_missing_stream(&e) => continue,
                Err(e) => return Err(e),
            };
            let batch = sale_batch(sale, &reply.claimed);
            if !batch.orders.is_empty() {
                tracing::info!(sale_id = %sale, orders = batch.orders.len(), "claimed orders abandoned by a consumer");
                batches.push(batch);
            }
        }
        Ok(batches)
    }

    async fn read_new(&mut self) -> RedisResult<Vec<SaleBatch>> {
        let streams: Vec<String> = self
            .sales
            .iter()
            .map(|s| self.keys.sale(s).orders)
            .collect();
        let cursors = vec![">"; streams.len()];
        let options = StreamReadOptions::default()
            .group(CONSUMER_GROUP, &self.consumer)
            .count(self.batch_size)
            .block(self.block.as_millis() as usize);
        let conn = self.blocking_connection().await?;
        let reply: RedisResult<Option<StreamReadReply>> =
            conn.xread_options(&streams, &cursors, &options).await;
        let reply = match reply {
            Ok(reply) => reply.unwrap_or_default(),
            Err(e) if active_sales::is_missing_stream(&e) => {
                self.recreate_groups(&streams).await?;
                return Ok(Vec::new());
            }
            Err(e) => {
                self.blocking = None;
                return Err(e);
            }
        };
        Ok(reply
            .keys
            .iter()
            .filter_map(|stream| {
                let position = streams.iter().position(|s| *s == stream.key)?;
                Some(sale_batch(&self.sales[position], &stream.ids))
            })
            .collect())
    }

    /// A stream lost with its group (Redis lost data, or keys were deleted by hand) gets an
    /// empty group back, so the other streams keep being read.
    async fn recreate_groups(&self, streams: &[String]) -> RedisResult<()> {
        let mut conn = self.pool.get().await.map_err(pool_error)?;
        for stream in streams {
            let created: RedisResult<()> = conn
                .xgroup_create_mkstream(stream, CONSUMER_GROUP, "0")
                .await;
            match created {
                Err(e) if e.code() != Some("BUSYGROUP") => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }

    async fn blocking_connection(&mut self) -> RedisResult<&mut MultiplexedConnection> {
        if self.blocking.is_none() {
            let config = AsyncConnectionConfig::new().set_response_timeout(None);
            let conn = self
                .client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            self.blocking = Some(conn);
        }
        Ok(self.blocking.as_mut().expect("connection was just set"))
    }
}

fn pool_error(error: deadpool_redis::PoolError) -> redis::RedisError {
    match error {
        deadpool_redis::PoolError::Backend(e) => e,
        other => redis::RedisError::from(std::io::Error::other(other.to_string())),
    }
}
