//! Postgres: the authoritative record of sales and of every persisted order.
//!
//! Queries are plain SQL strings checked by the integration tests, so building the crate never
//! needs a live database.
mod batch;
pub mod classic;
pub mod deployments;
mod errors;
pub mod gauges;
pub mod holds;
pub mod orders;
pub mod retirement;
pub mod sale_list;
pub mod sales;

pub use batch::{Tally, persist_batch};
pub use errors::{error_kind, is_data_error};

/// Migrations in `migrations/`, compiled into the binary.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Whether Postgres answers at all.
pub async fn ping(db: &sqlx::PgPool) -> sqlx::Result<()> {
    sqlx::query("SELECT 1").execute(db).await.map(drop)
}
