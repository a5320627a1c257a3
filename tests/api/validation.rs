//! Bad input: every kind gets its documented problem document and changes nothing.
use crate::helpers::{ADMIN_TOKEN, TestApp, assert_problem, spawn_app};
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
async fn bodies_over_sixteen_kib_are_too_large_on_every_route() {
    let app = spawn_app().await;
    app.create_sale("huge", 10, json!({})).await;
    let padding = "x".repeat(17 * 1024);
    let calls = [
        (
            "/api/sales/huge/orders",
            format!(r#"{{"user_id": "u", "padding": "{padding}"}}"#),
        ),
        (
            "/admin/sales",
            format!(r#"{{"stock": 1, "name": "{padding}"}}"#),
        ),
        (
            "/admin/sales/huge/restock",
            format!(r#"{{"quantity": 5, "pad": "{padding}"}}"#),
        ),
        ("/admin/sales/huge/preload", padding.clone()),
    ];
    for (path, body) in calls {
        let response = app
            .http
            .post(format!("{}{path}", app.address))
            .bearer_auth(ADMIN_TOKEN)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(response, 413, "payload_too_large").await;
    }
    assert_eq!(app.stock_left("huge").await, 10);
}

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

#[tokio::test]
async fn unknown_paths_and_wrong_methods_get_problem_documents() {
    let app = spawn_app().await;

    assert_problem(app.get("/nowhere").await, 404, "not_found").await;
    let wrong_method = app
        .http
        .delete(format!("{}/api/sales/x/orders", app.address))
        .send()
        .await
        .unwrap();
    assert_problem(wrong_method, 405, "method_not_allowed").await;
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

#[tokio::test]
async fn a_client_trickling_its_body_gets_a_timeout_and_takes_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = crate::helpers::spawn_app_with(|s| s.request_timeout_ms = 300).await;
    app.create_sale("slowpoke", 10, json!({})).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();

    socket
        .write_all(
            b"POST /api/sales/slowpoke/orders HTTP/1.1\r\nHost: x\r\n\
              Content-Type: application/json\r\nContent-Length: 30\r\n\r\n{\"user",
        )
        .await
        .unwrap();
    let mut response = vec![0; 1024];
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        socket.read(&mut response),
    )
    .await
    .expect("the server answers before the client finishes")
    .unwrap();

    let head = String::from_utf8_lossy(&response[..read]);
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    assert!(head.contains("request_timeout"), "{head}");
    assert_eq!(app.stock_left("slowpoke").await, 10);
}

#[tokio::test]
async fn oversized_or_too_many_headers_are_refused_without_a_server_error() {
    let app = spawn_app().await;
    app.create_sale("headers", 10, json!({})).await;
    let order = || {
        app.http
            .post(format!("{}/api/sales/headers/orders", app.address))
            .json(&json!({ "user_id": "u" }))
    };
    let many = |count: usize| {
        let mut headers = reqwest::header::HeaderMap::new();
        for n in 0..count {
            let name = format!("x-filler-{n}");
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap();
            headers.insert(name, "1".parse().unwrap());
        }
        headers
    };

    // Over this service's limits: a problem document.
    let big = order()
        .header("X-Big", "h".repeat(10 * 1024))
        .send()
        .await
        .unwrap();
    assert_problem(big, 431, "headers_too_large").await;
    let numerous = order().headers(many(70)).send().await.unwrap();
    assert_problem(numerous, 431, "headers_too_large").await;
    // Over actix's own limits (32 KiB head, 96 headers): refused before any handler runs.
    let huge = order()
        .header("X-Huge", "h".repeat(40 * 1024))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 431);
    let countless = order().headers(many(120)).send().await.unwrap();
    assert!(
        countless.status().is_client_error(),
        "{}",
        countless.status()
    );

    assert_eq!(app.stock_left("headers").await, 10);
}
