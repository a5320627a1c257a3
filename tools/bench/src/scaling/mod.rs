//! `flashsale-bench scaling`: how an order's cost grows with the sale's size. Three series of
//! short points (a few seconds each), each on a server process of its own:
//! - stock 10^3 … 10^8: CPU per order (server, Redis, Postgres) and requests/s;
//! - distinct buyers 10^4 … 10^7: Redis memory per buyer, and CPU per order on top of them;
//! - concurrent sales 1 … 1,000: the persister's CPU per order and drain rate, a backlog spread
//!   over the sales.
//!
//! Results go to `scaling-latest.json` and `scaling-latest.md` in the out dir.
mod report;
mod rig;
mod series;

use crate::bench::drain::Drain;
use crate::bench::machine::Machine;
use crate::under_test;
use clap::Args;
use flashsale::configuration::Settings;
use serde::Serialize;
use series::{BuyersPoint, StockPoint};
use std::path::PathBuf;

#[derive(Debug, Clone, Args)]
pub struct ScalingArgs {
    /// Seconds of load per point.
    #[arg(long, default_value_t = 3)]
    pub point_seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    /// HTTP worker threads of each server under test.
    #[arg(long, default_value_t = 2)]
    pub server_workers: usize,
    /// Largest stock: points at 10^3, 10^4, … up to it.
    #[arg(long, default_value_t = 100_000_000)]
    pub max_stock: u64,
    /// Most distinct buyers: points at 10^4, 10^5, … up to it.
    #[arg(long, default_value_t = 10_000_000)]
    pub max_buyers: u64,
    /// Most concurrent sales: points at 1, 10, 100, … up to it.
    #[arg(long, default_value_t = 1_000)]
    pub max_sales: u64,
    /// Orders of each concurrent-sales point's backlog, spread evenly over its sales.
    #[arg(long, default_value_t = 50_000)]
    pub backlog: u64,
    /// Where results (JSON, Markdown, server logs) go.
    #[arg(long, default_value = "bench-results")]
    pub out: PathBuf,
    /// Run only these series (comma-separated: `stock`, `buyers`, `sales`).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Serialize)]
pub struct Scaling {
    pub run_id: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub machine: Machine,
    pub point_seconds: u64,
    pub concurrency: usize,
    pub server_workers: usize,
    pub stock: Vec<StockPoint>,
    pub buyers: Vec<BuyersPoint>,
    pub sales: Vec<Drain>,
}

pub async fn run(args: ScalingArgs) -> anyhow::Result<()> {
    let (db, mut redis) = under_test::prepare(&args.settings, &args.out).await?;
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let chosen = |series: &str| args.only.is_empty() || args.only.iter().any(|o| o == series);
    let mut scaling = Scaling {
        run_id: run_id.clone(),
        started_at: chrono::Utc::now(),
        machine: Machine::probe(&mut redis, &db).await,
        point_seconds: args.point_seconds,
        concurrency: args.concurrency,
        server_workers: args.server_workers,
        stock: Vec::new(),
        buyers: Vec::new(),
        sales: Vec::new(),
    };
    if chosen("stock") {
        scaling.stock = series::stock(&args, &run_id, &db, &mut redis).await?;
    }
    if chosen("buyers") {
        scaling.buyers = series::buyers(&args, &run_id, &db, &mut redis).await?;
    }
    if chosen("sales") {
        scaling.sales = series::sales(&args, &run_id, &db, &mut redis).await?;
    }
    report::finish(&scaling, &args.out)
}
