//! `GET /admin/dashboard/events` (admin token): Server-Sent Events, one snapshot of the active
//! sales a second (see `feed`), until the page goes away or the server starts to stop.
//!
//! The page reads it with `fetch()` and the `Authorization` header rather than `EventSource`,
//! which cannot send headers: the token never appears in a URL or a server log.
use super::feed;
use crate::engine::Engine;
use crate::state::AppState;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use std::convert::Infallible;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

type Frames = watch::Receiver<Option<Bytes>>;

#[utoipa::path(
    get,
    path = "/admin/dashboard/events",
    tag = "admin",
    summary = "Server-Sent Events: a snapshot of the active sales every second",
    description = "Each `data:` message is `{\"at\", \"backlog\", \"persister\": \
        {\"stalled_seconds\", \"last_error\"}, \"sales\": [admin view + \"lag_seconds\", \
        \"sold_out_answers\"]}`; the stream ends when the server starts to stop.",
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream",
            body = String),
    ),
)]
pub async fn events(state: web::Data<AppState>, engine: web::Data<Engine>) -> HttpResponse {
    let (frames, start_feed) = state.dashboard.subscribe();
    if start_feed {
        actix_web::rt::spawn(feed::run(state.clone(), engine));
    }
    let closing = state.dashboard.closing().clone();
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((CACHE_CONTROL, "no-store"))
        // A buffering reverse proxy (nginx) would hold the events back.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(futures_util::stream::unfold((frames, closing), next_frame))
}

/// The next snapshot; `None` (the response ends) once the server starts to stop. A page that
/// went away drops the stream, and with it its subscription.
async fn next_frame(
    (mut frames, closing): (Frames, CancellationToken),
) -> Option<(Result<Bytes, Infallible>, (Frames, CancellationToken))> {
    loop {
        tokio::select! {
            changed = frames.changed() => changed.ok()?,
            () = closing.cancelled() => return None,
        }
        let frame = frames.borrow_and_update().clone();
        if let Some(frame) = frame {
            return Some((Ok(frame), (frames, closing)));
        }
    }
}
