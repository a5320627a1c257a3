//! The benchmark's results: the Markdown table, the ratios against the targets, the JSON file.
use super::drain::Drain;
use super::machine::Machine;
use super::measured::Measured;
use super::{BenchArgs, chart};
use serde::Serialize;
use std::path::Path;

#[derive(Debug, Serialize)]
pub struct Run {
    pub run_id: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub machine: Machine,
    pub seconds_per_scenario: u64,
    pub concurrency: usize,
    pub server_workers: usize,
    pub scenarios: Vec<Measured>,
    /// `wrk` against the bare endpoint, requests/s, when wrk is installed.
    pub wrk: Option<f64>,
    pub drain: Option<Drain>,
}

impl Run {
    pub async fn new(args: &BenchArgs, run_id: &str, db: &sqlx::PgPool) -> Self {
        Self {
            run_id: run_id.to_owned(),
            started_at: chrono::Utc::now(),
            machine: Machine::probe(&args.settings.redis_url, db).await,
            seconds_per_scenario: args.seconds,
            concurrency: args.concurrency,
            server_workers: args.server_workers,
            scenarios: Vec::new(),
            wrk: None,
            drain: None,
        }
    }

    fn rps(&self, name: &str) -> f64 {
        self.scenarios
            .iter()
            .find(|m| m.name == name)
            .map_or(f64::NAN, |m| m.requests_per_second)
    }

    pub fn finish(&self, out: &Path) -> anyhow::Result<()> {
        println!("{}", self.markdown());
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(out.join(format!("bench-{}.json", self.run_id)), &json)?;
        std::fs::write(out.join("latest.json"), &json)?;
        let bars: Vec<(&str, f64)> = self
            .scenarios
            .iter()
            .map(|m| (m.name.as_str(), m.requests_per_second))
            .collect();
        let caption = format!(
            "Requests/s, {} connections, {} CPUs (log scale)",
            self.concurrency, self.machine.cpus
        );
        chart::draw(&caption, &bars, &out.join("throughput.svg"))?;
        println!(
            "Results: {}/latest.json, chart: {}/throughput.svg",
            out.display(),
            out.display()
        );
        Ok(())
    }

    pub fn markdown(&self) -> String {
        let mut text = format!(
            "Machine: {} CPUs ({}), Redis {}, Postgres {}. {} connections, {} s per scenario, {} server workers.\n\n",
            self.machine.cpus,
            self.machine.cpu_model,
            self.machine.redis,
            self.machine.postgres,
            self.concurrency,
            self.seconds_per_scenario,
            self.server_workers
        );
        text += "| scenario | requests/s | p50 ms | p90 ms | p99 ms | max ms | accepted | refused | errors | oversold | orders in Postgres | peak RSS MiB |\n";
        text += "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|\n";
        for m in &self.scenarios {
            let refused: Vec<String> = m.refused.iter().map(|(k, v)| format!("{k} {v}")).collect();
            let orders = m
                .orders_in_postgres
                .map_or("–".to_owned(), |n| n.to_string());
            text += &format!(
                "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} | {} | {} | {} | {:.1} |\n",
                m.name,
                m.requests_per_second,
                m.p50_ms,
                m.p90_ms,
                m.p99_ms,
                m.max_ms,
                m.accepted,
                if refused.is_empty() {
                    "–".to_owned()
                } else {
                    refused.join(", ")
                },
                m.errors,
                m.oversold,
                orders,
                m.peak_rss_mib
            );
        }
        text += "\n";
        text += &self.targets();
        text
    }

    fn targets(&self) -> String {
        let bare = self.rps("bare");
        let reserve = self.scenarios.iter().find(|m| m.name == "redis reserve");
        let peak_rss = self
            .scenarios
            .iter()
            .filter(|m| m.name.starts_with("redis"))
            .map(|m| m.peak_rss_mib)
            .fold(0.0, f64::max);
        let drain = self
            .drain
            .as_ref()
            .map_or(f64::NAN, |d| d.orders_per_second);
        let mut rows = vec![
            (
                "reserve path / bare ceiling",
                self.rps("redis reserve") / bare,
                ">= 0.70",
                self.rps("redis reserve") / bare >= 0.70,
            ),
            (
                "sold-out path / bare ceiling",
                self.rps("redis sold-out") / bare,
                ">= 0.90",
                self.rps("redis sold-out") / bare >= 0.90,
            ),
            (
                "redis reserve / pg-lock",
                self.rps("redis reserve") / self.rps("pg-lock"),
                ">= 80",
                self.rps("redis reserve") / self.rps("pg-lock") >= 80.0,
            ),
            (
                "reserve p99 (ms)",
                reserve.map_or(f64::NAN, |m| m.p99_ms),
                "<= 10",
                reserve.is_some_and(|m| m.p99_ms <= 10.0),
            ),
            (
                "persister drain (orders/s)",
                drain,
                ">= 50000",
                drain >= 50_000.0,
            ),
            ("server peak RSS (MiB)", peak_rss, "<= 64", peak_rss <= 64.0),
        ];
        if let Some(wrk) = self.wrk {
            rows.push((
                "load generator / wrk on bare",
                bare / wrk,
                ">= 1.00",
                bare >= wrk,
            ));
        }
        let mut text = "| measure | value | target | met |\n|---|---:|---|---|\n".to_owned();
        for (name, value, target, met) in rows {
            text += &format!(
                "| {name} | {value:.2} | {target} | {} |\n",
                if met { "yes" } else { "NO" }
            );
        }
        if let Some(wrk) = self.wrk {
            text += &format!(
                "\nwrk on the bare endpoint: {wrk:.0} requests/s; this load generator: {bare:.0} requests/s.\n"
            );
        }
        if let Some(drain) = &self.drain {
            text += &format!(
                "Persister drain: {} orders in {:.2} s = {:.0} orders/s ({} consumers, batches of {}).\n",
                drain.orders,
                drain.seconds,
                drain.orders_per_second,
                drain.consumers,
                drain.batch_size
            );
        }
        text
    }
}
