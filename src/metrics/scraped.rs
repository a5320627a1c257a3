//! The figures `GET /metrics` reads from Redis and Postgres when it is scraped (see `live`):
//! the persister's backlog and lag, dead letters, Redis's availability and the active sales'
//! gauges. Encoded from the last scrape's reading only, so a sale that ended is gone from the
//! next scrape and a figure that could not be read is absent rather than stale.
use super::gauge;
use crate::redis::RedisMemory;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::gauge::ConstGauge;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one scrape read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reading {
    /// `None` when Redis did not answer the scrape's reads (`redis_up` 0).
    pub backlog: Option<Backlog>,
    /// Active sales (loaded in Redis, not ended), by id, at most `live::MAX_SALES`.
    pub sales: Vec<SaleFigures>,
    /// Redis's (on a cluster, the fullest master's); `None` when it could not be read.
    pub memory: Option<RedisMemory>,
}

/// Over every sale (and bucket) in the persisters' index.
#[derive(Debug, Clone, PartialEq)]
pub struct Backlog {
    /// Accepted orders not yet in Postgres, dead letters included.
    pub orders: u64,
    /// Age of the oldest of them still to be written (dead letters wait for an operator, not
    /// for the persister: they have their own gauge), by Redis's clock; 0 when there is none.
    pub oldest: Duration,
    pub dead_letters: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SaleFigures {
    pub sale: String,
    pub stock_left: i64,
    pub reserved: i64,
    /// `None` when Postgres did not answer.
    pub confirmed: Option<i64>,
}

#[derive(Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SaleLabel {
    sale: String,
}

/// Shares the last reading between the scrape that takes it and the registry that encodes it.
#[derive(Debug, Clone, Default)]
pub(super) struct Scraped(pub(super) Arc<Mutex<Reading>>);

impl Collector for Scraped {
    fn encode(&self, mut encoder: DescriptorEncoder) -> fmt::Result {
        let reading = self.0.lock().unwrap_or_else(|e| e.into_inner());
        gauge(
            &mut encoder,
            "redis_up",
            "1 when Redis answered this scrape's reads (the per-sale figures need it).",
            i64::from(reading.backlog.is_some()),
        )?;
        if let Some(backlog) = &reading.backlog {
            let lag = ConstGauge::new(backlog.oldest.as_secs_f64());
            lag.encode(encoder.encode_descriptor(
                "persister_lag_seconds",
                "Age of the oldest accepted order not yet in Postgres, by Redis's clock (0: none).",
                None,
                MetricType::Gauge,
            )?)?;
            for (name, help, value) in [
                (
                    "orders_pending",
                    "Accepted orders not yet in Postgres, over every sale in the persisters' index.",
                    backlog.orders,
                ),
                (
                    "dead_letters",
                    "Orders in dead-letter streams, over every sale in the persisters' index.",
                    backlog.dead_letters,
                ),
            ] {
                gauge(
                    &mut encoder,
                    name,
                    help,
                    i64::try_from(value).unwrap_or(i64::MAX),
                )?;
            }
        }
        if let Some(memory) = reading.memory {
            for (name, help, value) in [
                (
                    "redis_used_memory_bytes",
                    "Redis's used_memory (on a cluster, the fullest master's).",
                    memory.used,
                ),
                (
                    "redis_maxmemory_bytes",
                    "Redis's maxmemory (0: no limit); with noeviction, orders fail once reached.",
                    memory.max,
                ),
            ] {
                gauge(
                    &mut encoder,
                    name,
                    help,
                    i64::try_from(value).unwrap_or(i64::MAX),
                )?;
            }
        }
        per_sale(
            &mut encoder,
            "sale_stock_left",
            "Stock left of each active sale (its buckets summed).",
            &reading.sales,
            |s| Some(s.stock_left),
        )?;
        per_sale(
            &mut encoder,
            "sale_reserved",
            "Quantity Redis accepted for each active sale.",
            &reading.sales,
            |s| Some(s.reserved),
        )?;
        per_sale(
            &mut encoder,
            "sale_confirmed",
            "Quantity persisted as confirmed for each active sale.",
            &reading.sales,
            |s| s.confirmed,
        )
    }
}

fn per_sale(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    sales: &[SaleFigures],
    value: impl Fn(&SaleFigures) -> Option<i64>,
) -> fmt::Result {
    let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for sale in sales {
        if let Some(value) = value(sale) {
            let label = SaleLabel {
                sale: sale.sale.clone(),
            };
            ConstGauge::new(value).encode(family.encode_family(&label)?)?;
        }
    }
    Ok(())
}
