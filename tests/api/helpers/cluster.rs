//! The tests' own Redis Cluster as failover tests drive it: which node masters a key, and
//! `scripts/cluster.sh` to kill that master and start it again.
use super::redis_cluster_nodes;
use std::process::Command;
use std::time::{Duration, Instant};

/// The local cluster `FLASHSALE_TEST_REDIS_CLUSTER` names, run by `scripts/cluster.sh` on six
/// ports from its base port (the seeds are the first three).
pub struct LocalCluster {
    base_port: u16,
}

impl LocalCluster {
    /// Panics without a cluster: a failover test must never pass without a failover.
    pub fn from_env() -> Self {
        let seeds = redis_cluster_nodes().expect(
            "FLASHSALE_TEST_REDIS_CLUSTER is unset: this test kills a Redis Cluster master \
             (make test-cluster runs it against scripts/cluster.sh's cluster)",
        );
        let base_port = seeds
            .split(',')
            .filter_map(|seed| seed.trim().trim_end_matches('/').rsplit(':').next())
            .filter_map(|port| port.parse::<u16>().ok())
            .min()
            .expect("FLASHSALE_TEST_REDIS_CLUSTER holds redis://host:port seeds");
        Self { base_port }
    }

    /// The node serving `key` as its master, if any: the others answer MOVED (or nothing).
    pub async fn master_of(&self, key: &str) -> Option<u16> {
        for port in self.base_port..self.base_port + 6 {
            let ask = async {
                let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).ok()?;
                let mut conn = client.get_multiplexed_async_connection().await.ok()?;
                let exists: redis::RedisResult<i64> =
                    redis::cmd("EXISTS").arg(key).query_async(&mut conn).await;
                exists.ok()
            };
            if let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(500), ask).await {
                return Some(port);
            }
        }
        None
    }

    /// Waits until a node other than `old` serves `key` as its master.
    pub async fn wait_for_new_master(&self, key: &str, old: u16, limit: Duration) -> u16 {
        let started = Instant::now();
        loop {
            match self.master_of(key).await {
                Some(port) if port != old => return port,
                _ => assert!(
                    started.elapsed() < limit,
                    "no replica took over {key} within {limit:?}"
                ),
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `kill -9` of the master at `port`; it is started again when the guard is dropped.
    pub fn kill_master(&self, port: u16) -> KilledNode {
        assert!(
            cluster_script(self.base_port, &["kill-master", &port.to_string()]),
            "scripts/cluster.sh kill-master {port} failed"
        );
        KilledNode {
            base_port: self.base_port,
            port,
            restarted: false,
        }
    }
}

/// A killed node: restarted (it rejoins as a replica once its replica took over) by
/// [`KilledNode::restart`] or, even when the test failed, on drop, so later tests find the
/// cluster whole.
pub struct KilledNode {
    base_port: u16,
    port: u16,
    restarted: bool,
}

impl KilledNode {
    /// Starts the node and waits until every node sees the cluster ok.
    pub fn restart(&mut self) {
        self.restarted = true;
        assert!(
            cluster_script(self.base_port, &["restart-node", &self.port.to_string()]),
            "scripts/cluster.sh restart-node {} failed",
            self.port
        );
    }
}

impl Drop for KilledNode {
    fn drop(&mut self) {
        if !self.restarted
            && !cluster_script(self.base_port, &["restart-node", &self.port.to_string()])
        {
            eprintln!(
                "could not restart Redis node {}: the cluster is short of it",
                self.port
            );
        }
    }
}

fn cluster_script(base_port: u16, args: &[&str]) -> bool {
    Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/cluster.sh"))
        .args(args)
        .env("FLASHSALE_CLUSTER_PORT", base_port.to_string())
        .status()
        .is_ok_and(|status| status.success())
}
