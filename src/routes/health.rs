//! `GET /healthz` (the process answers) and `GET /readyz` (its dependencies answer too).
use crate::postgres;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde_json::json;
use std::time::Duration;

const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// 200 when Redis and Postgres both answer within a second, else 503 naming which is down.
/// The body also tells whether the persister is stalled (and on what), without changing the
/// status: buying goes on while the persister waits, and its backlog is safe in Redis. So does
/// `redis_verified` (false while orders wait for Redis's data to be checked, see `redis_gate`).
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let redis = tokio::time::timeout(PROBE_TIMEOUT, state.redis.ping());
    let postgres = tokio::time::timeout(PROBE_TIMEOUT, postgres::ping(&state.db));
    let (redis, postgres) = tokio::join!(redis, postgres);
    let redis_up = matches!(redis, Ok(Ok(())));
    let postgres_up = matches!(postgres, Ok(Ok(_)));
    let word = |up: bool| if up { "up" } else { "down" };
    let body = json!({
        "redis": word(redis_up),
        "postgres": word(postgres_up),
        "persister": state.metrics.persister_health(),
        "redis_verified": state.redis_gate.is_open(),
    });
    if redis_up && postgres_up {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .json(body)
    }
}
