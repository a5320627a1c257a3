//! How orders are encoded in a sale's stream entries, pending-order records and idempotency
//! records, all written by `lua/reserve.lua`: parsing them into domain types, once, with anything
//! unparsable set apart, and writing idempotency records back when a lost sale is restored.
use crate::domain::{
    AcceptedOrder, DeadEntry, IdempotencyKey, OrderId, Quantity, SaleBatch, SaleId, StreamOrder,
    UserId,
};
use chrono::{DateTime, Utc};
use redis::streams::StreamId;

pub fn sale_batch(sale: &SaleId, entries: &[StreamId]) -> SaleBatch {
    let mut batch = SaleBatch {
        sale: sale.clone(),
        orders: Vec::with_capacity(entries.len()),
        malformed: Vec::new(),
    };
    for entry in entries {
        match parse_entry(entry) {
            Some(order) => batch.orders.push(StreamOrder {
                entry_id: entry.id.clone(),
                order,
            }),
            None => batch.malformed.push(DeadEntry {
                entry_id: entry.id.clone(),
                fields: entry
                    .map
                    .iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            redis::from_redis_value_ref(v).unwrap_or_default(),
                        )
                    })
                    .collect(),
            }),
        }
    }
    batch
}

pub(super) fn parse_entry(entry: &StreamId) -> Option<AcceptedOrder> {
    let created_ms: i64 = entry.get("created_ms")?;
    let idempotency_key = match entry.get::<String>("idempotency_key") {
        Some(raw) => Some(IdempotencyKey::parse(raw.as_bytes()).ok()?),
        None => None,
    };
    Some(AcceptedOrder {
        order_id: OrderId::parse(&entry.get::<String>("order_id")?).ok()?,
        user_id: UserId::parse(entry.get("user_id")?).ok()?,
        quantity: Quantity::parse(entry.get("quantity")?).ok()?,
        created_at: DateTime::from_timestamp_millis(created_ms)?,
        idempotency_key,
    })
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
