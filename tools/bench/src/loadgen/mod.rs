//! An HTTP load generator: order attempts from distinct buyers over a fixed number of keep-alive
//! connections, until a request count or a duration is reached, every latency recorded in an
//! HDR histogram.
//!
//! Like `wrk`, it runs one single-threaded event loop per CPU, writes each request whole and
//! parses responses in place (with `httparse`, the parser under hyper): hyper's full client
//! cost about 1.5 times wrk's CPU per request, which made the generator, not the server, the
//! bottleneck on a 2-core machine. `flashsale-bench bench` compares it with `wrk`.
mod connection;

use connection::Connection;
use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub enum Limit {
    Requests(u64),
    Duration(Duration),
    /// Whichever comes first: a small sale's stock, or the time a point may take.
    RequestsWithin(u64, Duration),
}

#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// `POST` targets, e.g. `http://127.0.0.1:8080/api/sales/s1/orders`, all on one host and
    /// port: request `n` goes to `urls[n % urls.len()]`, which spreads the load over sales.
    pub urls: Vec<String>,
    pub limit: Limit,
    pub concurrency: usize,
    /// Buyer `n` is `{user_prefix}-{n}`.
    pub user_prefix: String,
}

#[derive(Debug)]
pub struct LoadReport {
    pub requests: u64,
    /// Responses by outcome: `accepted`, or the problem `code` of a refusal (`http_<status>`
    /// when the body has none).
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

pub(crate) struct Target {
    pub(crate) paths: Vec<String>,
    pub(crate) host: String,
    pub(crate) address: String,
}

struct Tally {
    accepted: u64,
    /// Refusals by code.
    outcomes: BTreeMap<String, u64>,
    transport_errors: u64,
    latency: Histogram<u64>,
}

pub async fn run(plan: LoadPlan) -> anyhow::Result<LoadReport> {
    let target = Arc::new(Target::parse(&plan.urls)?);
    let next = Arc::new(AtomicU64::new(0));
    let plan = Arc::new(plan);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(plan.concurrency.max(1));
    let started = Instant::now();
    // One single-threaded runtime per thread, each with its share of the connections, like
    // wrk's event loops: no work stealing, no cross-thread wake-ups.
    let shares: Vec<_> = (0..threads)
        .map(|thread| {
            let connections = plan.concurrency.max(1) / threads
                + usize::from(thread < plan.concurrency.max(1) % threads);
            let (target, plan, next) = (target.clone(), plan.clone(), next.clone());
            std::thread::spawn(move || -> anyhow::Result<Vec<Tally>> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()?;
                runtime.block_on(async move {
                    let workers: Vec<_> = (0..connections)
                        .map(|_| {
                            let worker =
                                worker(target.clone(), plan.clone(), next.clone(), started);
                            tokio::spawn(worker)
                        })
                        .collect();
                    let mut tallies = Vec::with_capacity(workers.len());
                    for worker in workers {
                        tallies.push(worker.await?);
                    }
                    Ok(tallies)
                })
            })
        })
        .collect();
    let mut report = LoadReport {
        requests: 0,
        outcomes: BTreeMap::new(),
        transport_errors: 0,
        elapsed: Duration::ZERO,
        latency: new_histogram(),
    };
    let tallies = tokio::task::spawn_blocking(move || {
        shares
            .into_iter()
            .map(|share| {
                share
                    .join()
                    .map_err(|_| anyhow::anyhow!("a load thread panicked"))?
            })
            .collect::<anyhow::Result<Vec<Vec<Tally>>>>()
    })
    .await??;
    for tally in tallies.into_iter().flatten() {
        if tally.accepted > 0 {
            *report.outcomes.entry("accepted".to_owned()).or_default() += tally.accepted;
        }
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
    target: Arc<Target>,
    plan: Arc<LoadPlan>,
    next: Arc<AtomicU64>,
    started: Instant,
) -> Tally {
    let mut tally = Tally {
        accepted: 0,
        outcomes: BTreeMap::new(),
        transport_errors: 0,
        latency: new_histogram(),
    };
    let mut connection: Option<Connection> = None;
    let mut request = Vec::with_capacity(256);
    while let Some(n) = claim(&plan, &next, started) {
        let sent = Instant::now();
        let outcome = match connection.as_mut() {
            Some(open) => {
                open.exchange(&target, &plan.user_prefix, n, &mut request)
                    .await
            }
            None => match Connection::open(&target.address).await {
                Ok(open) => {
                    connection
                        .insert(open)
                        .exchange(&target, &plan.user_prefix, n, &mut request)
                        .await
                }
                Err(e) => Err(e),
            },
        };
        tally
            .latency
            .saturating_record(sent.elapsed().as_micros() as u64);
        match outcome {
            Ok(None) => tally.accepted += 1,
            Ok(Some(refusal)) => *tally.outcomes.entry(refusal).or_default() += 1,
            Err(_) => {
                tally.transport_errors += 1;
                connection = None;
            }
        }
    }
    tally
}

impl Target {
    fn parse(urls: &[String]) -> anyhow::Result<Self> {
        let uris = urls
            .iter()
            .map(|url| url.parse::<http::Uri>())
            .collect::<Result<Vec<_>, _>>()?;
        let authority = uris
            .first()
            .and_then(|uri| uri.authority())
            .ok_or_else(|| anyhow::anyhow!("the first URL needs a host: {urls:?}"))?;
        if uris.iter().any(|uri| uri.authority() != Some(authority)) {
            anyhow::bail!("every URL of a plan must be on one host and port: {urls:?}");
        }
        Ok(Self {
            host: authority.to_string(),
            address: format!(
                "{}:{}",
                authority.host(),
                authority.port_u16().unwrap_or(80)
            ),
            paths: uris
                .iter()
                .map(|uri| uri.path_and_query().map_or("/", |p| p.as_str()).to_owned())
                .collect(),
        })
    }
}

/// Claims the next request (its number names a distinct buyer); `None` once the plan is done.
fn claim(plan: &LoadPlan, next: &AtomicU64, started: Instant) -> Option<u64> {
    let n = next.fetch_add(1, Ordering::Relaxed);
    let done = match plan.limit {
        Limit::Requests(total) => n >= total,
        Limit::Duration(duration) => started.elapsed() >= duration,
        Limit::RequestsWithin(total, duration) => n >= total || started.elapsed() >= duration,
    };
    (!done).then_some(n)
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to 60 s at 3 significant digits; these bounds are valid, so this cannot fail.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

#[cfg(test)]
mod tests;
