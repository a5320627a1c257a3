//! The classic engines (kept for the benchmark) honour the same rules as the Redis engine.
mod lock_files;

use crate::helpers::{TestApp, assert_problem, spawn_app_with};
use flashsale::configuration::EngineKind;
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::path::Path;

async fn spawn(engine: EngineKind) -> TestApp {
    spawn_app_with(|s| {
        s.engine = engine;
        s.db_max_connections = 10;
        // Lock files of its own: tests selling sales of the same id would otherwise queue on
        // each other's lock.
        s.file_lock_dir = Some(
            Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join("file-locks")
                .join(uuid::Uuid::new_v4().simple().to_string()),
        );
    })
    .await
}

async fn statuses(responses: Vec<reqwest::Response>) -> Vec<u16> {
    responses.iter().map(|r| r.status().as_u16()).collect()
}

fn answered(statuses: &[u16], status: u16) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

/// The sale has `count` orders in Postgres, each of another buyer.
async fn assert_one_order_each(app: &TestApp, sale: &str, count: usize) {
    let orders = app.orders_in_postgres(sale).await;
    let buyers: HashSet<_> = orders.iter().map(|o| &o.0).collect();
    assert_eq!(
        (orders.len(), buyers.len()),
        (count, count),
        "written before the answer"
    );
}

async fn sells_exactly_the_stock_to_concurrent_buyers(engine: EngineKind) {
    let app = spawn(engine).await;
    app.create_sale("hot", 40, json!({})).await;

    let attempts = (0..300).map(|n| app.order("hot", json!({ "user_id": format!("b{n}") })));
    let statuses = statuses(join_all(attempts).await).await;

    assert_eq!(answered(&statuses, 202), 40, "{statuses:?}");
    assert_eq!(answered(&statuses, 409), 260);
    assert_one_order_each(&app, "hot", 40).await;
    let sale: Value = app.get("/api/sales/hot").await.json().await.unwrap();
    assert_eq!(
        (sale["stock_left"].as_i64(), sale["state"].as_str()),
        (Some(0), Some("sold_out"))
    );
    let admin = app.admin_sale("hot").await;
    assert_eq!(
        (admin["reserved"].as_i64(), admin["pending"].as_i64()),
        (Some(40), Some(0))
    );
}

async fn holds_the_per_user_limit_under_concurrency(engine: EngineKind) {
    let app = spawn(engine).await;
    app.create_sale("limited", 100, json!({ "per_user_limit": 2 }))
        .await;

    let attempts = (0..30).map(|_| app.order("limited", json!({ "user_id": "greedy" })));
    let statuses = statuses(join_all(attempts).await).await;

    assert_eq!(answered(&statuses, 202), 2, "{statuses:?}");
    assert_eq!(app.orders_in_postgres("limited").await.len(), 2);
}

async fn replays_idempotency_keys_and_refuses_their_reuse(engine: EngineKind) {
    let app = spawn(engine).await;
    app.create_sale("idem", 10, json!({ "per_user_limit": 5 }))
        .await;
    let body = json!({ "user_id": "carol", "quantity": 2 });

    let replays = (0..5).map(|_| app.order_with_key("idem", body.clone(), Some("k1")));
    let replays = join_all(replays).await;
    let mut bodies = Vec::new();
    for response in replays {
        assert_eq!(response.status(), 202);
        bodies.push(response.json::<Value>().await.unwrap()["order_id"].clone());
    }
    assert!(
        bodies.windows(2).all(|pair| pair[0] == pair[1]),
        "{bodies:?}"
    );
    let reused = app
        .order_with_key(
            "idem",
            json!({ "user_id": "carol", "quantity": 1 }),
            Some("k1"),
        )
        .await;
    assert_eq!(reused.status(), 422);
    let another_buyer = app
        .order_with_key(
            "idem",
            json!({ "user_id": "dave", "quantity": 2 }),
            Some("k1"),
        )
        .await;
    assert_eq!(another_buyer.status(), 202, "keys belong to their buyer");
    let daves: Value = another_buyer.json().await.unwrap();
    assert_ne!(daves["order_id"], bodies[0]);
    assert_eq!(app.orders_in_postgres("idem").await.len(), 2);
}

async fn refuses_outside_the_window_and_unknown_sales(engine: EngineKind) {
    let app = spawn(engine).await;
    app.create_sale("later", 10, json!({ "starts_at": "2999-01-01T00:00:00Z" }))
        .await;
    app.create_sale(
        "over",
        10,
        json!({ "starts_at": "2001-01-01T00:00:00Z", "ends_at": "2001-01-02T00:00:00Z" }),
    )
    .await;
    for (sale, status, code) in [
        ("later", 409, "sale_not_started"),
        ("over", 409, "sale_ended"),
        ("ghost", 404, "sale_not_found"),
    ] {
        let response = app.order(sale, json!({ "user_id": "u" })).await;
        assert_eq!(response.status(), status);
        assert_eq!(response.json::<Value>().await.unwrap()["code"], code);
    }
    let response = app
        .order("later", json!({ "user_id": "u", "quantity": 11 }))
        .await;
    assert_eq!(response.status(), 409);
    assert_eq!(app.orders_in_postgres("later").await.len(), 0);
}

async fn honours_pause_resume_and_end(engine: EngineKind) {
    let app = spawn(engine).await;
    app.create_sale("ops", 10, json!({ "per_user_limit": 5 }))
        .await;
    let first = app
        .order_with_key("ops", json!({ "user_id": "a" }), Some("k1"))
        .await;
    assert_eq!(first.status(), 202);

    app.admin_post("/admin/sales/ops/pause", &json!({})).await;
    let paused = app.order("ops", json!({ "user_id": "b" })).await;
    assert_eq!(paused.headers()["retry-after"], "5");
    assert_problem(paused, 503, "sale_paused").await;
    let replay = app
        .order_with_key("ops", json!({ "user_id": "a" }), Some("k1"))
        .await;
    assert_eq!(replay.status(), 202);
    let public: Value = app.get("/api/sales/ops").await.json().await.unwrap();
    assert_eq!(
        (public["state"].as_str(), public["stock_left"].as_i64()),
        (Some("paused"), Some(9))
    );

    app.admin_post("/admin/sales/ops/resume", &json!({})).await;
    assert_eq!(
        app.order("ops", json!({ "user_id": "b" })).await.status(),
        202
    );
    app.admin_post("/admin/sales/ops/end", &json!({})).await;
    assert_problem(
        app.order("ops", json!({ "user_id": "c" })).await,
        409,
        "sale_ended",
    )
    .await;
    assert_eq!(app.orders_in_postgres("ops").await.len(), 2);
}

macro_rules! engine_tests {
    ($($module:ident => $engine:expr),* $(,)?) => {$(
        mod $module {
            use super::*;

            #[tokio::test]
            async fn sells_exactly_the_stock_to_concurrent_buyers() {
                super::sells_exactly_the_stock_to_concurrent_buyers($engine).await;
            }

            #[tokio::test]
            async fn holds_the_per_user_limit_under_concurrency() {
                super::holds_the_per_user_limit_under_concurrency($engine).await;
            }

            #[tokio::test]
            async fn replays_idempotency_keys_and_refuses_their_reuse() {
                super::replays_idempotency_keys_and_refuses_their_reuse($engine).await;
            }

            #[tokio::test]
            async fn refuses_outside_the_window_and_unknown_sales() {
                super::refuses_outside_the_window_and_unknown_sales($engine).await;
            }

            #[tokio::test]
            async fn honours_pause_resume_and_end() {
                super::honours_pause_resume_and_end($engine).await;
            }
        }
    )*};
}

engine_tests! {
    pg_lock => EngineKind::PgLock,
    pg_optimistic => EngineKind::PgOptimistic,
    pg_conditional => EngineKind::PgConditional,
    queue => EngineKind::Queue,
    file_lock => EngineKind::FileLock,
}
