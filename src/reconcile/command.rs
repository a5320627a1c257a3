//! `flashsale reconcile [--check] [--sale ID]`: the invariant checker (and repairer) for
//! operators and the fault tests.
use super::{Action, audit, repair};
use crate::configuration::Settings;
use crate::domain::SaleId;
use crate::postgres;
use crate::redis::RedisStore;
use anyhow::bail;
use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct ReconcileArgs {
    /// Only check and report; exit non-zero if an invariant is broken.
    #[arg(long)]
    pub check: bool,
    /// Only this sale (default: every sale in Postgres).
    #[arg(long)]
    pub sale: Option<String>,
    #[command(flatten)]
    pub settings: Settings,
}

pub async fn run(args: ReconcileArgs) -> anyhow::Result<()> {
    let db = args.settings.database_pool()?;
    let redis =
        RedisStore::connect(&args.settings.redis_target(), &args.settings.redis_prefix).await?;
    let sales = match &args.sale {
        Some(id) => vec![SaleId::parse(id)?],
        None => postgres::sales::ids(&db).await?,
    };
    let mut broken = 0;
    for sale in &sales {
        let problems = check_sale(&redis, &db, sale, args.check).await?;
        broken += usize::from(problems);
    }
    println!("checked {} sales: {broken} with problems left", sales.len());
    if broken > 0 {
        bail!("{broken} sales break an invariant");
    }
    Ok(())
}

/// Reports (and unless `check_only`, repairs) one sale; whether problems remain.
async fn check_sale(
    redis: &RedisStore,
    db: &sqlx::PgPool,
    sale: &SaleId,
    check_only: bool,
) -> anyhow::Result<bool> {
    let Some(found) = audit(redis, db, sale).await? else {
        bail!("no sale {sale} in Postgres");
    };
    if found.problems.is_empty() {
        println!("sale {sale}: ok");
        return Ok(false);
    }
    println!("sale {sale}: {} problems", found.problems.len());
    for problem in &found.problems {
        println!("  - {problem}");
    }
    if check_only {
        return Ok(true);
    }
    let definition = postgres::sales::find(db, sale)
        .await?
        .ok_or_else(|| anyhow::anyhow!("sale {sale} vanished"))?;
    let action = repair(redis, db, &definition, &found).await?;
    match action {
        Action::None => {}
        Action::Restored => println!("  repaired: loaded into Redis again"),
        Action::Reset {
            old_stock_left,
            new_stock_left,
        } => println!("  repaired: stock_left {old_stock_left} -> {new_stock_left}"),
    }
    let after = audit(redis, db, sale).await?;
    let left = after.map_or(0, |a| a.problems.len());
    if left > 0 {
        println!("  {left} problems remain");
    }
    Ok(left > 0)
}
