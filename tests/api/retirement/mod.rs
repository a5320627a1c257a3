//! Retirement: an ended, fully persisted sale leaves Redis after its retention, and Postgres
//! answers for it from then on.
mod answers;
mod memory;

use crate::helpers::TestApp;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Retention 1 s, a check every 100 ms: a sale retires about `AFTER_END` (5 s) after its end.
pub fn retire_quickly(settings: &mut flashsale::configuration::Settings) {
    settings.persister.sale_retention_s = 1;
    settings.persister.retire_check_ms = 100;
}

/// Polls the admin view until the sale retired and Redis let its keys go.
pub async fn wait_until_retired(app: &TestApp, sale: &str) -> Value {
    let started = Instant::now();
    loop {
        let view = app.admin_sale(sale).await;
        if view["retired"] == true {
            return view;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{sale} not retired: {view}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
