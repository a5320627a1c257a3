//! HTTP-level abuse on any route: oversized bodies and headers, unknown paths, slow clients.
use crate::helpers::{ADMIN_TOKEN, assert_problem, spawn_app};
use serde_json::json;

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
