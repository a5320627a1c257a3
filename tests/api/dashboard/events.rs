//! `GET /admin/dashboard` and `GET /admin/dashboard/events` over plain HTTP: the page's
//! headers, the stream's token check and first event, and graceful stops (the test's and
//! SIGTERM's) with a page open.
use crate::helpers::{ADMIN_TOKEN, ServerProcess, assert_problem, spawn_app};
use serde_json::{Value, json};
use std::time::Duration;

#[tokio::test]
async fn the_page_is_served_without_the_token_under_a_policy_that_allows_only_itself() {
    let app = spawn_app().await;
    let response = app.get("/admin/dashboard").await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'self';"), "{policy}");
    assert!(policy.contains("script-src 'sha256-"), "{policy}");
    let page = response.text().await.unwrap();
    assert!(
        page.contains("/admin/dashboard/events"),
        "the page reads the stream"
    );
    assert!(!page.contains(ADMIN_TOKEN));
}

/// Reads the stream until its next complete event, and parses its data as JSON.
pub async fn next_event(body: &mut reqwest::Response, buffer: &mut String) -> Option<Value> {
    loop {
        if let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let data = event
                .strip_prefix("data: ")
                .expect("a data line")
                .trim_end();
            return Some(serde_json::from_str(data).unwrap());
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.chunk())
            .await
            .expect("an event within 10 s")
            .ok()??;
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

#[tokio::test]
async fn the_stream_needs_the_token_sends_each_active_sale_every_second_and_ends_on_stop() {
    let mut app = spawn_app().await;
    let anonymous = app.get("/admin/dashboard/events").await;
    assert_problem(anonymous, 401, "unauthorized").await;
    let wrong = app
        .http
        .get(format!("{}/admin/dashboard/events", app.address))
        .bearer_auth("not-the-admin-token-at-all")
        .send()
        .await
        .unwrap();
    assert_problem(wrong, 401, "unauthorized").await;
    assert_eq!(app.create_sale("watched", 7, json!({})).await.status(), 201);
    let response = app.admin_get("/admin/dashboard/events").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let mut body = response;
    let mut buffer = String::new();

    let first = next_event(&mut body, &mut buffer).await.expect("an event");
    for field in ["at", "backlog", "persister", "sales"] {
        assert!(!first[field].is_null(), "{field} missing from {first}");
    }
    let sale = &first["sales"][0];
    assert_eq!(sale["id"], "watched", "{first}");
    for (field, value) in [("stock_total", 7), ("stock_left", 7), ("reserved", 0)] {
        assert_eq!(sale[field], value, "{field} in {sale}");
    }
    for field in [
        "state",
        "confirmed",
        "pending",
        "dead_letters",
        "lag_seconds",
    ] {
        assert!(!sale[field].is_null(), "{field} missing from {sale}");
    }
    assert_eq!(sale["sold_out_answers"], 0);

    let started = std::time::Instant::now();
    let second = next_event(&mut body, &mut buffer)
        .await
        .expect("a second event");
    // One a second; the margin is for a loaded 2-core CI machine.
    assert!(started.elapsed() < Duration::from_millis(2500));
    assert_ne!(
        first["at"], second["at"],
        "a new snapshot, not the same one again"
    );

    // A graceful stop would wait for an open stream until actix's 30 s shutdown timeout.
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("the server stops with a page open");
    let after = tokio::time::timeout(Duration::from_secs(5), async {
        while next_event(&mut body, &mut buffer).await.is_some() {}
    });
    after.await.expect("the stream ends when the server stops");
}

#[tokio::test]
async fn sigterm_stops_the_real_server_at_once_with_a_page_open() {
    let app = spawn_app().await;
    let mut server = ServerProcess::start(&app.settings).await;
    let mut body = app
        .http
        .get(format!("{}/admin/dashboard/events", server.address))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    let mut buffer = String::new();
    next_event(&mut body, &mut buffer).await.expect("an event");

    let status = server
        .terminate(Duration::from_secs(10))
        .await
        .expect("the server exits within 10 s, not actix's 30 s shutdown timeout");
    assert!(status.success(), "{status}");
    while next_event(&mut body, &mut buffer).await.is_some() {}
}
