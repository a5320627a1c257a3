//! Reads, when `/metrics` is scraped, what the scrape-time gauges show (see `scraped`): one
//! script call per sale (and bucket) in the persisters' index, on the bucket's own slot, and one
//! statement for the confirmed quantities. Nothing here is a last-writer-wins value set by a
//! loop: an idle or stuck persister cannot zero or freeze the lag.
use super::scraped::{Backlog, Reading, SaleFigures};
use crate::domain::SaleId;
use crate::postgres;
use crate::redis::{BucketGauges, RedisStore};
use sqlx::PgPool;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Most sales given per-sale gauges (the first by id): the series stay bounded however many
/// sales run at once. The backlog, lag and dead letters count every sale.
pub const MAX_SALES: usize = 100;

/// How long a scrape waits for Redis, then for Postgres: a store that does not answer shows as
/// absent figures (and `redis_up` 0), not as a scrape that times out.
const READ_TIMEOUT: Duration = Duration::from_secs(1);

pub async fn read(redis: &RedisStore, db: &PgPool) -> Reading {
    let buckets = match tokio::time::timeout(READ_TIMEOUT, redis.bucket_gauges()).await {
        Ok(Ok(buckets)) => buckets,
        Ok(Err(e)) => {
            tracing::warn!(error = ?e, "metrics: reading the sales' figures from Redis failed");
            return Reading::default();
        }
        Err(_) => {
            tracing::warn!("metrics: Redis did not answer within {READ_TIMEOUT:?}");
            return Reading::default();
        }
    };
    let backlog = Backlog {
        orders: buckets.iter().map(|b| b.pending_orders).sum(),
        oldest: buckets
            .iter()
            .filter_map(|b| b.oldest_unpersisted)
            .max()
            .unwrap_or_default(),
        dead_letters: buckets.iter().map(|b| b.dead_letters).sum(),
    };
    let sales = active_sales(&buckets);
    let ids: Vec<SaleId> = sales.keys().cloned().collect();
    let confirmed =
        match tokio::time::timeout(READ_TIMEOUT, postgres::gauges::confirmed(db, &ids)).await {
            Ok(Ok(confirmed)) => Some(confirmed),
            Ok(Err(e)) => {
                tracing::warn!(error = ?e, "metrics: reading confirmed quantities failed");
                None
            }
            Err(_) => {
                tracing::warn!("metrics: Postgres did not answer within {READ_TIMEOUT:?}");
                None
            }
        };
    let memory = match tokio::time::timeout(READ_TIMEOUT, redis.memory()).await {
        Ok(Ok(memory)) => Some(memory),
        Ok(Err(e)) => {
            tracing::warn!(error = ?e, "metrics: reading Redis's memory failed");
            None
        }
        Err(_) => None,
    };
    Reading {
        memory,
        backlog: Some(backlog),
        sales: sales
            .into_iter()
            .map(|(sale, (stock_left, reserved))| SaleFigures {
                confirmed: confirmed
                    .as_ref()
                    .map(|c| c.get(&sale).copied().unwrap_or(0)),
                sale: sale.to_string(),
                stock_left,
                reserved,
            })
            .collect(),
    }
}

/// Sales whose bucket 0 Redis holds and has not ended, with their buckets' `stock_left` and
/// `reserved` summed; the first `MAX_SALES` by id.
fn active_sales(buckets: &[BucketGauges]) -> BTreeMap<SaleId, (i64, i64)> {
    let active: BTreeSet<SaleId> = buckets
        .iter()
        .filter(|b| b.held && !b.ended && b.bucket.sale_and_bucket().1 == 0)
        .map(|b| b.bucket.clone())
        .collect();
    let mut sales: BTreeMap<SaleId, (i64, i64)> = BTreeMap::new();
    for bucket in buckets {
        let sale = bucket.bucket.sale();
        if active.contains(&sale) {
            let totals = sales.entry(sale).or_default();
            totals.0 += bucket.stock_left;
            totals.1 += bucket.reserved;
        }
    }
    while sales.len() > MAX_SALES {
        sales.pop_last();
    }
    sales
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(name: &str, stock_left: i64, reserved: i64, ended: bool) -> BucketGauges {
        BucketGauges {
            bucket: SaleId::parse_stored(name).unwrap(),
            pending_orders: 0,
            oldest_unpersisted: None,
            dead_letters: 0,
            stock_left,
            reserved,
            ended,
            held: true,
        }
    }

    #[test]
    fn a_split_sale_sums_its_buckets_and_an_ended_sale_is_left_out() {
        let buckets = [
            bucket("split", 5, 1, false),
            bucket("split/1", 3, 2, false),
            bucket("over", 0, 9, true),
            bucket("over/1", 4, 0, false),
            bucket("orphan/2", 7, 0, false),
        ];

        let sales = active_sales(&buckets);

        let split = SaleId::parse("split").unwrap();
        assert_eq!(sales.into_iter().collect::<Vec<_>>(), vec![(split, (8, 3))]);
    }

    #[test]
    fn at_most_max_sales_are_given_gauges() {
        let buckets: Vec<BucketGauges> = (0..MAX_SALES + 20)
            .map(|n| bucket(&format!("s{n:04}"), 1, 0, false))
            .collect();

        let sales = active_sales(&buckets);

        assert_eq!(sales.len(), MAX_SALES);
        assert_eq!(sales.keys().next().map(SaleId::as_str), Some("s0000"));
    }
}
