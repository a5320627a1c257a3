//! One server under test for a series of points, warmed up once, and the cost of one point's
//! orders: CPU per order from the point's start until its orders are in Postgres.
use super::ScalingArgs;
use crate::cost::{Cpu, Processes, per};
use crate::loadgen::{self, Limit, LoadPlan};
use crate::redis_ops::{RedisOps, scripts};
use crate::under_test::{Launch, UnderTest, orders_in_postgres, redis_prefix};
use flashsale::domain::SaleId;
use flashsale::redis::KeySpace;
use serde::Serialize;
use std::time::Duration;

/// Stock of a sale that must not sell out.
pub const PLENTY: i64 = 1_000_000_000;

pub struct Rig<'a> {
    pub args: &'a ScalingArgs,
    pub run_id: &'a str,
    pub db: &'a sqlx::PgPool,
    pub keys: KeySpace,
    server: UnderTest,
    processes: Processes,
    /// Every sale made, to forget again once the server is stopped.
    sales: Vec<String>,
}

/// What one point's orders cost.
#[derive(Debug, Serialize)]
pub struct OrderCost {
    pub requests: u64,
    pub accepted: u64,
    pub requests_per_second: f64,
    /// From the point's start until its orders were in Postgres.
    pub cpu: Cpu,
    pub persisted: i64,
    pub server_us_per_order: Option<f64>,
    pub redis_us_per_order: Option<f64>,
    /// Per order persisted.
    pub postgres_us_per_order: Option<f64>,
    /// Scripts Redis ran in the window, whoever sent them (see `redis_ops::shared_with_others`).
    pub scripts_in_redis: u64,
}

impl<'a> Rig<'a> {
    /// Starts a Redis engine server and warms it up for a second on a sale of its own.
    pub async fn start(
        args: &'a ScalingArgs,
        run_id: &'a str,
        db: &'a sqlx::PgPool,
        redis: &mut RedisOps,
        series: &str,
    ) -> anyhow::Result<Self> {
        let log = args.out.join(format!("server-scaling-{series}.log"));
        let server = UnderTest::start(Launch {
            settings: &args.settings,
            run_id,
            workers: args.server_workers,
            engine: Some("redis"),
            persister: true,
            log: &log,
        })
        .await?;
        let mut rig = Self {
            args,
            run_id,
            db,
            keys: KeySpace::new(&redis_prefix(run_id))?,
            processes: Processes::find(Some(server.pid()), redis, db).await,
            server,
            sales: Vec::new(),
        };
        let warmup = rig.sale(&format!("{series}-warmup"), PLENTY).await?;
        rig.load(&warmup, Limit::Duration(Duration::from_secs(1)), "warmup")
            .await?;
        rig.server.settle(&warmup).await?;
        rig.forget(redis, &warmup).await?;
        Ok(rig)
    }

    /// Creates a sale; returns its id.
    pub async fn sale(&mut self, label: &str, stock: i64) -> anyhow::Result<String> {
        let id = format!("bench-{}-{label}", self.run_id);
        self.server.create_sale(&id, stock).await?;
        self.sales.push(id.clone());
        Ok(id)
    }

    pub async fn load(
        &self,
        sale: &str,
        limit: Limit,
        prefix: &str,
    ) -> anyhow::Result<loadgen::LoadReport> {
        loadgen::run(LoadPlan {
            urls: vec![self.server.orders_url(sale)],
            limit,
            concurrency: self.args.concurrency,
            user_prefix: format!("{prefix}-{}", self.run_id),
        })
        .await
    }

    pub async fn settle(&self, sale: &str) -> anyhow::Result<()> {
        self.server.settle(sale).await
    }

    /// Orders from new buyers until `limit`, measured until they are in Postgres. Every earlier
    /// order of the sale must be settled already.
    pub async fn order_cost(
        &self,
        redis: &mut RedisOps,
        sale: &str,
        limit: Limit,
    ) -> anyhow::Result<OrderCost> {
        let before = orders_in_postgres(self.db, sale).await?;
        redis.quiesce().await?;
        let commands = redis.command_stats().await?;
        let start = self.processes.snapshot();
        let report = self.load(sale, limit, "buyer").await?;
        self.server.settle(sale).await?;
        let cpu = start.until(&self.processes.snapshot());
        let scripts_in_redis = scripts(&redis.command_stats().await?.since(&commands));
        let persisted = orders_in_postgres(self.db, sale).await? - before;
        let accepted = report.count("accepted");
        Ok(OrderCost {
            requests: report.requests,
            accepted,
            requests_per_second: report.throughput(),
            server_us_per_order: per(cpu.server_us, accepted),
            redis_us_per_order: per(cpu.redis_us, accepted),
            postgres_us_per_order: per(cpu.postgres_us, persisted.max(0) as u64),
            persisted,
            cpu,
            scripts_in_redis,
        })
    }

    /// Frees the sale's Redis memory at once. The server's persister may still recreate its
    /// empty stream; [`Rig::stop`] forgets it again.
    pub async fn forget(&self, redis: &mut RedisOps, sale: &str) -> anyhow::Result<()> {
        redis.forget_sale(&self.keys, &SaleId::parse(sale)?).await
    }

    /// Stops the server, then forgets every sale it had, so nothing of the series stays behind.
    pub async fn stop(self, redis: &mut RedisOps) -> anyhow::Result<()> {
        let Self {
            server,
            sales,
            keys,
            ..
        } = self;
        drop(server);
        for sale in sales {
            redis.forget_sale(&keys, &SaleId::parse(&sale)?).await?;
        }
        Ok(())
    }
}
