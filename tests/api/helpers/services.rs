//! The project's Redis and Postgres as tests use them: their URLs, settings that share nothing
//! with other tests, and dropping a test's database.
use super::ADMIN_TOKEN;
use flashsale::configuration::EngineKind;
use flashsale::configuration::{PersisterSettings, Settings};
use flashsale::redis::{Connection as RedisConnection, RedisTarget};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use std::time::Duration;

/// The project's Postgres server (no database) and its Redis's test database, overridable.
fn postgres_server() -> String {
    std::env::var("FLASHSALE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5440".into())
}

pub fn redis_url() -> String {
    std::env::var("FLASHSALE_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6390/1".into())
}

/// The Redis Cluster to run against instead (`make test-cluster`): its seed nodes.
pub fn redis_cluster_nodes() -> Option<String> {
    std::env::var("FLASHSALE_TEST_REDIS_CLUSTER").ok()
}

/// Puts the app on a single Redis of the test's own (a process it restarts, a proxy it cuts),
/// even when the suite runs on a cluster.
pub fn use_single_redis(settings: &mut Settings, url: String) {
    settings.redis_url = url;
    settings.redis_cluster_nodes = None;
}

/// `REDIS_URL`, and `REDIS_CLUSTER_NODES` when the tests run on a cluster: for a `flashsale`
/// process of the test's own.
pub fn redis_env(settings: &Settings) -> Vec<(&'static str, String)> {
    let mut env = vec![("REDIS_URL", settings.redis_url.clone())];
    env.extend(
        settings
            .redis_cluster_nodes
            .clone()
            .map(|nodes| ("REDIS_CLUSTER_NODES", nodes)),
    );
    env
}

/// Where the tests' Redis is: the cluster when one is given, else the single server.
pub fn redis_target() -> RedisTarget {
    RedisTarget::new(&redis_url(), redis_cluster_nodes().as_deref())
}

/// A connection of the tests' own to their Redis, to look at (and tamper with) its keys.
pub async fn test_redis() -> RedisConnection {
    redis_target()
        .connect(Some(Duration::from_secs(10)))
        .await
        .expect("the tests' Redis is up (make services, or make cluster)")
}

/// Settings for a test: one worker, a quick persister, nothing shared with other tests.
pub async fn test_settings() -> (Settings, String) {
    let database_name = format!("flashsale_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&format!("{}/postgres", postgres_server()))
        .await
        .expect("the project's Postgres is up (make services)");
    admin
        .execute(AssertSqlSafe(format!(
            r#"CREATE DATABASE "{database_name}""#
        )))
        .await
        .expect("create the test database");
    let settings = settings_for(format!("{}/{database_name}", postgres_server()));
    (settings, database_name)
}

/// Settings for a test on the database at `database_url`, on the tests' Redis.
pub fn settings_for(database_url: String) -> Settings {
    Settings {
        listen: "127.0.0.1:0".into(),
        admin_listen: None,
        redis_url: redis_url(),
        redis_cluster_nodes: redis_cluster_nodes(),
        redis_ca_file: None,
        redis_wait_replicas: 0,
        database_url,
        admin_token: Some(ADMIN_TOKEN.into()),
        jwt_secret: None,
        redis_prefix: format!("t{}", uuid::Uuid::new_v4().simple()),
        engine: EngineKind::Redis,
        file_lock_dir: None,
        workers: Some(1),
        cors_origins: Vec::new(),
        db_max_connections: 5,
        sold_out_recheck_ms: 500,
        redis_timeout_ms: 500,
        redis_max_in_flight: 1024,
        request_timeout_ms: 10_000,
        rate_per_user: 0,
        rate_per_ip: 0,
        trusted_proxies: Vec::new(),
        rate_limit_clients: 50_000,
        persister: PersisterSettings {
            enabled: true,
            consumers: 2,
            batch_size: 500,
            hold_sweep_ms: 1000,
            sale_retention_s: 86_400,
            retire_check_ms: 60_000,
            block_ms: 100,
            claim_idle_ms: 30_000,
            consumer: None,
            db_connections: None,
        },
    }
}

/// A connection to the project's Postgres server outside any test database, for statements a
/// database cannot run on itself (`ALTER DATABASE` while it is read-only).
pub async fn postgres_admin() -> PgConnection {
    PgConnection::connect(&format!("{}/postgres", postgres_server()))
        .await
        .expect("the project's Postgres is up")
}

/// Drops a test database; `FORCE` ends any connection still open to it.
pub async fn drop_database(name: &str) {
    let url = format!("{}/postgres", postgres_server());
    if let Ok(mut admin) = PgConnection::connect(&url).await {
        let sql = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
        let _ = admin.execute(AssertSqlSafe(sql)).await;
    }
}
