//! The tools' own Redis calls, beside the service's: what Redis says about itself (`INFO`: its
//! pid, memory and per-command CPU time; on a cluster, every node's), and the bench's writes
//! around a measurement (seeding a sale's buyers, forgetting a measured sale).
mod commands;
mod nodes;

pub use commands::{CommandCost, CommandStats, scripts, shared_with_others};
use flashsale::domain::SaleId;
use flashsale::redis::{Connection, KeySpace, RedisTarget};
use nodes::Node;
use redis::aio::MultiplexedConnection;
use std::time::Duration;

const RESPONSE_TIMEOUT: Duration = Duration::from_secs(30);

/// Fields per `HSET` when seeding, and `HSET`s per round trip.
const SEED_FIELDS: u64 = 1_000;
const SEED_PIPELINE: u64 = 20;

pub struct RedisOps {
    /// Sends each command where its keys live.
    conn: Connection,
    /// The one server, or every node of the cluster: the masters' figures add up to what the
    /// data set cost, the replicas' to what keeping copies of it cost.
    nodes: Vec<Node>,
}

/// A Redis process, by its own account.
#[derive(Debug, Clone, Copy)]
pub struct ProcessId {
    pub pid: u32,
    pub replica: bool,
}

impl RedisOps {
    pub async fn connect(target: &RedisTarget) -> anyhow::Result<Self> {
        // Seeding millions of buyers can meet an AOF rewrite's fork: wait it out rather than
        // fail the run at the client's default half second.
        Ok(Self {
            conn: target.connect(Some(RESPONSE_TIMEOUT)).await?,
            nodes: nodes::discover(target, RESPONSE_TIMEOUT).await?,
        })
    }

    /// Masters (the one server counts as one) and replicas.
    pub fn topology(&self) -> (usize, usize) {
        let replicas = self.nodes.iter().filter(|node| node.replica).count();
        (self.nodes.len() - replicas, replicas)
    }

    fn masters(&mut self) -> impl Iterator<Item = &mut MultiplexedConnection> {
        self.nodes
            .iter_mut()
            .filter(|node| !node.replica)
            .map(|node| &mut node.conn)
    }

    pub async fn version(&mut self) -> anyhow::Result<String> {
        let node = self.nodes.first_mut().expect("a target has a node");
        info_field(&mut node.conn, "server", "redis_version").await
    }

    pub async fn process_ids(&mut self) -> anyhow::Result<Vec<ProcessId>> {
        let mut ids = Vec::with_capacity(self.nodes.len());
        for node in &mut self.nodes {
            ids.push(ProcessId {
                pid: info_field(&mut node.conn, "server", "process_id")
                    .await?
                    .parse()?,
                replica: node.replica,
            });
        }
        Ok(ids)
    }

    /// Waits until every node works for nobody but its clients: no key still being freed in
    /// the background after an `UNLINK`, no AOF rewrite or snapshot running. Both would be
    /// charged to the next window (the freeing thread is Redis's own) or move its memory figure.
    pub async fn quiesce(&mut self) -> anyhow::Result<()> {
        for _ in 0..1_200 {
            let mut busy = false;
            for node in &mut self.nodes {
                let info = info(&mut node.conn, "memory").await?
                    + &info(&mut node.conn, "persistence").await?;
                busy |= [
                    "lazyfree_pending_objects",
                    "aof_rewrite_in_progress",
                    "rdb_bgsave_in_progress",
                ]
                .iter()
                .any(|name| field(&info, name).is_some_and(|n| n != "0"));
            }
            if !busy {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("Redis is still freeing keys or rewriting its AOF after 60 s")
    }

    /// The masters' `used_memory`, once Redis is quiet (see [`RedisOps::quiesce`]).
    pub async fn used_memory(&mut self) -> anyhow::Result<u64> {
        self.quiesce().await?;
        let mut total = 0;
        for conn in self.masters() {
            total += info_field(conn, "memory", "used_memory")
                .await?
                .parse::<u64>()?;
        }
        Ok(total)
    }

    /// The masters' `INFO commandstats`, added up: they run the scripts, whose effects
    /// replicas only repeat.
    pub async fn command_stats(&mut self) -> anyhow::Result<CommandStats> {
        let mut stats = CommandStats::default();
        for conn in self.masters() {
            stats.add(CommandStats::parse(&info(conn, "commandstats").await?));
        }
        Ok(stats)
    }

    /// Deletes a measured sale's Redis keys: a benchmark's buyers would otherwise pile up in
    /// Redis and make its AOF rewrites (fork and copy) a noise in later measurements.
    pub async fn forget_sale(&mut self, keys: &KeySpace, sale: &SaleId) -> anyhow::Result<()> {
        // Two calls, not one pipeline: on a cluster the index is in another slot than the sale.
        let _: () = redis::cmd("UNLINK")
            .arg(keys.sale(sale).all().as_slice())
            .query_async(&mut self.conn)
            .await?;
        let _: () = redis::cmd("SREM")
            .arg(keys.sales_index())
            .arg(sale.as_str())
            .query_async(&mut self.conn)
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

async fn info(conn: &mut MultiplexedConnection, section: &str) -> anyhow::Result<String> {
    Ok(redis::cmd("INFO").arg(section).query_async(conn).await?)
}

/// One `name:value` line of an `INFO` section.
async fn info_field(
    conn: &mut MultiplexedConnection,
    section: &str,
    name: &str,
) -> anyhow::Result<String> {
    field(&info(conn, section).await?, name)
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("INFO {section} has no {name}"))
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
