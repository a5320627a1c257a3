//! `GET /metrics`: Prometheus text exposition. The backlog, the lag and the per-sale gauges are
//! read from Redis and Postgres for each scrape (`metrics::live`), so they are as fresh as the
//! scrape and never a value some loop left behind.
use crate::metrics::live;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, get, web};

#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    summary = "Prometheus metrics (OpenMetrics text)",
    responses((status = 200, description = "The metrics", body = String,
        content_type = "application/openmetrics-text")),
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state
        .metrics
        .set_rate_limited_clients(state.rate_limits.clients());
    state
        .metrics
        .set_reading(live::read(&state.redis, &state.db).await);
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render())
}

/// Counts every response by status class, errors answered by the middlewares included, for the
/// 5xx-rate alert.
pub async fn count_responses(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = request.app_data::<web::Data<AppState>>().cloned();
    let response = next.call(request).await;
    if let Some(state) = state {
        let status = match &response {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        state.metrics.http_response(status.as_u16());
    }
    response
}
