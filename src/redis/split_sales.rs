//! A sale as a whole, whether or not its stock is split over buckets: each operation runs on
//! every bucket (`SaleId::bucket`) and adds up what they answer. A sale with one bucket is its
//! own bucket 0, so these cost nothing extra for it.
use super::{Ending, RedisStore};
use crate::domain::{AcceptedOrder, Buckets, LiveSale, OrderId, SaleDefinition, SaleId, UserId};
use crate::error::Result;
use futures_util::future::try_join_all;

impl RedisStore {
    /// Makes a sale sellable (see `load_bucket`). Split, each bucket is loaded with its share
    /// of the stock as its definition, its buyers, and `stock_left` and `reserved` on bucket 0
    /// alone: callers restoring a split sale's counters use `load_bucket` (see
    /// `reconcile::restore`); this one is for new sales and for refreshing live ones.
    pub async fn load_sale(
        &self,
        sale: &SaleDefinition,
        stock_left: i64,
        reserved: i64,
        buyers: &[(UserId, i64)],
        paused: bool,
    ) -> Result<bool> {
        if sale.buckets == Buckets::ONE {
            return self
                .load_bucket(sale, stock_left, reserved, buyers, paused)
                .await;
        }
        let mut loaded = false;
        for bucket in sale.buckets.all() {
            let (left, taken) = match bucket {
                0 => (stock_left, reserved),
                _ => (0, 0),
            };
            let homed: Vec<(UserId, i64)> = buyers
                .iter()
                .filter(|(user, _)| sale.buckets.home(user) == bucket)
                .cloned()
                .collect();
            let definition = sale.bucket(bucket);
            let written = self
                .load_bucket(&definition, left, taken, &homed, paused)
                .await?;
            loaded |= written && bucket == 0;
        }
        Ok(loaded)
    }

    /// Raises the sale's total to Postgres's (see `lua/restock.lua`), each bucket to its share;
    /// `None` when Redis does not hold bucket 0, else what is left in all buckets.
    pub async fn raise_stock_total(&self, sale: &SaleDefinition) -> Result<Option<i64>> {
        let mut left = 0;
        for bucket in sale.buckets.all() {
            let share = sale.bucket(bucket).stock_total;
            match self
                .raise_bucket_total(&sale.id.bucket(bucket), share)
                .await?
            {
                Some(bucket_left) => left += bucket_left,
                None if bucket == 0 => return Ok(None),
                None => {}
            }
        }
        Ok(Some(left))
    }

    /// The sale as Redis serves it, its buckets added up, or `None` if Redis does not hold
    /// bucket 0. Stock on its way between two buckets is in neither for that moment.
    pub async fn live_sale(&self, sale: &SaleId) -> Result<Option<LiveSale>> {
        let Some(mut live) = self.live_bucket(sale).await? else {
            return Ok(None);
        };
        let others = (1..live.definition.buckets.get()).map(|b| self.live_bucket_of(sale, b));
        for bucket in try_join_all(others).await?.into_iter().flatten() {
            live.add_bucket(&bucket);
        }
        Ok(Some(live))
    }

    async fn live_bucket_of(&self, sale: &SaleId, bucket: u16) -> Result<Option<LiveSale>> {
        self.live_bucket(&sale.bucket(bucket)).await
    }

    /// The sale's counters and pending orders, each bucket read at one instant; `None` when
    /// Redis does not hold bucket 0.
    pub async fn sale_snapshot(
        &self,
        sale: &SaleId,
        buckets: Buckets,
    ) -> Result<Option<(LiveSale, Vec<AcceptedOrder>)>> {
        let readings = buckets
            .all()
            .map(|bucket| async move { self.bucket_snapshot(&sale.bucket(bucket)).await });
        let mut readings = try_join_all(readings).await?.into_iter();
        let Some(Some((mut live, mut pending))) = readings.next() else {
            return Ok(None);
        };
        for (bucket, bucket_pending) in readings.flatten() {
            live.add_bucket(&bucket);
            pending.extend(bucket_pending);
        }
        Ok(Some((live, pending)))
    }

    /// `reserved` of all buckets added up; `None` when Redis does not hold bucket 0.
    pub async fn reserved(&self, sale: &SaleId, buckets: Buckets) -> Result<Option<i64>> {
        let readings = self.reserved_by_bucket(sale, buckets).await?;
        Ok(readings[0].map(|first| first + readings[1..].iter().flatten().sum::<i64>()))
    }

    /// Each bucket's `reserved`, in bucket order (`None` for a bucket Redis does not hold).
    pub async fn reserved_by_bucket(
        &self,
        sale: &SaleId,
        buckets: Buckets,
    ) -> Result<Vec<Option<i64>>> {
        let readings = buckets
            .all()
            .map(|bucket| async move { self.bucket_reserved(&sale.bucket(bucket)).await });
        try_join_all(readings).await
    }

    pub async fn pending_orders(
        &self,
        sale: &SaleId,
        buckets: Buckets,
    ) -> Result<Vec<AcceptedOrder>> {
        let readings = buckets
            .all()
            .map(|bucket| async move { self.bucket_pending_orders(&sale.bucket(bucket)).await });
        Ok(try_join_all(readings).await?.concat())
    }

    /// A pending order, looked for in every bucket of the sale.
    pub async fn pending_order(
        &self,
        sale: &SaleId,
        order: OrderId,
    ) -> Result<Option<AcceptedOrder>> {
        if let Some(found) = self.bucket_pending_order(sale, order).await? {
            return Ok(Some(found));
        }
        let buckets = self.bucket_count(sale).await?.unwrap_or(Buckets::ONE);
        let others = (1..buckets.get()).map(|b| self.bucket_pending_order_of(sale, b, order));
        Ok(try_join_all(others).await?.into_iter().flatten().next())
    }

    async fn bucket_pending_order_of(
        &self,
        sale: &SaleId,
        bucket: u16,
        order: OrderId,
    ) -> Result<Option<AcceptedOrder>> {
        self.bucket_pending_order(&sale.bucket(bucket), order).await
    }

    /// How many of the sale's orders the persister gave up on, in all buckets.
    pub async fn dead_letters(&self, sale: &SaleId, buckets: Buckets) -> Result<i64> {
        let counts = buckets
            .all()
            .map(|bucket| async move { self.bucket_dead_letters(&sale.bucket(bucket)).await });
        Ok(try_join_all(counts).await?.iter().sum())
    }

    /// Pauses (or resumes) every bucket; `false` when Redis does not hold bucket 0.
    pub async fn set_paused(&self, sale: &SaleId, buckets: Buckets, paused: bool) -> Result<bool> {
        let mut held = false;
        for bucket in buckets.all() {
            let updated = self.pause_bucket(&sale.bucket(bucket), paused).await?;
            held |= updated && bucket == 0;
        }
        Ok(held)
    }

    /// Ends every bucket now (see `lua/end_sale.lua`), bucket 0 first: its end is the one
    /// answered. The others end a moment later by their own master's clock.
    pub async fn end_sale(&self, sale: &SaleId, buckets: Buckets) -> Result<Ending> {
        let ending = self.end_bucket(sale).await?;
        for bucket in 1..buckets.get() {
            self.end_bucket(&sale.bucket(bucket)).await?;
        }
        Ok(ending)
    }
}
