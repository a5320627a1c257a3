//! Admin-side Redis operations: loading a sale, restocking it, reading its live state.
use super::entries::idempotency_record;
use super::{CONSUMER_GROUP, RedisStore};
use crate::domain::{
    AcceptedOrder, Buckets, LiveSale, Quantity, SaleDefinition, SaleId, StockAmount, UserId,
};
use crate::error::Result;
use chrono::DateTime;
use redis::{AsyncCommands, Script};
use std::collections::HashMap;
use std::sync::LazyLock;

static LOAD_SALE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/load_sale.lua")));
/// How long buyers staged for a load may wait for it.
const STAGED_BUYERS_TTL_SECONDS: i64 = 3600;
static RECONCILE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/reconcile.lua")));
static RESTOCK: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/restock.lua")));

impl RedisStore {
    /// Makes a sale sellable (see `lua/load_sale.lua`): a live sale keeps its counters, one that
    /// is not gets these; either way it joins the persisters' index just before. Never
    /// wipes anything, so it is safe to retry and to race live traffic. Returns whether the
    /// counters were written. `paused`
    /// pauses it; `false` never resumes a live sale, and a live sale's earlier end is kept.
    #[tracing::instrument(name = "redis load sale", skip_all, fields(sale_id = %sale.id))]
    pub async fn load_bucket(
        &self,
        sale: &SaleDefinition,
        stock_left: i64,
        reserved: i64,
        buyers: &[(UserId, i64)],
        paused: bool,
    ) -> Result<bool> {
        let keys = self.keys.sale(&sale.id);
        let staged = self
            .keys
            .staged_buyers(&sale.id, &uuid::Uuid::new_v4().simple().to_string());
        let mut conn = self.pooled().await?;
        for chunk in buyers.chunks(1000) {
            let fields: Vec<(&str, i64)> = chunk
                .iter()
                .map(|(user, quantity)| (user.as_str(), *quantity))
                .collect();
            let _: () = conn.hset_multiple(&staged, &fields).await?;
            // A load that dies before the script runs leaves nothing behind for long.
            let _: () = conn.expire(&staged, STAGED_BUYERS_TTL_SECONDS).await?;
        }
        // Indexed first: the persisters must read any sale that can sell, and the index lives in
        // another Redis Cluster slot than the sale, so the script cannot add it. A load that
        // fails after this leaves an id whose stream is empty, read for nothing.
        let _: () = conn.sadd(self.keys.sales_index(), sale.id.as_str()).await?;
        let outcome: String = LOAD_SALE
            .key(keys.all().as_slice())
            .key(&staged)
            .arg(&sale.name)
            .arg(sale.stock_total.get())
            .arg(sale.per_user_limit.get())
            .arg(sale.starts_at.timestamp_millis())
            .arg(
                sale.ends_at
                    .map(|t| t.timestamp_millis().to_string())
                    .unwrap_or_default(),
            )
            .arg(stock_left)
            .arg(reserved)
            .arg(CONSUMER_GROUP)
            .arg(if paused { "1" } else { "0" })
            .arg(sale.buckets.get())
            .invoke_async(&mut conn)
            .await?;
        Ok(outcome == "loaded")
    }

    /// Resets a live sale's counters (see `lua/reconcile.lua`); `None` when Redis does not
    /// hold the sale, else the old and new `stock_left`. A bucket of a split sale (`sale` its
    /// name) keeps its own total: `stock_total` is `None`.
    pub async fn reset_counters(
        &self,
        sale: &SaleId,
        stock_total: Option<i64>,
        taken: i64,
        reserved_seen: i64,
    ) -> Result<Option<(i64, i64)>> {
        let reply: Vec<i64> = RECONCILE
            .key(self.keys.sale(sale).sale)
            .arg(
                stock_total
                    .map(|total| total.to_string())
                    .unwrap_or_default(),
            )
            .arg(taken)
            .arg(reserved_seen)
            .invoke_async(&mut self.pooled().await?)
            .await?;
        Ok(match reply[..] {
            [old, new] => Some((old, new)),
            _ => None,
        })
    }

    /// How many of the sale's orders the persister gave up on (see `persister`).
    pub(super) async fn bucket_dead_letters(&self, sale: &SaleId) -> Result<i64> {
        let mut conn = self.pooled().await?;
        Ok(conn.xlen(self.keys.sale(sale).dead_letters).await?)
    }

    pub async fn is_loaded(&self, sale: &SaleId) -> Result<bool> {
        let mut conn = self.pooled().await?;
        Ok(conn.exists(self.keys.sale(sale).sale).await?)
    }

    /// Writes the idempotency records of these orders (those with a key), before a restored
    /// sale starts selling again, so a retry gets its original order instead of a second one.
    /// Of two orders with the same buyer and key, the later in `orders` wins.
    pub async fn restore_idempotency(&self, sale: &SaleId, orders: &[AcceptedOrder]) -> Result<()> {
        let key = self.keys.sale(sale).idempotency;
        let records: Vec<(String, String)> = orders.iter().filter_map(idempotency_record).collect();
        let mut conn = self.pooled().await?;
        for chunk in records.chunks(1000) {
            let _: () = conn.hset_multiple(&key, chunk).await?;
        }
        Ok(())
    }

    /// Raises a live sale's total to Postgres's (see `lua/restock.lua`): idempotent, so safe
    /// to retry after a timeout. `None` when Redis does not hold the sale.
    pub(super) async fn raise_bucket_total(
        &self,
        sale: &SaleId,
        stock_total: StockAmount,
    ) -> Result<Option<i64>> {
        let keys = self.keys.sale(sale);
        let stock_left: i64 = RESTOCK
            .key(&keys.sale)
            .arg(stock_total.get())
            .invoke_async(&mut self.pooled().await?)
            .await?;
        Ok((stock_left >= 0).then_some(stock_left))
    }

    /// The sale as Redis serves it, or `None` if Redis does not hold it.
    pub(super) async fn live_bucket(&self, sale: &SaleId) -> Result<Option<LiveSale>> {
        let fields: HashMap<String, String> =
            self.hot.clone().hgetall(self.keys.sale(sale).sale).await?;
        if fields.is_empty() {
            return Ok(None);
        }
        parse_live_sale(sale, &fields)
            .map(Some)
            .ok_or_else(|| anyhow::anyhow!("malformed sale hash for {sale}: {fields:?}").into())
    }
}

pub(super) fn parse_live_sale(id: &SaleId, fields: &HashMap<String, String>) -> Option<LiveSale> {
    let int = |name: &str| fields.get(name)?.parse::<i64>().ok();
    let millis = |value: i64| DateTime::from_timestamp_millis(value);
    let ends_at = match fields.get("ends_at")?.as_str() {
        "" => None,
        raw => Some(millis(raw.parse().ok()?)?),
    };
    Some(LiveSale {
        definition: SaleDefinition {
            id: id.clone(),
            name: fields.get("name")?.clone(),
            // A bucket's share of the sale (moves change what it holds, never its share).
            stock_total: StockAmount::parse(int("granted").or_else(|| int("stock_total"))?).ok()?,
            per_user_limit: Quantity::parse(int("per_user_limit")?).ok()?,
            starts_at: millis(int("starts_at")?)?,
            ends_at,
            buckets: match fields.get("buckets") {
                Some(count) => Buckets::parse(count.parse().ok()?).ok()?,
                None => Buckets::ONE,
            },
            // Postgres's to know: holds are decided there, not by the reservation.
            payment_window: None,
        },
        stock_left: int("stock_left")?,
        reserved: int("reserved")?,
        paused: fields.get("paused").is_some_and(|flag| flag == "1"),
    })
}
