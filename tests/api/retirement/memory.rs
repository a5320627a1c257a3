//! Redis memory comes back to its baseline once sales end and retire: a shop's Redis does not
//! fill up with past sales.
use super::{retire_quickly, wait_until_retired};
use crate::helpers::{RedisProcess, TestApp, spawn_app_with, use_single_redis};
use futures::StreamExt;
use serde_json::json;
use std::time::{Duration, Instant};

const BUYERS: usize = 5_000;

async fn used_memory(redis: &mut redis::aio::MultiplexedConnection) -> i64 {
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(redis)
        .await
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap()
}

async fn key_count(redis: &mut redis::aio::MultiplexedConnection) -> i64 {
    redis::cmd("DBSIZE").query_async(redis).await.unwrap()
}

/// A whole sale's life: `buyers` distinct buyers with idempotency keys, then the end, the
/// retirement and the keys' expiry.
async fn sell_and_retire(
    app: &TestApp,
    redis: &mut redis::aio::MultiplexedConnection,
    sale: &str,
    buyers: usize,
) -> i64 {
    app.create_sale(sale, buyers as i64, json!({})).await;
    futures::stream::iter(0..buyers)
        .map(|n| async move {
            let body = json!({ "user_id": format!("buyer-{n}") });
            let response = app
                .order_with_key(sale, body, Some(&format!("key-{n}")))
                .await;
            assert_eq!(response.status(), 202);
        })
        .buffer_unordered(32)
        .collect::<Vec<()>>()
        .await;
    app.wait_until_persisted(sale).await;
    let peak = used_memory(redis).await;
    app.admin_post(&format!("/admin/sales/{sale}/end"), &json!({}))
        .await;
    wait_until_retired(app, sale).await;
    let keys = app.sale_keys(sale);
    let all = [
        &keys.sale,
        &keys.buyers,
        &keys.idempotency,
        &keys.pending,
        &keys.orders,
        &keys.dead_letters,
        &keys.moves_out,
        &keys.moves_in,
        &keys.returns,
    ];
    let started = Instant::now();
    // Reading each key deletes it once expired, without waiting for Redis's own expiry cycle.
    while redis::cmd("EXISTS")
        .arg(&all)
        .query_async::<i64>(redis)
        .await
        .unwrap()
        > 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{sale}'s keys did not expire"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    peak
}

#[tokio::test]
async fn redis_memory_returns_to_its_baseline_after_sales_end_and_retire() {
    let redis_server = RedisProcess::start().await;
    let url = redis_server.url();
    let app = spawn_app_with(|s| {
        use_single_redis(s, url.clone());
        retire_quickly(s);
    })
    .await;
    let mut redis = redis::Client::open(redis_server.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    // A first small sale loads every script and creates the service's own keys.
    sell_and_retire(&app, &mut redis, "warm-up", 10).await;
    let baseline = used_memory(&mut redis).await;
    let baseline_keys = key_count(&mut redis).await;

    let peak = sell_and_retire(&app, &mut redis, "big", BUYERS).await;

    let after = used_memory(&mut redis).await;
    let grown = peak - baseline;
    assert!(grown > 200_000, "{BUYERS} buyers took {grown} bytes");
    assert!(
        after - baseline < grown / 20,
        "baseline {baseline}, peak {peak}, after retirement {after}"
    );
    assert_eq!(key_count(&mut redis).await, baseline_keys);
    assert_eq!(app.admin_sale("big").await["confirmed"], BUYERS as i64);
}
