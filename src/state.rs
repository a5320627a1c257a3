//! `AppState`: what every handler may use, shared by all HTTP workers. Routes and startup both
//! depend on it, so routes never import `startup`.
use crate::buyer_auth::BuyerTokens;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimits;
use crate::redis::RedisStore;
use crate::redis_gate::RedisGate;
use sqlx::PgPool;
use std::sync::Arc;

pub struct AppState {
    pub redis: RedisStore,
    pub db: PgPool,
    pub admin_token: String,
    pub metrics: Arc<Metrics>,
    pub rate_limits: Arc<RateLimits>,
    pub buyer_tokens: Option<BuyerTokens>,
    pub redis_gate: Arc<RedisGate>,
}
