//! The order path's script: one call of `lua/reserve.lua` decides a batch of attempts on a sale.
use super::{Connection, RedisStore};
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
        let mut conn = self.hot.clone();
        let reply: Vec<String> = invocation
            .invoke_async(&mut conn)
            .await
            .map_err(BatchFailure::Redis)?;
        let decided = parse_reply(&reply, attempts)
            .ok_or_else(|| BatchFailure::Malformed(format!("{reply:?}")))?;
        let answers_an_order = || {
            decided
                .iter()
                .any(|d| !matches!(d, Reservation::Refused(_)))
        };
        if self.wait_replicas > 0 && answers_an_order() {
            self.confirm_replicated(&mut conn, &keys.sale).await?;
        }
        Ok(decided)
    }
}

impl RedisStore {
    /// Waits until `wait_replicas` replicas of the sale's master have the batch's writes, on
    /// the connection that ran the script (`WAIT` counts that connection's writes).
    pub(super) async fn confirm_replicated(
        &self,
        conn: &mut Connection,
        sale_key: &str,
    ) -> std::result::Result<(), BatchFailure> {
        let reached = conn
            .wait_for_replicas(sale_key, self.wait_replicas, self.order_timeout / 2)
            .await
            .map_err(BatchFailure::Redis)?;
        if reached >= i64::from(self.wait_replicas) {
            return Ok(());
        }
        let short = format!(
            "the orders reached {reached} of {} replicas",
            self.wait_replicas
        );
        Err(BatchFailure::Redis(redis::RedisError::from(
            std::io::Error::new(std::io::ErrorKind::TimedOut, short),
        )))
    }
}

/// `reply` is the batch's creation time, then one answer per attempt (see `lua/reserve.lua`).
fn parse_reply(reply: &[String], attempts: &[(OrderAttempt, OrderId)]) -> Option<Vec<Reservation>> {
    let (created_ms, answers) = reply.split_first()?;
    if answers.len() != attempts.len() {
        return None;
    }
    let created_at = || DateTime::from_timestamp_millis(created_ms.parse().ok()?);
    answers
        .iter()
        .zip(attempts)
        .map(|(answer, (_, order_id))| {
            if answer == "accepted" {
                return Some(Reservation::Accepted {
                    order_id: *order_id,
                    created_at: created_at()?,
                });
            }
            if let Some(earlier) = answer.strip_prefix("replayed\t") {
                let (id, created_ms) = earlier.split_once('\t')?;
                return Some(Reservation::Replayed {
                    order_id: OrderId::parse(id).ok()?,
                    created_at: DateTime::from_timestamp_millis(created_ms.parse().ok()?)?,
                });
            }
            Refusal::from_code(answer).map(Reservation::Refused)
        })
        .collect()
}
