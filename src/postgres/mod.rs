//! Postgres: the authoritative record of sales and of every persisted order.
//!
//! Queries are plain SQL strings checked by the integration tests, so building the crate never
//! needs a live database.
pub mod orders;
pub mod sales;

/// Migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
