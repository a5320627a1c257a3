//! Buying: the reservation under concurrency, limits, idempotency, time windows, rate limits
//! and a Redis outage.
mod availability;
mod concurrency;
mod deadline;
mod idempotency;
mod limits;
mod rate_limits;
mod redis_outage;
mod status;
