//! The `flashsale-bench` binary; everything lives in the library.
use clap::Parser;
use flashsale_bench::cli::{Cli, run};

/// The server's allocator, so the bare endpoint and the load generator it is compared with are
/// measured on the same terms.
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run(Cli::parse()).await
}
