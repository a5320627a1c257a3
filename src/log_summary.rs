//! Repeated errors summarised: the first of a kind is logged, then at most one line per
//! interval, carrying how many of that kind went unlogged since the previous line. An outage
//! that fails thousands of requests a second then costs a line every interval instead of
//! flooding the log (and the CPU) with one multi-line chain per request.
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub struct LogSummary {
    /// One line per kind per interval.
    lines: DefaultKeyedRateLimiter<&'static str>,
    /// Occurrences left unlogged since each kind's last line.
    suppressed: Mutex<HashMap<&'static str, u64>>,
}

impl LogSummary {
    /// `interval` must not be zero.
    pub fn new(interval: Duration) -> Self {
        let quota = Quota::with_period(interval).expect("a log summary interval above zero");
        Self {
            lines: RateLimiter::keyed(quota),
            suppressed: Mutex::default(),
        }
    }

    /// An occurrence of `kind`: `Some(n)` when it is to be logged, `n` the occurrences left
    /// unlogged since the last line of that kind; `None` when it is only counted.
    pub fn record(&self, kind: &'static str) -> Option<u64> {
        let mut suppressed = self.suppressed.lock().unwrap_or_else(|e| e.into_inner());
        if self.lines.check_key(&kind).is_ok() {
            Some(suppressed.remove(kind).unwrap_or(0))
        } else {
            *suppressed.entry(kind).or_default() += 1;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_the_first_then_one_line_per_interval_with_the_count_left_out() {
        let summary = LogSummary::new(Duration::from_millis(200));
        assert_eq!(summary.record("unavailable"), Some(0));
        for _ in 0..999 {
            assert_eq!(summary.record("unavailable"), None);
        }
        assert_eq!(summary.record("internal"), Some(0), "kinds are apart");
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(summary.record("unavailable"), Some(999));
        assert_eq!(summary.record("unavailable"), None);
    }
}
