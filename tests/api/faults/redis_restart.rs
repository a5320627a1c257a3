//! The app's Redis (AOF on) restarted between and during bursts: nothing oversold or lost.
use crate::helpers::{RedisProcess, TestApp, spawn_app_with, use_single_redis};
use futures::future::join_all;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// Restarts the app's Redis (AOF on) between two bursts, and once more during the second:
/// attempts while it is down get 503 with Retry-After, the app reconnects by itself (and
/// reloads its scripts), nothing is oversold, and every 202 reaches Postgres.
async fn redis_restarts_lose_and_oversell_nothing(stock: i64, per_burst: usize) {
    let mut redis = RedisProcess::start().await;
    let url = redis.url();
    let owned_app = spawn_app_with(|s| use_single_redis(s, url)).await;
    let app = &owned_app;
    app.create_sale("restarted", stock, json!({})).await;
    // The order ids of the 202s, and every status.
    let burst = |from: usize| async move {
        let responses = join_all(
            (from..from + per_burst)
                .map(|n| app.order("restarted", json!({ "user_id": format!("b{n}") }))),
        )
        .await;
        let mut accepted = Vec::new();
        let mut statuses = Vec::new();
        for response in responses {
            statuses.push(response.status().as_u16());
            if response.status() == 202 {
                let body: Value = response.json().await.unwrap();
                accepted.push(Uuid::parse_str(body["order_id"].as_str().unwrap()).unwrap());
            }
        }
        (accepted, statuses)
    };
    let (mut accepted, _) = burst(0).await;

    redis.shutdown().await;
    let down = app.order("restarted", json!({ "user_id": "during" })).await;
    assert_eq!(down.status(), 503);
    assert_eq!(down.headers()["retry-after"], "1");
    redis.restart().await;
    wait_until_reconnected(app).await;

    let ((during, statuses), ()) = tokio::join!(burst(per_burst), async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        redis.shutdown().await;
        redis.restart().await;
    });
    assert!(
        statuses.iter().all(|s| [202, 409, 503].contains(s)),
        "{statuses:?}"
    );
    accepted.extend(during);
    wait_until_reconnected(app).await;

    let sale = app.wait_until_persisted("restarted").await;
    let confirmed = sale["confirmed"].as_i64().unwrap();
    assert!(confirmed <= stock, "oversold: {confirmed} of {stock}");
    let persisted: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE order_id = ANY($1)")
        .bind(&accepted)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(
        persisted,
        accepted.len() as i64,
        "an accepted order is missing"
    );
    assert_eq!(
        sale["stock_left"].as_i64().unwrap() + sale["reserved"].as_i64().unwrap(),
        stock
    );
}

async fn wait_until_reconnected(app: &TestApp) {
    let started = Instant::now();
    while app.get("/api/sales/restarted").await.status() != 200 {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the app never reconnected"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn redis_restarted_between_and_during_bursts_oversells_and_loses_nothing() {
    redis_restarts_lose_and_oversell_nothing(80, 60).await;
}

#[tokio::test]
#[ignore = "long: run by make chaos"]
async fn redis_restarted_during_long_bursts_oversells_and_loses_nothing() {
    redis_restarts_lose_and_oversell_nothing(3_000, 2_000).await;
}
