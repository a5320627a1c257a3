//! Faults against real processes. Quick variants run in `make test`; `make chaos` runs the long
//! ones (`#[ignore]`d here).
mod cluster_failover;
mod killed_server;
mod lost_idempotency_keys;
mod redis_data_loss;
mod redis_restart;
mod redis_rollback;
