//! The order path: one call of `lua/reserve.lua` per attempt.
use super::{RedisStore, on_redis_thread};
use crate::domain::{IdempotencyKey, OrderId, Quantity, Refusal, Reservation, SaleId, UserId};
use crate::error::Result;
use chrono::DateTime;
use redis::Script;
use std::sync::LazyLock;

static RESERVE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/reserve.lua")));

impl RedisStore {
    /// Checks and takes stock for one order in a single atomic step. `order_id` is used only
    /// if the order is accepted.
    #[tracing::instrument(name = "redis reserve", skip_all)]
    pub async fn reserve(
        &self,
        sale: &SaleId,
        user: &UserId,
        quantity: Quantity,
        order_id: OrderId,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<Reservation> {
        let keys = self.keys.sale(sale);
        let mut invocation = RESERVE.key(keys.all().as_slice());
        invocation
            .arg(user.as_str())
            .arg(quantity.get())
            .arg(order_id.to_string())
            .arg(idempotency_key.map_or("", IdempotencyKey::as_str));
        let mut hot = self.hot.clone();
        // Sent, timed and answered on the Redis thread (see `on_redis_thread`).
        let reply: Vec<String> =
            on_redis_thread(async move { invocation.invoke_async(&mut hot).await }).await?;
        parse_reply(&reply)
            .ok_or_else(|| anyhow::anyhow!("unexpected reply from reserve.lua: {reply:?}").into())
    }
}

fn parse_reply(reply: &[String]) -> Option<Reservation> {
    let refusal = match reply {
        [outcome, id, created_ms] => {
            let order_id = OrderId::parse(id).ok()?;
            let created_at = DateTime::from_timestamp_millis(created_ms.parse().ok()?)?;
            return match outcome.as_str() {
                "accepted" => Some(Reservation::Accepted {
                    order_id,
                    created_at,
                }),
                "replayed" => Some(Reservation::Replayed {
                    order_id,
                    created_at,
                }),
                _ => None,
            };
        }
        [code] => Refusal::from_code(code)?,
        _ => return None,
    };
    Some(Reservation::Refused(refusal))
}
