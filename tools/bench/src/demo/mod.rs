//! `flashsale-bench demo`: a real flash sale on the local services, end to end, with a report.
//!
//! It starts the service in-process, creates a sale through the admin API, fires a burst of
//! distinct buyers at it, waits until every accepted order is in Postgres, and prints what
//! happened. It fails (non-zero exit) if anything was oversold or not persisted. With
//! `--payment-window-s` the sale sells holds instead, through their lifecycle ([`holds`]).
mod hold_calls;
mod holds;

use crate::loadgen::{self, Limit, LoadPlan, LoadReport};
use anyhow::{Context, bail};
use clap::Args;
use flashsale::configuration::Settings;
use flashsale::postgres;
use flashsale::startup::Application;
use flashsale_testkit::AdminClient;
use serde_json::json;
use sqlx::Row;
use std::time::{Duration, Instant};

/// How long the demo waits for the persister to drain the sale.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Units on sale.
    #[arg(long, default_value_t = 1_000)]
    pub stock: i64,
    /// Distinct buyers, one attempt each.
    #[arg(long, default_value_t = 20_000)]
    pub buyers: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 256)]
    pub concurrency: usize,
    #[command(flatten)]
    pub holds: holds::HoldArgs,
    #[command(flatten)]
    pub settings: Settings,
}

struct Outcome {
    sale_id: String,
    report: LoadReport,
    stock_left: i64,
    orders_in_postgres: i64,
    quantity_in_postgres: i64,
    drained_in: Duration,
}

pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let mut settings = args.settings.clone();
    settings.listen = "127.0.0.1:0".into();
    settings.admin_token = Some(uuid::Uuid::new_v4().simple().to_string());
    let db = settings.database_pool()?;
    postgres::MIGRATOR
        .run(&db)
        .await
        .context("migrating Postgres")?;

    let application = Application::build(settings.clone()).await?;
    let base = format!("http://127.0.0.1:{}", application.port());
    let handle = application.handle();
    let server = tokio::spawn(application.run_until_stopped());

    let outcome = match args.holds.payment_window_s {
        Some(window) => hold_sale(&args, &settings, &base, window)
            .await
            .map(|()| None),
        None => flash_sale(&args, &settings, &base, &db).await.map(Some),
    };
    handle.stop(true).await;
    server.await??;
    let Some(outcome) = outcome? else {
        return Ok(());
    };
    print_report(&args, &outcome);
    let oversold = (outcome.quantity_in_postgres - args.stock).max(0);
    if oversold > 0 || outcome.report.count("accepted") as i64 != outcome.orders_in_postgres {
        bail!("the demo found oversold or missing orders");
    }
    Ok(())
}

async fn hold_sale(
    args: &DemoArgs,
    settings: &Settings,
    base: &str,
    window: u32,
) -> anyhow::Result<()> {
    let admin = AdminClient::new(base, settings.admin_token.as_deref().unwrap_or_default());
    let sale = format!("demo-holds-{}", uuid::Uuid::now_v7().simple());
    let body = json!({
        "id": sale, "name": "Demo sale of holds", "stock": args.stock, "per_user_limit": 1,
        "payment_window_s": window,
    });
    admin
        .post("/admin/sales", &body)
        .await
        .context("creating the sale")?;
    let hold_sale = hold_calls::HoldSale {
        admin: &admin,
        base,
        sale: &sale,
        stock: args.stock,
        buyers: args.buyers,
        concurrency: args.concurrency,
    };
    holds::run(hold_sale, &args.holds, window).await
}

async fn flash_sale(
    args: &DemoArgs,
    settings: &Settings,
    base: &str,
    db: &sqlx::PgPool,
) -> anyhow::Result<Outcome> {
    let admin = AdminClient::new(base, settings.admin_token.as_deref().unwrap_or_default());
    let sale_id = format!("demo-{}", uuid::Uuid::now_v7().simple());
    admin
        .post(
            "/admin/sales",
            &json!({ "id": sale_id, "name": "Demo flash sale", "stock": args.stock, "per_user_limit": 1 }),
        )
        .await
        .context("creating the sale")?;

    let report = loadgen::run(LoadPlan {
        urls: vec![format!("{base}/api/sales/{sale_id}/orders")],
        limit: Limit::Requests(args.buyers),
        concurrency: args.concurrency,
        user_prefix: "buyer".into(),
    })
    .await?;

    let drain_started = Instant::now();
    let sale = admin.wait_until_persisted(&sale_id, DRAIN_TIMEOUT).await?;
    let drained_in = drain_started.elapsed();
    let row = sqlx::query(
        "SELECT COUNT(*) AS orders, COALESCE(SUM(quantity), 0)::int8 AS quantity
         FROM orders WHERE sale_id = $1 AND status = 'confirmed'",
    )
    .bind(&sale_id)
    .fetch_one(db)
    .await?;
    Ok(Outcome {
        sale_id,
        stock_left: sale["stock_left"].as_i64().unwrap_or(-1),
        orders_in_postgres: row.try_get("orders")?,
        quantity_in_postgres: row.try_get("quantity")?,
        drained_in,
        report,
    })
}

fn print_report(args: &DemoArgs, outcome: &Outcome) {
    let report = &outcome.report;
    let accepted = report.count("accepted");
    let sold_out = report.count("sold_out");
    let other = report.requests - accepted - sold_out + report.transport_errors;
    let oversold = (outcome.quantity_in_postgres - args.stock).max(0);
    println!();
    println!(
        "Flash sale {}: stock {}, {} buyers, {} connections",
        outcome.sale_id, args.stock, args.buyers, args.concurrency
    );
    println!();
    println!("| measure | value |");
    println!("|---|---|");
    println!("| requests | {} |", report.requests);
    println!("| accepted (202) | {accepted} |");
    println!("| sold out (409) | {sold_out} |");
    println!("| other errors | {other} |");
    println!("| throughput | {:.0} requests/s |", report.throughput());
    println!("| latency p50 | {:.2} ms |", report.latency_ms(0.50));
    println!("| latency p99 | {:.2} ms |", report.latency_ms(0.99));
    println!("| stock left in Redis | {} |", outcome.stock_left);
    println!("| orders in Postgres | {} |", outcome.orders_in_postgres);
    println!(
        "| all persisted after the burst in | {:.2} s |",
        outcome.drained_in.as_secs_f64()
    );
    println!("| oversold | {oversold} |");
    println!();
}
