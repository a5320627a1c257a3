//! The label sets of the metrics, and the fixed classes the order latency histogram uses.
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Outcome {
    pub(super) outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Status {
    pub(super) status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Limit {
    pub(super) limit: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Class {
    pub(super) class: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct Build {
    pub(super) version: &'static str,
    /// The commit given as `FLASHSALE_BUILD_COMMIT` when the binary was built, else `unknown`:
    /// no build script asks git, so a build from a source archive works the same.
    pub(super) commit: &'static str,
}

/// The classes the order latency histogram is labelled with: few and fixed, so its series stay
/// bounded while fast refusals no longer hide slow acceptances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderClass {
    /// Accepted, or an accepted order replayed.
    Accepted,
    /// `sold_out` or `insufficient_stock`: the answer of most attempts in a flash sale.
    SoldOut,
    /// Any other refusal (4xx): not started, ended, paused, over the limit, invalid, throttled.
    Rejected,
    /// 5xx: unavailable, shed, internal.
    Error,
}

impl OrderClass {
    pub(super) fn label(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::SoldOut => "sold_out",
            Self::Rejected => "rejected",
            Self::Error => "error",
        }
    }
}

pub(super) type Histograms = Family<Outcome, Histogram, fn() -> Histogram>;

pub(super) fn order_histogram() -> Histogram {
    // 100 µs to about 3.3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}
