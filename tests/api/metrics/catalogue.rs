//! Every metric the shipped dashboard and alert rules name exists in a real scrape: a renamed or
//! dropped metric fails here, not silently on a dashboard that shows nothing.
use super::scrape;
use crate::helpers::spawn_app;
use serde_json::json;
use std::collections::BTreeSet;

const DEPLOY_FILES: [&str; 2] = [
    "deploy/grafana/flashsale.json",
    "deploy/prometheus/alerts.yml",
];

#[tokio::test]
async fn every_metric_the_dashboard_and_the_alerts_use_is_exported() {
    let app = spawn_app().await;
    app.create_sale("catalogued", 5, json!({})).await;
    let response = app.order("catalogued", json!({ "user_id": "a" })).await;
    assert_eq!(response.status(), 202);
    app.wait_until_persisted("catalogued").await;

    let text = scrape(&app).await;
    let exported: BTreeSet<&str> = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split(['{', ' ']).next())
        .collect();

    let mut referenced = BTreeSet::new();
    for file in DEPLOY_FILES {
        let path = format!("{}/{file}", env!("CARGO_MANIFEST_DIR"));
        let content = std::fs::read_to_string(&path).unwrap();
        referenced.extend(metric_names(&content));
    }
    assert!(
        referenced.len() >= 15,
        "the files name the metrics they use: {referenced:?}"
    );
    let missing: Vec<&String> = referenced
        .iter()
        .filter(|name| !exported.contains(name.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "named in deploy/ but not exported: {missing:?}\n{text}"
    );
}

/// Every `flashsale_…` or `process_…` word of the text.
fn metric_names(text: &str) -> BTreeSet<String> {
    let is_name = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
    let mut names = BTreeSet::new();
    for prefix in ["flashsale_", "process_"] {
        for (at, _) in text.match_indices(prefix) {
            let starts_word = !text[..at].ends_with(is_name);
            let name: String = text[at..].chars().take_while(|c| is_name(*c)).collect();
            if starts_word {
                names.insert(name);
            }
        }
    }
    names
}
