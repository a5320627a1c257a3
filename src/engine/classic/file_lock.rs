//! The file-lock engine, PHP's `flock` answer: an exclusive `flock` on the sale's lock file
//! instead of the row lock, around the same read, checks and write as `pg-lock`. Only
//! processes that open the same file see the lock: the instances of one host, never two hosts.
use super::{PostgresEngine, Strategy, read_check_write};
use crate::domain::{LiveSale, OrderAttempt, Refusal, Reservation, SaleId};
use crate::engine::StockEngine;
use crate::error::Result;
use crate::postgres;
use anyhow::Context;
use futures_util::future::BoxFuture;
use sqlx::PgPool;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub struct FileLockEngine {
    db: PgPool,
    dir: Arc<Path>,
    /// Reads do not need the lock.
    reads: PostgresEngine,
}

impl FileLockEngine {
    pub fn new(db: PgPool, dir: PathBuf) -> Self {
        Self {
            reads: PostgresEngine::new(db.clone(), Strategy::Lock),
            db,
            dir: dir.into(),
        }
    }
}

impl StockEngine for FileLockEngine {
    fn reserve<'a>(&'a self, attempt: &'a OrderAttempt) -> BoxFuture<'a, Result<Reservation>> {
        // A task of its own, which a buyer hanging up cannot stop half way: unlocking while a
        // commit is still in flight would let the next holder read the stock before it lands.
        let decided = tokio::spawn(decide(self.db.clone(), self.dir.clone(), attempt.clone()));
        Box::pin(async move { decided.await.map_err(anyhow::Error::from)? })
    }

    fn live_sale<'a>(&'a self, sale: &'a SaleId) -> BoxFuture<'a, Result<Option<LiveSale>>> {
        self.reads.live_sale(sale)
    }
}

async fn decide(db: PgPool, dir: Arc<Path>, attempt: OrderAttempt) -> Result<Reservation> {
    // Named, not `_`, so that the lock is held to the end of the function: after the commit
    // or, on an error, after the transaction is dropped.
    let Some(_held) = lock(&db, dir, &attempt.sale).await? else {
        return Ok(Reservation::Refused(Refusal::SaleNotFound));
    };
    read_check_write(&db, &attempt, false).await
}

/// Waits for the sale's lock; `None` when the sale does not exist, so that ids nobody created
/// leave no file behind.
async fn lock(db: &PgPool, dir: Arc<Path>, sale: &SaleId) -> Result<Option<File>> {
    if let Some(held) = lock_file(dir.clone(), sale, false).await? {
        return Ok(Some(held));
    }
    if postgres::sales::find(db, sale).await?.is_none() {
        return Ok(None);
    }
    Ok(lock_file(dir, sale, true).await?)
}

/// Opens the sale's lock file (with `create`, creating it and the directory) and waits for its
/// lock on a blocking thread; `None` when the file does not exist and `create` is off.
async fn lock_file(dir: Arc<Path>, sale: &SaleId, create: bool) -> anyhow::Result<Option<File>> {
    // Sale ids are 1 to 64 of `[A-Za-z0-9_-]`: always one plain file name inside `dir`.
    let path = dir.join(format!("{sale}.lock"));
    let opening = path.clone();
    let locking = tokio::task::spawn_blocking(move || -> io::Result<Option<File>> {
        if create {
            std::fs::create_dir_all(&dir)?;
        }
        // Opened anew by every attempt: a `flock` belongs to the open file, so attempts
        // sharing one `File` would all hold the lock at once.
        let opened = OpenOptions::new()
            .write(true)
            .create(create)
            .truncate(false)
            .open(&opening);
        let file = match opened {
            Err(e) if e.kind() == io::ErrorKind::NotFound && !create => return Ok(None),
            opened => opened?,
        };
        file.lock()?;
        Ok(Some(file))
    });
    // Should this wait be given up (runtime shutdown), tokio drops the `File` the blocking
    // thread returns, which unlocks it.
    locking
        .await?
        .with_context(|| format!("locking {}", path.display()))
}
