//! `flashsale bench`: one command, one table. The same burst (distinct buyers, keep-alive
//! connections, the in-repo load generator) against the bare HTTP ceiling, the Redis engine's
//! reserve and sold-out paths, and every classic engine; then the persister's drain rate.
//! Each server runs as its own process, measured for peak RSS.
mod bare;
mod drain;
mod report;
mod server;

pub use bare::serve as serve_bare;

use crate::configuration::Settings;
use crate::db;
use crate::loadgen::{self, Limit, LoadPlan};
use anyhow::{Context, bail};
use clap::Args;
use report::{Measured, Run};
use serde_json::{Value, json};
use server::ServerProcess;
use std::path::PathBuf;
use std::time::{Duration, Instant};

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
    /// Backlog the persister drains in the drain measurement.
    #[arg(long, default_value_t = 200_000)]
    pub drain_orders: u64,
    /// Where results (JSON, SVG chart, server logs) go.
    #[arg(long, default_value = "bench-results")]
    pub out: PathBuf,
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

const SCENARIOS: [Scenario; 7] = [
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
];

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    std::fs::create_dir_all(&args.out)?;
    let db = args.settings.database_pool()?;
    db::MIGRATOR.run(&db).await.context("migrating Postgres")?;
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let mut run = Run::new(&args, &run_id, &db).await;

    for scenario in &SCENARIOS {
        eprintln!("bench: {} ...", scenario.name);
        let measured = measure(&args, &run_id, scenario, &db).await?;
        if scenario.engine.is_none() && !args.no_wrk {
            run.wrk = report::wrk(&args, &measured.base).await;
        }
        run.scenarios.push(measured);
    }
    eprintln!("bench: persister drain of {} orders ...", args.drain_orders);
    run.drain = Some(drain::measure(&args, &run_id, &db).await?);
    run.finish(&args.out)
}

async fn measure(
    args: &BenchArgs,
    run_id: &str,
    scenario: &Scenario,
    db: &sqlx::PgPool,
) -> anyhow::Result<Measured> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut env = server_env(args, run_id, &token);
    let command = match scenario.engine {
        Some(engine) => {
            env.push(("FLASHSALE_ENGINE", engine.to_owned()));
            "serve"
        }
        None => "bare",
    };
    let log = args
        .out
        .join(format!("server-{}.log", scenario.name.replace(' ', "-")));
    let server = ServerProcess::start(&[command], &env, &log).await?;
    let sale_id = format!("bench-{run_id}-{}", scenario.name.replace(' ', "-"));
    let url = match scenario.engine {
        Some(_) => {
            admin(
                &server.base,
                &token,
                "/admin/sales",
                json!({
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
    let settled = match scenario.engine {
        Some(_) => Some(settle(&server.base, &token, &sale_id, db).await?),
        None => None,
    };
    Ok(Measured::new(
        scenario.name,
        report,
        accepted,
        scenario.stock,
        settled,
        peak_rss,
        server.base.clone(),
    ))
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
async fn settle(base: &str, token: &str, sale: &str, db: &sqlx::PgPool) -> anyhow::Result<i64> {
    let started = Instant::now();
    loop {
        let view = admin_get(base, token, &format!("/admin/sales/{sale}")).await?;
        if view["pending"] == 0 {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("orders of {sale} still pending: {view}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE sale_id = $1")
            .bind(sale)
            .fetch_one(db)
            .await?,
    )
}

async fn admin(base: &str, token: &str, path: &str, body: Value) -> anyhow::Result<Value> {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    if !response.status().is_success() {
        bail!(
            "{path} answered {}: {}",
            response.status(),
            response.text().await?
        );
    }
    Ok(response.json().await?)
}

async fn admin_get(base: &str, token: &str, path: &str) -> anyhow::Result<Value> {
    Ok(reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}
