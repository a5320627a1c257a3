//! Giving an ended hold's units back (`lua/return_stock.lua`), once per order.
use super::RedisStore;
use crate::domain::{Buckets, OrderId, Quantity, SaleId, UserId};
use crate::error::Result;
use redis::Script;
use std::sync::LazyLock;

static RETURN_STOCK: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/return_stock.lua")));

impl RedisStore {
    /// Gives `quantity` back to the buyer's home bucket of the sale and to their allowance:
    /// `Some(true)` now, `Some(false)` by an earlier call, `None` when Redis does not hold that
    /// bucket.
    pub async fn return_stock(
        &self,
        sale: &SaleId,
        buckets: Buckets,
        order: OrderId,
        user: &UserId,
        quantity: Quantity,
    ) -> Result<Option<bool>> {
        let keys = self.keys.sale(&sale.bucket(buckets.home(user)));
        let returned: i64 = RETURN_STOCK
            .key(&keys.sale)
            .key(&keys.buyers)
            .key(&keys.returns)
            .arg(order.to_string())
            .arg(user.as_str())
            .arg(quantity.get())
            .invoke_async(&mut self.pooled().await?)
            .await?;
        Ok(match returned {
            0 => None,
            now => Some(now == 1),
        })
    }
}
