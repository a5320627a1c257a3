//! The Redis key layout, in one place.
use crate::domain::SaleId;

/// All keys of one deployment start with its prefix, so deployments and tests can share a
/// Redis without seeing each other.
#[derive(Debug, Clone)]
pub struct KeySpace {
    prefix: String,
}

/// The keys of one sale. They share the `{sale id}` hash tag, so scripts touching them all run
/// on a single Redis Cluster slot.
#[derive(Debug, Clone)]
pub struct SaleKeys {
    /// Hash: definition (name, stock_total, per_user_limit, starts_at, ends_at) and live
    /// counters (stock_left, reserved).
    pub sale: String,
    /// Hash: user id -> quantity accepted so far.
    pub buyers: String,
    /// Hash: idempotency key -> the original answer.
    pub idempotency: String,
    /// Hash: order id -> order, from acceptance until the persister has it in Postgres.
    pub pending: String,
    /// Stream of accepted orders, read by the persisters' consumer group.
    pub orders: String,
    /// Stream of orders the persister could never write, kept for an operator.
    pub dead_letters: String,
    /// Hash, on a bucket stock was taken from: move id -> "recipient bucket \t quantity", until
    /// the recipient has it (see `lua/take_stock.lua`).
    pub moves_out: String,
    /// Hash, on a bucket stock was given to: move id -> quantity, so a move is given once.
    pub moves_in: String,
    /// Hash: order id -> quantity of each ended hold whose units came back, so they come back
    /// once (see `lua/return_stock.lua`).
    pub returns: String,
}

impl KeySpace {
    pub fn new(prefix: &str) -> anyhow::Result<Self> {
        if prefix.is_empty() || prefix.contains(['{', '}']) {
            anyhow::bail!("the Redis key prefix must be non-empty and free of braces");
        }
        Ok(Self {
            prefix: prefix.to_owned(),
        })
    }

    /// What tells this deployment's keys apart in a shared Redis.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn sale(&self, id: &SaleId) -> SaleKeys {
        let base = format!("{}:{{{}}}", self.prefix, id);
        SaleKeys {
            sale: format!("{base}:sale"),
            buyers: format!("{base}:buyers"),
            idempotency: format!("{base}:idempotency"),
            pending: format!("{base}:pending"),
            orders: format!("{base}:orders"),
            dead_letters: format!("{base}:dead-letters"),
            moves_out: format!("{base}:moves-out"),
            moves_in: format!("{base}:moves-in"),
            returns: format!("{base}:returns"),
        }
    }

    /// Where one load of the sale stages its buyers before `load_sale.lua` takes them in; its
    /// own per load (`operation`), under the sale's hash tag.
    pub fn staged_buyers(&self, id: &SaleId, operation: &str) -> String {
        format!("{}:{{{}}}:staged-buyers:{operation}", self.prefix, id)
    }

    /// Set of the ids of every sale loaded into Redis, so the persister knows which streams to
    /// read. It lives outside the sales' hash tags: `load_sale.lua` adds to it in the step that
    /// makes a sale sellable, which on Redis Cluster needs the index and the sale in one slot.
    pub fn sales_index(&self) -> String {
        format!("{}:sales", self.prefix)
    }

    /// String: the `run_id` of the Redis server whose data was last checked against Postgres
    /// (see `redis_gate`). It lives in the data it vouches for, so a restart from any older
    /// copy, or a replica promoted, shows a `run_id` other than the one recorded.
    pub fn verified_run_id(&self) -> String {
        format!("{}:verified-run-id", self.prefix)
    }
}

impl SaleKeys {
    /// The keys the scripts take, in their `KEYS` order.
    pub fn all(&self) -> [&str; 5] {
        [
            &self.sale,
            &self.buyers,
            &self.idempotency,
            &self.pending,
            &self.orders,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_a_sale_shares_its_hash_tag() {
        let keys = KeySpace::new("fs")
            .unwrap()
            .sale(&SaleId::parse("s-1").unwrap());
        for key in keys.all() {
            assert!(key.starts_with("fs:{s-1}:"), "{key}");
        }
    }

    #[test]
    fn prefixes_with_braces_are_refused() {
        assert!(KeySpace::new("a{b").is_err());
        assert!(KeySpace::new("").is_err());
    }
}
