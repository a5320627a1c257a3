//! Many buyers at once: exactly the stock is sold, and one buyer never gets past the limit.
//! Attempts overlapping in time go to Redis in batches (the group commit), so these also prove
//! that batching changes no answer.
use crate::helpers::{TestApp, spawn_app};
use futures::StreamExt;
use futures::future::join_all;
use serde_json::{Value, json};
use std::collections::HashSet;

#[tokio::test]
async fn two_thousand_concurrent_buyers_get_exactly_the_stock_and_postgres_gets_every_order() {
    two_thousand_buyers_for_a_hundred_units(2000).await;
}

#[tokio::test]
async fn two_thousand_buyers_over_1024_connections_get_exactly_the_stock() {
    two_thousand_buyers_for_a_hundred_units(1024).await;
}

/// 2,000 buyers, one unit each, at most `connections` requests (each on its own connection)
/// in flight at once.
async fn two_thousand_buyers_for_a_hundred_units(connections: usize) {
    let app = spawn_app().await;
    app.create_sale("hot", 100, json!({})).await;

    let attempts = (0..2000).map(|n| app.order("hot", json!({ "user_id": format!("buyer-{n}") })));
    let responses: Vec<_> = futures::stream::iter(attempts)
        .buffer_unordered(connections)
        .collect()
        .await;

    let mut accepted = 0;
    let mut sold_out = 0;
    for response in responses {
        match response.status().as_u16() {
            202 => accepted += 1,
            409 => {
                let problem: Value = response.json().await.unwrap();
                assert_eq!(problem["code"], "sold_out");
                sold_out += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((accepted, sold_out), (100, 1900));
    assert_eq!(app.stock_left("hot").await, 0);
    assert_everything_persisted(&app).await;
}

async fn assert_everything_persisted(app: &TestApp) {
    let sale = app.wait_until_persisted("hot").await;
    assert_eq!(sale["confirmed"], 100);
    let orders = app.orders_in_postgres("hot").await;
    assert_eq!(orders.len(), 100);
    assert_eq!(orders.iter().map(|(_, q, _)| q).sum::<i32>(), 100);
    let buyers: HashSet<_> = orders.iter().map(|(user, _, _)| user).collect();
    assert_eq!(buyers.len(), 100, "a buyer got two orders");
    assert!(orders.iter().all(|(_, _, status)| status == "confirmed"));
    let sold: i64 = sqlx::query_scalar("SELECT sold FROM sales WHERE id = 'hot'")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(sold, 100);
}

#[tokio::test]
async fn one_buyer_firing_fifty_parallel_requests_gets_only_the_limit() {
    let app = spawn_app().await;
    app.create_sale("limited", 1000, json!({ "per_user_limit": 2 }))
        .await;

    let attempts = (0..50).map(|_| app.order("limited", json!({ "user_id": "greedy" })));
    let statuses: Vec<u16> = join_all(attempts)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();

    assert_eq!(statuses.iter().filter(|s| **s == 202).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 48);
    assert_eq!(app.stock_left("limited").await, 998);
}
