//! flashsale: a flash-sale service that never oversells and never loses an accepted order.
//!
//! An order attempt is one atomic Lua script in Redis (check the sale, the buyer's limit and the
//! stock, take the stock, append the order to the sale's stream); a background persister moves
//! the stream into Postgres in idempotent batches and acknowledges only after commit.
//!
//! # Layout
//! Each module owns one thing; lower layers never import higher ones.
//! - [`cli`]: the `flashsale` command (`serve`, `migrate`, `reconcile`, `dead-letters`).
//! - [`configuration`]: settings from flags and environment, the engine choice among them.
//! - [`startup`]: `Application`, the HTTP server with the persister beside it.
//! - [`state`]: `AppState`, what every handler may use.
//! - [`telemetry`]: logging setup and the per-request span.
//! - [`routes`]: one module per HTTP endpoint, and the request-parsing rules they share.
//! - [`buyer_auth`]: who is buying (JWT `sub`, or the body's `user_id`).
//! - [`domain`]: validated values (`SaleId`, `UserId`, `Quantity`, …) and the decisions made on
//!   them (`OrderAttempt`, `Reservation`, `Refusal` with its codes, `LiveSale`, stream entries).
//! - [`error`]: `ApiError`, every failure and its `application/problem+json` form.
//! - [`redis`]: every Redis key, command and script: the reservation, sale loading, pending
//!   orders, the orders streams the persister reads (`OrdersStream`), and their dead letters.
//! - [`postgres`]: every SQL statement: sales, orders, the persister's batch write, the classic
//!   engines' statements, migrations.
//! - [`engine`]: stock engines behind one trait: the Redis script, and (in `engine::classic`) the
//!   textbook Postgres strategies kept for comparison.
//! - [`persister`]: streams to Postgres: what to read next, when to retry, what to bury.
//! - [`reconcile`]: the invariants between Redis and Postgres, checked and repaired.
//! - [`sold_out`]: the in-memory sold-out fast path.
//! - [`redis_gate`]: no order sells on Redis data not verified against Postgres (after a
//!   restart or failover), and the watcher that verifies it.
//! - [`rate_limit`]: order attempts per buyer and per IP.
//! - [`metrics`]: Prometheus metrics.
//! - [`log_summary`]: repeated errors logged once per interval with a count.
//!
//! The load generator, the benchmark and the demo live beside the service, in `tools/bench`.
pub mod buyer_auth;
pub mod cli;
pub mod client_address;
pub mod configuration;
pub mod dashboard;
pub mod domain;
pub mod engine;
pub mod error;
pub mod holds;
pub mod log_summary;
pub mod metrics;
pub mod periodic;
pub mod persister;
pub mod postgres;
pub mod rate_limit;
pub mod reconcile;
pub mod redis;
pub mod redis_gate;
pub mod request_id;
pub mod retirement;
pub mod routes;
pub mod shutdown;
pub mod sold_out;
pub mod startup;
pub mod state;
pub mod telemetry;
