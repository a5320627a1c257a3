//! Hostile traffic keeps the server's memory bounded: order attempts from ever new buyer ids,
//! half to a sold-out sale and half to a sale that does not exist, sent to the real `flashsale`
//! binary run as its own process, whose peak RSS must stay under 128 MiB.
//!
//! Before the per-buyer limiter had a cap, every new id added an entry until the next minute's
//! sweep; the unknown sale's attempts all reach that limiter (no sold-out fast path for them).
mod support;

use flashsale::rate_limit::SIZE_CHECK_EVERY;
use flashsale_bench::loadgen::{self, Limit, LoadPlan};
use flashsale_testkit::{AdminClient, ServerProcess};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;
use support::{ADMIN_TOKEN, TestDatabase, redis_url};

const MAX_PEAK_RSS: u64 = 128 * 1024 * 1024;
const STOCK: u64 = 10;

/// 10,000 new ids at the unknown sale, ten times the limiter's cap, in a few seconds: without
/// the cap all would be held until the minute's sweep.
#[tokio::test]
async fn a_flood_of_new_buyer_ids_keeps_the_server_under_128_mib() {
    flood(20_000, 1_000).await;
}

/// With the default cap; about 7 minutes on a loaded 2-core machine.
#[tokio::test]
#[ignore = "long: run by make chaos"]
async fn a_million_attempts_from_new_buyer_ids_keep_the_server_under_128_mib() {
    flood(1_000_000, 50_000).await;
}

/// `attempts` order attempts, each from a new buyer id, half to a sold-out sale and half to an
/// unknown one, at a server whose limiters keep `max_clients` entries.
async fn flood(attempts: u64, max_clients: usize) {
    let database = TestDatabase::create().await;
    let env = [
        ("FLASHSALE_ADMIN_TOKEN", ADMIN_TOKEN.to_owned()),
        ("DATABASE_URL", database.url.clone()),
        ("REDIS_URL", redis_url()),
        (
            "FLASHSALE_REDIS_PREFIX",
            format!("t{}", uuid::Uuid::new_v4().simple()),
        ),
        ("FLASHSALE_WORKERS", "2".to_owned()),
        // The defaults, said here because the test is about them: every buyer is limited, the
        // loopback address is not.
        ("FLASHSALE_RATE_PER_USER", "5".to_owned()),
        ("FLASHSALE_RATE_PER_IP", "0".to_owned()),
        ("FLASHSALE_RATE_LIMIT_CLIENTS", max_clients.to_string()),
        // A machine loaded by other tests must not turn slow Redis calls into 503s here, nor
        // their logged errors into backtraces: symbolicating one reads the debug binary's
        // DWARF, about 90 MiB held once, which would hide what this test measures.
        ("FLASHSALE_REDIS_TIMEOUT_MS", "5000".to_owned()),
        ("RUST_BACKTRACE", "0".to_owned()),
        ("RUST_LIB_BACKTRACE", "0".to_owned()),
    ];
    let server = ServerProcess::start(service_binary(), &["serve"], &env, None)
        .await
        .expect("the flashsale binary starts and answers");
    let admin = AdminClient::new(&server.base, ADMIN_TOKEN);
    admin
        .post(
            "/admin/sales",
            &json!({ "id": "flooded", "name": "Flooded sale", "stock": STOCK }),
        )
        .await
        .unwrap();

    let started = Instant::now();
    let plan = |sale: &str, prefix: &str| LoadPlan {
        urls: vec![format!("{}/api/sales/{sale}/orders", server.base)],
        limit: Limit::Requests(attempts / 2),
        concurrency: 32,
        user_prefix: format!("{prefix}-{}", uuid::Uuid::new_v4().simple()),
    };
    let (existing, unknown) = tokio::join!(
        loadgen::run(plan("flooded", "flood")),
        loadgen::run(plan("no-such-sale", "stranger")),
    );
    let (existing, unknown) = (existing.unwrap(), unknown.unwrap());
    let took = started.elapsed();
    let peak = server.peak_rss().unwrap();
    let clients = rate_limited_buyers(&server.base).await;
    eprintln!(
        "{attempts} attempts in {took:.1?}: peak RSS {:.1} MiB, {clients} buyers held; \
         {:?} {:?}",
        peak as f64 / (1024.0 * 1024.0),
        existing.outcomes,
        unknown.outcomes,
    );

    for report in [&existing, &unknown] {
        assert_eq!(report.requests, attempts / 2);
        assert_eq!(report.transport_errors, 0);
        // Every buyer is new: forgetting others must never limit one.
        assert_eq!(report.count("rate_limited"), 0, "{:?}", report.outcomes);
    }
    assert!(
        existing.count("accepted") <= STOCK,
        "{:?}",
        existing.outcomes
    );
    assert!(existing.count("sold_out") > 0, "{:?}", existing.outcomes);
    assert!(
        unknown.count("sale_not_found") > 0,
        "{:?}",
        unknown.outcomes
    );
    assert!(peak < MAX_PEAK_RSS, "peak RSS {peak} bytes");
    assert!(
        clients <= (max_clients + 2 * SIZE_CHECK_EVERY) as u64,
        "{clients} buyers held, over the cap of {max_clients}"
    );
    drop(server);
    database.drop().await;
}

/// `flashsale_rate_limited_clients{limit="buyer"}` from `/metrics`.
async fn rate_limited_buyers(base: &str) -> u64 {
    let metrics = reqwest::get(format!("{base}/metrics"))
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap()
        .text()
        .await
        .unwrap();
    metrics
        .lines()
        .find_map(|line| line.strip_prefix(r#"flashsale_rate_limited_clients{limit="buyer"} "#))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("no buyer count in /metrics:\n{metrics}"))
}

/// The `flashsale` binary of this test's build (`target/<profile>/flashsale`): `cargo test
/// --workspace` builds it; run alone (`cargo test -p flashsale-bench`), this builds it first.
fn service_binary() -> PathBuf {
    let test = std::env::current_exe().unwrap();
    // target/<profile>/deps/<this test>
    let profile_dir = test.parent().and_then(Path::parent).unwrap();
    let binary = profile_dir.join("flashsale");
    if !binary.exists() {
        let mut build = Command::new(env!("CARGO"));
        build.args([
            "build",
            "-p",
            "flashsale",
            "--bin",
            "flashsale",
            "--target-dir",
        ]);
        build.arg(profile_dir.parent().unwrap());
        if profile_dir.ends_with("release") {
            build.arg("--release");
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building the flashsale binary: {status}");
    }
    binary
}
