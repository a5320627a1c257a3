//! The sales' orders streams as the persisters' consumer group sees them: every Redis command
//! the persister needs (claim, acknowledge, bury, list the sales to read; reads are in
//! `stream_reads.rs`).
use super::connection::{Connection, Pool, PooledConnection, RedisTarget};
use super::dead_letters::burial_fields;
use super::entries::sale_batch;
use super::{CONSUMER_GROUP, KeySpace, RedisStore};
use crate::domain::{DeadEntry, OrderId, SaleBatch, SaleId};
use redis::{AsyncCommands, RedisResult, Value};
use std::time::Duration;

const TRIM_ORDERS: &str = include_str!("../../lua/trim_orders.lua");

/// One consumer of the group, reading every sale's stream.
pub struct OrdersStream {
    pub(super) target: RedisTarget,
    /// Only for blocking reads: its response timeout is off, because a read blocks for up to
    /// its `block` by design and redis-rs would otherwise time it out after 500 ms.
    pub(super) blocking: Option<Connection>,
    pub(super) pool: Pool,
    pub(super) keys: KeySpace,
    pub(super) consumer: String,
}

impl RedisStore {
    /// The orders streams, read as `consumer` (a name unique to one persister loop).
    pub fn orders_stream(&self, consumer: String) -> OrdersStream {
        OrdersStream {
            target: self.target.clone(),
            blocking: None,
            pool: self.pool.clone(),
            keys: self.keys.clone(),
            consumer,
        }
    }
}

impl OrdersStream {
    /// Entries delivered to a consumer at least `min_idle` ago and never acknowledged (that
    /// consumer is presumed dead), now delivered to this one; at most `count` per sale.
    pub async fn claim_abandoned(
        &mut self,
        sales: &[SaleId],
        min_idle: Duration,
        count: usize,
    ) -> RedisResult<Vec<SaleBatch>> {
        let mut conn = self.pooled().await?;
        let mut batches = Vec::new();
        for sale in sales {
            // `[next cursor, [entry, …], [deleted id, …]]`
            let reply: RedisResult<Value> = redis::cmd("XAUTOCLAIM")
                .arg(&self.keys.sale(sale).orders)
                .arg(CONSUMER_GROUP)
                .arg(&self.consumer)
                .arg(min_idle.as_millis() as u64)
                .arg("0-0")
                .arg("COUNT")
                .arg(count)
                .query_async(&mut conn)
                .await;
            let reply = match reply {
                Ok(reply) => reply,
                Err(e) if is_missing_stream(&e) => continue,
                Err(e) => return Err(e),
            };
            let claimed = match &reply {
                Value::Array(parts) => match parts.get(1) {
                    Some(Value::Array(entries)) => entries.as_slice(),
                    _ => &[],
                },
                _ => &[],
            };
            let batch = sale_batch(sale, claimed);
            if !batch.orders.is_empty() {
                batches.push(batch);
            }
        }
        Ok(batches)
    }

    /// Acknowledges a committed batch and forgets its orders (see `settle`).
    pub async fn acknowledge(&self, batch: &SaleBatch) -> RedisResult<()> {
        let mut entry_ids: Vec<&str> = batch.orders.iter().map(|o| o.entry_id.as_str()).collect();
        // A group commit's orders share their entry, and sit together in the batch.
        entry_ids.dedup();
        let order_ids: Vec<OrderId> = batch.orders.iter().map(|o| o.order.order_id).collect();
        self.settle(&batch.sale, &entry_ids, &order_ids, &[]).await
    }

    /// Settles entries in one transaction: the orders that will never be written go to the
    /// dead letters with their reasons, the entries are acknowledged, the written orders'
    /// pending records deleted, and the stream trimmed of every entry the group is done with
    /// (`lua/trim_orders.lua`). A crash before it leaves all of it to be done again.
    pub async fn settle(
        &self,
        sale: &SaleId,
        entry_ids: &[&str],
        written: &[OrderId],
        dead: &[(DeadEntry, String)],
    ) -> RedisResult<()> {
        let keys = self.keys.sale(sale);
        let mut pipe = redis::pipe();
        pipe.atomic();
        for (entry, reason) in dead {
            pipe.xadd(&keys.dead_letters, "*", &burial_fields(entry, reason))
                .ignore();
        }
        pipe.xack(&keys.orders, CONSUMER_GROUP, entry_ids).ignore();
        if !written.is_empty() {
            let order_ids: Vec<String> = written.iter().map(OrderId::to_string).collect();
            pipe.hdel(&keys.pending, &order_ids).ignore();
        }
        pipe
            // EVAL rather than EVALSHA: a script Redis forgot (a restart) cannot fail the
            // transaction, and hashing the short script once per batch costs nothing.
            .cmd("EVAL")
            .arg(TRIM_ORDERS)
            .arg(1)
            .arg(&keys.orders)
            .arg(CONSUMER_GROUP)
            .exec_async(&mut self.pooled().await?)
            .await
    }

    /// A stream lost with its group (Redis lost data, or keys were deleted by hand) gets an
    /// empty group back, so the other streams keep being read.
    pub(super) async fn recreate_groups(&self, streams: &[&str]) -> RedisResult<()> {
        let mut conn = self.pooled().await?;
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

    pub(super) async fn pooled(&self) -> RedisResult<PooledConnection> {
        self.pool.get().await.map_err(|error| match error {
            deadpool_redis::PoolError::Backend(e) => e,
            other => redis::RedisError::from(std::io::Error::other(other.to_string())),
        })
    }
}

/// Whether an error says the stream (or its group) does not exist, which happens when Redis
/// lost a sale's keys while the persister was reading them.
pub(super) fn is_missing_stream(error: &redis::RedisError) -> bool {
    matches!(error.code(), Some("NOGROUP" | "UNBLOCKED"))
        || error
            .detail()
            .is_some_and(|detail| detail.contains("no such key"))
}
