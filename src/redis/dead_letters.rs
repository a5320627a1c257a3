//! A sale's dead letters: the persister burying entries it can never write, and operators
//! listing them and replaying them into the orders stream with `lua/replay_dead_letters.lua`,
//! each entry moved in one atomic step.
use super::entries::parse_entry;
use super::orders_stream::OrdersStream;
use super::{CONSUMER_GROUP, RedisStore};
use crate::domain::{
    DeadEntry, DeadLetter, DeadLetterId, MAX_DEAD_LETTERS_PER_CALL, Replayed, SaleId,
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
    /// The sale's oldest dead letters, at most `limit`, from just after `after` if given.
    pub async fn list_dead_letters(
        &self,
        sale: &SaleId,
        after: Option<&DeadLetterId>,
        limit: usize,
    ) -> Result<Vec<DeadLetter>> {
        let start = after.map_or_else(|| "-".to_owned(), |id| format!("({}", id.as_str()));
        let reply: StreamRangeReply = self
            .pooled()
            .await?
            .xrange_count(self.keys.sale(sale).dead_letters, start, "+", limit)
            .await?;
        Ok(reply.ids.iter().filter_map(dead_letter).collect())
    }

    /// Moves dead letters back to the orders stream: the ones named, or all of the sale's.
    /// Malformed entries stay where they are, named in the answer.
    pub async fn replay_dead_letters(
        &self,
        sale: &SaleId,
        ids: Option<&[DeadLetterId]>,
    ) -> Result<Replayed> {
        let mut outcome = Replayed::default();
        match ids {
            Some(ids) => {
                let mut found = Vec::with_capacity(ids.len());
                for id in ids {
                    match self.dead_letter(sale, id).await? {
                        Some(letter) => found.push(letter),
                        None => outcome.not_found.push(id.clone()),
                    }
                }
                self.replay_page(sale, &found, &mut outcome).await?;
            }
            None => {
                let mut after = None;
                loop {
                    let page = self
                        .list_dead_letters(sale, after.as_ref(), MAX_DEAD_LETTERS_PER_CALL)
                        .await?;
                    self.replay_page(sale, &page, &mut outcome).await?;
                    match page.last() {
                        Some(last) if page.len() == MAX_DEAD_LETTERS_PER_CALL => {
                            after = Some(last.id.clone());
                        }
                        _ => break,
                    }
                }
            }
        }
        Ok(outcome)
    }

    async fn dead_letter(&self, sale: &SaleId, id: &DeadLetterId) -> Result<Option<DeadLetter>> {
        let reply: StreamRangeReply = self
            .pooled()
            .await?
            .xrange(self.keys.sale(sale).dead_letters, id.as_str(), id.as_str())
            .await?;
        Ok(reply.ids.first().and_then(dead_letter))
    }

    async fn replay_page(
        &self,
        sale: &SaleId,
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
        let keys = self.keys.sale(sale);
        let ids: Vec<&str> = orders.iter().map(|letter| letter.id.as_str()).collect();
        let mut conn = self.pooled().await?;
        let replayed: Vec<String> = REPLAY
            .key(&keys.dead_letters)
            .key(&keys.orders)
            .arg(&ids)
            .invoke_async(&mut conn)
            .await?;
        // The persister reads only the sales in the index, and forgets ended ones.
        let _: () = conn.sadd(self.keys.sales_index(), sale.as_str()).await?;
        outcome.replayed += replayed.len();
        outcome.not_found.extend(
            orders
                .iter()
                .filter(|letter| !replayed.iter().any(|id| id == letter.id.as_str()))
                .map(|letter| letter.id.clone()),
        );
        Ok(())
    }
}

fn dead_letter(entry: &StreamId) -> Option<DeadLetter> {
    let text = |value| redis::from_redis_value_ref::<String>(value).unwrap_or_default();
    Some(DeadLetter {
        id: DeadLetterId::parse(&entry.id).ok()?,
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
