//! Logging: `tracing` events to stderr as text or JSON lines (`FLASHSALE_LOG_FORMAT`),
//! filtered by `RUST_LOG` (default `info`); the span every request runs in; and one access
//! event per request (target `flashsale::access`): at `info`, except on the order path, where
//! it is `debug` (a storm's millions of lines would cost the throughput the path is built for).
use crate::request_id;
use actix_web::Error;
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use std::io::IsTerminal;
use std::time::Instant;
use tracing::{Level, Span};
use tracing_actix_web::RootSpanBuilder;
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber. Later calls (several apps in one test binary) are no-ops.
/// `FLASHSALE_LOG_FORMAT` is `text` (the default) or `json`; anything else is an error.
pub fn init(default_filter: &str) -> anyhow::Result<()> {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let format = std::env::var("FLASHSALE_LOG_FORMAT").unwrap_or_else(|_| "text".to_owned());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format.as_str() {
        "text" => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        "json" => builder
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        other => anyhow::bail!("FLASHSALE_LOG_FORMAT must be text or json, not {other:?}"),
    };
    Ok(())
}

/// When the request started, for its access event's latency.
#[derive(Clone, Copy)]
struct Started(Instant);

/// The root span of every request: method, path, request id and status, nothing more.
///
/// tracing-actix-web's default builder collects a dozen OpenTelemetry fields (client IP, user
/// agent, host, route, ...) on every request, even when the span is filtered out; on the
/// sold-out path that cost about a third of the server's CPU.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        // Only when an access event can be written: the order path pays for nothing it skips.
        if tracing::enabled!(target: "flashsale::access", Level::INFO) {
            request.extensions_mut().insert(Started(Instant::now()));
        }
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.path(),
            request_id = %request_id::assign(request),
            status = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        let Ok(response) = outcome else {
            return;
        };
        let status = response.status().as_u16();
        span.record("status", status);
        let request = response.request();
        // Decided before anything is formatted: on the order path the event is usually off.
        let path = request.path();
        let order_path = request.method() == Method::POST
            && path.starts_with("/api/sales/")
            && path.ends_with("/orders");
        let level = if order_path {
            Level::DEBUG
        } else {
            Level::INFO
        };
        let enabled = match level {
            Level::DEBUG => tracing::enabled!(target: "flashsale::access", Level::DEBUG),
            _ => tracing::enabled!(target: "flashsale::access", Level::INFO),
        };
        if !enabled {
            return;
        }
        let route = request
            .match_pattern()
            .unwrap_or_else(|| "unmatched".to_owned());
        let latency_ms = request
            .extensions()
            .get::<Started>()
            .map_or(0.0, |started| started.0.elapsed().as_secs_f64() * 1000.0);
        let method = request.method().as_str();
        span.in_scope(|| access_event(level, method, &route, status, latency_ms));
    }
}

fn access_event(level: Level, method: &str, route: &str, status: u16, latency_ms: f64) {
    // `tracing`'s macros need the level as a constant: one call site per level.
    if level == Level::DEBUG {
        tracing::debug!(target: "flashsale::access", method, route, status, latency_ms, "request");
    } else {
        tracing::info!(target: "flashsale::access", method, route, status, latency_ms, "request");
    }
}
