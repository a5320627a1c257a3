//! HTTP routes, one file per endpoint, and the request-parsing rules they share.
mod admin;
mod admin_listener;
mod api;
mod cors;
mod health;
mod holds;
mod metrics;
pub mod openapi;

pub use admin_listener::{AdminPort, keep_admin_apart};
pub use cors::{check_origin, cors};
pub use metrics::count_responses;

use crate::error::ApiError;
use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::JsonPayloadError;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, web};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Largest request body accepted, JSON or not.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Largest request head accepted (header names and values), and most headers: far above what
/// a browser or an API client sends, far below what a flood of junk headers would cost.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
pub const MAX_HEADERS: usize = 64;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(MAX_BODY_BYTES)
            .error_handler(json_error),
    )
    .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
    .app_data(
        web::QueryConfig::default().error_handler(|_, _| {
            ApiError::Validation("the query string is malformed".into()).into()
        }),
    )
    .app_data(
        web::PathConfig::default()
            .error_handler(|_, _| ApiError::Validation("the path is malformed".into()).into()),
    )
    .app_data(
        web::QueryConfig::default().error_handler(|_, _| {
            ApiError::Validation("the query string is malformed".into()).into()
        }),
    )
    .service(health::livez)
    .service(health::healthz)
    .service(health::readyz)
    .service(metrics::metrics)
    .configure(api::configure)
    .configure(admin::configure)
    .configure(openapi::configure)
    .default_service(web::to(|| async { Err::<(), _>(ApiError::RouteNotFound) }));
}

/// Refuses oversized headers, and a declared oversized body on every route before anything
/// reads it (including routes that take no body); JSON routes also enforce the body limit
/// while reading chunked bodies.
pub async fn reject_oversized_requests(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // Answered here rather than returned as errors, so the request's id is still known to the
    // document (see `request_id`).
    let refuse = |request: ServiceRequest, error: ApiError| {
        Ok(request
            .into_response(error.error_response())
            .map_into_right_body())
    };
    let headers = request.headers();
    let header_bytes: usize = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if headers.len() > MAX_HEADERS || header_bytes > MAX_HEADER_BYTES {
        return refuse(request, ApiError::HeadersTooLarge);
    }
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return refuse(request, ApiError::PayloadTooLarge);
    }
    Ok(next.call(request).await?.map_into_left_body())
}

/// How long a request may take in all, body included.
#[derive(Debug, Clone, Copy)]
pub struct RequestDeadline(pub Duration);

/// Set by a handler just before it sends an order to Redis: from then on the request's outcome
/// exists (or is being decided), so it must be answered, never timed out.
#[derive(Debug, Clone, Default)]
pub struct ReservationSent(Arc<AtomicBool>);

impl ReservationSent {
    pub fn mark(request: &HttpRequest) {
        if let Some(sent) = request.extensions().get::<Self>() {
            sent.0.store(true, Ordering::Release);
        }
    }

    fn is_marked(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Answers 408 when a request is not done within its deadline: a client trickling its body
/// byte by byte cannot hold a worker's attention forever. An order already sent to Redis is
/// the exception: its answer is awaited (bounded by the Redis response timeout), because a 408
/// for an order Redis accepted would tell the buyer it failed.
pub async fn enforce_deadline(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let deadline = request
        .app_data::<RequestDeadline>()
        .map_or(Duration::from_secs(10), |deadline| deadline.0);
    let sent = ReservationSent::default();
    request.extensions_mut().insert(sent.clone());
    let response = next.call(request);
    tokio::pin!(response);
    tokio::select! {
        answered = &mut response => answered,
        () = tokio::time::sleep(deadline) => {
            if sent.is_marked() {
                response.await
            } else {
                Err(ApiError::RequestTimeout.into())
            }
        }
    }
}

/// A known path with an unsupported method gets a problem document, like every other error.
pub fn method_not_allowed() -> actix_web::Route {
    web::route().to(|| async { Err::<(), _>(ApiError::MethodNotAllowed) })
}

fn json_error(error: JsonPayloadError, _: &HttpRequest) -> actix_web::Error {
    let api_error = match error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => {
            ApiError::Validation("Content-Type must be application/json".into())
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::Validation(format!("the JSON body is invalid: {e}"))
        }
        _ => ApiError::Validation("the request body could not be read".into()),
    };
    api_error.into()
}
