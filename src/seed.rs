//! Demo data: one path, [`run_all`], used by `azora seed` and by the development auto-seed.
//! Each module's step goes through that module's services, so a seed never re-implements a
//! rule; every step is idempotent (running twice leaves the same rows as once).

use anyhow::Context;

use crate::state::AppState;

/// What one seed run inserted, per step.
pub type SeedReport = Vec<(&'static str, u64)>;

/// Runs every module's seed step in dependency order.
pub async fn run_all(state: &AppState) -> anyhow::Result<SeedReport> {
    let input = seed::SeedInput {
        demo_password_hash: state.hasher.hash(seed::DEMO_PASSWORD.to_owned()).await?,
    };
    let mut report: SeedReport = seed::run(&state.db, &input)
        .await
        .context("seeding accounts")?
        .steps;
    report.push((
        "ledger_transactions",
        crate::modules::wallet::service::seed_demo(state).await?,
    ));
    report.push(("lms", crate::modules::lms::seed::seed_demo(state).await?));
    report.push((
        "assessments",
        crate::modules::assessments::seed_demo(state).await?,
    ));
    Ok(report)
}

/// Whether the database holds no account yet (the development auto-seed runs then).
pub async fn is_empty(state: &AppState) -> anyhow::Result<bool> {
    Ok(seed::is_empty(&state.db).await?)
}
