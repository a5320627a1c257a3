//! Selling a sale whose stock is split over buckets (`domain::Buckets`), without ever
//! overselling and without a false `sold_out`.
//!
//! A buyer's attempt goes to their home bucket, which alone holds their count and idempotency
//! keys, so the per-user limit and idempotency are exact. When the home bucket is empty, stock
//! moves to it from the fullest other buckets (`lua/take_stock.lua`, then `give_stock.lua`):
//! units leave the donor before they reach the recipient, so a move cut short undersells, and
//! its record on the donor lets anyone finish it later. `sold_out` is answered only when two
//! surveys of every bucket agree that all are empty with no move open: stock only ever arrives
//! in a bucket by raising its `refills` count, so between the two readings of each bucket there
//! was an instant when the sale had no unit anywhere.
use crate::domain::{Buckets, OrderAttempt, OrderId, Refusal, Reservation, SaleId};
use crate::error::{ApiError, Result};
use crate::redis::{BucketSurvey, OpenMove, RedisStore};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// Refills an attempt may wait through before it gives up with 503: a bound for a bucket whose
/// stock others keep taking, never reached in a sale where stock runs out (that is proved).
const MAX_ROUNDS: usize = 16;

/// What is known of split sales, shared by every worker of an instance.
#[derive(Default)]
pub struct SplitStock {
    /// A sale's bucket count never changes once created.
    counts: RwLock<HashMap<SaleId, Buckets>>,
    /// One refill at a time per bucket: a storm on an empty bucket waits for one refill instead
    /// of every attempt surveying every bucket.
    refilling: Mutex<HashMap<SaleId, Arc<tokio::sync::Mutex<()>>>>,
}

enum Refill {
    /// Stock moved (or a move was finished, or something changed): try the home bucket again.
    Moved,
    /// Proved: no bucket has `needed` units, and these many are left in all of them together.
    Exhausted { left: i64 },
}

impl SplitStock {
    /// The sale's bucket count; one for a sale Redis does not hold (its attempt is then
    /// answered `sale_not_found` by the script).
    pub async fn buckets(&self, store: &RedisStore, sale: &SaleId) -> Result<Buckets> {
        if let Some(known) = self
            .counts
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(sale)
        {
            return Ok(*known);
        }
        let Some(count) = store.bucket_count(sale).await? else {
            return Ok(Buckets::ONE);
        };
        let mut counts = self.counts.write().unwrap_or_else(|p| p.into_inner());
        counts.insert(sale.clone(), count);
        Ok(count)
    }

    /// Decides an attempt on a sale split over `buckets` (more than one).
    pub async fn reserve(
        &self,
        store: &RedisStore,
        attempt: &OrderAttempt,
        buckets: Buckets,
    ) -> Result<Reservation> {
        let home = buckets.home(&attempt.user);
        let routed = OrderAttempt {
            sale: attempt.sale.bucket(home),
            ..attempt.clone()
        };
        let answer = store.reserve(routed.clone(), OrderId::generate()).await?;
        if !finds_too_little(&answer) {
            return Ok(answer);
        }
        let lock = self.refill_lock(&routed.sale);
        let _refilling = lock.lock().await;
        let needed = i64::from(attempt.quantity.get());
        for _ in 0..MAX_ROUNDS {
            let answer = store.reserve(routed.clone(), OrderId::generate()).await?;
            if !finds_too_little(&answer) {
                return Ok(answer);
            }
            if let Refill::Exhausted { left } =
                refill(store, &attempt.sale, buckets, home, needed).await?
            {
                let refusal = match left {
                    0 => Refusal::SoldOut,
                    _ => Refusal::InsufficientStock,
                };
                return Ok(Reservation::Refused(refusal));
            }
        }
        Err(ApiError::Unavailable(anyhow::anyhow!(
            "the stock of {} kept moving between buckets",
            attempt.sale
        )))
    }

    fn refill_lock(&self, bucket: &SaleId) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.refilling.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(bucket.clone()).or_default().clone()
    }
}

fn finds_too_little(answer: &Reservation) -> bool {
    matches!(
        answer,
        Reservation::Refused(Refusal::SoldOut | Refusal::InsufficientStock)
    )
}

/// Brings stock to `home` until it holds `needed`, or proves the sale cannot.
async fn refill(
    store: &RedisStore,
    sale: &SaleId,
    buckets: Buckets,
    home: u16,
    needed: i64,
) -> Result<Refill> {
    let before = store.survey(sale, buckets).await?;
    let open: Vec<&OpenMove> = before.iter().flat_map(BucketSurvey::open_moves).collect();
    if !open.is_empty() {
        for open in open {
            store.finish_move(sale, open).await?;
        }
        return Ok(Refill::Moved);
    }
    let home_left = before[usize::from(home)].stock_left();
    if home_left >= needed {
        return Ok(Refill::Moved);
    }
    let mut donors: Vec<(u16, i64)> = buckets
        .all()
        .map(|bucket| (bucket, before[usize::from(bucket)].stock_left()))
        .filter(|(bucket, left)| *bucket != home && *left > 0)
        .collect();
    donors.sort_unstable_by_key(|(_, left)| -left);
    let mut gathered = home_left;
    for (donor, _) in donors {
        let id = uuid::Uuid::now_v7().simple().to_string();
        let quantity = store
            .take_stock(sale, donor, home, &id, needed - gathered)
            .await?;
        if quantity > 0 {
            let open = OpenMove {
                id,
                donor,
                recipient: home,
                quantity,
            };
            store.finish_move(sale, &open).await?;
            gathered += quantity;
            if gathered >= needed {
                break;
            }
        }
    }
    if gathered > home_left {
        return Ok(Refill::Moved);
    }
    let after = store.survey(sale, buckets).await?;
    if after != before {
        return Ok(Refill::Moved);
    }
    Ok(Refill::Exhausted {
        left: after.iter().map(BucketSurvey::stock_left).sum(),
    })
}
