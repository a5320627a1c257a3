//! `GET /metrics`: Prometheus text exposition.
use crate::state::AppState;
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
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.metrics.render())
}
