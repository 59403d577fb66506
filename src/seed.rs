//! Demo data: one path, [`run_all`], used by `azora seed` and by the development auto-seed.
//! Each module's step goes through that module's services, so a seed never re-implements a
//! rule; every step is idempotent (running twice leaves the same rows as once). The data
//! itself (accounts, organization, settings) is the `seed` crate's.

use anyhow::Context;

use crate::modules::{identity, orgs, system};
use crate::state::AppState;

/// What one seed run inserted, per step.
pub type SeedReport = Vec<(&'static str, u64)>;

/// Runs every module's seed step in dependency order.
pub async fn run_all(state: &AppState) -> anyhow::Result<SeedReport> {
    let mut report: SeedReport = vec![
        (
            "platform_settings",
            system::seed_demo(state)
                .await
                .context("seeding platform settings")?,
        ),
        (
            "users",
            identity::seed_demo(state)
                .await
                .context("seeding accounts")?,
        ),
        (
            "organizations",
            orgs::seed_demo(state)
                .await
                .context("seeding the organization")?,
        ),
    ];
    report.push((
        "ledger_transactions",
        crate::modules::wallet::seed_demo(state).await?,
    ));
    report.push(("lms", crate::modules::lms::seed_demo(state).await?));
    report.push((
        "assessments",
        crate::modules::assessments::seed_demo(state).await?,
    ));
    report.push((
        "certificates",
        crate::modules::certificates::seed_demo(state).await?,
    ));
    report.push((
        "chat_messages",
        crate::modules::chat::seed_demo(state).await?,
    ));
    report.push((
        "forum_posts",
        crate::modules::forums::seed_demo(state).await?,
    ));
    Ok(report)
}

/// Whether the database holds no account yet (the development auto-seed runs then).
pub async fn is_empty(state: &AppState) -> anyhow::Result<bool> {
    Ok(!identity::has_accounts(&state.db).await?)
}
