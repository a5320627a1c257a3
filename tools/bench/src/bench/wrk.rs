//! `wrk`, run beside the load generator to show the generator is not the bottleneck.
use super::BenchArgs;

/// Runs `wrk` with the same connections and duration against the bare endpoint.
pub async fn wrk(args: &BenchArgs, base: &str) -> Option<f64> {
    let script = args.out.join("wrk-post.lua");
    std::fs::write(
        &script,
        "wrk.method = \"POST\"\nwrk.body = '{\"user_id\":\"wrk-buyer\"}'\nwrk.headers[\"Content-Type\"] = \"application/json\"\n",
    )
    .ok()?;
    let output = tokio::process::Command::new("wrk")
        .args(["-t", &args.server_workers.max(1).to_string()])
        .args(["-c", &args.concurrency.to_string()])
        .args(["-d", &format!("{}s", args.seconds)])
        .arg("-s")
        .arg(&script)
        .arg(format!("{base}/bare"))
        .output()
        .await
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("Requests/sec:"))
        .and_then(|value| value.trim().parse().ok())
}
