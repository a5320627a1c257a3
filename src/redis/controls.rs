//! Operators' incident controls on a live sale: pausing, resuming and ending it.
use super::RedisStore;
use crate::domain::SaleId;
use crate::error::Result;
use chrono::{DateTime, Utc};
use redis::Script;
use std::sync::LazyLock;

static PAUSE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("../../lua/pause.lua")));
static END_SALE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/end_sale.lua")));

/// What `end_sale` did, by Redis's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Redis holds the sale, which now ends at this instant (an end already past is kept).
    Ended { ends_at: DateTime<Utc> },
    /// Redis does not hold the sale; this is Redis's time, the end to record in Postgres.
    NotLoaded { now: DateTime<Utc> },
}

impl RedisStore {
    /// Pauses (or resumes) the sale; `false` when Redis does not hold it.
    #[tracing::instrument(name = "redis pause", skip_all, fields(sale_id = %sale, paused))]
    pub(super) async fn pause_bucket(&self, sale: &SaleId, paused: bool) -> Result<bool> {
        let updated: i64 = PAUSE
            .key(self.keys.sale(sale).sale)
            .arg(if paused { "1" } else { "0" })
            .invoke_async(&mut self.pooled().await?)
            .await?;
        Ok(updated == 1)
    }

    /// Ends the sale now, by Redis's clock (see `lua/end_sale.lua`).
    #[tracing::instrument(name = "redis end sale", skip_all, fields(sale_id = %sale))]
    pub(super) async fn end_bucket(&self, sale: &SaleId) -> Result<Ending> {
        let reply: Vec<i64> = END_SALE
            .key(self.keys.sale(sale).sale)
            .invoke_async(&mut self.pooled().await?)
            .await?;
        let millis = |ms: i64| {
            DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| anyhow::anyhow!("end_sale.lua answered {reply:?}"))
        };
        Ok(match reply[..] {
            [1, _, ends_at] => Ending::Ended {
                ends_at: millis(ends_at)?,
            },
            [0, _, now] => Ending::NotLoaded { now: millis(now)? },
            _ => return Err(anyhow::anyhow!("end_sale.lua answered {reply:?}").into()),
        })
    }
}
