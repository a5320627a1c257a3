//! The load generator behind `demo` and `bench` counts what the server answered.
use crate::helpers::spawn_app;
use flashsale::loadgen::{self, Limit, LoadPlan};
use serde_json::json;

#[tokio::test]
async fn the_load_generator_sends_distinct_buyers_and_counts_every_answer() {
    let app = spawn_app().await;
    app.create_sale("generated", 50, json!({})).await;

    let report = loadgen::run(LoadPlan {
        url: format!("{}/api/sales/generated/orders", app.address),
        limit: Limit::Requests(300),
        concurrency: 16,
        user_prefix: "buyer".into(),
    })
    .await
    .unwrap();

    assert_eq!(report.requests, 300);
    assert_eq!(report.count("accepted"), 50, "{:?}", report.outcomes);
    assert_eq!(report.count("sold_out"), 250);
    assert_eq!(report.transport_errors, 0);
    let sale = app.wait_until_persisted("generated").await;
    assert_eq!(sale["confirmed"], 50);
}
