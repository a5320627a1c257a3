//! Redis: the serving copy of every sale, the atomic reservation, and the orders stream.
//!
//! Every key of a sale carries the sale id as its hash tag (`fs:{<sale>}:sale`), so one script
//! call touches one Redis Cluster slot. Scripts live in `lua/` and are compiled in.
mod buckets;
mod connection;
mod controls;
mod dead_letters;
mod entries;
mod gauges;
mod group_commit;
mod identity;
mod keys;
mod memory;
mod orders_stream;
mod pending;
mod reservation;
mod retirement;
mod returns;
mod sales;
mod sales_index;
mod split_sales;
mod stream_reads;
mod tls;

pub use buckets::{BucketSurvey, OpenMove};
pub use connection::{Connection, RedisServers, RedisTarget};
pub use controls::Ending;
pub use entries::dead_entry;
pub use gauges::BucketGauges;
pub use group_commit::MAX_BATCH;
pub use identity::lost_connection;
pub use keys::{KeySpace, SaleKeys};
pub use memory::RedisMemory;
pub use orders_stream::OrdersStream;
pub use retirement::Retirement;

use connection::{Pool, PooledConnection};
use std::future::Future;
use std::sync::LazyLock;
use std::time::Duration;

/// The thread the order path's Redis connections live on (written, read, timed, reconnected).
/// On the HTTP workers' threads, a flood of connections delayed the reading of Redis's replies
/// past the response timeout: 503s for attempts Redis had decided, some of them accepted. Here
/// a reply is read as soon as it arrives, however busy the workers are.
static REDIS_IO: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("redis-io")
        .enable_all()
        .build()
        .expect("the redis-io runtime starts")
});

/// Runs `call` on the Redis thread and waits for its result.
async fn on_redis_thread<T: Send + 'static>(
    call: impl Future<Output = redis::RedisResult<T>> + Send + 'static,
) -> redis::RedisResult<T> {
    REDIS_IO
        .spawn(call)
        .await
        .map_err(|e| redis::RedisError::from(std::io::Error::other(e)))?
}

/// redis-rs's own default: an answer this late means Redis is stalled.
const DEFAULT_ORDER_TIMEOUT: Duration = Duration::from_millis(500);

/// Name of the consumer group the persisters read every orders stream with.
pub const CONSUMER_GROUP: &str = "persisters";

/// Connections to Redis (one server or a cluster) and the key layout.
#[derive(Clone)]
pub struct RedisStore {
    target: RedisTarget,
    /// Multiplexed and auto-reconnecting: clones share one socket and pipeline their commands,
    /// which is cheaper on the order path than a pool checkout (deadpool pings on every one).
    hot: Connection,
    /// For admin calls and the persister's acknowledgements.
    pool: Pool,
    keys: KeySpace,
    /// The order path's group commit, shared by every clone.
    lanes: group_commit::Lanes,
    /// How long the order path waits for Redis's answer before giving up with 503.
    order_timeout: Duration,
    /// Replicas an accepted order's write must reach before it is answered (0: none).
    wait_replicas: u32,
}

impl RedisStore {
    pub async fn connect(target: &RedisTarget, prefix: &str) -> anyhow::Result<Self> {
        let keys = KeySpace::new(prefix)?;
        let hot = target.connect(Some(DEFAULT_ORDER_TIMEOUT)).await?;
        Ok(Self {
            target: target.clone(),
            hot,
            pool: target.pool()?,
            keys,
            lanes: group_commit::Lanes::default(),
            order_timeout: DEFAULT_ORDER_TIMEOUT,
            wait_replicas: 0,
        })
    }

    /// The same store, whose accepted orders are answered once `replicas` replicas have them.
    pub fn with_wait_replicas(self, replicas: u32) -> Self {
        Self {
            wait_replicas: replicas,
            ..self
        }
    }

    /// The same store, whose per-worker order-path connections wait this long for an answer.
    pub fn with_order_timeout(self, order_timeout: Duration) -> Self {
        Self {
            order_timeout,
            ..self
        }
    }

    /// The same store with its own order-path connection: each HTTP worker gets one socket, so
    /// the workers' reservations do not queue behind each other; all are driven by the Redis
    /// thread.
    pub async fn with_own_connection(&self) -> redis::RedisResult<Self> {
        let (target, timeout) = (self.target.clone(), self.order_timeout);
        let connect = async move { target.connect(Some(timeout)).await };
        Ok(Self {
            hot: on_redis_thread(connect).await?,
            ..self.clone()
        })
    }

    pub fn keys(&self) -> &KeySpace {
        &self.keys
    }

    pub async fn ping(&self) -> redis::RedisResult<()> {
        redis::cmd("PING").query_async(&mut self.hot.clone()).await
    }

    async fn pooled(&self) -> crate::error::Result<PooledConnection> {
        self.pool.get().await.map_err(|e| {
            crate::error::ApiError::Unavailable(anyhow::Error::new(e).context("redis pool"))
        })
    }
}
