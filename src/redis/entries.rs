//! How orders are encoded in a sale's stream entries, pending-order records and idempotency
//! records, all written by `lua/reserve.lua`: parsing them into domain types, once, with anything
//! unparsable set apart, and writing idempotency records back when a lost sale is restored.
use crate::domain::{
    AcceptedOrder, DeadEntry, IdempotencyKey, OrderId, Quantity, SaleBatch, SaleId, StreamOrder,
    UserId,
};
use chrono::{DateTime, Utc};
use redis::Value;
use redis::streams::StreamId;

/// One sale's entries as `XREADGROUP` or `XAUTOCLAIM` answer them, read straight from the reply:
/// each entry is `[id, [field, value, …]]`, its fields in any order (`Nil` for an entry deleted
/// since it was delivered). No map per entry: a batch is thousands of them.
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
        match parse_order(pairs) {
            Some(order) => batch.orders.push(StreamOrder {
                entry_id: entry_id.to_owned(),
                order,
            }),
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

/// An order from an entry already read into a map (the dead letters, read rarely).
pub(super) fn parse_entry(entry: &StreamId) -> Option<AcceptedOrder> {
    parse_order(
        entry
            .map
            .iter()
            .map(|(name, value)| (Some(name.as_bytes()), bytes(value))),
    )
}

/// The order in an entry's fields, picked by name: `order_id`, `user_id`, `quantity`,
/// `created_ms` and optionally `idempotency_key`. Other fields are ignored (the dead letters
/// add `entry_id` and `reason`); a missing or unparsable one makes the entry malformed.
fn parse_order<'a>(
    fields: impl Iterator<Item = (Option<&'a [u8]>, Option<&'a [u8]>)>,
) -> Option<AcceptedOrder> {
    let (mut order_id, mut user_id, mut quantity, mut created_ms, mut key) =
        (None, None, None, None, None);
    for (name, value) in fields {
        let slot = match name? {
            b"order_id" => &mut order_id,
            b"user_id" => &mut user_id,
            b"quantity" => &mut quantity,
            b"created_ms" => &mut created_ms,
            b"idempotency_key" => &mut key,
            _ => continue,
        };
        *slot = Some(value?);
    }
    let number = |raw: &[u8]| std::str::from_utf8(raw).ok()?.parse::<i64>().ok();
    Some(AcceptedOrder {
        order_id: OrderId::parse(std::str::from_utf8(order_id?).ok()?).ok()?,
        user_id: UserId::parse(String::from_utf8(user_id?.to_vec()).ok()?).ok()?,
        quantity: Quantity::parse(number(quantity?)?).ok()?,
        created_at: DateTime::from_timestamp_millis(number(created_ms?)?)?,
        idempotency_key: match key {
            Some(raw) => Some(IdempotencyKey::parse(raw).ok()?),
            None => None,
        },
    })
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

/// When a stream entry was added: the first half of its id, in milliseconds since the epoch.
pub fn entry_time(entry_id: &str) -> Option<DateTime<Utc>> {
    let millis = entry_id.split('-').next()?.parse().ok()?;
    DateTime::from_timestamp_millis(millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, fields: &[&str]) -> Value {
        let fields = fields
            .iter()
            .map(|f| Value::BulkString(f.as_bytes().to_vec()))
            .collect();
        Value::Array(vec![
            Value::BulkString(id.as_bytes().to_vec()),
            Value::Array(fields),
        ])
    }

    const ORDER: &str = "0190a8c4-4b6e-7000-8000-000000000001";

    #[test]
    fn fields_are_picked_by_name_in_any_order_and_unknown_ones_ignored() {
        let sale = SaleId::parse("s").unwrap();
        let entries = [entry(
            "1-0",
            &[
                "created_ms",
                "1700000000000",
                "note",
                "x",
                "quantity",
                "2",
                "user_id",
                "u1",
                "idempotency_key",
                "k",
                "order_id",
                ORDER,
            ],
        )];
        let batch = sale_batch(&sale, &entries);
        assert!(batch.malformed.is_empty());
        let order = &batch.orders[0];
        assert_eq!(order.entry_id, "1-0");
        assert_eq!(order.order.order_id.to_string(), ORDER);
        assert_eq!(order.order.user_id.as_str(), "u1");
        assert_eq!(order.order.quantity.get(), 2);
        assert_eq!(order.order.created_at.timestamp_millis(), 1_700_000_000_000);
        assert_eq!(order.order.idempotency_key.as_ref().unwrap().as_str(), "k");
    }

    #[test]
    fn entries_missing_a_field_or_with_a_bad_value_are_malformed_with_their_fields() {
        let sale = SaleId::parse("s").unwrap();
        let complete = ["order_id", ORDER, "user_id", "u", "quantity", "1"];
        let entries = [
            entry("1-0", &complete),
            entry("2-0", &[&complete[..], &["created_ms", "soon"]].concat()),
            entry("3-0", &[&complete[..], &["created_ms"]].concat()),
            Value::Array(vec![Value::BulkString(b"4-0".to_vec()), Value::Nil]),
            entry("5-0", &[&complete[..], &["created_ms", "1"]].concat()),
        ];
        let batch = sale_batch(&sale, &entries);
        let ids: Vec<&str> = batch
            .malformed
            .iter()
            .map(|e| e.entry_id.as_str())
            .collect();
        assert_eq!(ids, ["1-0", "2-0", "3-0", "4-0"]);
        assert_eq!(
            batch.malformed[1].fields[3],
            ("created_ms".into(), "soon".into())
        );
        assert_eq!(batch.orders.len(), 1);
        assert_eq!(batch.orders[0].entry_id, "5-0");
    }
}
