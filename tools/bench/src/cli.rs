//! The `flashsale-bench` command line: `demo`, `bench`, `scaling`, and the bench's hidden `bare`.
use crate::bench::{self, BenchArgs};
use crate::demo::{self, DemoArgs};
use crate::scaling::{self, ScalingArgs};
use clap::{Parser, Subcommand};
use flashsale::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "flashsale-bench",
    version,
    about = "A real flash sale, and the benchmark of every engine, on the local services"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a real flash sale against the local services and print what happened.
    Demo(Box<DemoArgs>),
    /// Measure every engine against the HTTP ceiling and print one table.
    Bench(Box<BenchArgs>),
    /// How an order's cost grows with stock, distinct buyers and concurrent sales.
    Scaling(Box<ScalingArgs>),
    /// The bench's HTTP ceiling: a bare endpoint answering `POST /bare`.
    #[command(hide = true)]
    Bare {
        #[arg(long, env = "FLASHSALE_LISTEN", default_value = "127.0.0.1:8081")]
        listen: String,
        #[arg(long, env = "FLASHSALE_WORKERS", default_value_t = 2)]
        workers: usize,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => {
            telemetry::init("warn")?;
            demo::run(*args).await
        }
        Command::Bench(args) => {
            telemetry::init("warn")?;
            bench::run(*args).await
        }
        Command::Scaling(args) => {
            telemetry::init("warn")?;
            scaling::run(*args).await
        }
        Command::Bare { listen, workers } => bench::serve_bare(&listen, workers).await,
    }
}
