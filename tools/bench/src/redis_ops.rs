//! The tools' own Redis calls, beside the service's: what Redis says about itself (`INFO`: its
//! pid, memory and per-command CPU time), and the bench's writes around a measurement (seeding
//! a sale's buyers, forgetting a measured sale).
use flashsale::domain::SaleId;
use flashsale::redis::KeySpace;
use redis::aio::MultiplexedConnection;
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Fields per `HSET` when seeding, and `HSET`s per round trip.
const SEED_FIELDS: u64 = 1_000;
const SEED_PIPELINE: u64 = 20;

pub struct RedisOps {
    conn: MultiplexedConnection,
}

/// Per command (`evalsha`, `xadd`, ...): calls and µs spent, as `INFO commandstats` counts them.
#[derive(Debug, Clone, Default)]
pub struct CommandStats(BTreeMap<String, (u64, u64)>);

/// One command's share of a window.
#[derive(Debug, Clone, Serialize)]
pub struct CommandCost {
    pub command: String,
    pub calls: u64,
    pub usec: u64,
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

impl CommandStats {
    /// From `INFO commandstats`: `cmdstat_<name>:calls=<n>,usec=<n>,...` lines.
    fn parse(info: &str) -> Self {
        Self(
            info.lines()
                .filter_map(|line| {
                    let (name, stats) = line.strip_prefix("cmdstat_")?.split_once(':')?;
                    let stat = |key: &str| {
                        stats
                            .split(',')
                            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))?
                            .parse::<u64>()
                            .ok()
                    };
                    Some((name.to_owned(), (stat("calls")?, stat("usec")?)))
                })
                .collect(),
        )
    }

    /// What each command cost since `earlier`, the costliest first.
    pub fn since(&self, earlier: &CommandStats) -> Vec<CommandCost> {
        let mut costs: Vec<CommandCost> = self
            .0
            .iter()
            .filter_map(|(command, &(calls, usec))| {
                let (calls0, usec0) = earlier.0.get(command).copied().unwrap_or_default();
                (calls > calls0).then(|| CommandCost {
                    command: command.clone(),
                    calls: calls - calls0,
                    usec: usec.saturating_sub(usec0),
                })
            })
            .collect();
        costs.sort_by_key(|cost| std::cmp::Reverse(cost.usec));
        costs
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
    fn command_costs_are_the_difference_costliest_first() {
        let stats = |evalsha: (u64, u64), xadd: (u64, u64)| {
            CommandStats(BTreeMap::from([
                ("evalsha".to_owned(), evalsha),
                ("xadd".to_owned(), xadd),
                ("get".to_owned(), (7, 70)),
            ]))
        };
        let costs = stats((1_100, 20_000), (600, 2_100)).since(&stats((100, 2_000), (100, 100)));
        let seen: Vec<(&str, u64, u64)> = costs
            .iter()
            .map(|c| (c.command.as_str(), c.calls, c.usec))
            .collect();
        assert_eq!(seen, [("evalsha", 1_000, 18_000), ("xadd", 500, 2_000)]);
    }

    #[test]
    fn command_stats_are_read_from_info() {
        let info = "# Commandstats\r\ncmdstat_evalsha:calls=10,usec=185,usec_per_call=18.50,\
                    rejected_calls=0,failed_calls=0\r\ncmdstat_client|setname:calls=2,usec=3,\
                    usec_per_call=1.50,rejected_calls=0,failed_calls=0\r\n";
        let costs = CommandStats::parse(info).since(&CommandStats::default());
        let seen: Vec<(&str, u64, u64)> = costs
            .iter()
            .map(|c| (c.command.as_str(), c.calls, c.usec))
            .collect();
        assert_eq!(seen, [("evalsha", 10, 185), ("client|setname", 2, 3)]);
    }

    #[test]
    fn an_info_field_is_found_by_its_whole_name() {
        let info = "# Memory\r\nused_memory_rss:9\r\nused_memory:1234\r\n";
        assert_eq!(field(info, "used_memory"), Some("1234"));
        assert_eq!(field(info, "used_memory_peak"), None);
    }
}
