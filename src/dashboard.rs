//! What the live sale page (`/admin/dashboard`) shares across HTTP workers: the latest
//! snapshot every open page streams, whether the task that makes it runs, this instance's
//! sold-out answers per sale, and the signal that the server is stopping.
//!
//! One snapshot per second is made for all open pages together, by one task started by the
//! first page and ended once the last one has gone (see `routes::admin::dashboard::feed`), so
//! ten operators watching cost what one does and nobody watching costs nothing.
use crate::domain::SaleId;
use actix_web::web::Bytes;
use dashmap::DashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Sales whose sold-out answers are counted at once. Only sales Redis said were sold out get
/// a counter, and the feed drops those it no longer shows; the cap bounds the map while no
/// page is open (a sale first sold out beyond it is not counted until a page prunes the map).
const MAX_COUNTED_SALES: usize = 4096;

pub struct Dashboard {
    /// The latest snapshot as one Server-Sent Events message; `None` until the first is made.
    frames: watch::Sender<Option<Bytes>>,
    feeding: AtomicBool,
    sold_out: DashMap<SaleId, AtomicU64>,
    closing: CancellationToken,
}

impl Dashboard {
    /// `closing` is cancelled when the HTTP server starts to stop: open streams end then, else
    /// a graceful stop would wait for them until its shutdown timeout.
    pub fn new(closing: CancellationToken) -> Self {
        Self {
            frames: watch::Sender::new(None),
            feeding: AtomicBool::new(false),
            sold_out: DashMap::new(),
            closing,
        }
    }

    /// A page's view of the snapshots, the current one marked unseen so it is sent at once;
    /// and whether the caller must start the feed (nobody was feeding).
    pub fn subscribe(&self) -> (watch::Receiver<Option<Bytes>>, bool) {
        let mut frames = self.frames.subscribe();
        frames.mark_changed();
        let start = !self.feeding.swap(true, Ordering::SeqCst);
        (frames, start)
    }

    pub fn publish(&self, frame: Bytes) {
        self.frames.send_replace(Some(frame));
    }

    /// Asked by the feed before each snapshot: `true` when no page is open and it must stop.
    /// A page subscribing meanwhile either saw the feed running (and is served by it: `false`)
    /// or started a feed of its own (this one stops).
    pub fn stop_feeding(&self) -> bool {
        if self.frames.receiver_count() > 0 {
            return false;
        }
        self.feeding.store(false, Ordering::SeqCst);
        self.frames.receiver_count() == 0 || self.feeding.swap(true, Ordering::SeqCst)
    }

    pub fn closing(&self) -> &CancellationToken {
        &self.closing
    }

    /// Counts a `sold_out` answer of this instance (from Redis or from its memory) for the sale
    /// the request's path names: only the first answer of a sale builds its id.
    pub fn count_sold_out(&self, sale: &str) {
        if let Some(count) = self.sold_out.get(sale) {
            count.fetch_add(1, Ordering::Relaxed);
        } else if self.sold_out.len() < MAX_COUNTED_SALES
            && let Ok(sale) = SaleId::parse(sale)
        {
            self.sold_out
                .entry(sale)
                .or_default()
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// This instance's `sold_out` answers for the sale since it was first counted.
    pub fn sold_out_answers(&self, sale: &SaleId) -> u64 {
        self.sold_out
            .get(sale)
            .map_or(0, |count| count.load(Ordering::Relaxed))
    }

    /// Forgets the counters of sales the page no longer shows.
    pub fn keep_sold_out_counts(&self, shown: &[SaleId]) {
        self.sold_out.retain(|sale, _| shown.contains(sale));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_stops_only_when_no_page_is_open() {
        let dashboard = Dashboard::new(CancellationToken::new());
        let (page, start) = dashboard.subscribe();
        assert!(start, "the first page starts the feed");
        assert!(
            !dashboard.subscribe().1,
            "a second page is served by the same feed"
        );
        assert!(!dashboard.stop_feeding(), "a page is still open");
        drop(page);
        assert!(dashboard.stop_feeding());
        assert!(dashboard.subscribe().1, "the next page starts a new feed");
    }

    #[test]
    fn sold_out_answers_are_counted_per_sale_and_forgotten_when_not_shown() {
        let dashboard = Dashboard::new(CancellationToken::new());
        let (a, b) = (SaleId::parse("a").unwrap(), SaleId::parse("b").unwrap());
        for _ in 0..3 {
            dashboard.count_sold_out(a.as_str());
        }
        dashboard.count_sold_out(b.as_str());
        assert_eq!(dashboard.sold_out_answers(&a), 3);
        dashboard.keep_sold_out_counts(std::slice::from_ref(&b));
        assert_eq!(dashboard.sold_out_answers(&a), 0);
        assert_eq!(dashboard.sold_out_answers(&b), 1);
    }
}
