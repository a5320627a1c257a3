//! The `redis_deployments` table: which Redis key prefixes were verified before, so a Redis
//! that comes back empty can be told apart from a new deployment.
use crate::error::Result;
use sqlx::PgPool;

/// Whether a Redis under this prefix was verified before (its sales lived there).
pub async fn was_verified(db: &PgPool, prefix: &str) -> Result<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM redis_deployments WHERE prefix = $1)")
            .bind(prefix)
            .fetch_one(db)
            .await?,
    )
}

pub async fn record_verified(db: &PgPool, prefix: &str, run_id: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO redis_deployments (prefix, run_id) VALUES ($1, $2)
         ON CONFLICT (prefix) DO UPDATE SET run_id = $2, verified_at = now()",
    )
    .bind(prefix)
    .bind(run_id)
    .execute(db)
    .await?;
    Ok(())
}
