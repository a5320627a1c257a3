//! Integration tests: the real application against real Redis and Postgres, one binary.
//! Each test gets its own database and its own Redis key prefix, so they run in parallel.
mod admin;
mod browsers;
mod buckets;
mod buyer_auth;
mod dashboard;
mod engines;
mod faults;
mod health;
mod helpers;
mod holds;
mod metrics;
mod openapi;
mod operated;
mod orders;
mod persister;
mod properties;
mod reconcile;
mod request_ids;
mod retirement;
mod scripts;
mod tls;
mod validation;
