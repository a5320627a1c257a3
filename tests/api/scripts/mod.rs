//! The Lua scripts called directly, as a team tests its stored procedures: crafted keys in, the
//! exact reply and the exact writes out, and not a byte written by a refusal. Here: the sale
//! fixture every script test starts from.
mod controls;
mod load_sale;
mod moves;
mod reconcile;
mod replay_dead_letters;
mod reserve;
mod reserve_batch;
mod reserve_keys;
mod restock;
mod returns;

use crate::helpers::{Snapshot, snapshot, test_redis};
use flashsale::domain::SaleId;
use flashsale::redis::{Connection, KeySpace, SaleKeys};
use redis::AsyncCommands;
use std::collections::BTreeMap;

/// One sale's keys, laid out as the service lays them out, under a prefix no other test uses,
/// on the project's Redis.
pub struct Sale {
    pub redis: Connection,
    pub keys: SaleKeys,
    prefix: String,
}

impl Sale {
    pub async fn new() -> Self {
        let prefix = format!("t{}", uuid::Uuid::new_v4().simple());
        let keys = KeySpace::new(&prefix)
            .unwrap()
            .sale(&SaleId::parse("spring").unwrap());
        let redis = test_redis().await;
        Self {
            redis,
            keys,
            prefix,
        }
    }

    /// Writes the sale hash: `sale_hash(changes)`.
    pub async fn put_sale(&self, changes: &[(&str, &str)]) {
        let fields = sale_hash(changes);
        let fields: Vec<_> = fields.iter().collect();
        let _: () = self
            .redis
            .clone()
            .hset_multiple(&self.keys.sale, &fields)
            .await
            .unwrap();
    }

    /// Sets these fields of a hash.
    pub async fn put(&self, key: &str, fields: &[(&str, &str)]) {
        let _: () = self.redis.clone().hset_multiple(key, fields).await.unwrap();
    }

    pub async fn hgetall(&self, key: &str) -> BTreeMap<String, String> {
        self.redis.clone().hgetall(key).await.unwrap()
    }

    pub async fn exists(&self, key: &str) -> bool {
        self.redis.clone().exists(key).await.unwrap()
    }

    /// Every key the scripts take, serialized: equal snapshots mean nothing was written.
    pub async fn snapshot(&self) -> Snapshot {
        snapshot(&self.redis, &self.keys).await
    }

    /// Redis's clock in milliseconds, the one `reserve.lua` stamps orders with.
    pub async fn now_ms(&self) -> i64 {
        let (seconds, micros): (i64, i64) = redis::cmd("TIME")
            .query_async(&mut self.redis.clone())
            .await
            .unwrap();
        seconds * 1000 + micros / 1000
    }

    /// Deletes every key under the test's prefix (`KEYS`, which a cluster client asks every
    /// master; a test's few keys are not worth a cursor).
    pub async fn clean_up(self) {
        let found: Vec<String> = self
            .redis
            .clone()
            .keys(format!("{}:*", self.prefix))
            .await
            .unwrap();
        if !found.is_empty() {
            let _: () = self.redis.clone().del(&found).await.unwrap();
        }
    }
}

/// The sale hash as `load_sale.lua` writes it (open since 1970, no end, 10 units, 5 per buyer),
/// with `changes` applied.
pub fn sale_hash(changes: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut all = fields(&[
        ("name", "Spring"),
        ("stock_total", "10"),
        ("per_user_limit", "5"),
        ("starts_at", "1000"),
        ("ends_at", ""),
        ("stock_left", "10"),
        ("reserved", "0"),
    ]);
    all.extend(fields(changes));
    all
}

/// A hash's fields as `Sale::hgetall` reads them back.
pub fn fields(fields: &[(&str, &str)]) -> BTreeMap<String, String> {
    fields
        .iter()
        .map(|(field, value)| (field.to_string(), value.to_string()))
        .collect()
}
