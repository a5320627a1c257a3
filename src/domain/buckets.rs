//! `Buckets`: how many stock counters a sale's stock is split over in Redis, and which one is a
//! buyer's home.
use super::{UserId, ValidationError};
use serde::Serialize;
use utoipa::ToSchema;

/// 1 to 64. Parses as `buckets`. Each bucket lives under its own hash tag, so on Redis Cluster
/// the buckets of one hot sale spread over the masters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(transparent)]
pub struct Buckets(u16);

impl Buckets {
    pub const MAX: u16 = 64;
    pub const ONE: Self = Self(1);

    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        match u16::try_from(raw) {
            Ok(value) if (1..=Self::MAX).contains(&value) => Ok(Self(value)),
            _ => Err(ValidationError::new(
                "buckets",
                format!("must be an integer from 1 to {}", Self::MAX),
            )),
        }
    }

    pub fn get(self) -> u16 {
        self.0
    }

    /// The bucket that holds this buyer's count, idempotency keys and orders: always the same
    /// one, so the per-user limit and idempotency stay exact however the stock is split.
    pub fn home(self, user: &UserId) -> u16 {
        // FNV-1a, written out because every instance of every release must agree on it:
        // std's hasher is free to change between releases.
        let hash = user
            .as_str()
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
            });
        u16::try_from(hash % u64::from(self.0)).unwrap_or(0)
    }

    /// Bucket `bucket`'s share of `stock_total`: the buckets' shares add up to it, differ by
    /// at most one, and each only grows as the total does (a restock never lowers one).
    pub fn share(self, stock_total: i64, bucket: u16) -> i64 {
        let count = i64::from(self.0);
        stock_total / count + i64::from(i64::from(bucket) < stock_total % count)
    }

    pub fn all(self) -> impl Iterator<Item = u16> {
        0..self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_one_to_sixty_four() {
        assert_eq!(Buckets::parse(1).unwrap(), Buckets::ONE);
        assert_eq!(Buckets::parse(64).unwrap().get(), 64);
        for raw in [0, -1, 65, i64::MAX] {
            assert!(Buckets::parse(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn shares_add_up_and_only_grow_with_the_total() {
        for count in [1, 3, 8, 64] {
            let buckets = Buckets::parse(count).unwrap();
            for total in 0..200 {
                let shares: Vec<i64> = buckets.all().map(|b| buckets.share(total, b)).collect();
                assert_eq!(shares.iter().sum::<i64>(), total);
                for b in buckets.all() {
                    assert!(buckets.share(total + 1, b) >= shares[usize::from(b)]);
                }
            }
        }
    }

    #[test]
    fn a_buyers_home_is_stable_and_in_range() {
        let buckets = Buckets::parse(8).unwrap();
        let user = UserId::parse("alice".to_owned()).unwrap();
        assert_eq!(buckets.home(&user), buckets.home(&user));
        assert_eq!(
            buckets.home(&user),
            7,
            "FNV-1a 64 of \"alice\" is 0x508b2abb65a03907"
        );
        assert_eq!(Buckets::ONE.home(&user), 0);
    }
}
