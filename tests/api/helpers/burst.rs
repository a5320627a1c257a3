//! Timing a fault inside a burst of orders.
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Waits until the burst's counter of accepted orders reaches `at_least`.
pub async fn wait_until_accepted(accepted: &AtomicUsize, at_least: usize) {
    let started = Instant::now();
    while accepted.load(Ordering::SeqCst) < at_least {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the burst never got going"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}
