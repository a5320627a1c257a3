//! `flashsale-bench bench`: one command, one table. The same burst (distinct buyers, keep-alive
//! connections, the in-repo load generator) against the bare HTTP ceiling, the Redis engine's
//! reserve and sold-out paths (the reserve path at 1,024 connections too), and every classic
//! engine; then the persister's drain rate. Each server runs as its own process, measured for
//! peak RSS and for the CPU it, Redis, Postgres and the load generator spend per request: the
//! `flashsale` binary built beside this one, or this one's `bare`.
mod bare;
mod chart;
pub(crate) mod cost_tables;
pub(crate) mod drain;
pub(crate) mod machine;
mod measured;
mod report;
mod scenario;
mod targets;
mod wrk;

pub use bare::serve as serve_bare;

use crate::under_test;
use clap::Args;
use flashsale::configuration::Settings;
use report::Run;
use std::path::PathBuf;

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
pub struct Scenario {
    pub name: &'static str,
    /// `None`: the bare endpoint.
    pub engine: Option<&'static str>,
    pub stock: i64,
    /// Connections of its load, when not `--concurrency`.
    pub connections: Option<usize>,
}

const fn scenario(name: &'static str, engine: Option<&'static str>, stock: i64) -> Scenario {
    Scenario {
        name,
        engine,
        stock,
        connections: None,
    }
}

const PLENTY: i64 = 1_000_000_000;

const SCENARIOS: [Scenario; 9] = [
    scenario("bare", None, 0),
    scenario("redis reserve", Some("redis"), PLENTY),
    scenario("redis sold-out", Some("redis"), 0),
    Scenario {
        connections: Some(1024),
        ..scenario("redis reserve @1024", Some("redis"), PLENTY)
    },
    scenario("pg-lock", Some("pg-lock"), PLENTY),
    scenario("pg-optimistic", Some("pg-optimistic"), PLENTY),
    scenario("pg-conditional", Some("pg-conditional"), PLENTY),
    scenario("queue", Some("queue"), PLENTY),
    scenario("file-lock", Some("file-lock"), PLENTY),
];

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let (db, mut redis) = under_test::prepare(&args.settings, &args.out).await?;
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let mut run = Run::new(&args, &run_id, &db, &mut redis).await;

    let chosen = |s: &&Scenario| args.only.is_empty() || args.only.iter().any(|o| o == s.name);
    for scenario in SCENARIOS.iter().filter(chosen) {
        eprintln!("bench: {} ...", scenario.name);
        let (measured, wrk) = scenario::measure(&args, &run_id, scenario, &db, &mut redis).await?;
        run.wrk = run.wrk.or(wrk);
        run.scenarios.push(measured);
    }
    if args.drain_orders > 0 {
        eprintln!("bench: persister drain of {} orders ...", args.drain_orders);
        let backlog = drain::Backlog {
            settings: &args.settings,
            run_id: &run_id,
            workers: args.server_workers,
            concurrency: args.concurrency,
            out: &args.out,
            orders: args.drain_orders,
            sales: 1,
        };
        run.drain = Some(drain::measure(&backlog, &db, &mut redis).await?);
    }
    run.finish(&args.out)
}
