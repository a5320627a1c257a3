//! The three series: stock, distinct buyers, concurrent sales.
use super::ScalingArgs;
use super::rig::{OrderCost, PLENTY, Rig};
use crate::bench::drain::{self, Backlog, Drain};
use crate::loadgen::Limit;
use crate::redis_ops::RedisOps;
use anyhow::bail;
use flashsale::domain::SaleId;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Up to this many buyers are seeded by real orders through the HTTP API; above, straight into
/// the buyers hash (at ~10k orders/s, ten million real orders would take a quarter of an hour).
pub const HTTP_SEED_MAX: u64 = 10_000;

#[derive(Debug, Serialize)]
pub struct StockPoint {
    pub stock: u64,
    pub cost: OrderCost,
}

#[derive(Debug, Serialize)]
pub struct BuyersPoint {
    pub buyers: u64,
    /// `HTTP` (real orders, settled) or `HSET` (written straight into the buyers hash).
    pub seeded_by: &'static str,
    pub seed_seconds: f64,
    /// Growth of Redis's `used_memory` per seeded buyer.
    pub redis_bytes_per_buyer: f64,
    /// New buyers' orders on top of the seeded ones.
    pub cost: OrderCost,
}

/// 10^`from` ..= `to`, by powers of ten.
pub fn powers_of_ten(from: u32, to: u64) -> Vec<u64> {
    (from..20)
        .map(|exponent| 10u64.pow(exponent))
        .take_while(|n| *n <= to)
        .collect()
}

/// Each stock gets a fresh sale and load until it sells out or the point's time is up, so
/// every order measured is an accepted one.
pub async fn stock(
    args: &ScalingArgs,
    run_id: &str,
    db: &sqlx::PgPool,
    redis: &mut RedisOps,
) -> anyhow::Result<Vec<StockPoint>> {
    let mut rig = Rig::start(args, run_id, db, redis, "stock").await?;
    let mut points = Vec::new();
    for stock in powers_of_ten(3, args.max_stock) {
        eprintln!("scaling: stock {stock} ...");
        let sale = rig.sale(&format!("stock-{stock}"), stock as i64).await?;
        let limit = Limit::RequestsWithin(stock, Duration::from_secs(args.point_seconds));
        let cost = rig.order_cost(redis, &sale, limit).await?;
        rig.forget(redis, &sale).await?;
        points.push(StockPoint { stock, cost });
    }
    rig.stop(redis).await?;
    Ok(points)
}

/// Each size gets a fresh sale, its buyers seeded, then the point's load of new buyers.
pub async fn buyers(
    args: &ScalingArgs,
    run_id: &str,
    db: &sqlx::PgPool,
    redis: &mut RedisOps,
) -> anyhow::Result<Vec<BuyersPoint>> {
    let mut rig = Rig::start(args, run_id, db, redis, "buyers").await?;
    let mut points = Vec::new();
    for buyers in powers_of_ten(4, args.max_buyers) {
        eprintln!("scaling: {buyers} buyers ...");
        let sale = rig.sale(&format!("buyers-{buyers}"), PLENTY).await?;
        let memory_before = redis.used_memory().await?;
        let seed_prefix = format!("seed-{buyers}");
        let started = Instant::now();
        let seeded_by = if buyers <= HTTP_SEED_MAX {
            let seeded = rig
                .load(&sale, Limit::Requests(buyers), &seed_prefix)
                .await?;
            if seeded.count("accepted") != buyers {
                bail!("seeding {buyers} buyers accepted {:?}", seeded.outcomes);
            }
            rig.settle(&sale).await?;
            "HTTP"
        } else {
            let prefix = format!("{seed_prefix}-{run_id}");
            redis
                .seed_buyers(&rig.keys, &SaleId::parse(&sale)?, &prefix, buyers)
                .await?;
            "HSET"
        };
        let seed_seconds = started.elapsed().as_secs_f64();
        let memory_after = redis.used_memory().await?;
        let limit = Limit::Duration(Duration::from_secs(args.point_seconds));
        let cost = rig.order_cost(redis, &sale, limit).await?;
        rig.forget(redis, &sale).await?;
        points.push(BuyersPoint {
            buyers,
            seeded_by,
            seed_seconds,
            redis_bytes_per_buyer: (memory_after as f64 - memory_before as f64) / buyers as f64,
            cost,
        });
    }
    rig.stop(redis).await?;
    Ok(points)
}

/// Each count of sales drains a backlog of `--backlog` orders spread evenly over them.
pub async fn sales(
    args: &ScalingArgs,
    run_id: &str,
    db: &sqlx::PgPool,
    redis: &mut RedisOps,
) -> anyhow::Result<Vec<Drain>> {
    let mut points = Vec::new();
    for sales in powers_of_ten(0, args.max_sales) {
        eprintln!("scaling: persister over {sales} sales ...");
        let backlog = Backlog {
            settings: &args.settings,
            run_id,
            workers: args.server_workers,
            concurrency: args.concurrency,
            out: &args.out,
            orders: args.backlog,
            sales: sales as usize,
        };
        points.push(drain::measure(&backlog, db, redis).await?);
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powers_of_ten_stop_at_the_largest_size_asked() {
        assert_eq!(powers_of_ten(3, 100_000), [1_000, 10_000, 100_000]);
        assert_eq!(powers_of_ten(0, 999), [1, 10, 100]);
        assert_eq!(powers_of_ten(4, 9_999), Vec::<u64>::new());
    }
}
