//! Restoring and repairing a sale whose stock is split over buckets (see
//! `engine::split_stock`): each buyer's count, keys and taken stock belong to their home bucket,
//! and the buckets' totals together are balanced against Postgres's stock_total.
use super::repair::{Action, Taken, taken};
use crate::domain::{AcceptedOrder, SaleDefinition, UserId};
use crate::error::Result;
use crate::redis::{BucketSurvey, RedisStore};
use sqlx::PgPool;

/// Loads the buckets Redis lost and refreshes the others. When every bucket was lost, Postgres
/// and the pending orders tell what is left and it is shared out again; when some survived,
/// they hold an unknown part of what is left (stock moves between buckets), so a lost bucket
/// comes back with its buyers and none of the stock: it can undersell, never oversell, until
/// a repair (`repair_buckets`, which verification runs next) gives back what the buckets lack.
/// Returns whether bucket 0 was loaded.
pub(super) async fn restore_buckets(
    redis: &RedisStore,
    db: &PgPool,
    sale: &SaleDefinition,
    paused: bool,
) -> Result<bool> {
    let mut lost = Vec::new();
    for bucket in sale.buckets.all() {
        if !redis.is_loaded(&sale.id.bucket(bucket)).await? {
            lost.push(bucket);
        }
    }
    if lost.is_empty() {
        return redis.load_sale(sale, 0, 0, &[], paused).await;
    }
    let taken = taken(redis, db, &sale.id, sale.buckets).await?;
    let left = match lost.len() == usize::from(sale.buckets.get()) {
        true => (sale.stock_total.get() - taken.reserved).max(0),
        false => 0,
    };
    let mut loaded = false;
    for bucket in sale.buckets.all() {
        let definition = sale.bucket(bucket);
        if !lost.contains(&bucket) {
            redis.load_bucket(&definition, 0, 0, &[], paused).await?;
            continue;
        }
        let (buyers, keyed) = homed(sale, bucket, &taken);
        redis.restore_idempotency(&definition.id, &keyed).await?;
        // Rejected orders took stock too, in their buyer's bucket.
        let rejected: i64 = taken
            .rejected
            .iter()
            .filter(|(user, _)| sale.buckets.home(user) == bucket)
            .map(|(_, quantity)| quantity)
            .sum();
        let reserved = buyers.iter().map(|(_, quantity)| quantity).sum::<i64>() + rejected;
        let stock_left = sale.buckets.share(left, bucket);
        let written = redis
            .load_bucket(&definition, stock_left, reserved, &buyers, paused)
            .await?;
        loaded |= written && bucket == 0;
    }
    Ok(loaded)
}

/// Repairs a split sale's counters, in two steps. Each bucket is reset as an unsplit sale is
/// (`lua/reconcile.lua`), keeping its own total: what its buyers took by Postgres and the
/// pending orders (and whatever sold since) is taken, the rest of what it holds is left, so a
/// bucket restarted from older data stops selling orders it forgot. Then the buckets' totals are
/// balanced against Postgres's (see `balance`).
pub(super) async fn repair_buckets(
    redis: &RedisStore,
    db: &PgPool,
    sale: &SaleDefinition,
) -> Result<Action> {
    let seen = redis.reserved_by_bucket(&sale.id, sale.buckets).await?;
    let taken = taken(redis, db, &sale.id, sale.buckets).await?;
    let old_stock_left: i64 = redis
        .survey(&sale.id, sale.buckets)
        .await?
        .iter()
        .map(BucketSurvey::stock_left)
        .sum();
    for bucket in sale.buckets.all() {
        let Some(reserved_seen) = seen[usize::from(bucket)] else {
            continue;
        };
        let home = |user: &UserId| sale.buckets.home(user) == bucket;
        let taken_here: i64 = taken
            .buyers
            .iter()
            .chain(&taken.rejected)
            .filter(|(user, _)| home(user))
            .map(|(_, quantity)| quantity)
            .sum();
        let name = sale.id.bucket(bucket);
        redis
            .reset_counters(&name, None, taken_here, reserved_seen)
            .await?;
    }
    balance(redis, sale).await?;
    let after = redis.survey(&sale.id, sale.buckets).await?;
    Ok(Action::Reset {
        old_stock_left,
        new_stock_left: after.iter().map(BucketSurvey::stock_left).sum(),
    })
}

/// Gives the buckets what they lack of Postgres's stock_total together (a move whose second
/// step was lost, a bucket restored without stock), or takes back what they hold beyond it (a
/// move whose first step was lost), and answers whether they were balanced. Only from two
/// readings of every bucket, all loaded, that agree on what each holds, with no move open:
/// holdings change only by moves, restocks and repairs, so the sum is exact between the
/// readings. The adjustment is named after the total and the sum it corrects, so two repairs
/// that saw the same holdings apply it once.
async fn balance(redis: &RedisStore, sale: &SaleDefinition) -> Result<bool> {
    for survey in redis.survey(&sale.id, sale.buckets).await? {
        for open in survey.open_moves() {
            redis.finish_move(&sale.id, open).await?;
        }
    }
    let first = redis.survey(&sale.id, sale.buckets).await?;
    let second = redis.survey(&sale.id, sale.buckets).await?;
    let holdings: Option<Vec<i64>> = first.iter().map(BucketSurvey::settled_holding).collect();
    let again: Option<Vec<i64>> = second.iter().map(BucketSurvey::settled_holding).collect();
    let (Some(holdings), Some(again)) = (holdings, again) else {
        return Ok(false);
    };
    if holdings != again
        || first
            .iter()
            .zip(&second)
            .any(|(a, b)| a.refills() != b.refills())
    {
        return Ok(false);
    }
    let total = sale.stock_total.get();
    let held: i64 = holdings.iter().sum();
    let id = format!("reconcile:{total}:{held}");
    if held < total {
        return redis.adjust_bucket(&sale.id, 0, &id, total - held).await;
    }
    let mut surplus = held - total;
    let mut fullest: Vec<(u16, i64)> = sale
        .buckets
        .all()
        .zip(second.iter().map(BucketSurvey::stock_left))
        .collect();
    fullest.sort_unstable_by_key(|(_, left)| -left);
    for (bucket, left) in fullest {
        if surplus == 0 {
            break;
        }
        let cut = left.min(surplus);
        if cut > 0 {
            redis
                .adjust_bucket(&sale.id, bucket, &format!("{id}:{bucket}"), -cut)
                .await?;
            surplus -= cut;
        }
    }
    Ok(surplus == 0)
}

/// Writes each buyer's keys again and raises each buyer's count to what was taken, in their
/// home bucket (the sale itself when it is not split).
pub(super) async fn rewrite_buyers(
    redis: &RedisStore,
    sale: &SaleDefinition,
    taken: &Taken,
) -> Result<()> {
    for bucket in sale.buckets.all() {
        let (buyers, keyed) = homed(sale, bucket, taken);
        let name = sale.id.bucket(bucket);
        redis.restore_idempotency(&name, &keyed).await?;
        redis.raise_buyers(&name, &buyers).await?;
    }
    Ok(())
}

/// The buyers and keyed orders of `taken` whose home is `bucket`, in their order.
fn homed(
    sale: &SaleDefinition,
    bucket: u16,
    taken: &Taken,
) -> (Vec<(UserId, i64)>, Vec<AcceptedOrder>) {
    let home = |user: &UserId| sale.buckets.home(user) == bucket;
    let buyers = taken
        .buyers
        .iter()
        .filter(|(user, _)| home(user))
        .cloned()
        .collect();
    let keyed = taken
        .keyed
        .iter()
        .filter(|order| home(&order.user_id))
        .cloned()
        .collect();
    (buyers, keyed)
}
