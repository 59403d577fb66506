//! The `azora` command: `serve` (default), `migrate`, `seed`, `openapi`, `config`.

use std::process::ExitCode;

use azora::config::Settings;
use azora::startup::Application;
use azora::{db, openapi, telemetry};
use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

#[derive(Parser)]
#[command(
    name = "azora",
    version,
    about = "The Azora education platform back end"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default): creates and migrates the database when configured to.
    Serve,
    /// Manage the database schema.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Insert the demo data (idempotent).
    Seed,
    /// Manage the platform's signing keys.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Print the OpenAPI document to stdout.
    Openapi,
    /// Print the effective settings (secrets redacted).
    Config,
}

#[derive(Subcommand)]
enum KeysAction {
    /// Retire the active signing key of a purpose and start a new one (the old one stays
    /// published in the JWKS, so what it signed still verifies).
    Rotate {
        /// `audit` or `credentials`; all purposes when absent.
        #[arg(long)]
        purpose: Option<String>,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    /// Apply pending migrations.
    Up,
    /// Roll back the newest migrations.
    Down {
        /// How many to roll back.
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    /// List migrations and whether each is applied.
    Status,
    /// Drop everything and apply all migrations again.
    Fresh {
        /// Required in production.
        #[arg(long)]
        force: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        print!("{}", openapi::document_json());
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("azora: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::Config = command {
        print!("{}", settings.redacted_toml());
        return ExitCode::SUCCESS;
    }
    telemetry::init(&settings.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("azora: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "azora failed");
            eprintln!("azora: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve => {
            Application::build(settings)
                .await?
                .run_until_stopped()
                .await
        }
        Command::Migrate { action } => migrate(action, settings).await,
        Command::Seed => {
            let state = offline_state(settings).await?;
            for (step, rows) in azora::seed::run_all(&state).await? {
                println!("{step}: {rows} row(s) inserted");
            }
            state.db.close().await?;
            Ok(())
        }
        Command::Keys {
            action: KeysAction::Rotate { purpose },
        } => {
            use kernel::enums::KeyPurpose;
            let purposes = match purpose {
                Some(p) => vec![
                    p.parse::<KeyPurpose>()
                        .map_err(|e| anyhow::anyhow!("--purpose: {e}"))?,
                ],
                None => KeyPurpose::ALL.to_vec(),
            };
            let state = offline_state(settings).await?;
            for purpose in purposes {
                let txn = sea_orm::TransactionTrait::begin(&state.db).await?;
                let key = azora::modules::keys::rotate_in(
                    &state,
                    &txn,
                    None,
                    &kernel::RequestMeta::system(),
                    purpose,
                )
                .await?;
                txn.commit().await?;
                println!("{purpose}: now signing with {}", key.kid);
            }
            state.db.close().await?;
            Ok(())
        }
        Command::Openapi | Command::Config => Ok(()),
    }
}

/// The application state for a command that works on the database without serving.
async fn offline_state(settings: Settings) -> anyhow::Result<azora::state::AppState> {
    let conn = db::connect(&settings.database).await?;
    let metrics = azora::metrics::Metrics::new(settings.database.max_connections)?;
    azora::state::AppState::new(conn, settings, metrics, true, azora::modules::hooks()).await
}

async fn migrate(action: MigrateAction, settings: Settings) -> anyhow::Result<()> {
    let conn = db::connect(&settings.database).await?;
    match action {
        MigrateAction::Up => {
            db::migrate_up(&conn).await?;
            println!("migrations applied");
        }
        MigrateAction::Down { steps } => {
            Migrator::down(&conn, Some(steps)).await?;
            println!("rolled back {steps} migration(s)");
        }
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(&conn).await? {
                println!("{:<8} {}", m.status().to_string(), m.name());
            }
        }
        MigrateAction::Fresh { force } => {
            if settings.environment == "production" && !force {
                anyhow::bail!("`migrate fresh` drops every table; in production add --force");
            }
            Migrator::fresh(&conn).await?;
            println!("database recreated and migrated");
        }
    }
    conn.close().await?;
    Ok(())
}
