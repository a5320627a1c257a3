//! A sale's pending orders: accepted by Redis, not yet acknowledged as persisted.
use super::RedisStore;
use super::entries::parse_pending;
use super::sales::parse_live_sale;
use crate::domain::{AcceptedOrder, LiveSale, OrderId, SaleId};
use crate::error::Result;
use redis::AsyncCommands;
use std::collections::HashMap;

impl RedisStore {
    /// Every accepted order of the sale not yet persisted.
    ///
    /// An order whose acknowledgement was lost (a persister died between its commit and its
    /// acknowledgement) stays here, although it is in Postgres, until another persister claims
    /// its entry: callers check ids against Postgres.
    pub(super) async fn bucket_pending_orders(&self, sale: &SaleId) -> Result<Vec<AcceptedOrder>> {
        let mut conn = self.pooled().await?;
        let raw: HashMap<String, String> = conn.hgetall(self.keys.sale(sale).pending).await?;
        parse_pending_orders(sale, &raw)
    }

    pub(super) async fn bucket_pending_order(
        &self,
        sale: &SaleId,
        order: OrderId,
    ) -> Result<Option<AcceptedOrder>> {
        let raw: Option<String> = self
            .hot
            .clone()
            .hget(self.keys.sale(sale).pending, order.to_string())
            .await?;
        let Some(raw) = raw else { return Ok(None) };
        parse_pending(order, &raw)
            .map(Some)
            .ok_or_else(|| anyhow::anyhow!("malformed pending order {order}: {raw:?}").into())
    }
}

impl RedisStore {
    /// The sale's live counters and its pending orders at one instant (one transaction), or
    /// `None` when Redis does not hold the sale.
    pub(super) async fn bucket_snapshot(
        &self,
        sale: &SaleId,
    ) -> Result<Option<(LiveSale, Vec<AcceptedOrder>)>> {
        let keys = self.keys.sale(sale);
        let (fields, pending): (HashMap<String, String>, HashMap<String, String>) = redis::pipe()
            .atomic()
            .hgetall(&keys.sale)
            .hgetall(&keys.pending)
            .query_async(&mut self.pooled().await?)
            .await?;
        if fields.is_empty() {
            return Ok(None);
        }
        let live = parse_live_sale(sale, &fields)
            .ok_or_else(|| anyhow::anyhow!("malformed sale hash for {sale}: {fields:?}"))?;
        Ok(Some((live, parse_pending_orders(sale, &pending)?)))
    }

    /// The sale's `reserved` counter now, `None` when Redis does not hold the sale.
    pub(super) async fn bucket_reserved(&self, sale: &SaleId) -> Result<Option<i64>> {
        let reserved: Option<i64> = self
            .pooled()
            .await?
            .hget(self.keys.sale(sale).sale, "reserved")
            .await?;
        Ok(reserved)
    }
}

fn parse_pending_orders(
    sale: &SaleId,
    raw: &HashMap<String, String>,
) -> Result<Vec<AcceptedOrder>> {
    raw.iter()
        .map(|(id, raw)| {
            OrderId::parse(id)
                .ok()
                .and_then(|order_id| parse_pending(order_id, raw))
                .ok_or_else(|| {
                    anyhow::anyhow!("malformed pending order {id} in {sale}: {raw:?}").into()
                })
        })
        .collect()
}
