//! `GET /metrics`: the figures read at scrape time (lag, backlog, per-sale gauges) and the
//! catalogue the shipped dashboard and alert rules rely on.
mod catalogue;
mod lag;
mod sales;

use crate::helpers::TestApp;

/// The value of the sample named exactly `series` (name and labels), if the scrape has it.
async fn sample(app: &TestApp, series: &str) -> Option<f64> {
    scrape(app)
        .await
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

async fn scrape(app: &TestApp) -> String {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}
