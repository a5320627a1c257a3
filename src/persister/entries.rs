//! Stream entries as the persister sees them: orders, or entries that will never be one.
use crate::domain::SaleId;
use chrono::{DateTime, Utc};
use redis::streams::StreamId;
use uuid::Uuid;

/// One order as the reservation script wrote it to the stream.
#[derive(Debug, Clone)]
pub struct StreamOrder {
    pub entry_id: String,
    pub order_id: Uuid,
    pub user_id: String,
    pub quantity: i32,
    pub created_at: DateTime<Utc>,
}

/// The entries read from one sale's stream.
#[derive(Debug, Clone)]
pub struct SaleBatch {
    pub sale: SaleId,
    pub orders: Vec<StreamOrder>,
    /// Entries that cannot be parsed into an order.
    pub malformed: Vec<DeadEntry>,
}

/// An entry that will never become an order row, with its fields as read.
#[derive(Debug, Clone)]
pub struct DeadEntry {
    pub entry_id: String,
    pub fields: Vec<(String, String)>,
}

impl From<&StreamOrder> for DeadEntry {
    fn from(order: &StreamOrder) -> Self {
        let fields = [
            ("order_id", order.order_id.to_string()),
            ("user_id", order.user_id.clone()),
            ("quantity", order.quantity.to_string()),
            (
                "created_ms",
                order.created_at.timestamp_millis().to_string(),
            ),
        ];
        Self {
            entry_id: order.entry_id.clone(),
            fields: fields.map(|(k, v)| (k.to_owned(), v)).to_vec(),
        }
    }
}

pub fn sale_batch(sale: &SaleId, entries: &[StreamId]) -> SaleBatch {
    let mut batch = SaleBatch {
        sale: sale.clone(),
        orders: Vec::with_capacity(entries.len()),
        malformed: Vec::new(),
    };
    for entry in entries {
        match parse_entry(entry) {
            Some(order) => batch.orders.push(order),
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

fn parse_entry(entry: &StreamId) -> Option<StreamOrder> {
    let created_ms: i64 = entry.get("created_ms")?;
    Some(StreamOrder {
        entry_id: entry.id.clone(),
        order_id: Uuid::try_parse(&entry.get::<String>("order_id")?).ok()?,
        user_id: entry.get("user_id")?,
        quantity: entry.get("quantity")?,
        created_at: DateTime::from_timestamp_millis(created_ms)?,
    })
}

/// Milliseconds since the epoch at which a stream entry was added (the first half of its id).
pub fn entry_time(entry_id: &str) -> Option<DateTime<Utc>> {
    let millis = entry_id.split('-').next()?.parse().ok()?;
    DateTime::from_timestamp_millis(millis)
}
