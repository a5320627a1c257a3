//! Who may call the admin API, and what it answers about sales it does not know.
use crate::helpers::{ADMIN_TOKEN, assert_problem, spawn_app};
use serde_json::{Value, json};

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
