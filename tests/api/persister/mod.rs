//! The persister: exactly once into Postgres, whatever crashes, redeliveries or outages.
//! Here: a persister driven by hand and the steps the tests below share.
mod buyer_limit;
mod dead_letters;
mod failover;
mod group_entries;
mod integrity;
mod own_pool;
mod postgres;
mod redelivery;
mod replay;
mod sales_index;
mod shutdown;
mod trimming;

use crate::helpers::{TestApp, redis_target};
use flashsale::metrics::Metrics;
use flashsale::persister::{ExecutionOutcome, Persister, Tally};
use flashsale::redis::{CONSUMER_GROUP, RedisStore};
use redis::AsyncCommands;
use redis::streams::{StreamReadOptions, StreamReadReply};
use serde_json::json;
use std::sync::Arc;

/// A persister driven by hand, step by step, for the test's sales.
pub(crate) async fn manual_persister(app: &TestApp, claim_idle_ms: u64) -> Persister {
    let store = RedisStore::connect(&redis_target(), &app.settings.redis_prefix)
        .await
        .unwrap();
    let mut settings = app.settings.persister.clone();
    settings.claim_idle_ms = claim_idle_ms;
    Persister::new(
        &store,
        app.db.clone(),
        &settings,
        Arc::new(Metrics::default()),
    )
}

/// Runs the persister until it finds nothing to do, adding up what it wrote.
pub(crate) async fn drain(persister: &mut Persister) -> Tally {
    let mut total = Tally::default();
    while let ExecutionOutcome::Persisted(tally) = persister.try_execute_task().await.unwrap() {
        total.confirmed += tally.confirmed;
        total.rejected += tally.rejected;
        total.duplicates += tally.duplicates;
    }
    total
}

/// Orders still in a sale's stream: a line each in a group commit's entry, or one per entry
/// written by field name (replayed dead letters).
async fn orders_in_stream(app: &TestApp, stream: &str) -> usize {
    let entries: redis::streams::StreamRangeReply =
        app.redis.clone().xrange_all(stream).await.unwrap();
    entries
        .ids
        .iter()
        .map(|entry| match entry.get::<String>("orders") {
            Some(lines) => lines.lines().count(),
            None => 1,
        })
        .sum()
}

async fn delivered_unacknowledged(app: &TestApp, stream: &str) -> usize {
    let summary: redis::streams::StreamPendingReply = app
        .redis
        .clone()
        .xpending(stream, CONSUMER_GROUP)
        .await
        .unwrap();
    summary.count()
}

/// A consumer that takes up to `count` new entries of the stream and never acknowledges them
/// (dead, or stalled); how many it took.
async fn take_and_stall(app: &TestApp, stream: &str, consumer: &str, count: usize) -> usize {
    let read: Option<StreamReadReply> = app
        .redis
        .clone()
        .xread_options(
            &[stream],
            &[">"],
            &StreamReadOptions::default()
                .group(CONSUMER_GROUP, consumer)
                .count(count),
        )
        .await
        .unwrap();
    read.map_or(0, |read| read.keys.iter().map(|key| key.ids.len()).sum())
}

async fn buy(app: &TestApp, sale: &str, buyers: usize) {
    for n in 0..buyers {
        let response = app.order(sale, json!({ "user_id": format!("b{n}") })).await;
        assert_eq!(response.status(), 202);
    }
}
