//! Reading new entries of the sales' orders streams for the persisters' group: one
//! `XREADGROUP` for every stream on one server, one per slot on a cluster.
use super::CONSUMER_GROUP;
use super::connection::Connection;
use super::entries::sale_batch;
use super::orders_stream::{OrdersStream, is_missing_stream};
use crate::domain::{SaleBatch, SaleId};
use redis::cluster_routing::Slot;
use redis::{RedisResult, Value};
use std::time::Duration;

impl OrdersStream {
    /// New entries of these sales' streams, waiting up to `block` for the first. One read
    /// names every stream; on a cluster, one read per slot (a read may not cross slots), none
    /// of them blocking when there are several: with nothing new anywhere, the wait is a sleep.
    pub async fn read_new(
        &mut self,
        sales: &[SaleId],
        count: usize,
        block: Duration,
    ) -> RedisResult<Vec<SaleBatch>> {
        let streams: Vec<(&SaleId, String)> = sales
            .iter()
            .map(|sale| (sale, self.keys.sale(sale).orders))
            .collect();
        let groups = self.read_groups(&streams);
        if let [group] = groups.as_slice() {
            return self.read_streams(group, count, Some(block)).await;
        }
        let mut batches = Vec::new();
        for group in &groups {
            batches.extend(self.read_streams(group, count, None).await?);
        }
        if batches.is_empty() {
            tokio::time::sleep(block).await;
        }
        Ok(batches)
    }

    /// The streams one read may name together: all of them, or on a cluster those of a slot.
    fn read_groups<'a>(&self, streams: &[(&'a SaleId, String)]) -> Vec<Vec<(&'a SaleId, String)>> {
        if !self.target.is_cluster() {
            return vec![streams.to_vec()];
        }
        let mut groups: Vec<(Slot, Vec<(&SaleId, String)>)> = Vec::new();
        for (sale, stream) in streams {
            let slot = Slot::for_key(stream);
            match groups.iter_mut().find(|(of, _)| *of == slot) {
                Some((_, group)) => group.push((sale, stream.clone())),
                None => groups.push((slot, vec![(sale, stream.clone())])),
            }
        }
        groups.into_iter().map(|(_, group)| group).collect()
    }

    async fn read_streams(
        &mut self,
        streams: &[(&SaleId, String)],
        count: usize,
        block: Option<Duration>,
    ) -> RedisResult<Vec<SaleBatch>> {
        let names: Vec<&str> = streams.iter().map(|(_, stream)| stream.as_str()).collect();
        let mut command = redis::cmd("XREADGROUP");
        command
            .arg("GROUP")
            .arg(CONSUMER_GROUP)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(count);
        if let Some(block) = block {
            command.arg("BLOCK").arg(block.as_millis() as u64);
        }
        command
            .arg("STREAMS")
            .arg(&names)
            .arg(vec![">"; names.len()]);
        let conn = self.blocking_connection().await?;
        let reply: Value = match command.query_async(conn).await {
            Ok(reply) => reply,
            Err(e) if is_missing_stream(&e) => {
                self.recreate_groups(&names).await?;
                return Ok(Vec::new());
            }
            Err(e) => {
                self.blocking = None;
                return Err(e);
            }
        };
        // `[[stream, [entry, …]], …]` (a map of the same in RESP3), `Nil` when the wait ran out.
        let per_stream: Vec<(&Value, &Value)> = match &reply {
            Value::Array(streams) => streams
                .iter()
                .filter_map(|stream| match stream {
                    Value::Array(pair) if pair.len() == 2 => Some((&pair[0], &pair[1])),
                    _ => None,
                })
                .collect(),
            Value::Map(pairs) => pairs.iter().map(|(key, entries)| (key, entries)).collect(),
            _ => Vec::new(),
        };
        Ok(per_stream
            .into_iter()
            .filter_map(|(key, entries)| {
                let key: String = redis::from_redis_value_ref(key).ok()?;
                let (sale, _) = streams.iter().find(|(_, stream)| *stream == key)?;
                let Value::Array(entries) = entries else {
                    return None;
                };
                Some(sale_batch(sale, entries))
            })
            .collect())
    }

    async fn blocking_connection(&mut self) -> RedisResult<&mut Connection> {
        if self.blocking.is_none() {
            self.blocking = Some(self.target.connect(None).await?);
        }
        Ok(self.blocking.as_mut().expect("connection was just set"))
    }
}
