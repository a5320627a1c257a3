//! Abuse limits on order attempts, per buyer and per client IP, checked before any Redis work
//! (after the sold-out fast path, which does none).
//!
//! The limits live in each instance's memory (GCRA, via `governor`): behind N instances a
//! client gets up to N times the rate. That is the right trade for the order path, which must
//! not pay a Redis round trip to be refused; the stock and per-user purchase limits, which must
//! hold across instances, are enforced in Redis.
//!
//! Memory is bounded: a flood of distinct buyer ids would otherwise add one entry per id until
//! the next minute's sweep. Each limiter keeps at most `max_clients` entries (plus the checks
//! made between two size checks): past that it forgets the clients back at a full burst, and
//! if that is not enough, everyone. A forgotten client only regains a fresh burst.
use crate::domain::UserId;
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::nanos::Nanos;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::state::{InMemoryState, StateStore};
use governor::{Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The map's size is read once every this many checks (reading it locks every shard), so a map
/// may pass its cap by that many entries (and the checks running meanwhile).
pub const SIZE_CHECK_EVERY: usize = 256;

const TWO: NonZeroU32 = NonZeroU32::new(2).unwrap();

pub struct RateLimits {
    per_user: Option<Limiter<String>>,
    per_ip: Option<Limiter<IpAddr>>,
    clock: DefaultClock,
}

impl RateLimits {
    /// Attempts per second per buyer and per IP (0 turns a limit off), bursts of twice that;
    /// each limiter keeps `max_clients` entries at most, give or take [`SIZE_CHECK_EVERY`].
    pub fn new(per_user: u32, per_ip: u32, max_clients: usize) -> Self {
        Self {
            per_user: Limiter::new(per_user, max_clients),
            per_ip: Limiter::new(per_ip, max_clients),
            clock: DefaultClock::default(),
        }
    }

    /// `Err(wait)` when the buyer or the IP is over its limit.
    pub fn check(&self, user: &UserId, ip: Option<IpAddr>) -> Result<(), Duration> {
        if let (Some(limiter), Some(ip)) = (&self.per_ip, ip) {
            limiter.check(&ip, &self.clock)?;
        }
        if let Some(limiter) = &self.per_user {
            limiter.check(&user.as_str().to_owned(), &self.clock)?;
        }
        Ok(())
    }

    /// Forgets clients that have been quiet long enough to be back at a full burst, so memory
    /// does not grow with every buyer of every sale.
    pub fn forget_idle(&self) {
        if let Some(limiter) = &self.per_user {
            limiter.forget_idle();
        }
        if let Some(limiter) = &self.per_ip {
            limiter.forget_idle();
        }
    }

    /// Entries held by the per-buyer and the per-IP limiter (0 for a limit turned off).
    pub fn clients(&self) -> (usize, usize) {
        (
            self.per_user.as_ref().map_or(0, Limiter::len),
            self.per_ip.as_ref().map_or(0, Limiter::len),
        )
    }
}

/// One keyed GCRA limiter whose map never holds much more than `max_clients` entries.
struct Limiter<K: Hash + Eq + Clone> {
    gcra: RateLimiter<K, Clients<K>, DefaultClock>,
    clients: Clients<K>,
    max_clients: usize,
    checks: AtomicUsize,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    fn new(rate: u32, max_clients: usize) -> Option<Self> {
        let rate = NonZeroU32::new(rate)?;
        let quota = Quota::per_second(rate).allow_burst(rate.saturating_mul(TWO));
        let clients = Clients::default();
        Some(Self {
            gcra: RateLimiter::new(quota, clients.clone(), DefaultClock::default()),
            clients,
            max_clients,
            checks: AtomicUsize::new(0),
        })
    }

    fn check(&self, key: &K, clock: &DefaultClock) -> Result<(), Duration> {
        let decision = self
            .gcra
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(clock.now()));
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SIZE_CHECK_EVERY)
            && self.len() > self.max_clients
        {
            self.forget_idle();
            if self.len() > self.max_clients {
                // More clients than the cap used their limit within one burst's time: keeping
                // them all would let a flood of ids grow memory without bound.
                self.clients.0.clear();
                self.clients.0.shrink_to_fit();
            }
        }
        decision
    }

    fn forget_idle(&self) {
        self.gcra.retain_recent();
        self.gcra.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.gcra.len()
    }
}

/// governor's `DashMap` state store, shared with [`Limiter`] so that it can clear it.
struct Clients<K: Hash + Eq>(Arc<DashMap<K, InMemoryState>>);

impl<K: Hash + Eq> Default for Clients<K> {
    fn default() -> Self {
        Self(Arc::default())
    }
}

impl<K: Hash + Eq> Clone for Clients<K> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<K: Hash + Eq + Clone> StateStore for Clients<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        self.0.measure_and_replace(key, f)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for Clients<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        ShrinkableKeyedStateStore::retain_recent(&*self.0, drop_below);
    }

    fn shrink_to_fit(&self) {
        self.0.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests;
