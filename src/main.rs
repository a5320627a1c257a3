//! The `flashsale` binary; everything lives in the library.
use clap::Parser;
use flashsale::cli::{Cli, run};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run(Cli::parse()).await
}
