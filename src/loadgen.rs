//! An HTTP load generator: order attempts from distinct buyers over a fixed number of keep-alive
//! connections, until a request count or a duration is reached, every latency recorded in an
//! HDR histogram.
//!
//! Each connection is a bare hyper HTTP/1.1 client connection driven by its own task: no pool,
//! no redirects, no per-request allocation beyond the body, so the generator costs as little
//! CPU as it can and the server gets the rest (`flashsale bench` compares it with `wrk`).
use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::header::{CONTENT_TYPE, HOST};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

#[derive(Debug, Clone, Copy)]
pub enum Limit {
    Requests(u64),
    Duration(Duration),
}

#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// `POST` target, e.g. `http://127.0.0.1:8080/api/sales/s1/orders`.
    pub url: String,
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

#[derive(Deserialize)]
struct Problem {
    code: String,
}

struct Target {
    uri: Uri,
    host: String,
    address: String,
}

struct Tally {
    outcomes: BTreeMap<String, u64>,
    transport_errors: u64,
    latency: Histogram<u64>,
}

pub async fn run(plan: LoadPlan) -> anyhow::Result<LoadReport> {
    let uri: Uri = plan.url.parse()?;
    let authority = uri
        .authority()
        .ok_or_else(|| anyhow::anyhow!("the URL needs a host: {}", plan.url))?;
    let target = Arc::new(Target {
        host: authority.to_string(),
        address: format!(
            "{}:{}",
            authority.host(),
            authority.port_u16().unwrap_or(80)
        ),
        uri: uri.path_and_query().map_or("/", |p| p.as_str()).parse()?,
    });
    let next = Arc::new(AtomicU64::new(0));
    let plan = Arc::new(plan);
    let started = Instant::now();
    let workers: Vec<_> = (0..plan.concurrency.max(1))
        .map(|_| tokio::spawn(worker(target.clone(), plan.clone(), next.clone(), started)))
        .collect();
    let mut report = LoadReport {
        requests: 0,
        outcomes: BTreeMap::new(),
        transport_errors: 0,
        elapsed: Duration::ZERO,
        latency: new_histogram(),
    };
    for worker in workers {
        let tally = worker.await?;
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
        outcomes: BTreeMap::new(),
        transport_errors: 0,
        latency: new_histogram(),
    };
    let mut connection = None;
    loop {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let done = match plan.limit {
            Limit::Requests(total) => n >= total,
            Limit::Duration(duration) => started.elapsed() >= duration,
        };
        if done {
            return tally;
        }
        let sent = Instant::now();
        let outcome = send(&target, &mut connection, &plan.user_prefix, n).await;
        tally
            .latency
            .saturating_record(sent.elapsed().as_micros() as u64);
        match outcome {
            Some(outcome) => *tally.outcomes.entry(outcome).or_default() += 1,
            None => {
                tally.transport_errors += 1;
                connection = None;
            }
        }
    }
}

/// One request on the worker's connection (opened on first use or after an error); `None`
/// when no response came back.
async fn send(
    target: &Target,
    connection: &mut Option<http1::SendRequest<Full<Bytes>>>,
    user_prefix: &str,
    n: u64,
) -> Option<String> {
    if connection.is_none() {
        let stream = TcpStream::connect(&target.address).await.ok()?;
        stream.set_nodelay(true).ok()?;
        let (sender, driver) = http1::handshake(TokioIo::new(stream)).await.ok()?;
        tokio::spawn(driver);
        *connection = Some(sender);
    }
    let sender = connection.as_mut()?;
    sender.ready().await.ok()?;
    let body = format!(r#"{{"user_id":"{user_prefix}-{n}"}}"#);
    let request = Request::post(target.uri.clone())
        .header(HOST, &target.host)
        .header(CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .ok()?;
    let response = sender.send_request(request).await.ok()?;
    let status = response.status();
    let body = response.into_body().collect().await.ok()?.to_bytes();
    Some(if status.is_success() {
        "accepted".to_owned()
    } else {
        serde_json::from_slice::<Problem>(&body)
            .map_or_else(|_| format!("http_{}", status.as_u16()), |p| p.code)
    })
}

fn new_histogram() -> Histogram<u64> {
    // 1 µs to 60 s at 3 significant digits; these bounds are valid, so this cannot fail.
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}
