//! An accepted order: where to follow it, pending until persisted, then confirmed.
use crate::helpers::{assert_problem, spawn_app};
use serde_json::{Value, json};

#[tokio::test]
async fn an_accepted_order_says_where_to_follow_it_and_ends_confirmed() {
    let app = spawn_app().await;
    app.create_sale("follow", 10, json!({ "per_user_limit": 5 }))
        .await;

    let response = app
        .order("follow", json!({ "user_id": "alice", "quantity": 2 }))
        .await;
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let accepted: Value = response.json().await.unwrap();
    assert_eq!(accepted["status"], "pending");
    assert_eq!(accepted["sale_id"], "follow");
    assert_eq!(accepted["user_id"], "alice");
    assert_eq!(accepted["quantity"], 2);
    let order_id = accepted["order_id"].as_str().unwrap();
    assert_eq!(location, format!("/api/sales/follow/orders/{order_id}"));

    app.wait_until_persisted("follow").await;
    let order: Value = app.get(&location).await.json().await.unwrap();
    assert_eq!(order["status"], "confirmed");
    assert_eq!(order["order_id"], order_id);
    assert_eq!(order["quantity"], 2);
    assert_eq!(order["user_id"], "alice");
    assert_eq!(order["created_at"], accepted["created_at"]);
}

#[tokio::test]
async fn an_order_not_yet_persisted_reads_as_pending() {
    let app = crate::helpers::spawn_app_with(|s| s.persister.enabled = false).await;
    app.create_sale("slow", 10, json!({})).await;

    let accepted: Value = app
        .order("slow", json!({ "user_id": "bob" }))
        .await
        .json()
        .await
        .unwrap();
    let order_id = accepted["order_id"].as_str().unwrap();

    let order: Value = app
        .get(&format!("/api/sales/slow/orders/{order_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "pending");
    assert_eq!(order["user_id"], "bob");
    let unknown = app
        .get(&format!("/api/sales/slow/orders/{}", uuid::Uuid::now_v7()))
        .await;
    assert_problem(unknown, 404, "order_not_found").await;
}
