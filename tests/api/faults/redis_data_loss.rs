//! Redis restarted without persistence: reconcile rebuilds the sale from Postgres.
use crate::helpers::{RedisProcess, spawn_app_with};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn after_redis_lost_everything_reconcile_rebuilds_the_sale_from_postgres() {
    let mut redis = RedisProcess::start_without_persistence().await;
    let url = redis.url();
    let owned_app = spawn_app_with(|s| s.redis_url = url).await;
    let app = &owned_app;
    app.create_sale("amnesia", 50, json!({ "per_user_limit": 2 }))
        .await;
    for n in 0..20 {
        let response = app
            .order("amnesia", json!({ "user_id": format!("b{n}") }))
            .await;
        assert_eq!(response.status(), 202);
    }
    app.wait_until_persisted("amnesia").await;

    redis.shutdown().await;
    redis.restart().await;
    let started = Instant::now();
    while app.get("/api/sales/amnesia").await.status() != 404 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the app never reconnected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lost = app.order("amnesia", json!({ "user_id": "b0" })).await;
    assert_eq!(lost.status(), 404, "a sale Redis lost cannot sell");

    let repaired = std::process::Command::new(env!("CARGO_BIN_EXE_flashsale"))
        .arg("reconcile")
        .env("DATABASE_URL", &app.settings.database_url)
        .env("REDIS_URL", &app.settings.redis_url)
        .env("FLASHSALE_REDIS_PREFIX", &app.settings.redis_prefix)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&repaired.stdout);
    assert!(repaired.status.success(), "{report}");
    assert!(report.contains("loaded into Redis again"), "{report}");

    let sale: Value = app.get("/api/sales/amnesia").await.json().await.unwrap();
    assert_eq!(sale["stock_left"], 30);
    let again = app
        .order("amnesia", json!({ "user_id": "b0", "quantity": 2 }))
        .await;
    assert_eq!(
        again.status(),
        409,
        "b0's earlier order still counts against the limit"
    );
    assert_eq!(
        app.order("amnesia", json!({ "user_id": "newcomer" }))
            .await
            .status(),
        202
    );
}
