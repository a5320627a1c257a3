//! Redis's memory, for the metrics: with `noeviction` a full Redis refuses every order of every
//! sale, so an alert must fire well before.
use super::RedisStore;
use super::identity::info_texts;
use crate::error::Result;
use redis::Value;

/// One server's `used_memory` and `maxmemory` (0: no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RedisMemory {
    pub used: u64,
    pub max: u64,
}

impl RedisMemory {
    fn parse(info: &str) -> Option<Self> {
        let field = |name: &str| {
            info.lines()
                .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
                .and_then(|value| value.trim().parse().ok())
        };
        Some(Self {
            used: field("used_memory")?,
            max: field("maxmemory")?,
        })
    }

    /// How full it is, 0 without a limit.
    fn fill(self) -> f64 {
        match self.max {
            0 => 0.0,
            max => self.used as f64 / max as f64,
        }
    }
}

impl RedisStore {
    /// The server's memory or, on a cluster, that of the fullest master (the one that will
    /// refuse writes first).
    pub async fn memory(&self) -> Result<RedisMemory> {
        let info: Value = redis::cmd("INFO")
            .arg("memory")
            .query_async(&mut self.pooled().await?)
            .await?;
        info_texts(&info)
            .iter()
            .filter_map(|text| RedisMemory::parse(text))
            .max_by(|a, b| a.fill().total_cmp(&b.fill()).then(a.used.cmp(&b.used)))
            .ok_or_else(|| anyhow::anyhow!("INFO memory has no used_memory").into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_and_max_memory_are_read_from_info() {
        let info = "# Memory\r\nused_memory:1048576\r\nused_memory_human:1.00M\r\n\
                    maxmemory:4194304\r\nmaxmemory_policy:noeviction\r\n";
        let memory = RedisMemory::parse(info).unwrap();
        assert_eq!(
            memory,
            RedisMemory {
                used: 1_048_576,
                max: 4_194_304
            }
        );
        assert_eq!(memory.fill(), 0.25);
        assert_eq!(RedisMemory { used: 5, max: 0 }.fill(), 0.0);
        assert_eq!(RedisMemory::parse("# Memory\r\n"), None);
    }
}
