//! The persister's stalls: since when each failing loop has been failing and the last failure's
//! kind, for `/readyz` and the `persister_stalled_seconds` / `persister_last_error` metrics.
use super::Metrics;
use prometheus_client::encoding::EncodeLabelSet;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Instant;
use utoipa::ToSchema;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct ErrorKind {
    pub(super) kind: String,
}

/// Whether the persister is getting orders into Postgres, as `/readyz` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PersisterHealth {
    /// How long the longest-failing persister loop has been failing; 0 when none is.
    pub stalled_seconds: f64,
    /// The kind of the last failure (a SQLSTATE, or `io`, `pool_timeout`, `redis`, …), kept
    /// after recovery; `None` if it never failed.
    pub last_error: Option<String>,
}

/// Since when each failing persister loop has been failing, and the last failure's kind.
#[derive(Default)]
pub(super) struct Stalls {
    failing_since: HashMap<String, Instant>,
    last_error: Option<String>,
}

impl Metrics {
    /// A persister loop's step failed: its stall starts now unless it is already failing.
    pub fn persister_failed(&self, consumer: &str, kind: &str) {
        let mut stalls = self.stalls.lock().unwrap_or_else(|e| e.into_inner());
        if !stalls.failing_since.contains_key(consumer) {
            stalls
                .failing_since
                .insert(consumer.to_owned(), Instant::now());
        }
        if stalls.last_error.as_deref() != Some(kind) {
            // One series at a time: the label set stays as small as the set of kinds seen.
            if let Some(previous) = stalls.last_error.replace(kind.to_owned()) {
                self.persister_last_error
                    .remove(&ErrorKind { kind: previous });
            }
            self.persister_last_error
                .get_or_create(&ErrorKind {
                    kind: kind.to_owned(),
                })
                .set(1);
        }
    }

    /// A persister loop's step succeeded: its stall, if any, is over.
    pub fn persister_recovered(&self, consumer: &str) {
        let mut stalls = self.stalls.lock().unwrap_or_else(|e| e.into_inner());
        stalls.failing_since.remove(consumer);
    }

    pub fn persister_health(&self) -> PersisterHealth {
        let stalls = self.stalls.lock().unwrap_or_else(|e| e.into_inner());
        PersisterHealth {
            stalled_seconds: stalls
                .failing_since
                .values()
                .map(|since| since.elapsed().as_secs_f64())
                .fold(0.0, f64::max),
            last_error: stalls.last_error.clone(),
        }
    }
}
