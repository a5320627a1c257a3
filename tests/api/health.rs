//! Health, readiness and metrics.
use crate::helpers::{spawn_app, spawn_app_with};
use serde_json::{Value, json};

#[tokio::test]
async fn healthz_and_readyz_answer_ok_when_everything_is_up() {
    let app = spawn_app().await;

    assert_eq!(app.get("/healthz").await.status(), 200);
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({
            "redis": "up",
            "postgres": "up",
            "persister": { "stalled_seconds": 0.0, "last_error": null },
            "redis_verified": true,
        })
    );
}

#[tokio::test]
async fn readyz_reports_postgres_down_when_it_cannot_be_reached() {
    let app =
        spawn_app_with(|s| s.database_url = "postgres://postgres@127.0.0.1:1/none".into()).await;

    let ready = app.get("/readyz").await;

    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.json::<Value>().await.unwrap(),
        json!({
            "redis": "up",
            "postgres": "down",
            "persister": { "stalled_seconds": 0.0, "last_error": null },
            // Redis's data was never checked against Postgres: orders wait.
            "redis_verified": false,
        })
    );
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
    assert!(
        text.contains("flashsale_order_duration_seconds_count 2"),
        "{text}"
    );
    assert!(
        text.contains(r#"flashsale_persister_orders_total{status="confirmed"} 1"#),
        "{text}"
    );
    assert!(text.contains("flashsale_orders_pending"), "{text}");
}
