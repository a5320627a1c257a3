//! One scenario: its own server, a warm-up, the measured window, and what the window cost; on
//! the single Redis or, for a cluster scenario, on the Redis Cluster the arguments name.
//!
//! The warm-up's orders are settled in Postgres before the window opens, so the CPU counted
//! from the window's start until its orders are settled is the cost of exactly its orders:
//! HTTP, the reservation, and the persister's writes to Postgres. A quiet second before the
//! window shows what the same processes spend with no load from this bench.
use super::measured::{Costs, Measured, Sale};
use super::{BenchArgs, Scenario, wrk};
use crate::cost::Processes;
use crate::loadgen::{self, Limit, LoadPlan};
use crate::redis_ops::RedisOps;
use crate::under_test::{Launch, UnderTest, orders_in_postgres, redis_prefix};
use flashsale::domain::SaleId;
use flashsale::redis::KeySpace;
use std::time::Duration;

/// The quiet second before the window: what the server idles at, and what others' work costs
/// the shared Redis and Postgres meanwhile.
const IDLE: Duration = Duration::from_secs(1);

pub enum Outcome {
    /// With `wrk`'s requests/s against the bare endpoint, when it ran.
    Ran(Box<Measured>, Option<f64>),
    NotRun(&'static str),
}

/// Runs one scenario; against the bare endpoint, also `wrk` (when installed) for comparison.
/// `args.settings` and `redis` are the Redis it runs on.
pub async fn measure(
    args: &BenchArgs,
    run_id: &str,
    scenario: &Scenario,
    db: &sqlx::PgPool,
    redis: &mut RedisOps,
) -> anyhow::Result<Outcome> {
    let slug = scenario
        .name
        .replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    let log = args.out.join(format!("server-{slug}.log"));
    let server = UnderTest::start(Launch {
        settings: &args.settings,
        run_id,
        workers: args.server_workers,
        engine: scenario.engine,
        persister: true,
        log: &log,
    })
    .await?;
    let processes = Processes::find(Some(server.pid()), redis, db).await;
    let is_redis = scenario.engine == Some("redis");
    let memory_before = redis.used_memory().await?;
    let sale_id = format!("bench-{run_id}-{slug}");
    let keys = KeySpace::new(&redis_prefix(run_id))?;
    let url = match (scenario.engine, scenario.cluster_buckets) {
        (None, _) => format!("{}/bare", server.base()),
        (Some(_), None | Some(1)) => server.create_sale(&sale_id, scenario.stock).await?,
        (Some(_), Some(buckets)) => {
            match server
                .create_sale_in_buckets(&sale_id, scenario.stock, buckets)
                .await?
            {
                Some(url) => url,
                None => {
                    drop(server);
                    redis.forget_sale(&keys, &SaleId::parse(&sale_id)?).await?;
                    return Ok(Outcome::NotRun("the API does not accept buckets"));
                }
            }
        }
    };
    let connections = scenario.connections.unwrap_or(args.concurrency);
    let load = |limit, prefix: &str| {
        loadgen::run(LoadPlan {
            urls: vec![url.clone()],
            limit,
            concurrency: connections,
            user_prefix: format!("{prefix}-{run_id}"),
        })
    };

    let warmup = load(Limit::Duration(Duration::from_secs(1)), "warmup").await?;
    let persisted_before = match scenario.engine {
        Some(_) => {
            server.settle(&sale_id).await?;
            Some(orders_in_postgres(db, &sale_id).await?)
        }
        None => None,
    };
    redis.quiesce().await?;
    let commands_before = redis.command_stats().await?;
    let quiet = processes.snapshot();
    tokio::time::sleep(IDLE).await;
    let start = processes.snapshot();
    let report = load(Limit::Duration(Duration::from_secs(args.seconds)), "buyer").await?;
    let loaded = processes.snapshot();
    let settled = match scenario.engine {
        Some(_) => {
            server.settle(&sale_id).await?;
            processes.snapshot()
        }
        None => loaded,
    };
    let commands = redis.command_stats().await?.since(&commands_before);
    let peak_rss = server.peak_rss()?;

    let accepted_total = warmup.count("accepted") + report.count("accepted");
    let (orders, wrk) = match scenario.engine {
        Some(_) => (Some(orders_in_postgres(db, &sale_id).await?), None),
        None if !args.no_wrk => (None, wrk::wrk(args, server.base()).await),
        None => (None, None),
    };
    let memory_after = redis.used_memory().await?;
    // Stopped first, so its persister cannot recreate the stream forgotten here.
    drop(server);
    if scenario.engine.is_some() {
        redis.forget_sale(&keys, &SaleId::parse(&sale_id)?).await?;
    }
    let costs = Costs {
        idle: quiet.until(&start),
        load: start.until(&loaded),
        until_settled: start.until(&settled),
        persisted: orders
            .zip(persisted_before)
            .map(|(after, before)| after - before),
        redis_bytes: is_redis.then(|| memory_after as i64 - memory_before as i64),
        redis_commands: if is_redis { commands } else { Vec::new() },
    };
    let sale = Sale {
        accepted_total,
        stock: scenario.stock,
        orders_in_postgres: orders,
        cluster_buckets: scenario.cluster_buckets,
    };
    let measured = Measured::new(&scenario.name, connections, report, sale, peak_rss, costs);
    Ok(Outcome::Ran(Box::new(measured), wrk))
}
