//! Health, readiness and metrics.
use crate::helpers::{TcpProxy, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

#[tokio::test]
async fn livez_and_readyz_answer_ok_when_everything_is_up() {
    let app = spawn_app().await;

    assert_eq!(app.get("/livez").await.status(), 200);
    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({
            "status": "ok",
            "redis": "up",
            "postgres": "up",
            "redis_verified": true,
            "persister": { "stalled_seconds": 0.0, "last_error": null },
            "backlog": 0,
        })
    );
}

/// Postgres away from the start: Redis's data cannot be verified, orders would get 503, so the
/// instance is not ready.
#[tokio::test]
async fn readyz_is_unavailable_while_redis_data_cannot_be_verified() {
    let app =
        spawn_app_with(|s| s.database_url = "postgres://postgres@127.0.0.1:1/none".into()).await;

    let ready = app.get("/readyz").await;

    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({
            "status": "unavailable",
            "redis": "up",
            "postgres": "down",
            "redis_verified": false,
            "persister": { "stalled_seconds": 0.0, "last_error": null },
            "backlog": 0,
        })
    );
}

/// Postgres lost while selling: orders go on (202), so the instance stays ready and says it is
/// degraded, with the backlog waiting in Redis; ok again once Postgres is back.
#[tokio::test]
async fn readyz_stays_ready_and_degraded_while_postgres_is_down() {
    let proxy = TcpProxy::postgres();
    let app = spawn_app_with(|s| proxy.route_postgres(s)).await;
    app.create_sale("degraded", 10, json!({})).await;

    proxy.cut();
    for n in 0..3 {
        let order = app
            .order("degraded", json!({ "user_id": format!("b{n}") }))
            .await;
        assert_eq!(order.status(), 202);
    }
    let started = Instant::now();
    let body = loop {
        let ready = app.get("/readyz").await;
        assert_eq!(
            ready.status(),
            200,
            "Postgres down never makes the instance unready"
        );
        let body: Value = ready.json().await.unwrap();
        assert_eq!(
            (&body["status"], &body["postgres"]),
            (&json!("degraded"), &json!("down"))
        );
        if body["backlog"] == 3 {
            break body;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "{body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        (&body["status"], &body["postgres"]),
        (&json!("degraded"), &json!("down"))
    );

    proxy.restore();
    app.wait_until_persisted("degraded").await;
    let started = Instant::now();
    while app.get("/readyz").await.json::<Value>().await.unwrap()["status"] != "ok" {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "never ok again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn metrics_count_order_attempts_by_outcome() {
    let app = spawn_app().await;
    app.create_sale("measured", 1, json!({})).await;
    app.order("measured", json!({ "user_id": "a" })).await;
    app.order("measured", json!({ "user_id": "b" })).await;
    app.wait_until_persisted("measured").await;

    let response = app.get("/metrics").await;

    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.contains(r#"flashsale_order_attempts_total{outcome="accepted"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"flashsale_order_attempts_total{outcome="sold_out"} 1"#),
        "{text}"
    );
    for class in ["accepted", "sold_out"] {
        assert!(
            text.contains(&format!(
                r#"flashsale_order_duration_seconds_count{{outcome="{class}"}} 1"#
            )),
            "the latency of each outcome class apart: {text}"
        );
    }
    assert!(
        text.contains(r#"flashsale_persister_orders_total{status="confirmed"} 1"#),
        "{text}"
    );
    assert!(text.contains("flashsale_orders_pending 0"), "{text}");
}
