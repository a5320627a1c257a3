//! `flashsale-bench bench`: one command, one table. The same burst (distinct buyers, keep-alive
//! connections, the in-repo load generator) against the bare HTTP ceiling, the Redis engine's
//! reserve and sold-out paths (the reserve path at 1,024 connections too), and every classic
//! engine; the reserve path again on a Redis Cluster (`--cluster-nodes`); then the persister's
//! drain rate. Each server runs as its own process, measured for peak RSS and for the CPU it,
//! Redis, Postgres and the load generator spend per request: the `flashsale` binary built
//! beside this one, or this one's `bare`.
mod bare;
mod chart;
pub(crate) mod cluster;
pub(crate) mod cost_tables;
pub(crate) mod drain;
pub(crate) mod machine;
mod measured;
mod report;
mod scenario;
mod targets;
mod wrk;

pub use bare::serve as serve_bare;

use crate::redis_ops::RedisOps;
use crate::under_test;
use clap::Args;
use flashsale::configuration::Settings;
use report::Run;
use scenario::Outcome;
use std::borrow::Cow;
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
    /// Run only these scenarios (comma-separated names as in the table, e.g. `bare,pg-lock`;
    /// `cluster` names every cluster scenario).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    /// A Redis Cluster's seed nodes (`redis://127.0.0.1:7000,redis://127.0.0.1:7001`): the
    /// reserve scenario runs on it too, once per `--cluster-buckets`. Without it the cluster
    /// run is skipped.
    #[arg(long, env = "FLASHSALE_BENCH_CLUSTER_NODES")]
    pub cluster_nodes: Option<String>,
    /// The cluster scenarios: each splits its sale's stock into this many buckets.
    #[arg(long, value_delimiter = ',', default_values_t = [1, 4, 16])]
    pub cluster_buckets: Vec<u32>,
    /// Skip the comparison with `wrk` even if it is installed.
    #[arg(long)]
    pub no_wrk: bool,
    #[command(flatten)]
    pub settings: Settings,
}

/// What one scenario runs against.
pub struct Scenario {
    pub name: Cow<'static, str>,
    /// `None`: the bare endpoint.
    pub engine: Option<&'static str>,
    pub stock: i64,
    /// Connections of its load, when not `--concurrency`.
    pub connections: Option<usize>,
    /// On the Redis Cluster, its sale's stock split into this many buckets; `None`: on the
    /// single Redis.
    pub cluster_buckets: Option<u32>,
}

impl Scenario {
    /// Whether `--only` names it, or `cluster` and it is one.
    fn chosen(&self, only: &[String]) -> bool {
        let named =
            |o: &String| o == &self.name || (o == "cluster" && self.cluster_buckets.is_some());
        only.is_empty() || only.iter().any(named)
    }
}

const fn scenario(name: &'static str, engine: Option<&'static str>, stock: i64) -> Scenario {
    Scenario {
        name: Cow::Borrowed(name),
        engine,
        stock,
        connections: None,
        cluster_buckets: None,
    }
}

const PLENTY: i64 = 1_000_000_000;

const SCENARIOS: [Scenario; 9] = [
    scenario("bare", None, 0),
    scenario("redis reserve", Some("redis"), PLENTY),
    scenario("redis sold-out", Some("redis"), 0),
    Scenario {
        name: Cow::Borrowed("redis reserve @1024"),
        engine: Some("redis"),
        stock: PLENTY,
        connections: Some(1024),
        cluster_buckets: None,
    },
    scenario("pg-lock", Some("pg-lock"), PLENTY),
    scenario("pg-optimistic", Some("pg-optimistic"), PLENTY),
    scenario("pg-conditional", Some("pg-conditional"), PLENTY),
    scenario("queue", Some("queue"), PLENTY),
    scenario("file-lock", Some("file-lock"), PLENTY),
];

pub async fn run(mut args: BenchArgs) -> anyhow::Result<()> {
    // The single Redis is REDIS_URL's even when REDIS_CLUSTER_NODES is in the environment: the
    // cluster scenarios run on `--cluster-nodes`.
    args.settings.redis_cluster_nodes = None;
    let (db, mut redis) = under_test::prepare(&args.settings, &args.out).await?;
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let mut run = Run::new(&args, &run_id, &db, &mut redis).await;

    for scenario in SCENARIOS.iter().filter(|s| s.chosen(&args.only)) {
        measure(&mut run, &args, &run_id, scenario, &db, &mut redis).await?;
    }
    run.cluster = cluster::run(&mut run, &args, &db).await?;
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

/// Runs one scenario into `run`; why it could not run, if it could not.
async fn measure(
    run: &mut Run,
    args: &BenchArgs,
    run_id: &str,
    scenario: &Scenario,
    db: &sqlx::PgPool,
    redis: &mut RedisOps,
) -> anyhow::Result<Option<&'static str>> {
    eprintln!("bench: {} ...", scenario.name);
    match scenario::measure(args, run_id, scenario, db, redis).await? {
        Outcome::Ran(measured, wrk) => {
            run.wrk = run.wrk.or(wrk);
            run.scenarios.push(*measured);
            Ok(None)
        }
        Outcome::NotRun(why) => {
            eprintln!("bench: {} not run: {why}", scenario.name);
            Ok(Some(why))
        }
    }
}
