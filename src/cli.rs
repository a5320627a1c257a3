//! The `flashsale` command line: `serve`, `migrate`, `reconcile`, and the operator's `sales`,
//! `dead-letters` and `probe`.
mod admin_api;
mod dead_letters;
mod sales;
mod tables;

use crate::configuration::Settings;
use crate::reconcile::{self, ReconcileArgs};
use crate::startup::Application;
use crate::{postgres, telemetry};
use clap::{Parser, Subcommand};
use dead_letters::DeadLettersArgs;
use sales::SalesArgs;

#[derive(Debug, Parser)]
#[command(
    name = "flashsale",
    version,
    about = "A flash-sale service that never oversells"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service and its persister.
    Serve(Box<Settings>),
    /// Apply the database migrations, then exit.
    Migrate {
        #[arg(
            long,
            env = "DATABASE_URL",
            default_value = "postgres://postgres@127.0.0.1:5440/flashsale"
        )]
        database_url: String,
    },
    /// Check the invariants between Redis and Postgres for every sale, and repair broken live
    /// counters (with `--check`: only report, and exit non-zero if one is broken).
    Reconcile(Box<ReconcileArgs>),
    /// List, show, create, restock, pause, resume or end sales through the admin API
    /// (`FLASHSALE_ADMIN_URL`, `FLASHSALE_ADMIN_TOKEN`).
    Sales(SalesArgs),
    /// List or replay the orders the persister gave up on.
    DeadLetters(DeadLettersArgs),
    /// Exit 0 when the URL answers 2xx: a container health check without curl.
    Probe {
        #[arg(default_value = "http://127.0.0.1:8080/readyz")]
        url: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(settings) => {
            telemetry::init("info")?;
            let application = Application::build(*settings).await?;
            tracing::info!(port = application.port(), "listening");
            application.run_until_stopped().await
        }
        Command::Migrate { database_url } => {
            telemetry::init("info,sqlx=warn")?;
            let db = sqlx::PgPool::connect(&database_url).await?;
            postgres::MIGRATOR.run(&db).await?;
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::Reconcile(args) => {
            telemetry::init("warn")?;
            reconcile::run(*args).await
        }
        Command::Sales(args) => {
            telemetry::init("warn")?;
            sales::run(args).await
        }
        Command::DeadLetters(args) => {
            telemetry::init("warn")?;
            dead_letters::run(args).await
        }
        Command::Probe { url } => admin_api::probe(&url).await,
    }
}
