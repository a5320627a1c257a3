//! What the bench's tests share: the project's Postgres and Redis, and a database of their own
//! per test, named like the service's test databases so that `scripts/services.sh reset-tests`
//! drops what a failed run left behind.
use flashsale::postgres::MIGRATOR;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// The project's Postgres server (no database), overridable.
fn postgres_server() -> String {
    std::env::var("FLASHSALE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5440".into())
}

/// The project's Redis's test database, overridable.
pub fn redis_url() -> String {
    std::env::var("FLASHSALE_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6390/1".into())
}

async fn postgres_admin() -> PgConnection {
    PgConnection::connect(&format!("{}/postgres", postgres_server()))
        .await
        .expect("the project's Postgres is up (make services)")
}

/// A fresh, migrated database; `drop` removes it.
pub struct TestDatabase {
    name: String,
    pub url: String,
}

impl TestDatabase {
    pub async fn create() -> Self {
        let name = format!("flashsale_test_{}", uuid::Uuid::new_v4().simple());
        postgres_admin()
            .await
            .execute(AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .await
            .expect("create the test database");
        let url = format!("{}/{name}", postgres_server());
        let db = PgPool::connect(&url).await.unwrap();
        MIGRATOR.run(&db).await.expect("migrations apply");
        db.close().await;
        Self { name, url }
    }

    pub async fn drop(self) {
        postgres_admin()
            .await
            .execute(AssertSqlSafe(format!(
                r#"DROP DATABASE IF EXISTS "{}" WITH (FORCE)"#,
                self.name
            )))
            .await
            .unwrap();
    }
}
