//! `flashsale dead-letters list|replay SALE`: the orders the persister gave up on, through the
//! admin API; with `--direct`, straight against Redis (like `flashsale reconcile`), for when no
//! server runs.
use super::admin_api::{AdminApi, ApiArgs};
use super::tables;
use crate::configuration::Settings;
use crate::domain::{Buckets, DeadLetterId, DeadLetterLimit, SaleId};
use crate::redis::RedisStore;
use clap::{Args, Subcommand};
use serde_json::{Value, json};

#[derive(Debug, Args)]
pub struct DeadLettersArgs {
    #[command(subcommand)]
    command: DeadLettersCommand,
    /// Read and replay in Redis directly (with the service's settings) instead of the API.
    #[arg(long, global = true)]
    direct: bool,
    #[command(flatten)]
    api: ApiArgs,
    #[command(flatten)]
    settings: Box<Settings>,
}

#[derive(Debug, Subcommand)]
enum DeadLettersCommand {
    /// List the sale's dead letters, oldest first.
    List {
        sale: String,
        /// At most this many (1 to 100).
        #[arg(long)]
        limit: Option<String>,
    },
    /// Move the sale's dead letters (or those named with `--id`) back to its orders stream.
    Replay {
        sale: String,
        /// A dead-letter id to replay (repeatable; default: all of the sale's).
        #[arg(long = "id")]
        ids: Vec<String>,
    },
}

pub async fn run(args: DeadLettersArgs) -> anyhow::Result<()> {
    let answer = match args.direct {
        true => direct(&args.command, &args.settings).await?,
        false => through_api(&args.command, &AdminApi::new(&args.api)?).await?,
    };
    let output = match (&args.command, args.api.json) {
        (_, true) => serde_json::to_string_pretty(&answer)?,
        (DeadLettersCommand::List { .. }, false) => {
            let letters: Vec<Value> = answer["dead_letters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|letter| {
                    let order = &letter["order"];
                    json!({
                        "id": letter["id"], "order_id": order["order_id"],
                        "user_id": order["user_id"], "quantity": order["quantity"],
                        "reason": letter["reason"], "replayable": letter["replayable"],
                    })
                })
                .collect();
            let columns = [
                "id",
                "order_id",
                "user_id",
                "quantity",
                "reason",
                "replayable",
            ];
            let total = &answer["total"];
            format!(
                "{}\n{total} in all",
                tables::rows(&Value::Array(letters), &columns)
            )
        }
        (DeadLettersCommand::Replay { .. }, false) => tables::fields(&answer),
    };
    println!("{output}");
    Ok(())
}

async fn through_api(command: &DeadLettersCommand, api: &AdminApi) -> anyhow::Result<Value> {
    match command {
        DeadLettersCommand::List { sale, limit } => {
            let query = limit
                .as_ref()
                .map(|l| format!("?limit={l}"))
                .unwrap_or_default();
            api.get(&format!("/admin/sales/{sale}/dead-letters{query}"))
                .await
        }
        DeadLettersCommand::Replay { sale, ids } => {
            let body = match ids.is_empty() {
                true => Value::Null,
                false => json!({ "ids": ids }),
            };
            let path = format!("/admin/sales/{sale}/dead-letters/replay");
            api.post(&path, &body, None).await
        }
    }
}

async fn direct(command: &DeadLettersCommand, settings: &Settings) -> anyhow::Result<Value> {
    let redis = RedisStore::connect(&settings.redis_target(), &settings.redis_prefix).await?;
    match command {
        DeadLettersCommand::List { sale, limit } => {
            let sale = SaleId::parse(sale)?;
            let limit = DeadLetterLimit::parse(limit.as_deref())?;
            let buckets = redis.bucket_count(&sale).await?.unwrap_or(Buckets::ONE);
            let letters = redis.list_dead_letters(&sale, buckets, limit.get()).await?;
            let total = redis.dead_letters(&sale, buckets).await?;
            Ok(json!({ "sale_id": sale, "total": total, "dead_letters": letters }))
        }
        DeadLettersCommand::Replay { sale, ids } => {
            let sale = SaleId::parse(sale)?;
            let ids = match ids.is_empty() {
                true => None,
                false => Some(DeadLetterId::parse_all(ids)?),
            };
            let buckets = redis.bucket_count(&sale).await?.unwrap_or(Buckets::ONE);
            let replayed = redis
                .replay_dead_letters(&sale, buckets, ids.as_deref())
                .await?;
            Ok(serde_json::to_value(replayed)?)
        }
    }
}
