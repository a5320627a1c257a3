//! One Redis server or a Redis Cluster, behind the same connection types: every command in
//! this crate is written once and runs in both modes. In a cluster, redis-rs routes each
//! command (and each pipeline or `MULTI`) by its keys' slot and follows `MOVED`/`ASK` and
//! topology changes; every key of a sale shares one hash tag, so nothing crosses slots.
use super::tls::{self, ClusterManager};
use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};
use std::path::PathBuf;
use std::time::Duration;

/// Where Redis is, and whom its `rediss://` certificates must chain to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisTarget {
    pub servers: RedisServers,
    /// A PEM file of the CAs to trust (`FLASHSALE_REDIS_CA_FILE`); `None`: the system's store.
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisServers {
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
        let servers = if seeds.is_empty() {
            RedisServers::Single(url.to_owned())
        } else {
            RedisServers::Cluster(seeds)
        };
        Self {
            servers,
            ca_file: None,
        }
    }

    /// The same target, whose TLS servers are checked against the CAs in `ca_file`.
    pub fn with_ca_file(self, ca_file: Option<PathBuf>) -> Self {
        Self { ca_file, ..self }
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self.servers, RedisServers::Cluster(_))
    }

    /// A multiplexed, reconnecting connection whose commands time out after `response_timeout`
    /// (`None`: never, for blocking reads).
    pub async fn connect(&self, response_timeout: Option<Duration>) -> RedisResult<Connection> {
        match &self.servers {
            RedisServers::Single(url) => {
                let config = ConnectionManagerConfig::new().set_response_timeout(response_timeout);
                let client = tls::client(url, self.ca_file.as_deref())?;
                let manager = ConnectionManager::new_with_config(client, config).await?;
                Ok(Connection::Single(manager))
            }
            RedisServers::Cluster(seeds) => {
                // A blocking read waits up to its BLOCK: an hour stands for "no timeout".
                let timeout = response_timeout.unwrap_or(Duration::from_secs(3600));
                let client = tls::cluster_builder(seeds, self.ca_file.as_deref())?
                    .response_timeout(timeout)
                    .connection_timeout(Duration::from_secs(1))
                    .build()?;
                Ok(Connection::Cluster(client.get_async_connection().await?))
            }
        }
    }

    /// A pool for admin calls and the persister.
    pub fn pool(&self) -> anyhow::Result<Pool> {
        let runtime = deadpool::Runtime::Tokio1;
        Ok(match &self.servers {
            RedisServers::Single(url) => {
                // The client's connection info carries its TLS settings into the pool's client.
                let client = tls::client(url, self.ca_file.as_deref())?;
                let manager = deadpool_redis::Manager::new(client.get_connection_info().clone())?;
                Pool::Single(
                    deadpool_redis::Pool::builder(manager)
                        .runtime(runtime)
                        .build()?,
                )
            }
            RedisServers::Cluster(seeds) => {
                let client = tls::cluster_builder(seeds, self.ca_file.as_deref())?.build()?;
                let manager = ClusterManager(client);
                Pool::Cluster(
                    deadpool::managed::Pool::builder(manager)
                        .runtime(runtime)
                        .build()?,
                )
            }
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
    Cluster(deadpool::managed::Pool<ClusterManager>),
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
    Cluster(deadpool::managed::Object<ClusterManager>),
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
    use super::{RedisServers, RedisTarget};

    #[test]
    fn cluster_nodes_win_over_the_single_url_when_they_name_any_seed() {
        let url = "redis://127.0.0.1:6390/0";
        let servers = |nodes| RedisTarget::new(url, nodes).servers;
        assert_eq!(servers(None), RedisServers::Single(url.into()));
        assert_eq!(servers(Some(" , ")), RedisServers::Single(url.into()));
        assert_eq!(
            servers(Some("redis://a:7000, redis://b:7001,")),
            RedisServers::Cluster(vec!["redis://a:7000".into(), "redis://b:7001".into()])
        );
    }
}
