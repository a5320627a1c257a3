//! Redis restarted on older data (a backup, a lagging replica): no sale sells on it before it
//! is verified against Postgres, so no 202 ends `rejected` and no buyer passes the limit.
use crate::helpers::{RedisProcess, TcpProxy, TestApp, spawn_app_with, use_single_redis};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long orders may wait for the verification after Redis is back.
const VERIFIED_WITHIN: Duration = Duration::from_secs(10);

/// Buys for `user`, retrying while the answer is 503 `unavailable` (with `Retry-After`);
/// returns the final status and body, and whether any 503 came.
async fn buy(app: &TestApp, user: &str, quantity: u32, key: Option<&str>) -> (u16, Value, bool) {
    let started = Instant::now();
    let mut waited = false;
    loop {
        let response = app
            .order_with_key(
                "rollback",
                json!({ "user_id": user, "quantity": quantity }),
                key,
            )
            .await;
        let status = response.status().as_u16();
        if status != 503 {
            return (status, response.json().await.unwrap(), waited);
        }
        assert_eq!(response.headers()["retry-after"], "1");
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["code"], "unavailable", "{problem}");
        assert!(
            started.elapsed() < VERIFIED_WITHIN,
            "orders refused for too long"
        );
        waited = true;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn after_redis_restarts_on_older_data_no_accepted_order_is_rejected() {
    let mut redis = RedisProcess::start().await;
    let url = redis.url();
    let app = spawn_app_with(|s| use_single_redis(s, url)).await;
    app.create_sale("rollback", 100, json!({ "per_user_limit": 2 }))
        .await;
    for n in 0..10 {
        assert_eq!(buy(&app, &format!("a{n}"), 1, None).await.0, 202);
    }
    let older = redis.snapshot().await;
    // After the snapshot: the a-buyers reach their limit, the b-buyers take 40 more.
    for n in 0..10 {
        assert_eq!(buy(&app, &format!("a{n}"), 1, None).await.0, 202);
    }
    let (status, original, _) = buy(&app, "b0", 2, Some("b0-key")).await;
    assert_eq!(status, 202);
    for n in 1..20 {
        assert_eq!(buy(&app, &format!("b{n}"), 2, None).await.0, 202);
    }
    app.wait_until_persisted("rollback").await;

    redis.shutdown().await;
    redis.restart_from_snapshot(&older).await;
    // The first answers may wait for the verification; once one came, none waits again.
    let mut verified = false;
    for n in 0..10 {
        let (status, body, waited) = buy(&app, &format!("a{n}"), 1, None).await;
        assert!(!(verified && waited), "503 after the sale sold again");
        verified = true;
        assert_eq!(status, 409, "{body}");
        assert_eq!(body["code"], "purchase_limit_exceeded");
    }
    let (status, replayed, waited) = buy(&app, "b0", 2, Some("b0-key")).await;
    assert!(!waited);
    assert_eq!(status, 202);
    assert_eq!(
        replayed["order_id"], original["order_id"],
        "the retry gets its order"
    );
    let mut accepted = 0;
    for n in 0..60 {
        let (status, body, waited) = buy(&app, &format!("c{n}"), 1, None).await;
        assert!(!waited);
        match status {
            202 => accepted += 1,
            409 => assert_eq!(body["code"], "sold_out", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(accepted, 40, "exactly the stock truly left sells");

    let sale = app.wait_until_persisted("rollback").await;
    assert_eq!(sale["rejected"], 0, "{sale}");
    assert_eq!(sale["confirmed"], 100, "{sale}");
    let over_limit: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT user_id FROM orders WHERE sale_id = 'rollback'
         AND status = 'confirmed' GROUP BY user_id HAVING SUM(quantity) > 2) over",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(over_limit, 0);
}

#[tokio::test]
async fn while_postgres_is_down_a_restarted_redis_sells_nothing_until_verified() {
    let mut redis = RedisProcess::start().await;
    let proxy = TcpProxy::postgres();
    let url = redis.url();
    let app = spawn_app_with(|s| {
        use_single_redis(s, url);
        proxy.route_postgres(s);
    })
    .await;
    app.create_sale("rollback", 10, json!({})).await;
    assert_eq!(buy(&app, "b0", 1, None).await.0, 202);
    app.wait_until_persisted("rollback").await;

    proxy.cut();
    redis.shutdown().await;
    redis.restart().await;
    // The same data, but no instance can tell until Postgres answers: nothing sells.
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        let response = app.order("rollback", json!({ "user_id": "blind" })).await;
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["redis_verified"], false, "{ready}");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("flashsale_redis_verified 0"), "{metrics}");

    proxy.restore();
    let (status, body, _) = buy(&app, "blind", 1, None).await;
    assert_eq!(status, 202, "{body}");
    let ready: Value = app.get("/readyz").await.json().await.unwrap();
    assert_eq!(ready["redis_verified"], true, "{ready}");
    assert_eq!(app.wait_until_persisted("rollback").await["confirmed"], 2);
}

#[tokio::test]
async fn a_pause_newer_than_the_data_redis_restarted_on_still_holds() {
    let mut redis = RedisProcess::start().await;
    let url = redis.url();
    let app = spawn_app_with(|s| use_single_redis(s, url)).await;
    app.create_sale("rollback", 10, json!({})).await;
    let older = redis.snapshot().await;
    let paused = app
        .admin_post("/admin/sales/rollback/pause", &json!({}))
        .await;
    assert_eq!(paused.status(), 200);

    redis.shutdown().await;
    redis.restart_from_snapshot(&older).await;
    let started = Instant::now();
    let problem = loop {
        let response = app.order("rollback", json!({ "user_id": "u" })).await;
        assert_eq!(response.status(), 503, "an order sold on the older data");
        let problem: Value = response.json().await.unwrap();
        if problem["code"] != "unavailable" {
            break problem;
        }
        assert!(started.elapsed() < VERIFIED_WITHIN, "never verified");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(problem["code"], "sale_paused", "{problem}");
    let sale: Value = app.get("/api/sales/rollback").await.json().await.unwrap();
    assert_eq!(sale["stock_left"], 10);
}
