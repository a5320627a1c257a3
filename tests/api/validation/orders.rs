//! Bad order requests: the body, the sale id in the path, the idempotency key, the content type.
use crate::helpers::{TestApp, assert_problem, spawn_app};
use serde_json::json;

async fn raw_order(app: &TestApp, sale: &str, body: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/api/sales/{sale}/orders", app.address))
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_order_bodies_are_invalid_requests_that_take_nothing() {
    let app = spawn_app().await;
    app.create_sale("strict", 10, json!({ "per_user_limit": 1000 }))
        .await;
    let before = app.redis_snapshot("strict").await;
    let long_user = "u".repeat(65);
    let bodies = [
        "{not json".to_owned(),
        "[]".to_owned(),
        r#"{"quantity": 1}"#.to_owned(),
        r#"{"user_id": 42}"#.to_owned(),
        r#"{"user_id": "u", "quantity": "1"}"#.to_owned(),
        r#"{"user_id": "u", "quantity": 1.5}"#.to_owned(),
        r#"{"user_id": "u", "quantity": 0}"#.to_owned(),
        r#"{"user_id": "u", "quantity": -3}"#.to_owned(),
        r#"{"user_id": "u", "quantity": 1001}"#.to_owned(),
        r#"{"user_id": "u", "quantity": 99999999999999999999999}"#.to_owned(),
        r#"{"user_id": ""}"#.to_owned(),
        format!(r#"{{"user_id": "{long_user}"}}"#),
        r#"{"user_id": "tab\there"}"#.to_owned(),
        r#"{"user_id": "nul\u0000"}"#.to_owned(),
    ];
    for body in &bodies {
        let response = raw_order(&app, "strict", body).await;
        assert_problem(response, 400, "invalid_request").await;
    }
    assert_eq!(app.redis_snapshot("strict").await, before);
}

#[tokio::test]
async fn unknown_fields_are_ignored() {
    let app = spawn_app().await;
    app.create_sale("lenient", 10, json!({})).await;

    let response = raw_order(&app, "lenient", r#"{"user_id": "u", "coupon": "FREE"}"#).await;

    assert_eq!(response.status(), 202);
}

#[tokio::test]
async fn a_bad_sale_id_in_the_path_is_an_invalid_request() {
    let app = spawn_app().await;
    let long_id = "s".repeat(65);
    for sale in [long_id.as_str(), "bad%20id", "a.b"] {
        let response = app.order(sale, json!({ "user_id": "u" })).await;
        assert_problem(response, 400, "invalid_request").await;
        let response = app.get(&format!("/api/sales/{sale}")).await;
        assert_problem(response, 400, "invalid_request").await;
    }
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_refused_before_anything_is_taken() {
    let app = spawn_app().await;
    app.create_sale("keys", 10, json!({})).await;
    let before = app.redis_snapshot("keys").await;
    let long_key = "k".repeat(129);
    for key in ["has space", long_key.as_str(), ""] {
        let response = app
            .order_with_key("keys", json!({ "user_id": "u" }), Some(key))
            .await;
        assert_problem(response, 400, "invalid_request").await;
    }
    assert_eq!(app.redis_snapshot("keys").await, before);
}

#[tokio::test]
async fn a_non_json_content_type_is_an_invalid_request() {
    let app = spawn_app().await;
    app.create_sale("typed", 5, json!({})).await;

    let response = app
        .http
        .post(format!("{}/api/sales/typed/orders", app.address))
        .header("Content-Type", "text/plain")
        .body(r#"{"user_id": "u"}"#)
        .send()
        .await
        .unwrap();

    assert_problem(response, 400, "invalid_request").await;
    assert_eq!(app.stock_left("typed").await, 5);
}
