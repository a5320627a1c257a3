//! Probes. `GET /livez` (and its older name `/healthz`): the process answers. `GET /readyz`:
//! this instance can take orders, which needs Redis answering and its data verified (see
//! `redis_gate`), and nothing else. Postgres down is the case the design keeps selling through
//! (accepted orders wait in Redis for the persister), so it is reported in the body as
//! `degraded`, with the backlog and how long the persister has been failing, not as not-ready:
//! a readiness probe would otherwise pull every instance out of service at once.
use crate::postgres;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde_json::json;
use std::time::Duration;

const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

#[get("/livez")]
pub async fn livez() -> HttpResponse {
    livez_body()
}

#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    livez_body()
}

fn livez_body() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// 200 `ok` when Redis and Postgres answer within a second and the persister is not failing;
/// 200 `degraded` when Redis serves verified data but Postgres is down or the persister is
/// failing (buying goes on); 503 `unavailable` when Redis does not answer or its data is not
/// verified yet (orders would get 503).
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let redis = tokio::time::timeout(PROBE_TIMEOUT, state.redis.ping());
    let postgres = tokio::time::timeout(PROBE_TIMEOUT, postgres::ping(&state.db));
    let backlog = tokio::time::timeout(PROBE_TIMEOUT, state.redis.backlog());
    let (redis, postgres, backlog) = tokio::join!(redis, postgres, backlog);
    let redis_up = matches!(redis, Ok(Ok(())));
    let postgres_up = matches!(postgres, Ok(Ok(_)));
    let verified = state.redis_gate.is_open();
    let persister = state.metrics.persister_health();
    let status = match (
        redis_up && verified,
        postgres_up && persister.stalled_seconds == 0.0,
    ) {
        (false, _) => "unavailable",
        (true, false) => "degraded",
        (true, true) => "ok",
    };
    let word = |up: bool| if up { "up" } else { "down" };
    let body = json!({
        "status": status,
        "redis": word(redis_up),
        "postgres": word(postgres_up),
        "redis_verified": verified,
        "persister": persister,
        "backlog": backlog.ok().and_then(Result::ok),
    });
    if redis_up && verified {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .json(body)
    }
}
