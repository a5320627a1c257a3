//! One scenario's figures, from the load generator's report and what settled in Postgres.
use crate::loadgen::LoadReport;
use serde::Serialize;
use std::collections::BTreeMap;

/// Outcomes that are failures of the service rather than refusals.
const ERROR_CODES: [&str; 2] = ["unavailable", "internal"];

#[derive(Debug, Serialize)]
pub struct Measured {
    pub name: String,
    pub requests: u64,
    pub requests_per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Accepted during the measured window.
    pub accepted: u64,
    pub refused: BTreeMap<String, u64>,
    /// 5xx answers and requests that got no answer.
    pub errors: u64,
    /// Accepted (warm-up included) beyond the stock.
    pub oversold: u64,
    /// Orders of the scenario's sale in Postgres once everything settled.
    pub orders_in_postgres: Option<i64>,
    /// Accepted (warm-up included) but not in Postgres.
    pub missing_in_postgres: Option<i64>,
    pub peak_rss_mib: f64,
}

impl Measured {
    pub fn new(
        name: &str,
        report: LoadReport,
        accepted_total: u64,
        stock: i64,
        orders_in_postgres: Option<i64>,
        peak_rss: u64,
    ) -> Self {
        let mut refused = BTreeMap::new();
        let mut errors = report.transport_errors;
        for (outcome, count) in &report.outcomes {
            let server_error =
                ERROR_CODES.contains(&outcome.as_str()) || outcome.starts_with("http_5");
            if server_error {
                errors += count;
            } else if outcome != "accepted" {
                refused.insert(outcome.clone(), *count);
            }
        }
        let is_bare = orders_in_postgres.is_none();
        Self {
            name: name.to_owned(),
            requests: report.requests,
            requests_per_second: report.throughput(),
            p50_ms: report.latency_ms(0.50),
            p90_ms: report.latency_ms(0.90),
            p99_ms: report.latency_ms(0.99),
            max_ms: report.latency.max() as f64 / 1000.0,
            accepted: if is_bare { 0 } else { report.count("accepted") },
            refused,
            errors,
            oversold: if is_bare {
                0
            } else {
                (accepted_total as i64 - stock).max(0) as u64
            },
            missing_in_postgres: orders_in_postgres.map(|pg| accepted_total as i64 - pg),
            orders_in_postgres,
            peak_rss_mib: peak_rss as f64 / (1024.0 * 1024.0),
        }
    }
}
