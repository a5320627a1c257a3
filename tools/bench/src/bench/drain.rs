//! The persister's drain rate: a backlog of accepted orders moved from Redis to Postgres.
use super::{BenchArgs, server_env, service_binary};
use crate::loadgen::{self, Limit, LoadPlan};
use anyhow::{Context, bail};
use flashsale::domain::SaleId;
use flashsale::metrics::Metrics;
use flashsale::persister::Persister;
use flashsale::postgres;
use flashsale::redis::RedisStore;
use flashsale_testkit::{AdminClient, ServerProcess};
use serde::Serialize;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Serialize)]
pub struct Drain {
    pub orders: u64,
    pub seconds: f64,
    pub orders_per_second: f64,
    pub batch_size: usize,
    pub consumers: usize,
}

/// Fills a sale's stream through the HTTP API with the persister off, then times the persister
/// loops a server runs (started here, same code and settings) until Postgres holds every order.
pub async fn measure(args: &BenchArgs, run_id: &str, db: &sqlx::PgPool) -> anyhow::Result<Drain> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let mut env = server_env(args, run_id, &token);
    env.push(("FLASHSALE_PERSISTER", "false".to_owned()));
    let sale_id = format!("bench-{run_id}-drain");
    {
        let log = args.out.join("server-drain.log");
        let server = ServerProcess::start(service_binary()?, &["serve"], &env, Some(&log))
            .await
            .with_context(|| format!("the drain's server; see {}", log.display()))?;
        let sale = json!({ "id": sale_id, "stock": args.drain_orders });
        AdminClient::new(&server.base, &token)
            .post("/admin/sales", &sale)
            .await?;
        let fill = loadgen::run(LoadPlan {
            url: format!("{}/api/sales/{sale_id}/orders", server.base),
            limit: Limit::Requests(args.drain_orders),
            concurrency: args.concurrency,
            user_prefix: format!("drain-{run_id}"),
        })
        .await?;
        if fill.count("accepted") != args.drain_orders {
            bail!("filling the backlog accepted only {:?}", fill.outcomes);
        }
    }

    let store = RedisStore::connect(&args.settings.redis_url, &format!("bench-{run_id}")).await?;
    let mut settings = args.settings.persister.clone();
    settings.consumer = Some(format!("bench-drain-{run_id}"));
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let persisters = Persister::spawn_all(
        &store,
        db,
        &settings,
        &Arc::new(Metrics::default()),
        &shutdown,
    );
    // No server runs now, so no admin view to ask; `sold` moves with every committed batch and
    // is cheaper to poll than counting the orders.
    loop {
        let sold = postgres::sales::sold(db, &SaleId::parse(&sale_id)?).await?;
        if sold as u64 >= args.drain_orders {
            break;
        }
        if started.elapsed() > Duration::from_secs(300) {
            bail!("drained only {sold} orders in 300 s");
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    shutdown.cancel();
    for persister in persisters {
        persister.await?;
    }
    let in_postgres: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE sale_id = $1")
        .bind(&sale_id)
        .fetch_one(db)
        .await?;
    if in_postgres as u64 != args.drain_orders {
        bail!(
            "Postgres holds {in_postgres} orders of the drain sale, not {}",
            args.drain_orders
        );
    }
    super::forget_sale(args, run_id, &sale_id).await?;
    Ok(Drain {
        orders: args.drain_orders,
        seconds,
        orders_per_second: args.drain_orders as f64 / seconds,
        batch_size: settings.batch_size,
        consumers: settings.consumers,
    })
}
