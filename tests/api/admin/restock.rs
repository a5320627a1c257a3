//! Restocking: the total and the live counter move together, within the billion cap.
use crate::helpers::{assert_problem, spawn_app};
use serde_json::{Value, json};

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
