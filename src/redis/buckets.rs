//! A sale split over buckets (see `domain::Buckets`): each bucket is a sale of its own in Redis
//! (`SaleId::bucket`), and stock moves between them in two steps (`lua/take_stock.lua`, then
//! `lua/give_stock.lua`). The protocol that decides when to move lives in `engine::split_stock`.
use super::{Connection, RedisStore, SaleKeys};
use crate::domain::{Buckets, SaleId};
use crate::error::{ApiError, Result};
use redis::{AsyncCommands, Script};
use std::sync::LazyLock;

static TAKE_STOCK: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/take_stock.lua")));
static GIVE_STOCK: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/give_stock.lua")));
static SURVEY_BUCKET: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("../../lua/survey_bucket.lua")));

/// One bucket as one atomic reading (`lua/survey_bucket.lua`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BucketSurvey {
    NotLoaded,
    Loaded {
        stock_left: i64,
        /// Rises of `stock_left` so far: unchanged between two readings, no stock came in.
        refills: i64,
        /// What the bucket holds, sold or not; only moves, restocks and repairs change it.
        stock_total: i64,
        /// Moves taken from this bucket and not finished yet.
        open_moves: Vec<OpenMove>,
    },
}

/// A move whose stock left its donor and may not have reached its recipient yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenMove {
    pub id: String,
    pub donor: u16,
    pub recipient: u16,
    pub quantity: i64,
}

impl BucketSurvey {
    pub fn stock_left(&self) -> i64 {
        match self {
            Self::NotLoaded => 0,
            Self::Loaded { stock_left, .. } => *stock_left,
        }
    }

    pub fn refills(&self) -> Option<i64> {
        match self {
            Self::NotLoaded => None,
            Self::Loaded { refills, .. } => Some(*refills),
        }
    }

    /// What the bucket holds, if it is loaded and no move out of it is open.
    pub fn settled_holding(&self) -> Option<i64> {
        match self {
            Self::Loaded {
                stock_total,
                open_moves,
                ..
            } if open_moves.is_empty() => Some(*stock_total),
            _ => None,
        }
    }

    pub fn open_moves(&self) -> &[OpenMove] {
        match self {
            Self::NotLoaded => &[],
            Self::Loaded { open_moves, .. } => open_moves,
        }
    }
}

impl RedisStore {
    /// Every bucket of the sale, each read atomically (the readings are not one instant).
    pub async fn survey(&self, sale: &SaleId, buckets: Buckets) -> Result<Vec<BucketSurvey>> {
        let readings = buckets.all().map(|bucket| self.survey_bucket(sale, bucket));
        futures_util::future::try_join_all(readings).await
    }

    /// How many buckets the sale is split over, as Redis holds it; `None` when Redis does not
    /// hold the sale.
    pub async fn bucket_count(&self, sale: &SaleId) -> Result<Option<Buckets>> {
        let (name, buckets): (Option<String>, Option<i64>) = redis::cmd("HMGET")
            .arg(self.keys.sale(sale).sale)
            .arg("name")
            .arg("buckets")
            .query_async(&mut self.hot.clone())
            .await?;
        if name.is_none() {
            return Ok(None);
        }
        let buckets = buckets.map_or(Ok(Buckets::ONE), Buckets::parse);
        Ok(Some(buckets.map_err(|e| anyhow::anyhow!("{sale}: {e}"))?))
    }

    async fn survey_bucket(&self, sale: &SaleId, bucket: u16) -> Result<BucketSurvey> {
        let keys = self.keys.sale(&sale.bucket(bucket));
        let reply: Vec<String> = SURVEY_BUCKET
            .key(&keys.sale)
            .key(&keys.moves_out)
            .invoke_async(&mut self.hot.clone())
            .await?;
        parse_survey(bucket, &reply)
            .ok_or_else(|| anyhow::anyhow!("survey_bucket.lua answered {reply:?}").into())
    }

    /// Takes stock from `donor` for `recipient` (see `lua/take_stock.lua`); the quantity taken.
    pub async fn take_stock(
        &self,
        sale: &SaleId,
        donor: u16,
        recipient: u16,
        move_id: &str,
        needed: i64,
    ) -> Result<i64> {
        let keys = self.keys.sale(&sale.bucket(donor));
        Ok(TAKE_STOCK
            .key(&keys.sale)
            .key(&keys.moves_out)
            .arg(move_id)
            .arg(recipient)
            .arg(needed)
            .invoke_async(&mut self.hot.clone())
            .await?)
    }

    /// Gives an open move's stock to its recipient and closes the move; `false` when the
    /// recipient is not loaded (the move stays open). With `wait_replicas`, the donor's replicas
    /// must have the take first: a failover that lost it would otherwise sell the units twice.
    pub async fn finish_move(&self, sale: &SaleId, open: &OpenMove) -> Result<bool> {
        let donor = self.keys.sale(&sale.bucket(open.donor));
        let recipient = self.keys.sale(&sale.bucket(open.recipient));
        let mut conn = self.hot.clone();
        if self.wait_replicas > 0 {
            self.confirm_replicated(&mut conn, &donor.sale)
                .await
                .map_err(ApiError::from)?;
        }
        if !give(&mut conn, &recipient, &open.id, open.quantity).await? {
            return Ok(false);
        }
        let _: () = conn.hdel(&donor.moves_out, &open.id).await?;
        Ok(true)
    }

    /// Adds `quantity` (or takes it back, negative, never below 0 left) to a bucket, once per
    /// `id`: how reconcile balances a split sale's buckets against Postgres's stock_total.
    /// `false` when the bucket is not loaded.
    pub async fn adjust_bucket(
        &self,
        sale: &SaleId,
        bucket: u16,
        id: &str,
        quantity: i64,
    ) -> Result<bool> {
        let keys = self.keys.sale(&sale.bucket(bucket));
        give(&mut self.hot.clone(), &keys, id, quantity).await
    }
}

async fn give(conn: &mut Connection, to: &SaleKeys, id: &str, quantity: i64) -> Result<bool> {
    let given: i64 = GIVE_STOCK
        .key(&to.sale)
        .key(&to.moves_in)
        .arg(id)
        .arg(quantity)
        .invoke_async(conn)
        .await?;
    Ok(given == 1)
}

fn parse_survey(bucket: u16, reply: &[String]) -> Option<BucketSurvey> {
    let [left, refills, total, moves @ ..] = reply else {
        return reply.is_empty().then_some(BucketSurvey::NotLoaded);
    };
    let open_moves = moves
        .chunks(2)
        .map(|pair| {
            let [id, record] = pair else { return None };
            let (recipient, quantity) = record.split_once('\t')?;
            Some(OpenMove {
                id: id.clone(),
                donor: bucket,
                recipient: recipient.parse().ok()?,
                quantity: quantity.parse().ok()?,
            })
        })
        .collect::<Option<_>>()?;
    Some(BucketSurvey::Loaded {
        stock_left: left.parse().ok()?,
        refills: refills.parse().ok()?,
        stock_total: total.parse().ok()?,
        open_moves,
    })
}
