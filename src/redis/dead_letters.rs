//! A sale's dead letters: the persister burying entries it can never write, and operators
//! listing them and replaying them into the orders stream with `lua/replay_dead_letters.lua`,
//! each entry moved in one atomic step.
use super::entries::parse_entry;
use super::orders_stream::OrdersStream;
use super::{CONSUMER_GROUP, RedisStore};
use crate::domain::{
    Buckets, DeadEntry, DeadLetter, DeadLetterId, MAX_DEAD_LETTERS_PER_CALL, Replayed, SaleId,
};
use crate::error::Result;
use redis::streams::{StreamId, StreamRangeReply};
use redis::{AsyncCommands, RedisResult, Script};
use std::sync::LazyLock;

static REPLAY: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/replay_dead_letters.lua")));

/// Fields the persister adds when it buries an entry; the rest is the entry as it was.
const BURIAL_FIELDS: [&str; 2] = ["entry_id", "reason"];

impl OrdersStream {
    /// Moves entries that can never be written to the sale's dead-letter stream, with the
    /// reason, and acknowledges them, so they stop coming back and blocking the others. Their
    /// pending-order records stay: the orders were accepted and are not in Postgres.
    pub async fn bury(
        &self,
        sale: &SaleId,
        entries: &[DeadEntry],
        reason: &str,
    ) -> RedisResult<()> {
        let keys = self.keys.sale(sale);
        let mut pipe = redis::pipe();
        pipe.atomic();
        for entry in entries {
            pipe.xadd(&keys.dead_letters, "*", &burial_fields(entry, reason))
                .ignore();
        }
        let ids: Vec<&str> = entries.iter().map(|e| e.entry_id.as_str()).collect();
        pipe.xack(&keys.orders, CONSUMER_GROUP, &ids)
            .xdel(&keys.orders, &ids);
        pipe.exec_async(&mut self.pooled().await?).await
    }
}

impl RedisStore {
    /// The sale's oldest dead letters, at most `limit`, bucket by bucket for a split sale.
    pub async fn list_dead_letters(
        &self,
        sale: &SaleId,
        buckets: Buckets,
        limit: usize,
    ) -> Result<Vec<DeadLetter>> {
        let mut letters = Vec::new();
        for bucket in buckets.all() {
            if letters.len() == limit {
                break;
            }
            let left = limit - letters.len();
            letters.extend(self.bucket_letters(sale, bucket, None, left).await?);
        }
        Ok(letters)
    }

    /// One bucket's oldest dead letters, at most `limit`, from just after `after` if given.
    async fn bucket_letters(
        &self,
        sale: &SaleId,
        bucket: u16,
        after: Option<&DeadLetterId>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>> {
        let start = after.map_or_else(|| "-".to_owned(), |id| format!("({}", id.stream_id()));
        let reply: StreamRangeReply = self
            .pooled()
            .await?
            .xrange_count(
                self.keys.sale(&sale.bucket(bucket)).dead_letters,
                start,
                "+",
                limit,
            )
            .await?;
        Ok(reply
            .ids
            .iter()
            .filter_map(|e| dead_letter(bucket, e))
            .collect())
    }

    /// Moves dead letters back to the orders streams they came from: the ones named, or all of
    /// the sale's. Malformed entries stay where they are, named in the answer.
    pub async fn replay_dead_letters(
        &self,
        sale: &SaleId,
        buckets: Buckets,
        ids: Option<&[DeadLetterId]>,
    ) -> Result<Replayed> {
        let mut outcome = Replayed::default();
        for bucket in buckets.all() {
            let Some(ids) = ids else {
                self.replay_bucket(sale, bucket, &mut outcome).await?;
                continue;
            };
            let mut found = Vec::new();
            for id in ids.iter().filter(|id| id.bucket() == bucket) {
                match self.dead_letter_at(sale, id).await? {
                    Some(letter) => found.push(letter),
                    None => outcome.not_found.push(id.clone()),
                }
            }
            self.replay_page(sale, bucket, &found, &mut outcome).await?;
        }
        if let Some(ids) = ids {
            let elsewhere = ids.iter().filter(|id| id.bucket() >= buckets.get());
            outcome.not_found.extend(elsewhere.cloned());
        }
        Ok(outcome)
    }

    /// Replays every dead letter of one bucket, a page at a time.
    async fn replay_bucket(
        &self,
        sale: &SaleId,
        bucket: u16,
        outcome: &mut Replayed,
    ) -> Result<()> {
        let mut after = None;
        loop {
            let page = self
                .bucket_letters(sale, bucket, after.as_ref(), MAX_DEAD_LETTERS_PER_CALL)
                .await?;
            self.replay_page(sale, bucket, &page, outcome).await?;
            match page.last() {
                Some(last) if page.len() == MAX_DEAD_LETTERS_PER_CALL => {
                    after = Some(last.id.clone());
                }
                _ => return Ok(()),
            }
        }
    }

    async fn dead_letter_at(&self, sale: &SaleId, id: &DeadLetterId) -> Result<Option<DeadLetter>> {
        let bucket = id.bucket();
        let reply: StreamRangeReply = self
            .pooled()
            .await?
            .xrange(
                self.keys.sale(&sale.bucket(bucket)).dead_letters,
                id.stream_id(),
                id.stream_id(),
            )
            .await?;
        Ok(reply.ids.first().and_then(|e| dead_letter(bucket, e)))
    }

    async fn replay_page(
        &self,
        sale: &SaleId,
        bucket: u16,
        letters: &[DeadLetter],
        outcome: &mut Replayed,
    ) -> Result<()> {
        let (orders, malformed): (Vec<&DeadLetter>, Vec<&DeadLetter>) =
            letters.iter().partition(|letter| letter.replayable);
        outcome
            .not_replayable
            .extend(malformed.into_iter().map(|letter| letter.id.clone()));
        if orders.is_empty() {
            return Ok(());
        }
        let name = sale.bucket(bucket);
        let keys = self.keys.sale(&name);
        let ids: Vec<&str> = orders.iter().map(|letter| letter.id.stream_id()).collect();
        let mut conn = self.pooled().await?;
        let replayed: Vec<String> = REPLAY
            .key(&keys.dead_letters)
            .key(&keys.orders)
            .arg(&ids)
            .invoke_async(&mut conn)
            .await?;
        // The persister reads only the sales in the index, and forgets ended ones.
        let _: () = conn.sadd(self.keys.sales_index(), name.as_str()).await?;
        outcome.replayed += replayed.len();
        outcome.not_found.extend(
            orders
                .iter()
                .filter(|letter| !replayed.iter().any(|id| id == letter.id.stream_id()))
                .map(|letter| letter.id.clone()),
        );
        Ok(())
    }
}

fn dead_letter(bucket: u16, entry: &StreamId) -> Option<DeadLetter> {
    let text = |value| redis::from_redis_value_ref::<String>(value).unwrap_or_default();
    Some(DeadLetter {
        id: DeadLetterId::parse(DeadLetterId::in_bucket(bucket, &entry.id).as_str()).ok()?,
        order: entry
            .map
            .iter()
            .filter(|(field, _)| !BURIAL_FIELDS.contains(&field.as_str()))
            .map(|(field, value)| (field.clone(), text(value)))
            .collect(),
        reason: entry.map.get("reason").map(text).unwrap_or_default(),
        replayable: parse_entry(entry).is_some(),
    })
}

/// A dead letter: the entry's fields, where it came from and why it was set apart.
pub(super) fn burial_fields(entry: &DeadEntry, reason: &str) -> Vec<(String, String)> {
    let mut fields = entry.fields.clone();
    let [entry_id, reason_field] = BURIAL_FIELDS;
    fields.push((entry_id.into(), entry.entry_id.clone()));
    fields.push((reason_field.into(), reason.to_owned()));
    fields
}
