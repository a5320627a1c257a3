//! A sale's pending orders: accepted by Redis, not yet acknowledged as persisted.
use super::RedisStore;
use super::entries::parse_pending;
use crate::domain::{AcceptedOrder, OrderId, SaleId};
use crate::error::Result;
use redis::AsyncCommands;
use std::collections::HashMap;

impl RedisStore {
    /// Every accepted order of the sale not yet persisted.
    ///
    /// An order whose acknowledgement was lost (a persister died between its commit and its
    /// acknowledgement) stays here, although it is in Postgres, until another persister claims
    /// its entry: callers check ids against Postgres.
    pub async fn pending_orders(&self, sale: &SaleId) -> Result<Vec<AcceptedOrder>> {
        let mut conn = self.pooled().await?;
        let raw: HashMap<String, String> = conn.hgetall(self.keys.sale(sale).pending).await?;
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

    pub async fn pending_order(
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
