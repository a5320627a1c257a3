//! The load generator behind `demo` and `bench` counts what the server answered.
//!
//! The service runs in-process (no binary to build first) on a database of its own.
mod support;

use flashsale::configuration::EngineKind;
use flashsale::configuration::{PersisterSettings, Settings};
use flashsale::startup::Application;
use flashsale_bench::loadgen::{self, Limit, LoadPlan};
use flashsale_testkit::AdminClient;
use serde_json::json;
use std::time::Duration;
use support::{ADMIN_TOKEN, TestDatabase, redis_url};

#[tokio::test]
async fn the_load_generator_sends_distinct_buyers_and_counts_every_answer() {
    let database = TestDatabase::create().await;
    let settings = Settings {
        listen: "127.0.0.1:0".into(),
        admin_listen: None,
        redis_url: redis_url(),
        redis_cluster_nodes: None,
        redis_ca_file: None,
        redis_wait_replicas: 0,
        database_url: database.url.clone(),
        admin_token: Some(ADMIN_TOKEN.into()),
        jwt_secret: None,
        redis_prefix: format!("t{}", uuid::Uuid::new_v4().simple()),
        engine: EngineKind::Redis,
        file_lock_dir: None,
        workers: Some(1),
        cors_origins: Vec::new(),
        db_max_connections: 5,
        sold_out_recheck_ms: 500,
        redis_timeout_ms: 500,
        redis_max_in_flight: 1024,
        request_timeout_ms: 10_000,
        rate_per_user: 0,
        rate_per_ip: 0,
        trusted_proxies: Vec::new(),
        rate_limit_clients: 50_000,
        persister: PersisterSettings {
            enabled: true,
            consumers: 2,
            batch_size: 500,
            hold_sweep_ms: 1000,
            sale_retention_s: 86_400,
            retire_check_ms: 60_000,
            block_ms: 100,
            claim_idle_ms: 30_000,
            consumer: None,
            db_connections: None,
        },
    };
    let application = Application::build(settings).await.expect("app builds");
    let address = format!("http://127.0.0.1:{}", application.port());
    let server = application.handle();
    let running = tokio::spawn(application.run_until_stopped());
    let admin = AdminClient::new(&address, ADMIN_TOKEN);
    admin
        .post(
            "/admin/sales",
            &json!({ "id": "generated", "name": "Test sale", "stock": 50 }),
        )
        .await
        .unwrap();

    let report = loadgen::run(LoadPlan {
        urls: vec![format!("{address}/api/sales/generated/orders")],
        limit: Limit::Requests(300),
        concurrency: 16,
        user_prefix: "buyer".into(),
    })
    .await
    .unwrap();

    assert_eq!(report.requests, 300);
    assert_eq!(report.count("accepted"), 50, "{:?}", report.outcomes);
    assert_eq!(report.count("sold_out"), 250);
    assert_eq!(report.transport_errors, 0);
    let sale = admin
        .wait_until_persisted("generated", Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(sale["confirmed"], 50);

    server.stop(true).await;
    running.await.unwrap().expect("the app stops cleanly");
    database.drop().await;
}
