//! `spawn_app`: the application on a random port, with a fresh database and Redis prefix.
mod process;
mod proxy;
mod redis_process;

pub use process::ServerProcess;
pub use proxy::TcpProxy;
pub use redis_process::RedisProcess;

use actix_web::dev::ServerHandle;
use flashsale::configuration::{PersisterSettings, Settings};
use flashsale::db::MIGRATOR;
use flashsale::domain::SaleId;
use flashsale::engine::EngineKind;
use flashsale::startup::Application;
use flashsale::store::{KeySpace, SaleKeys};
use flashsale_testkit::AdminClient;
use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection, PgPool};
use std::time::Duration;
use tokio::task::JoinHandle;

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

/// The project's Postgres server (no database) and its Redis's test database, overridable.
fn postgres_server() -> String {
    std::env::var("FLASHSALE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5440".into())
}

pub fn redis_url() -> String {
    std::env::var("FLASHSALE_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6390/1".into())
}

pub struct TestApp {
    pub address: String,
    pub http: reqwest::Client,
    /// Straight to the test's database, bypassing the app.
    pub db: PgPool,
    pub database_name: String,
    pub redis: MultiplexedConnection,
    pub settings: Settings,
    pub keys: KeySpace,
    server: ServerHandle,
    running: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Settings for a test: one worker, a quick persister, nothing shared with other tests.
pub async fn test_settings() -> (Settings, String) {
    let database_name = format!("flashsale_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&format!("{}/postgres", postgres_server()))
        .await
        .expect("the project's Postgres is up (make services)");
    admin
        .execute(AssertSqlSafe(format!(
            r#"CREATE DATABASE "{database_name}""#
        )))
        .await
        .expect("create the test database");
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        redis_url: redis_url(),
        database_url: format!("{}/{database_name}", postgres_server()),
        admin_token: Some(ADMIN_TOKEN.into()),
        jwt_secret: None,
        redis_prefix: format!("t{}", uuid::Uuid::new_v4().simple()),
        engine: EngineKind::Redis,
        workers: Some(1),
        db_max_connections: 5,
        sold_out_recheck_ms: 500,
        request_timeout_ms: 10_000,
        rate_per_user: 0,
        rate_per_ip: 0,
        persister: PersisterSettings {
            enabled: true,
            consumers: 2,
            batch_size: 500,
            block_ms: 100,
            claim_idle_ms: 30_000,
            consumer: None,
        },
    };
    (settings, database_name)
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        flashsale::telemetry::init("info");
    }
    let (mut settings, database_name) = test_settings().await;
    let db = PgPool::connect(&settings.database_url).await.unwrap();
    MIGRATOR.run(&db).await.expect("migrations apply");
    customize(&mut settings);

    let application = Application::build(settings.clone())
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let server = application.handle();
    let running = Some(tokio::spawn(application.run_until_stopped()));
    let redis = redis::Client::open(redis_url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    TestApp {
        address,
        http: reqwest::Client::new(),
        db,
        database_name,
        redis,
        keys: KeySpace::new(&settings.redis_prefix).unwrap(),
        settings,
        server,
        running,
    }
}

impl TestApp {
    /// Stops the app as SIGTERM would, and waits until it has fully stopped.
    pub async fn stop(&mut self) {
        self.server.stop(true).await;
        if let Some(running) = self.running.take() {
            running.await.unwrap().expect("the app stops cleanly");
        }
    }

    pub fn sale_keys(&self, sale: &str) -> SaleKeys {
        self.keys.sale(&SaleId::parse(sale).unwrap())
    }

    /// Creates a sale through the admin API; `extra` fields override the defaults.
    pub async fn create_sale(&self, id: &str, stock: i64, extra: Value) -> reqwest::Response {
        let mut body = json!({ "id": id, "name": "Test sale", "stock": stock });
        if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
            body.extend(extra.clone());
        }
        self.admin_post("/admin/sales", &body).await
    }

    pub async fn admin_post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.address))
            .bearer_auth(ADMIN_TOKEN)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn admin_get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
    }

    pub async fn admin_sale(&self, sale: &str) -> Value {
        let response = self.admin_get(&format!("/admin/sales/{sale}")).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap()
    }

    pub async fn order(&self, sale: &str, body: Value) -> reqwest::Response {
        self.order_with_key(sale, body, None).await
    }

    pub async fn order_with_key(
        &self,
        sale: &str,
        body: Value,
        idempotency_key: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(format!("{}/api/sales/{sale}/orders", self.address))
            .json(&body);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        request.send().await.unwrap()
    }

    pub async fn stock_left(&self, sale: &str) -> i64 {
        let left: Option<i64> = self
            .redis
            .clone()
            .hget(self.sale_keys(sale).sale, "stock_left")
            .await
            .unwrap();
        left.expect("the sale is in Redis")
    }

    /// Every key of the sale with its serialized value: equal snapshots mean nothing changed.
    pub async fn redis_snapshot(&self, sale: &str) -> Vec<(String, Option<Vec<u8>>)> {
        let mut snapshot = Vec::new();
        for key in self.sale_keys(sale).all() {
            let dump: Option<Vec<u8>> = redis::cmd("DUMP")
                .arg(key)
                .query_async(&mut self.redis.clone())
                .await
                .unwrap();
            snapshot.push((key.to_owned(), dump));
        }
        snapshot
    }

    /// Waits until the persister has written every accepted order of the sale.
    pub async fn wait_until_persisted(&self, sale: &str) -> Value {
        AdminClient::new(&self.address, ADMIN_TOKEN)
            .wait_until_persisted(sale, Duration::from_secs(30))
            .await
            .unwrap()
    }

    pub async fn orders_in_postgres(&self, sale: &str) -> Vec<(String, i32, String)> {
        sqlx::query_as(
            "SELECT user_id, quantity, status::text FROM orders WHERE sale_id = $1 ORDER BY user_id",
        )
        .bind(sale)
        .fetch_all(&self.db)
        .await
        .unwrap()
    }
}

/// Drops a test database; `FORCE` ends any connection still open to it.
pub async fn drop_database(name: &str) {
    let url = format!("{}/postgres", postgres_server());
    if let Ok(mut admin) = PgConnection::connect(&url).await {
        let sql = format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#);
        let _ = admin.execute(AssertSqlSafe(sql)).await;
    }
}

impl Drop for TestApp {
    /// Drops the test's database; `FORCE` ends the app's own connections to it.
    fn drop(&mut self) {
        let name = self.database_name.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(drop_database(&name));
        });
        let _ = dropped.join();
    }
}

/// Asserts a complete problem document with this status and code; returns it.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["status"], status);
    for field in ["type", "title", "detail"] {
        assert!(problem[field].is_string(), "{field} missing from {problem}");
    }
    problem
}
