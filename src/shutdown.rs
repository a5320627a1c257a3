//! Stopping the HTTP server without waiting on streams that never end by themselves.
//!
//! actix-web's graceful stop lets every response in progress finish, up to its shutdown
//! timeout (30 s): an open live sale page (`/admin/dashboard/events`) would hold the stop that
//! long. So every way the server is stopped gracefully first cancels `closing`, which ends
//! those streams: SIGTERM (actix's own handler does the stop itself) and `StopHandle::stop`.
use actix_web::dev::ServerHandle;
use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Stops the application from elsewhere, as SIGTERM (`graceful`) or SIGINT would.
#[derive(Clone)]
pub struct StopHandle {
    pub(crate) server: ServerHandle,
    pub(crate) closing: CancellationToken,
}

impl StopHandle {
    pub async fn stop(&self, graceful: bool) {
        self.closing.cancel();
        self.server.stop(graceful).await;
    }
}

/// Cancels `closing` on SIGTERM, beside actix's handler (every listener gets the signal);
/// returns once `closing` is cancelled either way.
pub async fn close_on_sigterm(closing: CancellationToken) {
    let Ok(mut terminate) = signal(SignalKind::terminate()) else {
        return closing.cancelled().await;
    };
    tokio::select! {
        _ = terminate.recv() => closing.cancel(),
        () = closing.cancelled() => {}
    }
}
