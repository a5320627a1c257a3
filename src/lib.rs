//! flashsale: a flash-sale service that never oversells and never loses an accepted order.
//!
//! An order attempt is one atomic Lua script in Redis (check the sale, the buyer's limit and the
//! stock, take the stock, append the order to the sale's stream); a background persister moves
//! the stream into Postgres in idempotent batches and acknowledges only after commit.
//!
//! # Layout
//! - [`cli`]: the `flashsale` command (`serve`, `migrate`, `reconcile`).
//! - [`configuration`]: settings from flags and environment.
//! - [`startup`]: `Application`, the HTTP server with the persister beside it.
//! - [`telemetry`]: logging setup.
//! - [`routes`]: one module per HTTP endpoint.
//! - [`buyer_auth`]: who is buying (JWT `sub`, or the body's `user_id`).
//! - [`domain`]: validated values (`SaleId`, `UserId`, `Quantity`, ...).
//! - [`engine`]: stock engines: the Redis script, and the classic Postgres strategies.
//! - [`error`]: `ApiError`, every failure and its `application/problem+json` form.
//! - [`store`]: Redis: key layout, the reservation script, sale loading.
//! - [`db`]: Postgres: sales, orders, migrations.
//! - [`persister`]: streams to Postgres.
//! - [`reconcile`]: the invariants between Redis and Postgres, checked and repaired.
//! - [`sold_out`]: the in-memory sold-out fast path.
//! - [`rate_limit`]: order attempts per buyer and per IP.
//! - [`metrics`]: Prometheus metrics.
pub mod buyer_auth;
pub mod cli;
pub mod configuration;
pub mod db;
pub mod domain;
pub mod engine;
pub mod error;
pub mod metrics;
pub mod persister;
pub mod rate_limit;
pub mod reconcile;
pub mod routes;
pub mod sold_out;
pub mod startup;
pub mod store;
pub mod telemetry;
