//! `TestApp`: the application on a random port with a fresh database and Redis prefix, the
//! calls tests make to it, and what they read behind its back (Redis keys, Postgres rows).
use super::services::{drop_database, test_redis, test_settings};
use super::{ADMIN_TOKEN, Snapshot, snapshot};
use flashsale::configuration::Settings;
use flashsale::domain::SaleId;
use flashsale::postgres::MIGRATOR;
use flashsale::redis::{Connection as RedisConnection, KeySpace, SaleKeys};
use flashsale::shutdown::StopHandle;
use flashsale::startup::Application;
use flashsale_testkit::AdminClient;
use redis::AsyncCommands;
use serde_json::{Value, json};
use sqlx::PgPool;
use std::time::Duration;
use tokio::task::JoinHandle;

pub struct TestApp {
    pub address: String,
    /// Where the admin API answers: `address`, or the admin listener when there is one.
    pub admin_address: String,
    pub http: reqwest::Client,
    /// Straight to the test's database, bypassing the app.
    pub db: PgPool,
    pub database_name: String,
    pub redis: RedisConnection,
    pub settings: Settings,
    pub keys: KeySpace,
    server: StopHandle,
    running: Option<JoinHandle<anyhow::Result<()>>>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut Settings)) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        flashsale::telemetry::init("info").expect("FLASHSALE_LOG_FORMAT is text or json");
    }
    let (mut settings, database_name) = test_settings().await;
    let db = PgPool::connect(&settings.database_url).await.unwrap();
    MIGRATOR.run(&db).await.expect("migrations apply");
    customize(&mut settings);

    let application = Application::build(settings.clone())
        .await
        .expect("app builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let admin_address = application.admin_port().map_or_else(
        || address.clone(),
        |port| format!("http://127.0.0.1:{port}"),
    );
    let server = application.handle();
    let running = Some(tokio::spawn(application.run_until_stopped()));
    let redis = test_redis().await;
    TestApp {
        address,
        admin_address,
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
            .post(format!("{}{path}", self.admin_address))
            .bearer_auth(ADMIN_TOKEN)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn admin_get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.admin_address))
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
    pub async fn redis_snapshot(&self, sale: &str) -> Snapshot {
        snapshot(&self.redis, &self.sale_keys(sale)).await
    }

    /// Waits until the persister has written every accepted order of the sale.
    pub async fn wait_until_persisted(&self, sale: &str) -> Value {
        AdminClient::new(&self.admin_address, ADMIN_TOKEN)
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
