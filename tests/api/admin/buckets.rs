//! A sale's `buckets`: recorded in Postgres, shown to operators, validated, and part of what
//! makes a repeated create a retry rather than a conflict.
use crate::helpers::{TestApp, assert_problem, spawn_app};
use serde_json::{Value, json};

async fn stored_buckets(app: &TestApp, sale: &str) -> Option<i16> {
    sqlx::query_scalar("SELECT buckets FROM sales WHERE id = $1")
        .bind(sale)
        .fetch_optional(&app.db)
        .await
        .unwrap()
}

async fn listed_buckets(app: &TestApp) -> Vec<Value> {
    let page: Value = app.admin_get("/admin/sales").await.json().await.unwrap();
    let sales = page["sales"].as_array().unwrap();
    sales.iter().map(|sale| sale["buckets"].clone()).collect()
}

#[tokio::test]
async fn a_split_sale_shows_its_buckets_to_operators_only() {
    let app = spawn_app().await;

    let response = app.create_sale("split", 80, json!({ "buckets": 8 })).await;

    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["buckets"], 8);
    assert_eq!(app.admin_sale("split").await["buckets"], 8);
    assert_eq!(stored_buckets(&app, "split").await, Some(8));
    assert_eq!(listed_buckets(&app).await, [8]);
    let public: Value = app.get("/api/sales/split").await.json().await.unwrap();
    assert_eq!(public.get("buckets"), None, "{public}");
}

#[tokio::test]
async fn a_sale_without_buckets_has_one() {
    let app = spawn_app().await;

    let created: Value = app
        .create_sale("whole", 5, json!({ "buckets": null }))
        .await
        .json()
        .await
        .unwrap();

    assert_eq!(created["buckets"], 1);
    assert_eq!(app.admin_sale("whole").await["buckets"], 1);
    assert_eq!(stored_buckets(&app, "whole").await, Some(1));
    assert_eq!(listed_buckets(&app).await, [1]);
}

#[tokio::test]
async fn buckets_outside_one_to_sixty_four_or_not_integers_are_refused_and_create_nothing() {
    let app = spawn_app().await;
    for buckets in [
        json!(0),
        json!(65),
        json!(-1),
        json!("x"),
        json!("8"),
        json!(1.5),
    ] {
        let response = app
            .create_sale("refused", 10, json!({ "buckets": buckets }))
            .await;

        let problem = assert_problem(response, 400, "invalid_request").await;
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("buckets"), "{buckets}: {detail}");
    }
    assert_eq!(stored_buckets(&app, "refused").await, None);
}

#[tokio::test]
async fn a_repeated_create_with_other_buckets_is_a_conflict_that_keeps_the_first() {
    let app = spawn_app().await;
    let split = json!({ "buckets": 8 });
    assert_eq!(
        app.create_sale("hot", 80, split.clone()).await.status(),
        201
    );

    let retried = app.create_sale("hot", 80, split).await;
    assert_eq!(retried.status(), 201);
    let retried: Value = retried.json().await.unwrap();
    assert_eq!(retried["buckets"], 8);
    for other in [json!({ "buckets": 4 }), json!({})] {
        let response = app.create_sale("hot", 80, other).await;
        assert_problem(response, 409, "sale_exists").await;
    }
    assert_eq!(stored_buckets(&app, "hot").await, Some(8));
    assert_eq!(app.admin_sale("hot").await["buckets"], 8);
}
