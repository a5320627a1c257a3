//! Test helpers: the app on a random port with its own database and Redis prefix, the real
//! processes, proxies and browser tests drive, and the assertions every test shares.
mod app;
mod burst;
mod chromium;
mod cluster;
mod problem;
mod process;
mod proxy;
mod redis_process;
mod services;
mod snapshot;

pub use app::{TestApp, spawn_app, spawn_app_with};
pub use burst::wait_until_accepted;
pub use chromium::Chromium;
pub use cluster::LocalCluster;
pub use problem::assert_problem;
pub use process::{ServerProcess, reconcile_check};
pub use proxy::TcpProxy;
pub use redis_process::RedisProcess;
pub use services::{
    drop_database, postgres_admin, redis_cluster_nodes, redis_env, redis_target, settings_for,
    test_redis, test_settings, use_single_redis,
};
pub use snapshot::{Snapshot, snapshot};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
