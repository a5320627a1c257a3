//! `AppState`: what every handler may use, shared by all HTTP workers. Routes and startup both
//! depend on it, so routes never import `startup`.
use crate::buyer_auth::BuyerTokens;
use crate::client_address::TrustedProxies;
use crate::dashboard::Dashboard;
use crate::error::{ApiError, Result};
use crate::metrics::Metrics;
use crate::rate_limit::RateLimits;
use crate::redis::RedisStore;
use crate::redis_gate::RedisGate;
use crate::retirement::archive::Archive;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

pub struct AppState {
    pub redis: RedisStore,
    pub db: PgPool,
    pub admin_token: String,
    pub metrics: Arc<Metrics>,
    pub rate_limits: Arc<RateLimits>,
    pub buyer_tokens: Option<BuyerTokens>,
    pub redis_gate: Arc<RedisGate>,
    pub order_slots: OrderSlots,
    pub trusted_proxies: TrustedProxies,
    /// Answers for sales retired from Redis.
    pub archive: Archive,
    pub dashboard: Dashboard,
}

/// The bound on order attempts in flight to the engine's store (`redis_max_in_flight`).
pub struct OrderSlots {
    slots: Semaphore,
    /// How long an attempt may queue for a slot (first come, first served) before it is shed.
    wait: Duration,
}

impl OrderSlots {
    pub fn new(slots: usize, wait: Duration) -> Self {
        Self {
            slots: Semaphore::new(slots),
            wait,
        }
    }

    /// A slot, held until the answer is in; `Overloaded` when none frees up in time. Shedding
    /// happens before sending, so its 503 means nothing was taken, unlike a 503 after a timeout
    /// on a reply that queued behind too many others in a saturated CPU or Redis. A burst
    /// queues briefly instead; on a sold-out sale the queued attempts are then answered from
    /// memory once the first `sold_out` arrives.
    pub async fn take(&self) -> Result<SemaphorePermit<'_>> {
        match tokio::time::timeout(self.wait, self.slots.acquire()).await {
            Ok(Ok(slot)) => Ok(slot),
            // The semaphore is never closed; a timeout is the overload.
            _ => Err(ApiError::Overloaded),
        }
    }
}
