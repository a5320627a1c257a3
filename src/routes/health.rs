//! Probes. `GET /livez` (and its older name `/healthz`): the process answers. `GET /readyz`:
//! this instance can take orders, which needs Redis answering and its data verified (see
//! `redis_gate`), and nothing else. Postgres down is the case the design keeps selling through
//! (accepted orders wait in Redis for the persister), so it is reported in the body as
//! `degraded`, with the backlog and how long the persister has been failing, not as not-ready:
//! a readiness probe would otherwise pull every instance out of service at once.
use crate::metrics::PersisterHealth;
use crate::postgres;
use crate::state::AppState;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
struct Liveness {
    /// Always `ok`: answering is the whole signal.
    status: &'static str,
}

/// Whether this instance can take orders, and what is degraded if it can.
#[derive(Serialize, ToSchema)]
struct Readiness {
    /// `ok`, `degraded` (Postgres down or the persister failing: buying goes on) or
    /// `unavailable` (the 503).
    status: &'static str,
    /// `up` or `down`.
    redis: &'static str,
    /// `up` or `down`.
    postgres: &'static str,
    /// Whether Redis's data was verified against Postgres since it (re)started.
    redis_verified: bool,
    persister: PersisterHealth,
    /// Accepted orders waiting in Redis for the persister; `null` when Redis did not say.
    backlog: Option<usize>,
}

#[utoipa::path(
    get,
    path = "/livez",
    tag = "operations",
    summary = "Liveness: the process answers",
    responses((status = 200, description = "Alive", body = Liveness)),
)]
#[get("/livez")]
pub async fn livez() -> HttpResponse {
    livez_body()
}

#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness, under its older name",
    responses((status = 200, description = "Alive", body = Liveness)),
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    livez_body()
}

fn livez_body() -> HttpResponse {
    HttpResponse::Ok().json(Liveness { status: "ok" })
}

/// 200 `ok` when Redis and Postgres answer within a second and the persister is not failing;
/// 200 `degraded` when Redis serves verified data but Postgres is down or the persister is
/// failing (buying goes on); 503 `unavailable` when Redis does not answer or its data is not
/// verified yet (orders would get 503).
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: this instance can take orders",
    responses(
        (status = 200, description = "`ok` or `degraded`", body = Readiness),
        (status = 503, description = "`unavailable`: Redis does not answer or its data is not \
            verified yet", body = Readiness,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
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
    let body = Readiness {
        status,
        redis: word(redis_up),
        postgres: word(postgres_up),
        redis_verified: verified,
        persister,
        backlog: backlog.ok().and_then(Result::ok),
    };
    if redis_up && verified {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "1"))
            .json(body)
    }
}
