//! Snapshots of a sale's Redis keys, to prove that a refused call wrote nothing.
use flashsale::redis::Connection;
use flashsale::redis::SaleKeys;

/// Every key the scripts take, in their `KEYS` order, with its serialized value (`None`: the
/// key does not exist).
pub type Snapshot = Vec<(String, Option<Vec<u8>>)>;

/// Equal snapshots mean nothing changed: `DUMP` serializes a key whole, a stream with its
/// consumer groups and their pending entries.
pub async fn snapshot(redis: &Connection, keys: &SaleKeys) -> Snapshot {
    let mut snapshot = Vec::new();
    let moves = [keys.moves_out.as_str(), keys.moves_in.as_str()];
    for key in keys.all().into_iter().chain(moves) {
        let dump: Option<Vec<u8>> = redis::cmd("DUMP")
            .arg(key)
            .query_async(&mut redis.clone())
            .await
            .unwrap();
        snapshot.push((key.to_owned(), dump));
    }
    snapshot
}
