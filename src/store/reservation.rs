//! The order path: one call of `lua/reserve.lua` per attempt.
use super::RedisStore;
use crate::domain::{IdempotencyKey, OrderId, Quantity, SaleId, UserId};
use crate::error::{ApiError, Result};
use chrono::{DateTime, Utc};
use redis::Script;
use std::sync::LazyLock;

static RESERVE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/reserve.lua")));

/// What Redis decided about one order attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reservation {
    /// Stock was taken and the order is in the stream.
    Accepted {
        order_id: OrderId,
        created_at: DateTime<Utc>,
    },
    /// The idempotency key was seen before with the same user and quantity: nothing was taken,
    /// this is the original order.
    Replayed {
        order_id: OrderId,
        created_at: DateTime<Utc>,
    },
    Refused(Refusal),
}

/// Why Redis refused an attempt; every refusal leaves Redis untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    SaleNotFound,
    IdempotencyKeyReused,
    SaleNotStarted,
    SaleEnded,
    SoldOut,
    PurchaseLimitExceeded,
    InsufficientStock,
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::SaleNotFound => Self::SaleNotFound,
            Refusal::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            Refusal::SaleNotStarted => Self::SaleNotStarted,
            Refusal::SaleEnded => Self::SaleEnded,
            Refusal::SoldOut => Self::SoldOut,
            Refusal::PurchaseLimitExceeded => Self::PurchaseLimitExceeded,
            Refusal::InsufficientStock => Self::InsufficientStock,
        }
    }
}

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
        let reply: Vec<String> = RESERVE
            .key(keys.all().as_slice())
            .arg(user.as_str())
            .arg(quantity.get())
            .arg(order_id.to_string())
            .arg(idempotency_key.map_or("", IdempotencyKey::as_str))
            .invoke_async(&mut self.hot.clone())
            .await?;
        parse_reply(&reply)
            .ok_or_else(|| anyhow::anyhow!("unexpected reply from reserve.lua: {reply:?}").into())
    }
}

fn parse_reply(reply: &[String]) -> Option<Reservation> {
    let refusal = match reply {
        [outcome, id, created_ms] => {
            let order_id = OrderId::parse(id)?;
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
        [reason] => match reason.as_str() {
            "sale_not_found" => Refusal::SaleNotFound,
            "idempotency_key_reused" => Refusal::IdempotencyKeyReused,
            "sale_not_started" => Refusal::SaleNotStarted,
            "sale_ended" => Refusal::SaleEnded,
            "sold_out" => Refusal::SoldOut,
            "purchase_limit_exceeded" => Refusal::PurchaseLimitExceeded,
            "insufficient_stock" => Refusal::InsufficientStock,
            _ => return None,
        },
        _ => return None,
    };
    Some(Reservation::Refused(refusal))
}
