//! The order path's script: one call of `lua/reserve.lua` decides a batch of attempts on a sale.
use super::RedisStore;
use crate::domain::{IdempotencyKey, OrderAttempt, OrderId, Refusal, Reservation, SaleId};
use crate::error::{ApiError, Result};
use chrono::DateTime;
use redis::Script;
use std::sync::LazyLock;

static RESERVE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/reserve.lua")));

/// Why a batch got no decisions: every attempt in it shares the failure.
#[derive(Debug, Clone)]
pub(super) enum BatchFailure {
    Redis(redis::RedisError),
    /// The script answered something this version cannot read: a bug, not an outage.
    Malformed(String),
}

impl From<BatchFailure> for ApiError {
    fn from(failure: BatchFailure) -> Self {
        match failure {
            BatchFailure::Redis(e) => ApiError::from_redis(e),
            BatchFailure::Malformed(reply) => ApiError::Unexpected(anyhow::anyhow!(
                "unexpected reply from reserve.lua: {reply}"
            )),
        }
    }
}

impl RedisStore {
    /// Decides these attempts on one sale in one atomic script call, in the order given, each
    /// exactly as it would be decided alone; `order_id` is used only if its attempt is accepted.
    /// The order path goes through `reserve`, which groups concurrent attempts into such calls.
    pub async fn reserve_batch(
        &self,
        sale: &SaleId,
        attempts: &[(OrderAttempt, OrderId)],
    ) -> Result<Vec<Reservation>> {
        Ok(self.call_reserve(sale, attempts).await?)
    }

    pub(super) async fn call_reserve(
        &self,
        sale: &SaleId,
        attempts: &[(OrderAttempt, OrderId)],
    ) -> std::result::Result<Vec<Reservation>, BatchFailure> {
        let keys = self.keys.sale(sale);
        let mut invocation = RESERVE.key(keys.all().as_slice());
        for (attempt, order_id) in attempts {
            invocation
                .arg(attempt.user.as_str())
                .arg(attempt.quantity.get())
                .arg(order_id.to_string())
                .arg(
                    attempt
                        .idempotency_key
                        .as_ref()
                        .map_or("", IdempotencyKey::as_str),
                );
        }
        let replies: Vec<Vec<String>> = invocation
            .invoke_async(&mut self.hot.clone())
            .await
            .map_err(BatchFailure::Redis)?;
        let decisions: Option<Vec<Reservation>> =
            replies.iter().map(|reply| parse_reply(reply)).collect();
        match decisions {
            Some(decisions) if decisions.len() == attempts.len() => Ok(decisions),
            _ => Err(BatchFailure::Malformed(format!("{replies:?}"))),
        }
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
