//! The admin API: creating, reading, preloading and restocking sales.
use crate::helpers::{ADMIN_TOKEN, assert_problem, spawn_app};
use redis::AsyncCommands;
use serde_json::{Value, json};

#[tokio::test]
async fn creating_a_sale_returns_it_and_preloads_its_stock() {
    let app = spawn_app().await;

    let response = app
        .create_sale(
            "spring",
            500,
            json!({ "name": "Spring", "per_user_limit": 3, "ends_at": "2999-01-01T00:00:00Z" }),
        )
        .await;

    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["location"], "/api/sales/spring");
    let sale: Value = response.json().await.unwrap();
    assert_eq!(sale["id"], "spring");
    assert_eq!(sale["name"], "Spring");
    assert_eq!(sale["stock_total"], 500);
    assert_eq!(sale["stock_left"], 500);
    assert_eq!(sale["per_user_limit"], 3);
    assert_eq!(sale["state"], "active");
    assert_eq!(sale["ends_at"], "2999-01-01T00:00:00Z");
    assert_eq!(app.stock_left("spring").await, 500);
    let public: Value = app.get("/api/sales/spring").await.json().await.unwrap();
    assert_eq!(public, sale);
}

#[tokio::test]
async fn a_sale_without_id_gets_one_and_the_documented_defaults() {
    let app = spawn_app().await;

    let response = app.admin_post("/admin/sales", &json!({ "stock": 0 })).await;

    assert_eq!(response.status(), 201);
    let sale: Value = response.json().await.unwrap();
    assert!(!sale["id"].as_str().unwrap().is_empty());
    assert_eq!(sale["per_user_limit"], 1);
    assert_eq!(sale["ends_at"], Value::Null);
    assert_eq!(sale["state"], "sold_out");
}

#[tokio::test]
async fn creating_the_same_sale_twice_is_a_conflict_that_keeps_the_first() {
    let app = spawn_app().await;
    app.create_sale("twice", 5, json!({})).await;
    app.order("twice", json!({ "user_id": "u" })).await;

    let response = app.create_sale("twice", 999, json!({})).await;

    assert_problem(response, 409, "sale_exists").await;
    assert_eq!(app.stock_left("twice").await, 4);
}

#[tokio::test]
async fn the_admin_view_counts_reserved_confirmed_and_pending() {
    let app = crate::helpers::spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("counted", 10, json!({ "per_user_limit": 5 }))
        .await;
    app.order("counted", json!({ "user_id": "a", "quantity": 3 }))
        .await;

    let sale = app.admin_sale("counted").await;

    assert_eq!(sale["reserved"], 3);
    assert_eq!(sale["pending"], 3);
    assert_eq!(sale["confirmed"], 0);
    assert_eq!(sale["rejected"], 0);
    assert_eq!(sale["stock_left"], 7);
    assert_eq!(sale["loaded"], true);
}

#[tokio::test]
async fn preloading_a_live_sale_changes_nothing() {
    let app = spawn_app().await;
    app.create_sale("live", 10, json!({ "per_user_limit": 5 }))
        .await;
    app.order("live", json!({ "user_id": "a", "quantity": 4 }))
        .await;
    app.wait_until_persisted("live").await;
    let before = app.redis_snapshot("live").await;

    let response = app
        .admin_post("/admin/sales/live/preload", &json!({}))
        .await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["preload"], "kept");
    assert_eq!(body["stock_left"], 6);
    assert_eq!(app.redis_snapshot("live").await, before);
}

#[tokio::test]
async fn preloading_after_redis_lost_the_sale_restores_stock_and_buyer_limits() {
    let app = spawn_app().await;
    app.create_sale("lost", 10, json!({ "per_user_limit": 2 }))
        .await;
    app.order("lost", json!({ "user_id": "a", "quantity": 2 }))
        .await;
    app.order("lost", json!({ "user_id": "b", "quantity": 1 }))
        .await;
    app.wait_until_persisted("lost").await;
    let keys = app.sale_keys("lost");
    let _: () = app.redis.clone().del(&keys.all()).await.unwrap();
    assert_eq!(app.get("/api/sales/lost").await.status(), 404);

    let response = app
        .admin_post("/admin/sales/lost/preload", &json!({}))
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["preload"], "loaded");
    assert_eq!(body["stock_left"], 7);
    assert_eq!(body["reserved"], 3);
    assert_eq!(body["pending"], 0);

    let again = app.order("lost", json!({ "user_id": "a" })).await;
    assert_eq!(again.status(), 409, "the buyer's limit survived the loss");
    assert_eq!(
        app.order("lost", json!({ "user_id": "b" })).await.status(),
        202
    );
    let sale = app.wait_until_persisted("lost").await;
    assert_eq!(sale["confirmed"], 4);
    assert_eq!(sale["stock_left"], 6);
}

#[tokio::test]
async fn restocking_adds_to_the_total_and_the_live_counter() {
    let app = spawn_app().await;
    app.create_sale("more", 5, json!({})).await;
    app.order("more", json!({ "user_id": "a" })).await;

    let response = app
        .admin_post("/admin/sales/more/restock", &json!({ "quantity": 10 }))
        .await;

    assert_eq!(response.status(), 200);
    let sale: Value = response.json().await.unwrap();
    assert_eq!(sale["stock_total"], 15);
    assert_eq!(sale["stock_left"], 14);
    let total: i64 = sqlx::query_scalar("SELECT stock_total FROM sales WHERE id = 'more'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(total, 15);
}

#[tokio::test]
async fn restocking_past_a_billion_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_sale("big", 999_999_999, json!({})).await;

    let response = app
        .admin_post("/admin/sales/big/restock", &json!({ "quantity": 2 }))
        .await;

    assert_problem(response, 400, "invalid_request").await;
    assert_eq!(app.stock_left("big").await, 999_999_999);
}

#[tokio::test]
async fn admin_calls_on_unknown_sales_are_not_found() {
    let app = spawn_app().await;
    let get = app.admin_get("/admin/sales/ghost").await;
    let preload = app
        .admin_post("/admin/sales/ghost/preload", &json!({}))
        .await;
    let restock = app
        .admin_post("/admin/sales/ghost/restock", &json!({ "quantity": 1 }))
        .await;
    for response in [get, preload, restock] {
        assert_problem(response, 404, "sale_not_found").await;
    }
}

#[tokio::test]
async fn every_admin_endpoint_refuses_a_missing_or_wrong_token_and_changes_nothing() {
    let app = spawn_app().await;
    app.create_sale("guarded", 5, json!({})).await;
    let calls = [
        (
            "POST",
            "/admin/sales",
            json!({ "id": "intruder", "stock": 5 }),
        ),
        ("GET", "/admin/sales/guarded", json!({})),
        ("POST", "/admin/sales/guarded/preload", json!({})),
        (
            "POST",
            "/admin/sales/guarded/restock",
            json!({ "quantity": 100 }),
        ),
    ];
    let wrong_tokens = [
        None,
        Some("Bearer wrong-token-wrong-token".to_owned()),
        Some(format!("Bearer {}x", ADMIN_TOKEN)),
        Some(format!("Basic {ADMIN_TOKEN}")),
        Some(format!("Bearer {}", &ADMIN_TOKEN[..ADMIN_TOKEN.len() - 1])),
    ];
    for (method, path, body) in &calls {
        for token in &wrong_tokens {
            let mut request = app
                .http
                .request(method.parse().unwrap(), format!("{}{path}", app.address))
                .json(body);
            if let Some(token) = token {
                request = request.header("Authorization", token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{method} {path} with {token:?}");
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
            assert_eq!(
                response.json::<Value>().await.unwrap()["code"],
                "unauthorized"
            );
        }
    }
    assert_eq!(app.stock_left("guarded").await, 5);
    assert_eq!(app.get("/api/sales/intruder").await.status(), 404);
}

#[tokio::test]
async fn preloading_counts_orders_still_waiting_in_redis_as_taken() {
    let app = crate::helpers::spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("half-lost", 10, json!({ "per_user_limit": 3 }))
        .await;
    app.order("half-lost", json!({ "user_id": "a", "quantity": 3 }))
        .await;
    let keys = app.sale_keys("half-lost");
    // Redis lost the sale and its buyers but not the orders waiting for the persister.
    let _: () = app
        .redis
        .clone()
        .del(&[&keys.sale, &keys.buyers])
        .await
        .unwrap();

    let response = app
        .admin_post("/admin/sales/half-lost/preload", &json!({}))
        .await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["preload"], "loaded");
    assert_eq!(body["stock_left"], 7);
    assert_eq!(body["reserved"], 3);
    assert_eq!(body["pending"], 3);
    assert_eq!(
        app.order("half-lost", json!({ "user_id": "a" }))
            .await
            .status(),
        409
    );
}
