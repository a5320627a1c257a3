//! Bad admin input: invalid sale definitions and restock quantities create and change nothing.
use crate::helpers::{assert_problem, spawn_app};
use serde_json::json;

#[tokio::test]
async fn invalid_sale_definitions_are_refused_and_create_nothing() {
    let app = spawn_app().await;
    let cases = [
        json!({ "id": "x", "stock": -1 }),
        json!({ "id": "x", "stock": 1_000_000_001i64 }),
        json!({ "id": "x", "stock": "10" }),
        json!({ "id": "x" }),
        json!({ "id": "x", "stock": 1, "per_user_limit": 0 }),
        json!({ "id": "x", "stock": 1, "per_user_limit": 1001 }),
        json!({ "id": "s".repeat(65), "stock": 1 }),
        json!({ "id": "", "stock": 1 }),
        json!({ "id": "with space", "stock": 1 }),
        json!({ "id": "x", "stock": 1, "name": "n".repeat(201) }),
        json!({ "id": "x", "stock": 1, "starts_at": "soon" }),
        json!({ "id": "x", "stock": 1, "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2029-01-01T00:00:00Z" }),
    ];
    for body in &cases {
        let response = app.admin_post("/admin/sales", body).await;
        let problem = assert_problem(response, 400, "invalid_request").await;
        assert!(!problem["detail"].as_str().unwrap().is_empty());
    }
    let sales: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sales")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sales, 0);
}

#[tokio::test]
async fn invalid_restock_quantities_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.create_sale("steady", 5, json!({})).await;
    for body in [
        json!({ "quantity": 0 }),
        json!({ "quantity": -1 }),
        json!({}),
        json!({ "quantity": "1" }),
    ] {
        let response = app.admin_post("/admin/sales/steady/restock", &body).await;
        assert_problem(response, 400, "invalid_request").await;
    }
    assert_eq!(app.stock_left("steady").await, 5);
}
