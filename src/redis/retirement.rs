//! Letting an ended, fully persisted sale's keys leave Redis (see `lua/retire_sale.lua`), so
//! Redis memory stays bounded over a shop's life.
use super::RedisStore;
use crate::domain::{Buckets, SaleId};
use crate::error::Result;
use redis::{AsyncCommands, Script};
use std::sync::LazyLock;
use std::time::Duration;

static RETIRE_SALE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/retire_sale.lua")));

/// What a retirement found, bucket by bucket, in `lua/retire_sale.lua`'s order of checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retirement {
    /// Every key now expires (or Redis held none of them).
    Retired,
    NotEndedLongEnough,
    OrdersWaiting,
    DeadLetters,
    MoveOpen,
}

impl RedisStore {
    /// Gives every key of every bucket of the sale `time_to_live`, if each bucket ended at least
    /// `after_end` ago by Redis's clock with nothing left to persist. Every bucket is checked
    /// before any is retired, then bucket 0 (the one reads start from) goes last.
    #[tracing::instrument(name = "redis retire sale", skip_all, fields(sale_id = %sale))]
    pub async fn retire_sale(
        &self,
        sale: &SaleId,
        buckets: Buckets,
        time_to_live: Duration,
        after_end: Duration,
    ) -> Result<Retirement> {
        let mut names: Vec<SaleId> = buckets.all().map(|b| sale.bucket(b)).collect();
        names.reverse();
        for check_only in [true, false] {
            for name in &names {
                let found = self
                    .retire_bucket(name, time_to_live, after_end, check_only)
                    .await?;
                if found != Retirement::Retired {
                    return Ok(found);
                }
            }
        }
        let mut conn = self.pooled().await?;
        for name in &names {
            let _: () = conn.srem(self.keys.sales_index(), name.as_str()).await?;
        }
        Ok(Retirement::Retired)
    }

    async fn retire_bucket(
        &self,
        bucket: &SaleId,
        time_to_live: Duration,
        after_end: Duration,
        check_only: bool,
    ) -> Result<Retirement> {
        let keys = self.keys.sale(bucket);
        let reply: i64 = RETIRE_SALE
            .key(&keys.sale)
            .key(&keys.buyers)
            .key(&keys.idempotency)
            .key(&keys.pending)
            .key(&keys.orders)
            .key(&keys.dead_letters)
            .key(&keys.moves_out)
            .key(&keys.moves_in)
            .key(&keys.returns)
            .arg(time_to_live.as_millis() as u64)
            .arg(after_end.as_millis() as u64)
            .arg(if check_only { "1" } else { "0" })
            .invoke_async(&mut self.pooled().await?)
            .await?;
        Ok(match reply {
            0 | 1 => Retirement::Retired,
            -1 => Retirement::NotEndedLongEnough,
            -2 => Retirement::OrdersWaiting,
            -3 => Retirement::DeadLetters,
            -4 => Retirement::MoveOpen,
            other => return Err(anyhow::anyhow!("retire_sale.lua answered {other}").into()),
        })
    }
}
