//! Abuse limits on order attempts, per buyer and per client IP, checked before any Redis work
//! (after the sold-out fast path, which does none).
//!
//! The limits live in each instance's memory (GCRA, via `governor`): behind N instances a
//! client gets up to N times the rate. That is the right trade for the order path, which must
//! not pay a Redis round trip to be refused; the stock and per-user purchase limits, which must
//! hold across instances, are enforced in Redis.
use crate::domain::UserId;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

const TWO: NonZeroU32 = NonZeroU32::new(2).unwrap();

pub struct RateLimits {
    per_user: Option<DefaultKeyedRateLimiter<String>>,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
    clock: DefaultClock,
}

impl RateLimits {
    /// Attempts per second per buyer and per IP (0 turns a limit off); bursts of twice that.
    pub fn new(per_user: u32, per_ip: u32) -> Self {
        fn limiter<K: std::hash::Hash + Eq + Clone>(
            rate: u32,
        ) -> Option<DefaultKeyedRateLimiter<K>> {
            let rate = NonZeroU32::new(rate)?;
            let burst = rate.saturating_mul(TWO);
            Some(RateLimiter::keyed(
                Quota::per_second(rate).allow_burst(burst),
            ))
        }
        Self {
            per_user: limiter(per_user),
            per_ip: limiter(per_ip),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(wait)` when the buyer or the IP is over its limit.
    pub fn check(&self, user: &UserId, ip: Option<IpAddr>) -> Result<(), Duration> {
        if let (Some(limiter), Some(ip)) = (&self.per_ip, ip) {
            limiter
                .check_key(&ip)
                .map_err(|not_until| not_until.wait_time_from(self.clock.now()))?;
        }
        if let Some(limiter) = &self.per_user {
            limiter
                .check_key(&user.as_str().to_owned())
                .map_err(|not_until| not_until.wait_time_from(self.clock.now()))?;
        }
        Ok(())
    }

    /// Forgets clients that have been quiet long enough to be back at a full burst, so memory
    /// does not grow with every buyer of every sale.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_user {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        if let Some(limiter) = &self.per_ip {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buyer_gets_a_burst_of_twice_the_rate_then_waits() {
        let limits = RateLimits::new(2, 0);
        let buyer = UserId::parse("bot".into()).unwrap();
        for _ in 0..4 {
            assert!(limits.check(&buyer, None).is_ok());
        }
        let wait = limits.check(&buyer, None).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        let other = UserId::parse("human".into()).unwrap();
        assert!(limits.check(&other, None).is_ok());
    }

    #[test]
    fn the_ip_limit_counts_every_buyer_behind_the_address() {
        let limits = RateLimits::new(0, 1);
        let ip = Some(IpAddr::from([10, 0, 0, 1]));
        assert!(
            limits
                .check(&UserId::parse("a".into()).unwrap(), ip)
                .is_ok()
        );
        assert!(
            limits
                .check(&UserId::parse("b".into()).unwrap(), ip)
                .is_ok()
        );
        assert!(
            limits
                .check(&UserId::parse("c".into()).unwrap(), ip)
                .is_err()
        );
    }

    #[test]
    fn zero_turns_the_limits_off() {
        let limits = RateLimits::new(0, 0);
        let buyer = UserId::parse("bot".into()).unwrap();
        for _ in 0..1000 {
            assert!(
                limits
                    .check(&buyer, Some(IpAddr::from([10, 0, 0, 1])))
                    .is_ok()
            );
        }
    }
}
