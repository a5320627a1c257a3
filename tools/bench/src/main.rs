//! The `flashsale-bench` binary; everything lives in the library.
use clap::Parser;
use flashsale_bench::cli::{Cli, run};

/// jemalloc instead of glibc's malloc: the order path allocates across threads (the HTTP
/// workers, the Redis thread, the persister), where glibc spent ~17% of the server's CPU.
#[cfg(target_os = "linux")]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    run(Cli::parse()).await
}
