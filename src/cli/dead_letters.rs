//! `flashsale dead-letters list|replay --sale ID`: the admin API's dead-letter calls for an
//! operator at a shell, straight against Redis (like `flashsale reconcile`), so they work
//! while no server runs. Both print the API's JSON.
use crate::configuration::Settings;
use crate::domain::{Buckets, DeadLetterId, DeadLetterLimit, SaleId};
use crate::redis::RedisStore;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum DeadLettersCommand {
    /// List the sale's dead letters, oldest first.
    List {
        #[arg(long)]
        sale: String,
        /// At most this many (1 to 100).
        #[arg(long)]
        limit: Option<String>,
        #[command(flatten)]
        settings: Box<Settings>,
    },
    /// Move the sale's dead letters (or those named with `--id`) back to its orders stream.
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[arg(long)]
    sale: String,
    /// A dead-letter id to replay (repeatable; default: all of the sale's).
    #[arg(long = "id")]
    ids: Vec<String>,
    #[command(flatten)]
    settings: Box<Settings>,
}

pub async fn run(command: DeadLettersCommand) -> anyhow::Result<()> {
    let output = match command {
        DeadLettersCommand::List {
            sale,
            limit,
            settings,
        } => {
            let sale = SaleId::parse(&sale)?;
            let limit = DeadLetterLimit::parse(limit.as_deref())?;
            let redis = connect(&settings).await?;
            let buckets = redis.bucket_count(&sale).await?.unwrap_or(Buckets::ONE);
            let letters = redis.list_dead_letters(&sale, buckets, limit.get()).await?;
            let total = redis.dead_letters(&sale, buckets).await?;
            serde_json::json!({ "sale_id": sale, "total": total, "dead_letters": letters })
        }
        DeadLettersCommand::Replay(args) => {
            let sale = SaleId::parse(&args.sale)?;
            let ids = match args.ids.is_empty() {
                true => None,
                false => Some(DeadLetterId::parse_all(&args.ids)?),
            };
            let redis = connect(&args.settings).await?;
            let buckets = redis.bucket_count(&sale).await?.unwrap_or(Buckets::ONE);
            let replayed = redis
                .replay_dead_letters(&sale, buckets, ids.as_deref())
                .await?;
            serde_json::to_value(replayed)?
        }
    };
    println!("{}", serde_json::to_string_pretty(&output)?);
    Ok(())
}

async fn connect(settings: &Settings) -> anyhow::Result<RedisStore> {
    RedisStore::connect(&settings.redis_target(), &settings.redis_prefix).await
}
