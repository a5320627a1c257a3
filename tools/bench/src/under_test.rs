//! A server under test: the `flashsale` binary built beside this one (or this one's `bare`), run
//! as a process of its own so its CPU and memory are its own, on the run's Redis prefix; and the
//! admin calls the bench and the scaling table make to it.
use crate::redis_ops::RedisOps;
use anyhow::{Context, bail};
use flashsale::configuration::Settings;
use flashsale_testkit::{AdminClient, ServerProcess};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long the persister may take to write a sale's accepted orders to Postgres.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(300);

pub struct UnderTest {
    server: ServerProcess,
    admin: AdminClient,
}

/// How to start one.
pub struct Launch<'a> {
    pub settings: &'a Settings,
    pub run_id: &'a str,
    pub workers: usize,
    /// `None`: the bare endpoint.
    pub engine: Option<&'a str>,
    /// Off: accepted orders stay in Redis, a backlog for a drain measurement.
    pub persister: bool,
    pub log: &'a Path,
}

/// What every run does first: its out dir, Postgres migrated, a Redis connection of its own.
pub async fn prepare(settings: &Settings, out: &Path) -> anyhow::Result<(sqlx::PgPool, RedisOps)> {
    std::fs::create_dir_all(out)?;
    let db = settings.database_pool()?;
    flashsale::postgres::MIGRATOR
        .run(&db)
        .await
        .context("migrating Postgres")?;
    Ok((db, RedisOps::connect(&settings.redis_target()).await?))
}

/// Every server and tool of one run shares this Redis prefix, apart from other deployments.
pub fn redis_prefix(run_id: &str) -> String {
    format!("bench-{run_id}")
}

impl UnderTest {
    pub async fn start(launch: Launch<'_>) -> anyhow::Result<Self> {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let settings = launch.settings;
        let mut env = vec![
            ("FLASHSALE_ADMIN_TOKEN", token.clone()),
            ("FLASHSALE_REDIS_PREFIX", redis_prefix(launch.run_id)),
            ("FLASHSALE_WORKERS", launch.workers.to_string()),
            ("FLASHSALE_DB_MAX_CONNECTIONS", "16".to_owned()),
            ("FLASHSALE_PERSISTER", launch.persister.to_string()),
            ("REDIS_URL", settings.redis_url.clone()),
            // Empty: the single Redis, whatever this process's environment says.
            (
                "REDIS_CLUSTER_NODES",
                settings.redis_cluster_nodes.clone().unwrap_or_default(),
            ),
            ("DATABASE_URL", settings.database_url.clone()),
        ];
        // The cost of logging: `FLASHSALE_BENCH_SERVER_LOG=info,flashsale::access=debug` runs
        // the servers with an access event per order, written as JSON lines.
        if let Ok(filter) = std::env::var("FLASHSALE_BENCH_SERVER_LOG") {
            env.push(("RUST_LOG", filter));
            env.push(("FLASHSALE_LOG_FORMAT", "json".to_owned()));
        }
        let (program, command) = match launch.engine {
            Some(engine) => {
                env.push(("FLASHSALE_ENGINE", engine.to_owned()));
                (service_binary()?, "serve")
            }
            None => (std::env::current_exe()?, "bare"),
        };
        let server = ServerProcess::start(program, &[command], &env, Some(launch.log))
            .await
            .with_context(|| format!("starting a server; see {}", launch.log.display()))?;
        let admin = AdminClient::new(&server.base, &token);
        Ok(Self { server, admin })
    }

    pub fn base(&self) -> &str {
        &self.server.base
    }

    pub fn pid(&self) -> u32 {
        self.server.pid()
    }

    pub fn peak_rss(&self) -> anyhow::Result<u64> {
        self.server.peak_rss()
    }

    /// Creates a sale; returns the URL its orders are posted to.
    pub async fn create_sale(&self, id: &str, stock: i64) -> anyhow::Result<String> {
        self.admin
            .post(
                "/admin/sales",
                &json!({ "id": id, "name": id, "stock": stock }),
            )
            .await?;
        Ok(self.orders_url(id))
    }

    /// Creates a sale whose stock is split into `buckets`; `None` when the API refuses the
    /// field (400 or 422) or ignores it (its answer shows no such count): the sale then exists
    /// unsplit, for the caller to forget.
    pub async fn create_sale_in_buckets(
        &self,
        id: &str,
        stock: i64,
        buckets: u32,
    ) -> anyhow::Result<Option<String>> {
        let body = json!({ "id": id, "name": id, "stock": stock, "buckets": buckets });
        let (status, answer) = self.admin.post_answer("/admin/sales", &body).await?;
        if matches!(status.as_u16(), 400 | 422) {
            return Ok(None);
        }
        if !status.is_success() {
            bail!("/admin/sales answered {status}: {answer}");
        }
        let sale: serde_json::Value = serde_json::from_str(&answer)?;
        Ok((sale["buckets"] == buckets).then(|| self.orders_url(id)))
    }

    pub fn orders_url(&self, sale: &str) -> String {
        format!("{}/api/sales/{sale}/orders", self.server.base)
    }

    /// Waits until every accepted order of the sale is in Postgres.
    pub async fn settle(&self, sale: &str) -> anyhow::Result<()> {
        self.admin
            .wait_until_persisted(sale, SETTLE_TIMEOUT)
            .await?;
        Ok(())
    }
}

/// The service's binary, built beside this one (`cargo build --workspace` builds both).
fn service_binary() -> anyhow::Result<PathBuf> {
    let path = std::env::current_exe()?.with_file_name("flashsale");
    if !path.exists() {
        bail!(
            "{} is missing: build the workspace (cargo build --release --workspace)",
            path.display()
        );
    }
    Ok(path)
}

/// The sale's orders in Postgres, whatever their status.
pub async fn orders_in_postgres(db: &sqlx::PgPool, sale: &str) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE sale_id = $1")
            .bind(sale)
            .fetch_one(db)
            .await?,
    )
}
