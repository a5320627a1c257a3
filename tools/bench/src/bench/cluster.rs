//! The cluster run: the reserve scenario again with the server on a Redis Cluster
//! (`--cluster-nodes`), once per bucket count its sale's stock is split into, and its table
//! beside the single Redis's "redis reserve" of the same run: what the cluster costs per order.
use super::cost_tables::{cell, commands, table};
use super::measured::Measured;
use super::report::Run;
use super::{BenchArgs, PLENTY, Scenario};
use crate::redis_ops::RedisOps;
use flashsale::configuration::Settings;
use serde::Serialize;
use std::borrow::Cow;

/// The single-Redis scenario every cluster row is compared with.
const REFERENCE: &str = "redis reserve";

#[derive(Debug, Serialize)]
pub struct ClusterRun {
    /// Its servers' Redis prefix and sales are its own: a prefix verified on the single Redis
    /// would have the cluster's first server load every unended sale of Postgres into the
    /// cluster (its Redis gate's check of a deployment it has seen before) while the load runs.
    pub run_id: String,
    pub seeds: String,
    pub masters: usize,
    pub replicas: usize,
    /// In `--cluster-buckets` order; the figures of those that ran are in the run's scenarios.
    pub rows: Vec<Row>,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub name: String,
    pub buckets: u32,
    /// Why it did not run, if it did not.
    pub not_run: Option<String>,
}

fn scenario(buckets: u32) -> Scenario {
    Scenario {
        name: Cow::Owned(format!("{REFERENCE} cluster/{buckets}")),
        engine: Some("redis"),
        stock: PLENTY,
        connections: None,
        cluster_buckets: Some(buckets),
    }
}

/// Runs the chosen cluster scenarios; `None` when there is no cluster to run them on, or none
/// was chosen.
pub async fn run(
    run: &mut Run,
    args: &BenchArgs,
    db: &sqlx::PgPool,
) -> anyhow::Result<Option<ClusterRun>> {
    let scenarios: Vec<Scenario> = args
        .cluster_buckets
        .iter()
        .map(|&buckets| scenario(buckets))
        .filter(|s| s.chosen(&args.only))
        .collect();
    let Some(seeds) = args.cluster_nodes.clone().filter(|_| !scenarios.is_empty()) else {
        return Ok(None);
    };
    let settings = Settings {
        redis_cluster_nodes: Some(seeds.clone()),
        ..args.settings.clone()
    };
    let mut redis = RedisOps::connect(&settings.redis_target()).await?;
    let (masters, replicas) = redis.topology();
    let args = BenchArgs {
        settings,
        ..args.clone()
    };
    let run_id = uuid::Uuid::now_v7().simple().to_string();
    let mut rows = Vec::with_capacity(scenarios.len());
    for scenario in &scenarios {
        let not_run = super::measure(run, &args, &run_id, scenario, db, &mut redis).await?;
        rows.push(Row {
            name: scenario.name.to_string(),
            buckets: scenario.cluster_buckets.unwrap_or(1),
            not_run: not_run.map(|why| format!("not run: {why}")),
        });
    }
    Ok(Some(ClusterRun {
        run_id,
        seeds,
        masters,
        replicas,
        rows,
    }))
}

/// The "Redis Cluster" section: each row's figures and its ratio to "redis reserve".
pub fn section(run: &Run) -> String {
    let Some(cluster) = &run.cluster else {
        return "Redis Cluster: not run (no cluster given). `make bench-cluster` runs it on the \
                local cluster; or pass `--cluster-nodes redis://host:7000,...` \
                (FLASHSALE_BENCH_CLUSTER_NODES).\n"
            .to_owned();
    };
    let find = |name: &str| run.scenarios.iter().find(|m| m.name == name);
    let reference = find(REFERENCE);
    let mut text = format!(
        "Redis Cluster ({} masters, {} replicas; {}): the reserve scenario with the server on \
         the cluster, its sale's stock split into `buckets`. Redis µs/order adds up every node \
         (masters + replicas). ÷ reserve: this row's figure over the single Redis's \
         \"{REFERENCE}\" of the same run{}.\n\n",
        cluster.masters,
        cluster.replicas,
        cluster.seeds,
        if reference.is_some() {
            ""
        } else {
            " (not run, so no ratio)"
        }
    );
    let headers = [
        "scenario",
        "buckets",
        "requests/s",
        "÷ reserve",
        "p99 ms",
        "accepted",
        "errors",
        "oversold",
        "orders in Postgres",
        "server µs/order",
        "÷ reserve",
        "Redis µs/order (masters + replicas)",
        "÷ reserve",
        "Postgres µs/order",
        "load gen µs/order",
        "all µs/order",
        "÷ reserve",
    ];
    let rows = cluster.rows.iter().map(|row| match find(&row.name) {
        Some(m) => measured_row(row, m, reference),
        None => {
            let why = row.not_run.clone().unwrap_or_else(|| "not run".to_owned());
            let mut cells = vec![row.name.clone(), row.buckets.to_string(), why];
            cells.resize(headers.len(), "–".to_owned());
            cells
        }
    });
    text += &table(&headers, rows);
    for row in &cluster.rows {
        if let Some(m) = find(&row.name).filter(|m| m.accepted > 0) {
            text += &commands(m);
        }
    }
    text
}

fn measured_row(row: &Row, m: &Measured, reference: Option<&Measured>) -> Vec<String> {
    let order = &m.cpu_us_per_order;
    let ratio = |value: Option<f64>, of: fn(&Measured) -> Option<f64>| {
        cell(value.zip(reference.and_then(of)).map(|(v, r)| v / r), 2)
    };
    let redis = match (order.redis, order.redis_replicas) {
        (Some(all), Some(replicas)) => format!("{all:.1} ({:.1} + {replicas:.1})", all - replicas),
        (all, _) => cell(all, 1),
    };
    let all = |m: &Measured| {
        let o = &m.cpu_us_per_order;
        Some(o.server? + o.redis? + o.postgres? + o.load_generator?)
    };
    vec![
        row.name.clone(),
        row.buckets.to_string(),
        format!("{:.0}", m.requests_per_second),
        ratio(Some(m.requests_per_second), |r| Some(r.requests_per_second)),
        format!("{:.2}", m.p99_ms),
        m.accepted.to_string(),
        m.errors.to_string(),
        m.oversold.to_string(),
        m.orders_in_postgres
            .map_or("–".to_owned(), |n| n.to_string()),
        cell(order.server, 1),
        ratio(order.server, |r| r.cpu_us_per_order.server),
        redis,
        ratio(order.redis, |r| r.cpu_us_per_order.redis),
        cell(order.postgres, 1),
        cell(order.load_generator, 1),
        cell(all(m), 1),
        ratio(all(m), all),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_cluster_the_section_says_how_to_run_it() {
        let text = section(&Run::empty(None));
        assert!(
            text.contains("not run") && text.contains("--cluster-nodes"),
            "{text}"
        );
    }

    #[test]
    fn a_scenario_the_api_refused_is_a_row_saying_why() {
        let cluster = ClusterRun {
            run_id: "c".into(),
            seeds: "redis://127.0.0.1:7000".into(),
            masters: 3,
            replicas: 3,
            rows: vec![Row {
                name: scenario(4).name.into_owned(),
                buckets: 4,
                not_run: Some("not run: the API does not accept buckets".into()),
            }],
        };
        let text = section(&Run::empty(Some(cluster)));
        assert!(
            text.contains(
                "| redis reserve cluster/4 | 4 | not run: the API does not accept buckets | – |"
            ),
            "{text}"
        );
        assert!(text.contains("(not run, so no ratio)"), "{text}");
    }

    #[test]
    fn only_cluster_chooses_every_cluster_scenario_and_no_other() {
        let only = ["cluster".to_owned()];
        assert!(scenario(16).chosen(&only));
        assert!(!super::super::SCENARIOS[1].chosen(&only));
        assert!(scenario(4).chosen(&["redis reserve cluster/4".to_owned()]));
        assert!(!scenario(4).chosen(&["redis reserve".to_owned()]));
    }
}
