//! The tools' own Redis calls, beside the service's: what Redis says about itself (`INFO`: its
//! pid, memory and per-command CPU time), and the bench's writes around a measurement (seeding
//! a sale's buyers, forgetting a measured sale).
mod commands;

pub use commands::{CommandCost, CommandStats, scripts, shared_with_others};
use flashsale::domain::SaleId;
use flashsale::redis::KeySpace;
use redis::aio::MultiplexedConnection;
use std::time::Duration;

const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Fields per `HSET` when seeding, and `HSET`s per round trip.
const SEED_FIELDS: u64 = 1_000;
const SEED_PIPELINE: u64 = 20;

pub struct RedisOps {
    conn: MultiplexedConnection,
}

impl RedisOps {
    pub async fn connect(url: &str) -> anyhow::Result<Self> {
        let mut conn = redis::Client::open(url)?
            .get_multiplexed_async_connection()
            .await?;
        // Seeding millions of buyers can meet an AOF rewrite's fork: wait it out rather than
        // fail the run at the client's default half second.
        conn.set_response_timeout(RESPONSE_TIMEOUT);
        Ok(Self { conn })
    }

    async fn info(&mut self, section: &str) -> anyhow::Result<String> {
        Ok(redis::cmd("INFO")
            .arg(section)
            .query_async(&mut self.conn)
            .await?)
    }

    /// One `name:value` line of an `INFO` section.
    async fn info_field(&mut self, section: &str, name: &str) -> anyhow::Result<String> {
        let info = self.info(section).await?;
        field(&info, name)
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("INFO {section} has no {name}"))
    }

    pub async fn version(&mut self) -> anyhow::Result<String> {
        self.info_field("server", "redis_version").await
    }

    pub async fn process_id(&mut self) -> anyhow::Result<u32> {
        Ok(self.info_field("server", "process_id").await?.parse()?)
    }

    /// Waits until Redis works for nobody but its clients: no key still being freed in the
    /// background after an `UNLINK`, no AOF rewrite or snapshot running. Both would be charged
    /// to the next window (the freeing thread is Redis's own) or move its memory figure.
    pub async fn quiesce(&mut self) -> anyhow::Result<()> {
        for _ in 0..1_200 {
            let info = self.info("memory").await? + &self.info("persistence").await?;
            let busy = [
                "lazyfree_pending_objects",
                "aof_rewrite_in_progress",
                "rdb_bgsave_in_progress",
            ]
            .iter()
            .any(|name| field(&info, name).is_some_and(|n| n != "0"));
            if !busy {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("Redis is still freeing keys or rewriting its AOF after 60 s")
    }

    /// `used_memory`, once Redis is quiet (see [`RedisOps::quiesce`]).
    pub async fn used_memory(&mut self) -> anyhow::Result<u64> {
        self.quiesce().await?;
        field(&self.info("memory").await?, "used_memory")
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| anyhow::anyhow!("INFO memory has no used_memory"))
    }

    pub async fn command_stats(&mut self) -> anyhow::Result<CommandStats> {
        Ok(CommandStats::parse(&self.info("commandstats").await?))
    }

    /// Deletes a measured sale's Redis keys: a benchmark's buyers would otherwise pile up in
    /// Redis and make its AOF rewrites (fork and copy) a noise in later measurements.
    pub async fn forget_sale(&mut self, keys: &KeySpace, sale: &SaleId) -> anyhow::Result<()> {
        redis::pipe()
            .cmd("UNLINK")
            .arg(keys.sale(sale).all().as_slice())
            .srem(keys.sales_index(), sale.as_str())
            .exec_async(&mut self.conn)
            .await?;
        Ok(())
    }

    /// Writes `count` buyers (`{user_prefix}-{n}`, one unit each) straight into the sale's
    /// buyers hash, as accepted orders leave them once persisted: the only way to reach millions
    /// of buyers in seconds. Stock and counters are left alone.
    pub async fn seed_buyers(
        &mut self,
        keys: &KeySpace,
        sale: &SaleId,
        user_prefix: &str,
        count: u64,
    ) -> anyhow::Result<()> {
        let buyers = keys.sale(sale).buyers;
        let mut next = 0;
        while next < count {
            let mut pipe = redis::pipe();
            for _ in 0..SEED_PIPELINE {
                let end = (next + SEED_FIELDS).min(count);
                if next == end {
                    break;
                }
                let fields: Vec<(String, u8)> = (next..end)
                    .map(|n| (format!("{user_prefix}-{n}"), 1))
                    .collect();
                pipe.hset_multiple(&buyers, &fields).ignore();
                next = end;
            }
            pipe.exec_async(&mut self.conn).await?;
        }
        Ok(())
    }
}

fn field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_info_field_is_found_by_its_whole_name() {
        let info = "# Memory\r\nused_memory_rss:9\r\nused_memory:1234\r\n";
        assert_eq!(field(info, "used_memory"), Some("1234"));
        assert_eq!(field(info, "used_memory_peak"), None);
    }
}
