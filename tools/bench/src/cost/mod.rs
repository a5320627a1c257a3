//! What a measured window cost in CPU time, per process behind an order: the server under
//! test, Redis, Postgres, and this process (the load generator, or the drain's persister loops).
//!
//! Everything comes from `/proc/<pid>/stat`, in clock ticks (10 ms on Linux): a figure is as
//! precise as a tick divided by the orders it is shared by. Redis and Postgres are found through
//! their own answers (`INFO server`'s `process_id` of every Redis node, `pg_backend_pid()`'s
//! parent), then checked by command name, so a server in another pid namespace reports nothing
//! rather than the CPU of an unrelated local process.
pub mod proc_stat;

use crate::redis_ops::{ProcessId, RedisOps};
use serde::Serialize;
use std::time::Instant;

/// The processes measured; `None` for one that is not on this machine.
#[derive(Debug, Clone)]
pub struct Processes {
    server: Option<u32>,
    /// Every Redis node: `None` unless each is on this machine, as a sum without one would
    /// pass for the whole.
    redis: Option<Vec<ProcessId>>,
    postmaster: Option<u32>,
}

/// Cumulative CPU µs of each process at one instant.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    at: Instant,
    server: Option<u64>,
    redis: Option<u64>,
    redis_replicas: Option<u64>,
    redis_forks: Option<u64>,
    postgres: Option<u64>,
    this: Option<u64>,
}

/// CPU µs each process spent between two snapshots.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Cpu {
    pub seconds: f64,
    pub server_us: Option<u64>,
    /// The redis-server process, all its threads (the AOF's fsync too); on a cluster, every
    /// node's, masters and replicas.
    pub redis_us: Option<u64>,
    /// The replicas' part of `redis_us`; `None` without replicas.
    pub redis_replicas_us: Option<u64>,
    /// Redis's reaped children (an AOF rewrite or a snapshot that happened to end in the
    /// window): left out of `redis_us`, as their cost follows the data set, not the window.
    pub redis_forks_us: Option<u64>,
    /// Every postgres process: the live ones, and those that exited in the window.
    pub postgres_us: Option<u64>,
    /// This process: the load generator or the in-process persister loops.
    pub this_us: Option<u64>,
}

impl Processes {
    /// `server`: the server under test's pid, if one runs.
    pub async fn find(server: Option<u32>, redis: &mut RedisOps, db: &sqlx::PgPool) -> Self {
        let named = |pid: u32, names: &[&str]| {
            proc_stat::command(pid)
                .filter(|command| names.iter().any(|name| command.starts_with(name)))
                .map(|_| pid)
        };
        let redis_ids = redis.process_ids().await.ok();
        let backend: Option<i32> = sqlx::query_scalar("SELECT pg_backend_pid()")
            .fetch_one(db)
            .await
            .ok();
        let postmaster = backend
            .and_then(|pid| named(u32::try_from(pid).ok()?, &["postgres"]))
            .and_then(|pid| named(proc_stat::read(pid)?.parent, &["postgres"]));
        Self {
            server,
            redis: redis_ids.and_then(|ids| {
                ids.into_iter()
                    .map(|id| named(id.pid, &["redis-server", "valkey-server"]).map(|_| id))
                    .collect()
            }),
            postmaster,
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let redis: Option<Vec<(proc_stat::Times, bool)>> = self.redis.as_ref().and_then(|ids| {
            ids.iter()
                .map(|id| Some((proc_stat::read(id.pid)?, id.replica)))
                .collect()
        });
        let sum = |pick: fn(&(proc_stat::Times, bool)) -> Option<u64>| {
            let picked: Vec<u64> = redis.as_ref()?.iter().filter_map(pick).collect();
            (!picked.is_empty()).then(|| picked.iter().sum())
        };
        Snapshot {
            at: Instant::now(),
            server: self.server.and_then(proc_stat::read).map(|t| t.own),
            redis: sum(|(t, _)| Some(t.own)),
            redis_replicas: sum(|(t, replica)| replica.then_some(t.own)),
            redis_forks: sum(|(t, _)| Some(t.children)),
            postgres: self.postmaster.and_then(postgres_total),
            this: proc_stat::read_self().map(|t| t.own),
        }
    }
}

/// The postmaster and its live children, plus the children it reaped: a backend that exits in
/// the window moves from the live sum to the reaped one, so it is counted either way. The
/// postmaster is read last, so a backend exiting meanwhile is counted twice rather than lost.
fn postgres_total(postmaster: u32) -> Option<u64> {
    let live: u64 = proc_stat::children(postmaster).iter().map(|t| t.own).sum();
    let own = proc_stat::read(postmaster)?;
    Some(live + own.own + own.children)
}

impl Snapshot {
    pub fn until(&self, later: &Snapshot) -> Cpu {
        let spent = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?));
        Cpu {
            seconds: later.at.duration_since(self.at).as_secs_f64(),
            server_us: spent(self.server, later.server),
            redis_us: spent(self.redis, later.redis),
            redis_replicas_us: spent(self.redis_replicas, later.redis_replicas),
            redis_forks_us: spent(self.redis_forks, later.redis_forks),
            postgres_us: spent(self.postgres, later.postgres),
            this_us: spent(self.this, later.this),
        }
    }
}

/// `total` µs shared by `count` requests or orders; `None` when either is unknown or zero.
pub fn per(total: Option<u64>, count: u64) -> Option<f64> {
    (count > 0).then_some(total? as f64 / count as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_without_a_process_reports_nothing_for_it() {
        let at = Instant::now();
        let before = Snapshot {
            at,
            server: Some(1_000),
            redis: None,
            redis_replicas: None,
            redis_forks: None,
            postgres: Some(5_000),
            this: Some(10),
        };
        let after = Snapshot {
            server: Some(31_000),
            postgres: Some(9_000),
            this: Some(20_010),
            ..before
        };
        let cpu = before.until(&after);
        assert_eq!(cpu.server_us, Some(30_000));
        assert_eq!(cpu.redis_us, None);
        assert_eq!(cpu.postgres_us, Some(4_000));
        assert_eq!(cpu.this_us, Some(20_000));
        assert_eq!(per(cpu.server_us, 3_000), Some(10.0));
        assert_eq!(per(cpu.server_us, 0), None);
        assert_eq!(per(cpu.redis_us, 10), None);
    }
}
