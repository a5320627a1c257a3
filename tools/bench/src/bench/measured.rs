//! One scenario's figures, from the load generator's report, what settled in Postgres, and
//! what it cost each process in CPU time and Redis in memory.
use crate::cost::{Cpu, per};
use crate::loadgen::LoadReport;
use crate::redis_ops::{CommandCost, scripts};
use serde::Serialize;
use std::collections::BTreeMap;

/// Outcomes that are failures of the service rather than refusals.
const ERROR_CODES: [&str; 2] = ["unavailable", "internal"];

#[derive(Debug, Serialize)]
pub struct Measured {
    pub name: String,
    /// On the Redis Cluster: the buckets its sale's stock was split into; `None`: elsewhere.
    pub cluster_buckets: Option<u32>,
    pub connections: usize,
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
    pub costs: Costs,
    /// From `costs`: CPU µs per request of the measured window.
    pub cpu_us_per_request: PerProcess,
    /// From `costs`: CPU µs per order accepted in the measured window (Postgres: per order
    /// persisted in the window).
    pub cpu_us_per_order: PerProcess,
    /// Growth of Redis's `used_memory` per accepted order (warm-up included), once settled.
    pub redis_bytes_per_order: Option<f64>,
    /// Scripts Redis ran beyond one per request of the window: another client's orders on the
    /// shared Redis, whose cost is in this scenario's Redis figures.
    pub others_scripts_in_redis: u64,
}

/// The scenario's sale, once settled.
pub struct Sale {
    /// Accepted, warm-up included.
    pub accepted_total: u64,
    pub stock: i64,
    /// `None`: the bare endpoint, no sale.
    pub orders_in_postgres: Option<i64>,
    /// On the Redis Cluster: the buckets its stock was split into.
    pub cluster_buckets: Option<u32>,
}

/// What a scenario cost, measured around its load.
#[derive(Debug, Serialize)]
pub struct Costs {
    /// A second with no load, just before the measured window.
    pub idle: Cpu,
    /// The measured window only.
    pub load: Cpu,
    /// From the measured window's start until its accepted orders were in Postgres (the
    /// warm-up's were settled before it started): the persister's work is part of an order's
    /// cost.
    pub until_settled: Cpu,
    /// Orders written to Postgres in `until_settled`.
    pub persisted: Option<i64>,
    /// Growth of Redis's `used_memory` from before the sale to after it settled.
    pub redis_bytes: Option<i64>,
    /// Redis's `INFO commandstats` over `until_settled`, the costliest first.
    pub redis_commands: Vec<CommandCost>,
}

/// µs of each process: the server, Redis and Postgres over `until_settled`, the load generator
/// over the measured window.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct PerProcess {
    pub server: Option<f64>,
    /// Every Redis process: on a cluster, masters and replicas.
    pub redis: Option<f64>,
    /// The replicas' part of `redis`.
    pub redis_replicas: Option<f64>,
    pub postgres: Option<f64>,
    pub load_generator: Option<f64>,
}

impl Measured {
    pub fn new(
        name: &str,
        connections: usize,
        report: LoadReport,
        sale: Sale,
        peak_rss: u64,
        costs: Costs,
    ) -> Self {
        let Sale {
            accepted_total,
            stock,
            orders_in_postgres,
            cluster_buckets,
        } = sale;
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
        let accepted = if is_bare { 0 } else { report.count("accepted") };
        let (settled, load) = (&costs.until_settled, &costs.load);
        let persisted = costs.persisted.map_or(0, |n| n.max(0) as u64);
        Self {
            name: name.to_owned(),
            cluster_buckets,
            connections,
            cpu_us_per_request: PerProcess {
                server: per(settled.server_us, report.requests),
                redis: per(settled.redis_us, report.requests),
                redis_replicas: per(settled.redis_replicas_us, report.requests),
                postgres: per(settled.postgres_us, report.requests),
                load_generator: per(load.this_us, report.requests),
            },
            cpu_us_per_order: PerProcess {
                server: per(settled.server_us, accepted),
                redis: per(settled.redis_us, accepted),
                redis_replicas: per(settled.redis_replicas_us, accepted),
                postgres: per(settled.postgres_us, persisted),
                load_generator: per(load.this_us, accepted),
            },
            redis_bytes_per_order: costs.redis_bytes.and_then(|bytes| {
                (accepted_total > 0).then(|| bytes as f64 / accepted_total as f64)
            }),
            others_scripts_in_redis: scripts(&costs.redis_commands).saturating_sub(report.requests),
            requests: report.requests,
            requests_per_second: report.throughput(),
            p50_ms: report.latency_ms(0.50),
            p90_ms: report.latency_ms(0.90),
            p99_ms: report.latency_ms(0.99),
            max_ms: report.latency.max() as f64 / 1000.0,
            accepted,
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
            costs,
        }
    }
}
