//! `GET /admin/sales`: every sale, newest first, page by page with an opaque cursor.
use crate::helpers::{assert_problem, spawn_app};
use serde_json::{Value, json};

async fn page(app: &crate::helpers::TestApp, query: &str) -> Value {
    let response = app.admin_get(&format!("/admin/sales{query}")).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

fn ids(page: &Value) -> Vec<String> {
    let sales = page["sales"].as_array().unwrap();
    sales
        .iter()
        .map(|sale| sale["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn pages_walk_every_sale_newest_first_without_gaps_or_repeats() {
    let app = spawn_app().await;
    for id in ["s1", "s2", "s3", "s4", "s5"] {
        assert_eq!(app.create_sale(id, 10, json!({})).await.status(), 201);
    }
    app.admin_post("/admin/sales/s4/pause", &json!({})).await;

    let first = page(&app, "?limit=2").await;
    assert_eq!(ids(&first), ["s5", "s4"]);
    assert_eq!(first["sales"][1]["state"], "paused");
    assert_eq!(first["sales"][0]["state"], "active");
    assert_eq!(first["sales"][0]["stock_total"], 10);
    assert_eq!(first["sales"][0]["confirmed"], 0);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = page(&app, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&second), ["s3", "s2"]);
    let cursor = second["next_cursor"].as_str().unwrap();
    let last = page(&app, &format!("?limit=2&cursor={cursor}")).await;
    assert_eq!(ids(&last), ["s1"]);
    assert_eq!(last["next_cursor"], Value::Null);

    let all = page(&app, "").await;
    assert_eq!(ids(&all), ["s5", "s4", "s3", "s2", "s1"]);
    assert_eq!(all["next_cursor"], Value::Null);
    let exact = page(&app, "?limit=5").await;
    assert_eq!(exact["next_cursor"], Value::Null);
}

#[tokio::test]
async fn an_empty_listing_is_an_empty_page() {
    let app = spawn_app().await;
    assert_eq!(
        page(&app, "").await,
        json!({ "sales": [], "next_cursor": null })
    );
}

#[tokio::test]
async fn bad_limits_and_cursors_are_refused() {
    let app = spawn_app().await;
    app.create_sale("s1", 10, json!({})).await;
    for query in [
        "?limit=0",
        "?limit=101",
        "?limit=ten",
        "?limit=-1",
        "?cursor=garbage",
        "?cursor=123.bad%20id",
        "?limit=1&limit=2",
    ] {
        let response = app.admin_get(&format!("/admin/sales{query}")).await;
        assert_problem(response, 400, "invalid_request").await;
    }
    let response = app
        .http
        .get(format!("{}/admin/sales", app.address))
        .send()
        .await
        .unwrap();
    assert_problem(response, 401, "unauthorized").await;
}
