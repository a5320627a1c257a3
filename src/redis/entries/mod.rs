//! How orders are encoded in a sale's stream entries, pending-order records and idempotency
//! records, all written by `lua/reserve.lua`: parsing them into domain types, once, with anything
//! unparsable set apart, and writing idempotency records back when a lost sale is restored.
mod format;

use crate::domain::{
    AcceptedOrder, DeadEntry, IdempotencyKey, OrderId, Quantity, SaleBatch, SaleId, StreamOrder,
    UserId,
};
use chrono::DateTime;
use redis::Value;
use redis::streams::StreamId;

/// One sale's entries as `XREADGROUP` or `XAUTOCLAIM` answer them, read straight from the reply:
/// each entry is `[id, [field, value, …]]`, its fields in any order (`Nil` for an entry deleted
/// since it was delivered). No map per entry: a batch is thousands of them. An entry that does
/// not parse is set apart whole, even a group commit's entry with one bad line: its orders are
/// acknowledged together, so they are settled together.
pub fn sale_batch(sale: &SaleId, entries: &[Value]) -> SaleBatch {
    let mut batch = SaleBatch {
        sale: sale.clone(),
        orders: Vec::with_capacity(entries.len()),
        malformed: Vec::new(),
    };
    for entry in entries {
        let Value::Array(parts) = entry else { continue };
        let Some(entry_id) = parts.first().and_then(text) else {
            continue;
        };
        let fields: &[Value] = match parts.get(1) {
            Some(Value::Array(fields)) => fields,
            _ => &[],
        };
        let pairs = fields.chunks(2).map(|pair| match pair {
            [name, value] => (bytes(name), bytes(value)),
            _ => (None, None),
        });
        match format::parse_orders(pairs) {
            Some(orders) => batch
                .orders
                .extend(orders.into_iter().map(|order| StreamOrder {
                    entry_id: entry_id.to_owned(),
                    order,
                })),
            None => batch.malformed.push(DeadEntry {
                entry_id: entry_id.to_owned(),
                fields: fields
                    .chunks(2)
                    .map(|pair| {
                        let text = |i| pair.get(i).and_then(text).unwrap_or_default().to_owned();
                        (text(0), text(1))
                    })
                    .collect(),
            }),
        }
    }
    batch
}

/// The orders of an entry already read into a map (the dead letters, read rarely).
pub(super) fn parse_entry(entry: &StreamId) -> Option<Vec<AcceptedOrder>> {
    format::parse_orders(
        entry
            .map
            .iter()
            .map(|(name, value)| (Some(name.as_bytes()), bytes(value))),
    )
}

fn bytes(value: &Value) -> Option<&[u8]> {
    match value {
        Value::BulkString(raw) => Some(raw),
        Value::SimpleString(raw) => Some(raw.as_bytes()),
        _ => None,
    }
}

fn text(value: &Value) -> Option<&str> {
    std::str::from_utf8(bytes(value)?).ok()
}

/// An order's entry as the dead-letter stream keeps it: the fields it was read with.
pub fn dead_entry(order: &StreamOrder) -> DeadEntry {
    let accepted = &order.order;
    let fields = [
        ("order_id", accepted.order_id.to_string()),
        ("user_id", accepted.user_id.as_str().to_owned()),
        ("quantity", accepted.quantity.get().to_string()),
        (
            "created_ms",
            accepted.created_at.timestamp_millis().to_string(),
        ),
    ];
    let key = accepted
        .idempotency_key
        .as_ref()
        .map(|key| ("idempotency_key", key.as_str().to_owned()));
    DeadEntry {
        entry_id: order.entry_id.clone(),
        fields: fields
            .into_iter()
            .chain(key)
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    }
}

/// A pending-order record: "user_id \t quantity \t created_ms", then "\t key" if it has one.
pub fn parse_pending(order_id: OrderId, raw: &str) -> Option<AcceptedOrder> {
    let mut parts = raw.split('\t');
    let user_id = UserId::parse(parts.next()?.to_owned()).ok()?;
    let quantity = Quantity::parse(parts.next()?.parse().ok()?).ok()?;
    let created_at = DateTime::from_timestamp_millis(parts.next()?.parse().ok()?)?;
    let idempotency_key = match parts.next() {
        Some(raw) => Some(IdempotencyKey::parse(raw.as_bytes()).ok()?),
        None => None,
    };
    Some(AcceptedOrder {
        order_id,
        user_id,
        quantity,
        created_at,
        idempotency_key,
    })
}

/// An order's idempotency record as `lua/reserve.lua` writes it: the field
/// "user_id \t key" and the original answer "order_id \t user_id \t quantity \t created_ms".
/// `None` for an order without a key.
pub fn idempotency_record(order: &AcceptedOrder) -> Option<(String, String)> {
    let key = order.idempotency_key.as_ref()?;
    let user = order.user_id.as_str();
    Some((
        format!("{user}\t{}", key.as_str()),
        format!(
            "{}\t{user}\t{}\t{}",
            order.order_id,
            order.quantity.get(),
            order.created_at.timestamp_millis()
        ),
    ))
}

#[cfg(test)]
mod tests;
