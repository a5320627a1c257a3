//! Admin writes whose Redis half times out (Redis paused past the client's 500 ms timeout, then
//! running the write anyway): Redis never sells what Postgres does not know, and a retry of the
//! same call converges.
use crate::helpers::{ADMIN_TOKEN, RedisProcess, TestApp, spawn_app_with, use_single_redis};
use redis::aio::MultiplexedConnection;
use serde_json::{Value, json};
use std::time::Duration;

/// Pauses the app's Redis for writes, past the client's response timeout; the write the app
/// sent meanwhile runs when the pause ends.
async fn pause_writes(redis: &mut MultiplexedConnection, for_ms: u64) {
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(for_ms)
        .arg("WRITE")
        .query_async(redis)
        .await
        .unwrap();
}

/// `(stock_total, stock_left, reserved)` as Redis holds them.
async fn redis_counters(redis: &mut MultiplexedConnection, app: &TestApp, sale: &str) -> [i64; 3] {
    let (total, left, reserved): (i64, i64, i64) = redis::pipe()
        .hget(app.sale_keys(sale).sale, "stock_total")
        .hget(app.sale_keys(sale).sale, "stock_left")
        .hget(app.sale_keys(sale).sale, "reserved")
        .query_async(redis)
        .await
        .unwrap();
    [total, left, reserved]
}

async fn postgres_total(app: &TestApp, sale: &str) -> i64 {
    sqlx::query_scalar("SELECT stock_total FROM sales WHERE id = $1")
        .bind(sale)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// The app on a Redis of the test's own (pausing the shared one would stall every test), and a
/// connection to that Redis.
async fn app_on_own_redis() -> (RedisProcess, TestApp, MultiplexedConnection) {
    let redis_server = RedisProcess::start().await;
    let url = redis_server.url();
    let app = spawn_app_with(|s| use_single_redis(s, url)).await;
    let redis = redis::Client::open(redis_server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    (redis_server, app, redis)
}

async fn restock(app: &TestApp, sale: &str, key: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/admin/sales/{sale}/restock", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .header("Idempotency-Key", key)
        .json(&json!({ "quantity": 50 }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_restock_that_timed_out_in_redis_never_sells_more_than_postgres_knows_and_its_retry_converges()
 {
    let (_redis_server, app, mut redis) = app_on_own_redis().await;
    app.create_sale("paused", 100, json!({ "per_user_limit": 1 }))
        .await;
    for n in 0..10 {
        let bought = app
            .order("paused", json!({ "user_id": format!("b{n}") }))
            .await;
        assert_eq!(bought.status(), 202);
    }

    pause_writes(&mut redis, 1_500).await;
    let timed_out = restock(&app, "paused", "restock-1").await;
    assert_eq!(timed_out.status(), 503);
    tokio::time::sleep(Duration::from_millis(1_700)).await;

    // Whatever Redis applied late, it holds no more than Postgres and its counters add up.
    // Whether or not the timed-out write ran, Redis holds no more than Postgres and its
    // counters add up.
    let [total, left, reserved] = redis_counters(&mut redis, &app, "paused").await;
    assert!(total <= postgres_total(&app, "paused").await);
    assert_eq!(total, left + reserved);

    let retried = restock(&app, "paused", "restock-1").await;
    assert_eq!(retried.status(), 200);
    let again = restock(&app, "paused", "restock-1").await;
    assert_eq!(again.status(), 200);
    let body: Value = again.json().await.unwrap();

    assert_eq!(postgres_total(&app, "paused").await, 150, "applied once");
    assert_eq!(
        redis_counters(&mut redis, &app, "paused").await,
        [150, 140, 10]
    );
    assert_eq!(
        (body["stock_total"].as_i64(), body["stock_left"].as_i64()),
        (Some(150), Some(140))
    );
    let reused = app
        .http
        .post(format!("{}/admin/sales/paused/restock", app.address))
        .bearer_auth(ADMIN_TOKEN)
        .header("Idempotency-Key", "restock-1")
        .json(&json!({ "quantity": 7 }))
        .send()
        .await
        .unwrap();
    assert_eq!(reused.status(), 422, "the key names another restock");
}

#[tokio::test]
async fn a_create_that_timed_out_in_redis_is_completed_by_its_retry_without_erasing_orders() {
    let (_redis_server, app, mut redis) = app_on_own_redis().await;
    let definition = json!({ "starts_at": "2020-01-01T00:00:00Z", "per_user_limit": 1 });

    pause_writes(&mut redis, 1_500).await;
    let timed_out = app.create_sale("late", 20, definition.clone()).await;
    assert_eq!(timed_out.status(), 503);
    tokio::time::sleep(Duration::from_millis(1_700)).await;
    let completed = app.create_sale("late", 20, definition.clone()).await;
    assert_eq!(completed.status(), 201, "the retry completes the create");
    for n in 0..5 {
        let buyer = json!({ "user_id": format!("b{n}") });
        assert_eq!(app.order("late", buyer).await.status(), 202);
    }

    let retried = app.create_sale("late", 20, definition.clone()).await;
    assert_eq!(retried.status(), 201);
    let body: Value = retried.json().await.unwrap();
    assert_eq!(body["stock_left"], 15, "the retry kept the orders taken");
    let other = app.create_sale("late", 21, definition).await;
    assert_eq!(other.status(), 409, "another definition under the same id");

    let sale = app.wait_until_persisted("late").await;
    assert_eq!(
        (sale["confirmed"].as_i64(), sale["stock_left"].as_i64()),
        (Some(5), Some(15)),
        "{sale}"
    );
    assert_eq!(redis_counters(&mut redis, &app, "late").await, [20, 15, 5]);
}
