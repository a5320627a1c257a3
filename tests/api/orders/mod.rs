//! Buying: the reservation under concurrency, limits, idempotency, time windows, rate limits
//! a Redis outage and overload.
mod availability;
mod concurrency;
mod deadline;
mod idempotency;
mod limits;
mod overload;
mod rate_limits;
mod redis_outage;
mod replicas;
mod status;
