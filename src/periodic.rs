//! Background work repeated at a fixed period until shutdown: the hold sweeper, the retirer.
use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Runs `pass` every `every` (a slow pass delays the next rather than piling up) until
/// `shutdown`; a failed pass is logged as `what` and the next one retries.
pub fn spawn_every<F, Fut>(
    what: &'static str,
    every: Duration,
    shutdown: CancellationToken,
    mut pass: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = crate::error::Result<()>> + Send,
{
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticks.tick() => {}
            }
            if let Err(e) = pass().await {
                tracing::warn!(error = ?e, "{what} failed; the next pass retries");
            }
        }
    })
}
