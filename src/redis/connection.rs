//! One Redis server or a Redis Cluster, behind the same connection types: every command in
//! this crate is written once and runs in both modes. In a cluster, redis-rs routes each
//! command (and each pipeline or `MULTI`) by its keys' slot and follows `MOVED`/`ASK` and
//! topology changes; every key of a sale shares one hash tag, so nothing crosses slots.
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};
use std::time::Duration;

/// Where Redis is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisTarget {
    /// `REDIS_URL`.
    Single(String),
    /// `REDIS_CLUSTER_NODES`: seed URLs; the client learns the rest of the cluster from them.
    Cluster(Vec<String>),
}

impl RedisTarget {
    /// The cluster's seeds when `cluster_nodes` names any, else the single server at `url`.
    pub fn new(url: &str, cluster_nodes: Option<&str>) -> Self {
        let seeds: Vec<String> = cluster_nodes
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|seed| !seed.is_empty())
            .map(str::to_owned)
            .collect();
        if seeds.is_empty() {
            Self::Single(url.to_owned())
        } else {
            Self::Cluster(seeds)
        }
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// A multiplexed, reconnecting connection whose commands time out after `response_timeout`
    /// (`None`: never, for blocking reads).
    pub async fn connect(&self, response_timeout: Option<Duration>) -> RedisResult<Connection> {
        match self {
            Self::Single(url) => {
                let config = ConnectionManagerConfig::new().set_response_timeout(response_timeout);
                let client = redis::Client::open(url.as_str())?;
                let manager = ConnectionManager::new_with_config(client, config).await?;
                Ok(Connection::Single(manager))
            }
            Self::Cluster(seeds) => {
                // A blocking read waits up to its BLOCK: an hour stands for "no timeout".
                let timeout = response_timeout.unwrap_or(Duration::from_secs(3600));
                let client = ClusterClient::builder(seeds.clone())
                    .response_timeout(timeout)
                    .connection_timeout(Duration::from_secs(1))
                    .build()?;
                Ok(Connection::Cluster(client.get_async_connection().await?))
            }
        }
    }

    /// A pool for admin calls and the persister.
    pub fn pool(&self) -> anyhow::Result<Pool> {
        let runtime = Some(deadpool_redis::Runtime::Tokio1);
        Ok(match self {
            Self::Single(url) => {
                Pool::Single(deadpool_redis::Config::from_url(url).create_pool(runtime)?)
            }
            Self::Cluster(seeds) => Pool::Cluster(
                deadpool_redis::cluster::Config::from_urls(seeds.clone()).create_pool(runtime)?,
            ),
        })
    }
}

/// A multiplexed connection: clones share it and pipeline their commands.
#[derive(Clone)]
pub enum Connection {
    Single(ConnectionManager),
    Cluster(ClusterConnection),
}

impl Connection {
    /// `WAIT replicas timeout` on the master that holds `key`, which on a cluster is not where
    /// redis-rs would send it by itself (to every master, answering the least of their counts,
    /// so one master short of replicas would fail every sale's orders). Returns how many
    /// replicas acknowledged this connection's writes to that master.
    pub async fn wait_for_replicas(
        &mut self,
        key: &str,
        replicas: u32,
        timeout: Duration,
    ) -> RedisResult<i64> {
        let mut wait = redis::cmd("WAIT");
        wait.arg(replicas).arg(timeout.as_millis() as u64);
        match self {
            Self::Single(conn) => wait.query_async(conn).await,
            Self::Cluster(conn) => {
                let master = Route::with_key(key, SlotAddr::Master);
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(master));
                let reached = conn.route_command(wait, routing).await?;
                Ok(redis::from_redis_value(reached)?)
            }
        }
    }
}

/// A pool of connections to one server or to the cluster.
#[derive(Clone)]
pub enum Pool {
    Single(deadpool_redis::Pool),
    Cluster(deadpool_redis::cluster::Pool),
}

impl Pool {
    pub async fn get(&self) -> Result<PooledConnection, deadpool_redis::PoolError> {
        Ok(match self {
            Self::Single(pool) => PooledConnection::Single(pool.get().await?),
            Self::Cluster(pool) => PooledConnection::Cluster(pool.get().await?),
        })
    }
}

/// A connection taken from a [`Pool`], returned to it when dropped.
pub enum PooledConnection {
    Single(deadpool_redis::Connection),
    Cluster(deadpool_redis::cluster::Connection),
}

/// Forwards to whichever connection the mode uses.
macro_rules! forward_connection_like {
    ($type:ident) => {
        impl ConnectionLike for $type {
            fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
                match self {
                    Self::Single(conn) => conn.req_packed_command(cmd),
                    Self::Cluster(conn) => conn.req_packed_command(cmd),
                }
            }

            fn req_packed_commands<'a>(
                &'a mut self,
                pipeline: &'a Pipeline,
                offset: usize,
                count: usize,
            ) -> RedisFuture<'a, Vec<Value>> {
                match self {
                    Self::Single(conn) => conn.req_packed_commands(pipeline, offset, count),
                    Self::Cluster(conn) => conn.req_packed_commands(pipeline, offset, count),
                }
            }

            fn get_db(&self) -> i64 {
                match self {
                    Self::Single(conn) => conn.get_db(),
                    Self::Cluster(conn) => conn.get_db(),
                }
            }
        }
    };
}

forward_connection_like!(Connection);
forward_connection_like!(PooledConnection);

#[cfg(test)]
mod tests {
    use super::RedisTarget;

    #[test]
    fn cluster_nodes_win_over_the_single_url_when_they_name_any_seed() {
        let url = "redis://127.0.0.1:6390/0";
        assert_eq!(RedisTarget::new(url, None), RedisTarget::Single(url.into()));
        assert_eq!(
            RedisTarget::new(url, Some(" , ")),
            RedisTarget::Single(url.into())
        );
        assert_eq!(
            RedisTarget::new(url, Some("redis://a:7000, redis://b:7001,")),
            RedisTarget::Cluster(vec!["redis://a:7000".into(), "redis://b:7001".into()])
        );
    }
}
