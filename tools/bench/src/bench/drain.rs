//! The persister's drain rate and cost: a backlog of accepted orders, spread over one or more
//! sales, moved from Redis to Postgres by the persister loops a server runs (started in this
//! process, same code and settings), so this process's CPU is theirs.
use crate::cost::{Cpu, Processes, per};
use crate::loadgen::{self, Limit, LoadPlan};
use crate::redis_ops::{RedisOps, scripts};
use crate::under_test::{Launch, UnderTest, orders_in_postgres, redis_prefix};
use anyhow::bail;
use flashsale::configuration::Settings;
use flashsale::domain::SaleId;
use flashsale::metrics::Metrics;
use flashsale::persister::Persister;
use flashsale::redis::{KeySpace, RedisStore};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const DRAIN_TIMEOUT: Duration = Duration::from_secs(300);

/// What to drain.
pub struct Backlog<'a> {
    pub settings: &'a Settings,
    pub run_id: &'a str,
    pub workers: usize,
    pub concurrency: usize,
    pub out: &'a Path,
    pub orders: u64,
    /// The orders are spread evenly over this many sales.
    pub sales: usize,
}

#[derive(Debug, Serialize)]
pub struct Drain {
    pub orders: u64,
    pub sales: usize,
    /// Until every order was written (the persisters' own count).
    pub seconds: f64,
    pub orders_per_second: f64,
    pub batch_size: usize,
    pub consumers: usize,
    /// Until the persister loops stopped: the last batch's acknowledgements included.
    pub cpu: Cpu,
    pub persister_us_per_order: Option<f64>,
    pub redis_us_per_order: Option<f64>,
    pub postgres_us_per_order: Option<f64>,
    /// Scripts Redis ran while draining: none are the persister's, so another client's orders.
    pub scripts_in_redis: u64,
}

/// Fills the sales' streams through the HTTP API with the persister off, then times the
/// persister loops until they have written every order.
pub async fn measure(
    backlog: &Backlog<'_>,
    db: &sqlx::PgPool,
    redis: &mut RedisOps,
) -> anyhow::Result<Drain> {
    let (run_id, orders) = (backlog.run_id, backlog.orders);
    let sales: Vec<String> = (0..backlog.sales.max(1))
        .map(|n| format!("bench-{run_id}-drain-{}-{n}", backlog.sales))
        .collect();
    fill(backlog, &sales).await?;

    let processes = Processes::find(None, redis, db).await;
    let store =
        RedisStore::connect(&backlog.settings.redis_target(), &redis_prefix(run_id)).await?;
    let mut settings = backlog.settings.persister.clone();
    settings.consumer = Some(format!("bench-drain-{run_id}-{}", backlog.sales));
    let (shutdown, metrics) = (CancellationToken::new(), Arc::new(Metrics::default()));
    redis.quiesce().await?;
    let commands = redis.command_stats().await?;
    let start = processes.snapshot();
    let started = Instant::now();
    let persisters = Persister::spawn_all(&store, db, &settings, &metrics, &shutdown);
    // No server runs now, so no admin view to ask; the persisters' own count costs no query
    // (rendered a hundred times a second: little next to the persisters' own work).
    while persisted(&metrics) < orders {
        if started.elapsed() > DRAIN_TIMEOUT {
            bail!(
                "drained only {} orders in {DRAIN_TIMEOUT:?}",
                persisted(&metrics)
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    shutdown.cancel();
    for persister in persisters {
        persister.await?;
    }
    let cpu = start.until(&processes.snapshot());
    let scripts_in_redis = scripts(&redis.command_stats().await?.since(&commands));

    let keys = KeySpace::new(&redis_prefix(run_id))?;
    let mut in_postgres = 0;
    for sale in &sales {
        in_postgres += orders_in_postgres(db, sale).await?;
        redis.forget_sale(&keys, &SaleId::parse(sale)?).await?;
    }
    if in_postgres as u64 != orders {
        bail!("Postgres holds {in_postgres} orders of the drained sales, not {orders}");
    }
    Ok(Drain {
        orders,
        sales: sales.len(),
        seconds,
        orders_per_second: orders as f64 / seconds,
        batch_size: settings.batch_size,
        consumers: settings.consumers,
        persister_us_per_order: per(cpu.this_us, orders),
        redis_us_per_order: per(cpu.redis_us, orders),
        postgres_us_per_order: per(cpu.postgres_us, orders),
        cpu,
        scripts_in_redis,
    })
}

/// The backlog: `orders` accepted over `sales` by a server whose persister is off.
async fn fill(backlog: &Backlog<'_>, sales: &[String]) -> anyhow::Result<()> {
    let log = backlog.out.join("server-drain.log");
    let server = UnderTest::start(Launch {
        settings: backlog.settings,
        run_id: backlog.run_id,
        workers: backlog.workers,
        engine: Some("redis"),
        persister: false,
        log: &log,
    })
    .await?;
    let mut urls = Vec::with_capacity(sales.len());
    for sale in sales {
        urls.push(server.create_sale(sale, backlog.orders as i64).await?);
    }
    let fill = loadgen::run(LoadPlan {
        urls,
        limit: Limit::Requests(backlog.orders),
        concurrency: backlog.concurrency,
        user_prefix: format!("drain-{}-{}", backlog.run_id, backlog.sales),
    })
    .await?;
    if fill.count("accepted") != backlog.orders {
        bail!("filling the backlog accepted only {:?}", fill.outcomes);
    }
    Ok(())
}

/// Orders the persisters have written (whatever their status), from their metrics.
fn persisted(metrics: &Metrics) -> u64 {
    metrics
        .render()
        .lines()
        .filter(|line| line.starts_with("flashsale_persister_orders_total{"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_persisters_count_is_read_from_their_metrics() {
        let metrics = Metrics::default();
        assert_eq!(persisted(&metrics), 0);
        metrics.persisted("confirmed", 1_200);
        metrics.persisted("duplicate", 3);
        assert_eq!(persisted(&metrics), 1_203);
    }
}
