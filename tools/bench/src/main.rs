//! The `flashsale-bench` binary; everything lives in the library.
use clap::Parser;
use flashsale_bench::cli::{Cli, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run(Cli::parse()).await
}
