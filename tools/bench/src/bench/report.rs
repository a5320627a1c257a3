//! The benchmark's results: the Markdown tables (throughput, cost, targets), the JSON file.
use super::cluster::ClusterRun;
use super::drain::Drain;
use super::machine::Machine;
use super::measured::Measured;
use super::{BenchArgs, chart, cluster, cost_tables, targets};
use crate::redis_ops::RedisOps;
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
    /// `None`: no cluster given, or no cluster scenario chosen.
    pub cluster: Option<ClusterRun>,
}

impl Run {
    pub async fn new(
        args: &BenchArgs,
        run_id: &str,
        db: &sqlx::PgPool,
        redis: &mut RedisOps,
    ) -> Self {
        Self {
            run_id: run_id.to_owned(),
            started_at: chrono::Utc::now(),
            machine: Machine::probe(redis, db).await,
            seconds_per_scenario: args.seconds,
            concurrency: args.concurrency,
            server_workers: args.server_workers,
            scenarios: Vec::new(),
            wrk: None,
            drain: None,
            cluster: None,
        }
    }

    /// A run with nothing measured yet, for tests of the tables.
    #[cfg(test)]
    pub fn empty(cluster: Option<ClusterRun>) -> Self {
        Self {
            run_id: "test".into(),
            started_at: chrono::Utc::now(),
            machine: Machine {
                cpus: 2,
                cpu_model: String::new(),
                redis: String::new(),
                postgres: String::new(),
            },
            seconds_per_scenario: 5,
            concurrency: 256,
            server_workers: 2,
            scenarios: Vec::new(),
            wrk: None,
            drain: None,
            cluster,
        }
    }

    pub fn finish(&self, out: &Path) -> anyhow::Result<()> {
        let markdown = self.markdown();
        println!("{markdown}");
        std::fs::write(out.join("latest.md"), &markdown)?;
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
            "Results: {0}/latest.json, {0}/latest.md, chart: {0}/throughput.svg",
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
        text += &cost_tables::cpu(self);
        text += "\n";
        text += &cluster::section(self);
        text += "\n";
        text += &targets::table(self);
        text += &self.notes();
        text
    }

    fn notes(&self) -> String {
        let mut text = String::new();
        let bare = self.scenarios.iter().find(|m| m.name == "bare");
        if let (Some(wrk), Some(bare)) = (self.wrk, bare) {
            text += &format!(
                "\nwrk on the bare endpoint: {wrk:.0} requests/s; this load generator: {:.0} requests/s ({:.2}×).\n",
                bare.requests_per_second,
                bare.requests_per_second / wrk
            );
        }
        if let Some(drain) = &self.drain {
            text += "\n";
            text += &cost_tables::drain(drain);
        }
        text
    }
}
