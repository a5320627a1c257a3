//! The `flashsale` command line: `serve`, `migrate`, `reconcile`, `dead-letters`.
mod dead_letters;

use crate::configuration::Settings;
use crate::reconcile::{self, ReconcileArgs};
use crate::startup::Application;
use crate::{postgres, telemetry};
use clap::{Parser, Subcommand};
use dead_letters::DeadLettersCommand;

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
    /// List or replay the orders the persister gave up on.
    #[command(subcommand)]
    DeadLetters(DeadLettersCommand),
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
        Command::DeadLetters(command) => {
            telemetry::init("warn")?;
            dead_letters::run(command).await
        }
    }
}
