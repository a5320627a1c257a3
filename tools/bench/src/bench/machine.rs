//! What the benchmark ran on, recorded with its figures.
use crate::redis_ops::RedisOps;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub redis: String,
    pub postgres: String,
}

impl Machine {
    pub async fn probe(redis: &mut RedisOps, db: &sqlx::PgPool) -> Self {
        let cpu_model = std::fs::read_to_string("/proc/cpuinfo")
            .ok()
            .and_then(|info| {
                info.lines()
                    .find_map(|line| line.strip_prefix("model name"))
                    .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
            })
            .unwrap_or_default();
        Self {
            cpus: std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model,
            redis: redis.version().await.unwrap_or_default(),
            postgres: sqlx::query_scalar("SHOW server_version")
                .fetch_one(db)
                .await
                .unwrap_or_default(),
        }
    }
}
