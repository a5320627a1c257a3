//! The persister's lag and backlog, read from Redis at each scrape: they grow while Postgres
//! is unreachable (the old per-loop gauge froze then, or was zeroed by an idle loop) and fall
//! to 0 once every order is in Postgres.
use super::sample;
use crate::helpers::{TcpProxy, spawn_app_with};
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
    for buyer in ["a", "b", "c"] {
        let response = app.order("lagging", json!({ "user_id": buyer })).await;
        assert_eq!(response.status(), 202);
    }
    let first = sample(&app, "flashsale_persister_lag_seconds")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = sample(&app, "flashsale_persister_lag_seconds")
        .await
        .unwrap();

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
