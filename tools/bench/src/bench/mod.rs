//! `flashsale-bench bench`: one command, one table. The same burst (distinct buyers, keep-alive
//! connections, the in-repo load generator) against the bare HTTP ceiling, the Redis engine's
//! reserve and sold-out paths, and every classic engine; then the persister's drain rate.
//! Each server runs as its own process, measured for peak RSS: the `flashsale` binary built
//! beside this one, or this one's `bare`.
mod bare;
mod chart;
mod drain;
mod machine;
mod measured;
mod report;
mod wrk;

pub use bare::serve as serve_bare;

use crate::loadgen::{self, Limit, LoadPlan};
use anyhow::{Context, bail};
use clap::Args;
use flashsale::configuration::Settings;
use flashsale::domain::SaleId;
use flashsale::postgres;
use flashsale::redis::KeySpace;
use flashsale_testkit::{AdminClient, ServerProcess};
use measured::Measured;
use report::Run;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// Seconds of measured load per scenario (after one second of warm-up).
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// HTTP worker threads of each server under test.
    #[arg(long, default_value_t = 2)]
    pub server_workers: usize,
    /// Backlog the persister drains in the drain measurement (0 skips it).
    #[arg(long, default_value_t = 200_000)]
    pub drain_orders: u64,
    /// Where results (JSON, SVG chart, server logs) go.
    #[arg(long, default_value = "bench-results")]
    pub out: PathBuf,
    /// Run only these scenarios (comma-separated names as in the table, e.g. `bare,pg-lock`).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// Skip the comparison with `wrk` even if it is installed.
    #[arg(long)]
    pub no_wrk: bool,
    #[command(flatten)]
    pub settings: Settings,
}

/// What one scenario runs against.
struct Scenario {
    name: &'static str,
    /// `None`: the bare endpoint.
    engine: Option<&'static str>,
    stock: i64,
}

const SCENARIOS: [Scenario; 8] = [
    Scenario {
        name: "bare",
        engine: None,
        stock: 0,
    },
    Scenario {
        name: "redis reserve",
        engine: Some("redis"),
        stock: 1_000_000_000,
    },
    Scenario {
        name: "redis sold-out",
        engine: Some("redis"),
        stock: 0,
    },
    Scenario {
        name: "pg-lock",
        engine: Some("pg-lock"),
        stock: 1_000_000_000,
    },
    Scenario {
        name: "pg-optimistic",
        engine: Some("pg-optimistic"),
        stock: 1_000_000_000,
    },
    Scenario {
        name: "pg-conditional",
        engine: Some("pg-conditional"),
        stock: 1_000_000_000,
    },
    Scenario {
        name: "queue",
        engine: Some("queue"),
        stock: 1_000_000_000,
    },
    Scenario {
        name: "file-lock",
        engine: Some("file-lock"),
        stock: 1_000_000_000,
    },
];

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let db = args.settings.database_pool()?;
    postgres::MIGRATOR
        .run(&db)
        .await
        .context("migrating Postgres")?;
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let mut run = Run::new(&args, &run_id, &db).await;

    let chosen = |s: &&Scenario| args.only.is_empty() || args.only.iter().any(|o| o == s.name);
    for scenario in SCENARIOS.iter().filter(chosen) {
        eprintln!("bench: {} ...", scenario.name);
        let (measured, wrk) = measure(&args, &run_id, scenario, &db).await?;
        run.wrk = run.wrk.or(wrk);
        run.scenarios.push(measured);
    }
    if args.drain_orders > 0 {
        eprintln!("bench: persister drain of {} orders ...", args.drain_orders);
        run.drain = Some(drain::measure(&args, &run_id, &db).await?);
    }
    run.finish(&args.out)
}

/// Runs one scenario; against the bare endpoint, also `wrk` (when installed) for comparison.
async fn measure(
    args: &BenchArgs,
    run_id: &str,
    scenario: &Scenario,
    db: &sqlx::PgPool,
) -> anyhow::Result<(Measured, Option<f64>)> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut env = server_env(args, run_id, &token);
    let (program, command) = match scenario.engine {
        Some(engine) => {
            env.push(("FLASHSALE_ENGINE", engine.to_owned()));
            (service_binary()?, "serve")
        }
        None => (std::env::current_exe()?, "bare"),
    };
    let log = args
        .out
        .join(format!("server-{}.log", scenario.name.replace(' ', "-")));
    let server = ServerProcess::start(program, &[command], &env, Some(&log))
        .await
        .with_context(|| format!("the {} server; see {}", scenario.name, log.display()))?;
    let admin = AdminClient::new(&server.base, &token);
    let sale_id = format!("bench-{run_id}-{}", scenario.name.replace(' ', "-"));
    let url = match scenario.engine {
        Some(_) => {
            admin
                .post(
                    "/admin/sales",
                    &json!({
                        "id": sale_id, "name": scenario.name, "stock": scenario.stock,
                    }),
                )
                .await?;
            format!("{}/api/sales/{sale_id}/orders", server.base)
        }
        None => format!("{}/bare", server.base),
    };

    let load = |limit, prefix: &str| {
        loadgen::run(LoadPlan {
            url: url.clone(),
            limit,
            concurrency: args.concurrency,
            user_prefix: format!("{prefix}-{run_id}"),
        })
    };
    let warmup = load(Limit::Duration(Duration::from_secs(1)), "warmup").await?;
    let report = load(Limit::Duration(Duration::from_secs(args.seconds)), "buyer").await?;
    let peak_rss = server.peak_rss()?;
    let accepted = warmup.count("accepted") + report.count("accepted");
    let (settled, wrk) = match scenario.engine {
        Some(_) => {
            let settled = settle(&admin, &sale_id, db).await?;
            forget_sale(args, run_id, &sale_id).await?;
            (Some(settled), None)
        }
        None if !args.no_wrk => (None, wrk::wrk(args, &server.base).await),
        None => (None, None),
    };
    let measured = Measured::new(
        scenario.name,
        report,
        accepted,
        scenario.stock,
        settled,
        peak_rss,
    );
    Ok((measured, wrk))
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

/// Environment of every server under test: its own Redis prefix, quiet logs.
fn server_env(args: &BenchArgs, run_id: &str, token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("FLASHSALE_ADMIN_TOKEN", token.to_owned()),
        ("FLASHSALE_REDIS_PREFIX", format!("bench-{run_id}")),
        ("FLASHSALE_WORKERS", args.server_workers.to_string()),
        ("FLASHSALE_DB_MAX_CONNECTIONS", "16".to_owned()),
        ("REDIS_URL", args.settings.redis_url.clone()),
        ("DATABASE_URL", args.settings.database_url.clone()),
    ]
}

/// Waits until every accepted order of the sale is in Postgres; returns the orders there.
async fn settle(admin: &AdminClient, sale: &str, db: &sqlx::PgPool) -> anyhow::Result<i64> {
    admin
        .wait_until_persisted(sale, Duration::from_secs(300))
        .await?;
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE sale_id = $1")
            .bind(sale)
            .fetch_one(db)
            .await?,
    )
}

/// Deletes a measured sale's Redis keys: a benchmark's buyers would otherwise pile up in Redis
/// and make its AOF rewrites (fork and copy) a noise in later measurements.
async fn forget_sale(args: &BenchArgs, run_id: &str, sale: &str) -> anyhow::Result<()> {
    let keys = KeySpace::new(&format!("bench-{run_id}"))?;
    let sale_id = SaleId::parse(sale)?;
    let mut conn = redis::Client::open(args.settings.redis_url.as_str())?
        .get_multiplexed_async_connection()
        .await?;
    redis::pipe()
        .cmd("UNLINK")
        .arg(keys.sale(&sale_id).all().as_slice())
        .srem(keys.sales_index(), sale)
        .exec_async(&mut conn)
        .await?;
    Ok(())
}
