//! The persister's lag and backlog, read from Redis at each scrape: they grow while Postgres
//! is unreachable (the old per-loop gauge froze then, or was zeroed by an idle loop) and fall
//! to 0 once every order is in Postgres; without Redis they are absent, and `redis_up` is 0.
use super::{sample, scrape};
use crate::helpers::{RedisProcess, TcpProxy, TestApp, spawn_app_with, use_single_redis};
use crate::persister::manual_persister;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn lag_grows_while_postgres_is_down_and_falls_to_zero_once_persisted() {
    let proxy = TcpProxy::postgres();
    let app = spawn_app_with(|s| proxy.route_postgres(s)).await;
    app.create_sale("lagging", 10, json!({})).await;
    assert_eq!(
        sample(&app, "flashsale_persister_lag_seconds").await,
        Some(0.0)
    );

    proxy.cut();
    let (first, later) = buy_then_lag_twice(&app, "lagging", &["a", "b", "c"], 1500).await;

    assert!(
        later >= first + 1.0 && later >= 1.5,
        "the lag grows with the outage: {first} s, then {later} s"
    );
    assert_eq!(
        sample(&app, "flashsale_orders_pending").await,
        Some(3.0),
        "the backlog is exactly the unpersisted orders"
    );
    assert_eq!(
        sample(&app, "flashsale_redis_up").await,
        Some(1.0),
        "a Postgres outage is not a Redis one"
    );

    proxy.restore();
    app.wait_until_persisted("lagging").await;

    assert_eq!(
        sample(&app, "flashsale_persister_lag_seconds").await,
        Some(0.0)
    );
    assert_eq!(sample(&app, "flashsale_orders_pending").await, Some(0.0));
}

/// Redis gone: `redis_up` says so, and the figures only Redis knows are absent, not stale.
#[tokio::test]
async fn without_redis_the_scrape_says_so_and_shows_no_stale_figures() {
    let mut redis = RedisProcess::start().await;
    let url = redis.url();
    let app = spawn_app_with(|s| use_single_redis(s, url)).await;
    app.create_sale("unseen", 10, json!({})).await;
    assert_eq!(sample(&app, "flashsale_redis_up").await, Some(1.0));

    redis.shutdown().await;

    let text = scrape(&app).await;
    assert!(text.contains("flashsale_redis_up 0"), "{text}");
    for absent in [
        "flashsale_persister_lag_seconds ",
        "flashsale_orders_pending ",
        "sale=\"unseen\"",
    ] {
        assert!(
            !text.contains(absent),
            "{absent} is not shown without Redis: {text}"
        );
    }
}

/// The lag is the age of the oldest order not yet in Postgres, whether a persister holds it or
/// none has read it yet: not that of an order persisted earlier.
#[tokio::test]
async fn the_lag_is_the_age_of_the_oldest_order_no_persister_has_written() {
    let app = spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("unread", 10, json!({})).await;
    let mut persister = manual_persister(&app, 30_000).await;
    assert_eq!(
        app.order("unread", json!({ "user_id": "a" }))
            .await
            .status(),
        202
    );
    persister.try_execute_task().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let (fresh, aged) = buy_then_lag_twice(&app, "unread", &["b", "c"], 1200).await;

    assert!(
        fresh < 1.0,
        "b's age, not a's (persisted 1.2 s before b came): {fresh} s"
    );
    assert!(aged >= 1.2, "unread orders age: {aged} s");
    assert_eq!(sample(&app, "flashsale_orders_pending").await, Some(2.0));
}

/// Each buyer buys one, then the lag is scraped, and again `apart_ms` later.
async fn buy_then_lag_twice(
    app: &TestApp,
    sale: &str,
    buyers: &[&str],
    apart_ms: u64,
) -> (f64, f64) {
    for buyer in buyers {
        let response = app.order(sale, json!({ "user_id": buyer })).await;
        assert_eq!(response.status(), 202);
    }
    let lag = "flashsale_persister_lag_seconds";
    let first = sample(app, lag).await.unwrap();
    tokio::time::sleep(Duration::from_millis(apart_ms)).await;
    (first, sample(app, lag).await.unwrap())
}
