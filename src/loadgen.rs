//! An HTTP load generator: a fixed number of order attempts from distinct buyers, over a fixed
//! number of keep-alive connections, with every latency recorded in an HDR histogram.
use hdrhistogram::Histogram;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// `POST` target, e.g. `http://127.0.0.1:8080/api/sales/s1/orders`.
    pub url: String,
    pub requests: u64,
    pub concurrency: usize,
    /// Buyer `n` is `{user_prefix}-{n}`.
    pub user_prefix: String,
}

#[derive(Debug)]
pub struct LoadReport {
    pub requests: u64,
    /// Responses by outcome: `accepted`, or the problem `code` of a refusal.
    pub outcomes: BTreeMap<String, u64>,
    /// Requests that got no HTTP response at all.
    pub transport_errors: u64,
    pub elapsed: Duration,
    /// Microseconds.
    pub latency: Histogram<u64>,
}

impl LoadReport {
    pub fn count(&self, outcome: &str) -> u64 {
        self.outcomes.get(outcome).copied().unwrap_or(0)
    }

    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn latency_ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }
}

#[derive(Deserialize)]
struct Problem {
    code: String,
}

struct Tally {
    outcomes: BTreeMap<String, u64>,
    transport_errors: u64,
    latency: Histogram<u64>,
}

pub async fn run(plan: LoadPlan) -> anyhow::Result<LoadReport> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(plan.concurrency)
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()?;
    let next = Arc::new(AtomicU64::new(0));
    let plan = Arc::new(plan);
    let started = Instant::now();
    let workers: Vec<_> = (0..plan.concurrency.max(1))
        .map(|_| tokio::spawn(worker(client.clone(), plan.clone(), next.clone())))
        .collect();
    let mut report = LoadReport {
        requests: 0,
        outcomes: BTreeMap::new(),
        transport_errors: 0,
        elapsed: Duration::ZERO,
        latency: new_histogram(),
    };
    for worker in workers {
        let tally = worker.await??;
        for (outcome, count) in tally.outcomes {
            *report.outcomes.entry(outcome).or_default() += count;
        }
        report.transport_errors += tally.transport_errors;
        report.latency.add(&tally.latency)?;
    }
    report.elapsed = started.elapsed();
    report.requests = report.latency.len();
    Ok(report)
}

async fn worker(
    client: reqwest::Client,
    plan: Arc<LoadPlan>,
    next: Arc<AtomicU64>,
) -> anyhow::Result<Tally> {
    let mut tally = Tally {
        outcomes: BTreeMap::new(),
        transport_errors: 0,
        latency: new_histogram(),
    };
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        if n >= plan.requests {
            return Ok(tally);
        }
        let body = serde_json::json!({ "user_id": format!("{}-{n}", plan.user_prefix) });
        let sent = Instant::now();
        let outcome = match client.post(&plan.url).json(&body).send().await {
            Ok(response) if response.status().is_success() => {
                response.bytes().await.map(|_| "accepted".to_owned())
            }
            Ok(response) => {
                let status = response.status();
                response.bytes().await.map(|body| {
                    serde_json::from_slice::<Problem>(&body)
                        .map_or_else(|_| format!("http_{}", status.as_u16()), |p| p.code)
                })
            }
            Err(e) => Err(e),
        };
        tally
            .latency
            .saturating_record(sent.elapsed().as_micros() as u64);
        match outcome {
            Ok(outcome) => *tally.outcomes.entry(outcome).or_default() += 1,
            Err(_) => tally.transport_errors += 1,
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to 60 s at 3 significant digits; these bounds are valid, so this cannot fail.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}
