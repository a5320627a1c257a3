//! `flashsale sales list|show|create|restock|pause|resume|end`: the admin API's sale calls for
//! an operator at a shell. Tables for people, `--json` for scripts.
use super::admin_api::{AdminApi, ApiArgs};
use super::tables;
use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};

#[derive(Debug, Args)]
pub struct SalesArgs {
    #[command(subcommand)]
    command: SalesCommand,
    #[command(flatten)]
    api: ApiArgs,
}

#[derive(Debug, Subcommand)]
enum SalesCommand {
    /// The newest sales, one line each.
    List {
        /// At most this many (1 to 100).
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// One sale's admin view: live stock and every order count.
    Show {
        sale: String,
    },
    /// Create a sale and preload its stock into Redis.
    Create(CreateArgs),
    /// Add stock to a sale; with `--idempotency-key` a retry is applied once.
    Restock {
        sale: String,
        #[arg(long)]
        quantity: u64,
        #[arg(long)]
        idempotency_key: Option<String>,
    },
    /// Stop taking orders on every instance (503 `sale_paused`) until `resume`.
    Pause {
        sale: String,
    },
    Resume {
        sale: String,
    },
    /// Close the sale now, for good.
    End {
        sale: String,
    },
}

/// The create call's fields; those left out take the API's defaults.
#[derive(Debug, Args)]
struct CreateArgs {
    #[arg(long)]
    id: String,
    #[arg(long)]
    stock: u64,
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    per_user_limit: Option<u32>,
    /// RFC 3339, e.g. 2026-12-01T10:00:00Z.
    #[arg(long)]
    starts_at: Option<String>,
    #[arg(long)]
    ends_at: Option<String>,
    #[arg(long)]
    buckets: Option<u32>,
    #[arg(long)]
    payment_window_s: Option<u32>,
}

impl CreateArgs {
    fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("id".into(), json!(self.id));
        body.insert("stock".into(), json!(self.stock));
        let optional = [
            ("name", self.name.as_ref().map(|v| json!(v))),
            ("per_user_limit", self.per_user_limit.map(|v| json!(v))),
            ("starts_at", self.starts_at.as_ref().map(|v| json!(v))),
            ("ends_at", self.ends_at.as_ref().map(|v| json!(v))),
            ("buckets", self.buckets.map(|v| json!(v))),
            ("payment_window_s", self.payment_window_s.map(|v| json!(v))),
        ];
        for (field, value) in optional {
            if let Some(value) = value {
                body.insert(field.into(), value);
            }
        }
        Value::Object(body)
    }
}

pub async fn run(args: SalesArgs) -> anyhow::Result<()> {
    let api = AdminApi::new(&args.api)?;
    let sale_path = |sale: &str, action: &str| format!("/admin/sales/{sale}{action}");
    let answer = match &args.command {
        SalesCommand::List { limit } => api.get(&format!("/admin/sales?limit={limit}")).await?,
        SalesCommand::Show { sale } => api.get(&sale_path(sale, "")).await?,
        SalesCommand::Create(create) => api.post("/admin/sales", &create.body(), None).await?,
        SalesCommand::Restock {
            sale,
            quantity,
            idempotency_key,
        } => {
            let body = json!({ "quantity": quantity });
            let path = sale_path(sale, "/restock");
            api.post(&path, &body, idempotency_key.as_deref()).await?
        }
        SalesCommand::Pause { sale } => {
            api.post(&sale_path(sale, "/pause"), &Value::Null, None)
                .await?
        }
        SalesCommand::Resume { sale } => {
            api.post(&sale_path(sale, "/resume"), &Value::Null, None)
                .await?
        }
        SalesCommand::End { sale } => {
            api.post(&sale_path(sale, "/end"), &Value::Null, None)
                .await?
        }
    };
    let output = match (&args.command, args.api.json) {
        (_, true) => serde_json::to_string_pretty(&answer)?,
        (SalesCommand::List { .. }, false) => tables::rows(
            &answer["sales"],
            &[
                "id",
                "name",
                "state",
                "stock_total",
                "confirmed",
                "starts_at",
                "ends_at",
            ],
        ),
        (_, false) => tables::fields(&answer),
    };
    println!("{output}");
    Ok(())
}
