//! Which Redis server serves the data, and whose data the service last verified (see
//! `redis_gate`); and the buyer counts a verification raises.
use super::RedisStore;
use crate::domain::{SaleId, UserId};
use crate::error::{ApiError, Result};
use redis::{AsyncCommands, Script, Value};
use std::sync::LazyLock;

static RAISE_BUYERS: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/raise_buyers.lua")));

/// The serving server's identity and the one its data was verified under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `INFO server`'s `run_id`: new on every start, and another server's after a failover.
    pub run_id: String,
    pub verified: Option<String>,
}

impl Identity {
    pub fn is_verified(&self) -> bool {
        self.verified.as_deref() == Some(self.run_id.as_str())
    }
}

impl RedisStore {
    /// The serving server's `run_id` and the verified one. On a cluster, `INFO` is asked of
    /// every master and the identity is all their `run_id`s: a master restarted or replaced by
    /// a failover changes it, and every sale is verified again.
    pub async fn identity(&self) -> Result<Identity> {
        let mut conn = self.pooled().await?;
        let info: Value = redis::cmd("INFO")
            .arg("server")
            .query_async(&mut conn)
            .await?;
        let verified: Option<String> = conn.get(self.keys.verified_run_id()).await?;
        let mut run_ids: Vec<String> = info_texts(&info)
            .iter()
            .flat_map(|text| text.lines())
            .filter_map(|line| line.strip_prefix("run_id:"))
            .map(|id| id.trim().to_owned())
            .collect();
        if run_ids.is_empty() {
            return Err(anyhow::anyhow!("INFO server has no run_id").into());
        }
        run_ids.sort_unstable();
        Ok(Identity {
            run_id: run_ids.join(","),
            verified,
        })
    }

    /// Records that the data of the server `run_id` was checked against Postgres.
    pub async fn mark_verified(&self, run_id: &str) -> Result<()> {
        let _: () = self
            .pooled()
            .await?
            .set(self.keys.verified_run_id(), run_id)
            .await?;
        Ok(())
    }

    /// Raises a live sale's buyer counts to these (see `lua/raise_buyers.lua`).
    pub async fn raise_buyers(&self, sale: &SaleId, buyers: &[(UserId, i64)]) -> Result<()> {
        let keys = self.keys.sale(sale);
        let mut conn = self.pooled().await?;
        for chunk in buyers.chunks(1000) {
            let mut script = RAISE_BUYERS.key(&keys.sale);
            script.key(&keys.buyers);
            for (user, quantity) in chunk {
                script.arg(user.as_str()).arg(*quantity);
            }
            let _: i64 = script.invoke_async(&mut conn).await?;
        }
        Ok(())
    }
}

/// One server's `INFO` text, or each master's in a cluster's reply.
pub(super) fn info_texts(info: &Value) -> Vec<String> {
    match info {
        Value::Map(nodes) => nodes
            .iter()
            .flat_map(|(_, info)| info_texts(info))
            .collect(),
        Value::Array(infos) => infos.iter().flat_map(info_texts).collect(),
        other => redis::from_redis_value_ref::<String>(other)
            .into_iter()
            .collect(),
    }
}

/// Whether an order-path failure means the connection to Redis broke: the server may be
/// another one (or the same one with older data) once it reconnects. A timeout is not: the
/// connection stands, and Redis's data went nowhere.
pub fn lost_connection(error: &ApiError) -> bool {
    let ApiError::Unavailable(error) = error else {
        return false;
    };
    error.downcast_ref::<redis::RedisError>().is_some_and(|e| {
        !e.is_timeout()
            && (e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal())
    })
}
