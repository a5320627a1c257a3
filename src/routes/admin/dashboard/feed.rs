//! The task behind the live sale page: once a second, one snapshot of the active sales for all
//! open pages, made of the admin view (`AdminSale`, what `GET /admin/sales/{id}` answers) plus
//! the persister's lag per sale and this instance's sold-out answers.
//!
//! One task serves every page (started by the first, ended at the first tick with none left,
//! or when the server starts to stop), so the cost does not grow with the pages open. Sales
//! are read one after the other, not at once, so a snapshot never takes more than one of the
//! API's Postgres connections.
use crate::domain::{PageLimit, SaleId};
use crate::engine::Engine;
use crate::error::Result;
use crate::metrics::PersisterHealth;
use crate::postgres;
use crate::routes::admin::AdminSale;
use crate::state::AppState;
use actix_web::web::{self, Bytes};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::json;
use std::time::Duration;
use tokio::time::MissedTickBehavior;

const TICK: Duration = Duration::from_secs(1);

/// A snapshot slower than this (Redis or Postgres stuck) is reported as failed; the next tick
/// tries again.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long an ended sale stays on the page, so the end and the backlog's drain are seen.
const SHOWN_AFTER_END: TimeDelta = TimeDelta::minutes(5);

#[derive(Serialize)]
struct Snapshot {
    at: DateTime<Utc>,
    /// Accepted orders not yet in Postgres, over every sale Redis holds (as `/readyz`).
    backlog: usize,
    persister: PersisterHealth,
    sales: Vec<SaleFigures>,
}

#[derive(Serialize)]
struct SaleFigures {
    #[serde(flatten)]
    view: AdminSale,
    /// How long the sale's oldest order not yet in Postgres has waited (0: none waits).
    lag_seconds: f64,
    /// `sold_out` answers of this instance for the sale (the page derives sold-out/s).
    sold_out_answers: u64,
}

pub async fn run(state: web::Data<AppState>, engine: web::Data<Engine>) {
    let dashboard = &state.dashboard;
    tracing::debug!("live sale page: feed started");
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = dashboard.closing().cancelled() => return,
        }
        if dashboard.stop_feeding() {
            tracing::debug!("live sale page: no page open, feed stopped");
            return;
        }
        let frame = match tokio::time::timeout(SNAPSHOT_TIMEOUT, snapshot(&state, &engine)).await {
            Ok(Ok(snapshot)) => event(&snapshot),
            failed => {
                match failed {
                    Ok(Err(e)) => tracing::warn!(error = %e, "live sale page: snapshot failed"),
                    _ => tracing::warn!("live sale page: snapshot timed out"),
                }
                event(&json!({
                    "at": Utc::now(),
                    "error": "the snapshot failed (the server's log says why)",
                }))
            }
        };
        dashboard.publish(frame);
    }
}

/// The sales of the newest page of the listing that have not ended, or ended lately.
async fn snapshot(state: &AppState, engine: &Engine) -> Result<Snapshot> {
    let now = Utc::now();
    let listed = postgres::sale_list::page(&state.db, PageLimit::DEFAULT, None, now).await?;
    // The persister lag of each bucket in the index, as `/metrics` reads it: by Redis's clock,
    // the same whichever instance persists.
    let gauges = state.redis.bucket_gauges().await?;
    let mut sales = Vec::new();
    for summary in listed
        .iter()
        .take(PageLimit::DEFAULT.get() as usize)
        .filter(|summary| {
            summary
                .ends_at
                .is_none_or(|end| now - end < SHOWN_AFTER_END)
        })
    {
        let Some(definition) = postgres::sales::find(&state.db, &summary.id).await? else {
            continue;
        };
        let view = AdminSale::load(state, engine, definition).await?;
        let lag = gauges
            .iter()
            .filter(|bucket| bucket.bucket.sale() == summary.id)
            .filter_map(|bucket| bucket.oldest_unpersisted)
            .max()
            .unwrap_or_default();
        sales.push(SaleFigures {
            lag_seconds: lag.as_secs_f64(),
            sold_out_answers: state.dashboard.sold_out_answers(&summary.id),
            view,
        });
    }
    let shown: Vec<SaleId> = sales.iter().map(|sale| sale.view.sale.id.clone()).collect();
    state.dashboard.keep_sold_out_counts(&shown);
    Ok(Snapshot {
        at: now,
        // The same reading as the lag: every bucket's pending records, as `/readyz` counts them.
        backlog: gauges
            .iter()
            .map(|bucket| bucket.pending_orders as usize)
            .sum(),
        persister: state.metrics.persister_health(),
        sales,
    })
}

/// One Server-Sent Events message (JSON never holds a raw line break).
fn event(data: &impl Serialize) -> Bytes {
    let json = serde_json::to_string(data).unwrap_or_else(|_| "{}".into());
    Bytes::from(format!("data: {json}\n\n"))
}
