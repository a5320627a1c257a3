//! `ApiError`: every way a request can fail, and how each is shown to the client.
//!
//! Responses are `application/problem+json` (RFC 9457) with a machine-readable `code`. Only
//! the variants' fixed texts and validation messages reach the client; the causes inside
//! `Unavailable` and `Unexpected` are logged (their `Debug` prints the whole chain) and never sent.
use crate::domain::{Refusal, ValidationError};
use crate::log_summary::LogSummary;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
mod hold;
mod problem;

pub use hold::HoldConflict;
pub use problem::Problem;

use problem::refusal_document;
use std::fmt;
use std::sync::LazyLock;
use std::time::Duration;

/// How long a client should wait before retrying after a 503.
const RETRY_AFTER_SECONDS: &str = "1";

/// How long a buyer should wait before retrying a paused sale: pauses are operators handling
/// an incident, so retrying every second would only add load.
const SALE_PAUSED_RETRY_AFTER_SECONDS: &str = "5";

/// Failed requests of one kind are logged at most once per interval (with the count of the
/// others): an outage fails every request alike, and one line each drowned the log.
static FAILURES_LOGGED: LazyLock<LogSummary> =
    LazyLock::new(|| LogSummary::new(Duration::from_secs(10)));

#[derive(thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(String),
    #[error("The request body is larger than the 16 KiB limit.")]
    PayloadTooLarge,
    #[error("The request headers are larger than 8 KiB or more than 64.")]
    HeadersTooLarge,
    #[error("A valid bearer token is required.")]
    Unauthorized,
    #[error("The token's subject is not this user_id.")]
    Forbidden,
    /// Refusals of an order attempt (and `sale_not_found` wherever a sale is looked up).
    #[error("{0}")]
    Refused(Refusal),
    #[error("This sale has no order with this id.")]
    OrderNotFound,
    #[error("{0}")]
    Hold(HoldConflict),
    #[error("No resource at this path.")]
    RouteNotFound,
    #[error("The request took too long to arrive.")]
    RequestTimeout,
    #[error("This method is not allowed on this path.")]
    MethodNotAllowed,
    #[error("A sale with this id already exists.")]
    SaleExists,
    #[error("Too many attempts; retry after the delay in Retry-After.")]
    RateLimited(std::time::Duration),
    #[error("The service is temporarily unavailable; retry shortly.")]
    Unavailable(#[source] anyhow::Error),
    /// Shed before reaching Redis: too many attempts in flight. Shown as `Unavailable`.
    #[error("The service is temporarily unavailable; retry shortly.")]
    Overloaded,
    #[error("An unexpected error occurred.")]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation(_) => "invalid_request",
            Self::PayloadTooLarge => "payload_too_large",
            Self::HeadersTooLarge => "headers_too_large",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::OrderNotFound => "order_not_found",
            Self::Hold(conflict) => conflict.code(),
            Self::RouteNotFound => "not_found",
            Self::RequestTimeout => "request_timeout",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::SaleExists => "sale_exists",
            Self::Refused(refusal) => refusal.code(),
            Self::RateLimited(_) => "rate_limited",
            Self::Unavailable(_) | Self::Overloaded => "unavailable",
            Self::Unexpected(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::Validation(_) => "Invalid request",
            Self::Unavailable(_) | Self::Overloaded => "Service unavailable",
            Self::Unexpected(_) => "Internal server error",
            _ => self.status_code().canonical_reason().unwrap_or("Error"),
        }
    }

    /// A Redis failure is an outage (503, retry) when the server could not be reached or
    /// answered that it cannot serve right now; anything else is a bug (500).
    pub fn from_redis(error: redis::RedisError) -> Self {
        use redis::{ErrorKind, ServerErrorKind as Server};
        let outage = error.is_io_error()
            || error.is_timeout()
            || error.is_connection_dropped()
            || error.is_connection_refusal()
            || error.is_unrecoverable_error()
            || matches!(
                error.kind(),
                ErrorKind::Server(
                    Server::BusyLoading
                        | Server::TryAgain
                        | Server::ClusterDown
                        | Server::MasterDown
                        | Server::ReadOnly
                )
            )
            // A master refusing writes before the script wrote anything: short of the
            // replicas `min-replicas-to-write` asks for, or out of memory (noeviction).
            || matches!(error.code(), Some("NOREPLICAS" | "OOM"));
        let error = anyhow::Error::new(error).context("redis call failed");
        if outage {
            Self::Unavailable(error)
        } else {
            Self::Unexpected(error)
        }
    }

    /// Postgres unreachable or out of connections is an outage; anything else is a bug.
    pub fn from_database(error: sqlx::Error) -> Self {
        let outage = matches!(
            error,
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed
        );
        let error = anyhow::Error::new(error).context("postgres call failed");
        if outage {
            Self::Unavailable(error)
        } else {
            Self::Unexpected(error)
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::Validation(error.to_string())
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        Self::Refused(refusal)
    }
}

impl From<redis::RedisError> for ApiError {
    fn from(error: redis::RedisError) -> Self {
        Self::from_redis(error)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(error: sqlx::Error) -> Self {
        Self::from_database(error)
    }
}

impl fmt::Debug for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{self}")?;
        let mut cause = std::error::Error::source(self);
        while let Some(error) = cause {
            writeln!(f, "Caused by:\n\t{error}")?;
            cause = error.source();
        }
        Ok(())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::Refused(Refusal::SaleNotFound) | Self::OrderNotFound | Self::RouteNotFound => {
                StatusCode::NOT_FOUND
            }
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Refused(Refusal::IdempotencyKeyReused) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Refused(Refusal::SalePaused) => StatusCode::SERVICE_UNAVAILABLE,
            Self::SaleExists | Self::Refused(_) | Self::Hold(_) => StatusCode::CONFLICT,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        // Refusals are the normal business of a flash sale (millions of `sold_out`): only
        // failures of the service itself are logged, with their whole cause chain.
        if status.is_server_error() && !matches!(self, Self::Refused(_)) {
            let kind = match self {
                Self::Overloaded => "shed",
                _ => self.code(),
            };
            if let Some(suppressed) = FAILURES_LOGGED.record(kind) {
                tracing::error!(error = ?self, kind, unlogged_since_last = suppressed, "request failed");
            }
        }
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            Self::Unavailable(_) | Self::Overloaded | Self::Hold(HoldConflict::Pending) => {
                response.insert_header((header::RETRY_AFTER, RETRY_AFTER_SECONDS));
            }
            Self::Refused(Refusal::SalePaused) => {
                response.insert_header((header::RETRY_AFTER, SALE_PAUSED_RETRY_AFTER_SECONDS));
            }
            Self::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::RateLimited(wait) => {
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                response.insert_header((header::RETRY_AFTER, seconds.max(1)));
            }
            _ => {}
        }
        let instance = crate::request_id::current();
        match self {
            Self::Refused(refusal) => {
                response.body(refusal_document(*refusal, instance.as_deref()))
            }
            _ => response.json(self.problem().with_instance(instance)),
        }
    }
}

/// `Result` with `ApiError` as the default error, for handlers and the code they call.
pub type Result<T, E = ApiError> = std::result::Result<T, E>;
