//! Creating and reading sales: what a new sale looks like, defaults, conflicts, the counters.
use crate::helpers::{assert_problem, spawn_app};
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
    let mut sale: Value = response.json().await.unwrap();
    assert_eq!(sale["id"], "spring");
    assert_eq!(sale["name"], "Spring");
    assert_eq!(sale["stock_total"], 500);
    assert_eq!(sale["stock_left"], 500);
    assert_eq!(sale["per_user_limit"], 3);
    assert_eq!(sale["state"], "active");
    assert_eq!(sale["ends_at"], "2999-01-01T00:00:00Z");
    assert_eq!(app.stock_left("spring").await, 500);
    assert_eq!(
        sale.as_object_mut().unwrap().remove("buckets"),
        Some(json!(1))
    );
    let public: Value = app.get("/api/sales/spring").await.json().await.unwrap();
    assert_eq!(
        public, sale,
        "the public view is the answer without `buckets`"
    );
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
