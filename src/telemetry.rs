//! Logging: `tracing` events to stderr, filtered by `RUST_LOG` (default `info`).
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Later calls (several apps in one test binary) are no-ops.
pub fn init(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
