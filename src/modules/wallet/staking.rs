//! Staking: AZR locked for 30, 90 or 180 days in the staking pool, returned with its rewards
//! after the term (never before), and the daily accrual the background job runs.
//!
//! Stakes are read and written through the entity; the rows a change must hold still
//! (`FOR UPDATE`) and the accrued counter updated in place are explicit SQL.

use chrono::{Duration, NaiveDate, Utc};
use entity::{stake_accruals, stakes};
use kernel::enums::{LedgerKind, StakeStatus, SystemWalletKind};
use kernel::{Actor, AppError, AppResult, ErrorCode, FieldError, RequestMeta, Scope, db};
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::dto::{CreateStakeRequest, StakeResponse};
use super::ledger::{self, Posting, post, shown};
use super::wallets::{ensure_wallet, system_wallet};
use crate::config::Settings;
use crate::modules::audit::{self, AuditEvent};
use crate::state::AppState;

/// The yearly rate of a term, if it is one of the offered terms.
fn apr_for(settings: &Settings, term_days: i32) -> Option<Decimal> {
    match term_days {
        30 => Some(settings.wallet.stake_apr_30),
        90 => Some(settings.wallet.stake_apr_90),
        180 => Some(settings.wallet.stake_apr_180),
        _ => None,
    }
}

fn response(s: stakes::Model) -> StakeResponse {
    StakeResponse {
        id: s.id,
        amount: shown(s.amount, 8),
        term_days: s.term_days,
        apr: s.apr.normalize(),
        status: s.status.to_string(),
        accrued: shown(s.accrued, 8),
        started_at: s.started_at,
        matures_at: s.matures_at,
        unstaked_at: s.unstaked_at,
    }
}

/// Stake `id`, held until the transaction ends.
async fn lock_stake(txn: &DatabaseTransaction, id: Uuid) -> AppResult<Option<stakes::Model>> {
    Ok(db::row(
        txn,
        "SELECT id, user_id, wallet_id, amount, term_days, apr, status, accrued, started_at, \
         matures_at, unstaked_at, created_at, updated_at FROM stakes WHERE id = $1 FOR UPDATE",
        [id.into()],
    )
    .await?)
}

pub async fn list_stakes(state: &AppState, user: &Actor) -> AppResult<Vec<StakeResponse>> {
    Ok(stakes::Entity::find()
        .filter(stakes::Column::UserId.eq(user.id))
        .order_by_desc(stakes::Column::StartedAt)
        .all(&state.db)
        .await?
        .into_iter()
        .map(response)
        .collect())
}

/// Locks AZR for a term (30, 90 or 180 days).
pub async fn create_stake(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    req: CreateStakeRequest,
) -> AppResult<StakeResponse> {
    crate::authz::require(state, user, "wallet:transfer", Scope::Global).await?;
    let apr = apr_for(&state.settings, req.term_days).ok_or_else(|| {
        AppError::validation(vec![FieldError::new("#/term_days", "one of 30, 90, 180")])
    })?;
    let amount = req.amount.positive_in_scale(8, "#/amount")?;
    let txn = state.db.begin().await?;
    let stake = stake_in(&txn, user.id, client, amount, req.term_days, apr).await?;
    txn.commit().await?;
    Ok(response(stake))
}

/// Moves `amount` AZR of `user_id` into the staking pool and records the stake for
/// `term_days` at `apr`, audited, inside the caller's transaction.
pub(super) async fn stake_in(
    txn: &DatabaseTransaction,
    user_id: Uuid,
    meta: &RequestMeta,
    amount: Decimal,
    term_days: i32,
    apr: Decimal,
) -> AppResult<stakes::Model> {
    let wallet = ensure_wallet(txn, user_id, "AZR").await?;
    let pool = system_wallet(txn, SystemWalletKind::StakingPool, "AZR").await?;
    let id = Uuid::now_v7();
    let posted = post(
        txn,
        Posting {
            kind: LedgerKind::Stake,
            currency: "AZR",
            amount,
            description: "stake",
            reference: Some(&id.to_string()),
            initiated_by: Some(user_id),
            reverses: None,
            legs: vec![(wallet, -amount), (pool, amount)],
        },
    )
    .await?;
    let now = Utc::now();
    let stake = stakes::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        wallet_id: Set(wallet),
        amount: Set(amount),
        term_days: Set(term_days),
        apr: Set(apr),
        started_at: Set(now),
        matures_at: Set(now + Duration::days(i64::from(term_days))),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    audit::record(
        txn,
        AuditEvent::new(Some(user_id), "wallet.stake", "stake", Some(id.to_string())).details(
            serde_json::json!({
                "amount": amount.to_string(),
                "term_days": term_days,
                "transaction_id": posted.id,
            }),
        ),
        meta,
    )
    .await?;
    Ok(stake)
}

/// Returns principal and rewards after the term. Early unstaking is refused
/// (`stake_not_matured`): the term is the promise the yield pays for.
pub async fn unstake(
    state: &AppState,
    user: &Actor,
    client: &RequestMeta,
    id: Uuid,
) -> AppResult<StakeResponse> {
    let txn = state.db.begin().await?;
    let stake = lock_stake(&txn, id)
        .await?
        .filter(|s| s.user_id == user.id)
        .ok_or_else(|| AppError::not_found("stake"))?;
    if stake.status != StakeStatus::Active {
        return Err(AppError::new(
            ErrorCode::AlreadyUnstaked,
            "this stake was already returned",
        ));
    }
    if stake.matures_at > Utc::now() {
        return Err(AppError::new(
            ErrorCode::StakeNotMatured,
            format!(
                "the stake matures at {}; early unstaking is not allowed",
                stake.matures_at.to_rfc3339()
            ),
        ));
    }
    let pool = system_wallet(&txn, SystemWalletKind::StakingPool, "AZR").await?;
    let total = stake.amount + stake.accrued;
    post(
        &txn,
        Posting {
            kind: LedgerKind::Unstake,
            currency: "AZR",
            amount: total,
            description: "unstake",
            reference: Some(&id.to_string()),
            initiated_by: Some(user.id),
            reverses: None,
            legs: vec![(pool, -total), (stake.wallet_id, total)],
        },
    )
    .await?;
    let now = Utc::now();
    let stake = stakes::ActiveModel {
        id: Set(id),
        status: Set(StakeStatus::Unstaked),
        unstaked_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    audit::record(
        &txn,
        AuditEvent::new(
            Some(user.id),
            "wallet.unstake",
            "stake",
            Some(id.to_string()),
        )
        .details(serde_json::json!({"returned": total.to_string()})),
        client,
    )
    .await?;
    txn.commit().await?;
    Ok(response(stake))
}

/// The daily staking job: for every active stake, pays each day from its start up to `day`
/// (and not past maturity) that has not been paid, from the rewards pool into the staking
/// pool. One transaction per stake; `stake_accruals` has one row per stake and day, so a
/// second run, or a run after a crash, pays nothing twice. Returns how many stakes it paid.
pub async fn accrue_stakes(db: &DatabaseConnection, day: NaiveDate) -> AppResult<u64> {
    // Started before `day` (UTC): before its first instant.
    let day_starts = day.and_time(chrono::NaiveTime::MIN).and_utc();
    let ids: Vec<Uuid> = stakes::Entity::find()
        .select_only()
        .column(stakes::Column::Id)
        .filter(stakes::Column::Status.eq(StakeStatus::Active))
        .filter(stakes::Column::StartedAt.lt(day_starts))
        .order_by_asc(stakes::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut paid = 0;
    for id in ids {
        match accrue_stake(db, id, day).await {
            Ok(true) => paid += 1,
            Ok(false) => {}
            // One stake's failure (an empty rewards pool, say) does not hold up the others.
            Err(e) => {
                tracing::warn!(stake = %id, error = %e, "stake accrual failed; retrying next run")
            }
        }
    }
    Ok(paid)
}

/// Pays the unpaid days of one stake, in one transaction; true when it paid anything.
async fn accrue_stake(db: &DatabaseConnection, id: Uuid, day: NaiveDate) -> AppResult<bool> {
    let txn = db.begin().await?;
    let Some(stake) = lock_stake(&txn, id)
        .await?
        .filter(|s| s.status == StakeStatus::Active)
    else {
        return Ok(false);
    };
    let last_paid: Option<NaiveDate> = stake_accruals::Entity::find()
        .select_only()
        .expr(Func::max(Expr::col(stake_accruals::Column::Day)))
        .filter(stake_accruals::Column::StakeId.eq(id))
        .into_tuple::<Option<NaiveDate>>()
        .one(&txn)
        .await?
        .flatten();
    let first = last_paid.map_or(stake.started_at.date_naive() + Duration::days(1), |d| {
        d + Duration::days(1)
    });
    let last = day.min(stake.matures_at.date_naive());
    let per_day = ledger::daily_yield(stake.amount, stake.apr, 8);
    let mut total = Decimal::ZERO;
    let mut d = first;
    while d <= last {
        // The key (stake, day) makes a day paid by an earlier run insert nothing.
        let inserted = stake_accruals::Entity::insert(stake_accruals::ActiveModel {
            stake_id: Set(id),
            day: Set(d),
            amount: Set(per_day),
            ..Default::default()
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;
        if matches!(inserted, sea_orm::TryInsertResult::Inserted(1)) {
            total += per_day;
        }
        d += Duration::days(1);
    }
    if total > Decimal::ZERO {
        let pool = system_wallet(&txn, SystemWalletKind::RewardsPool, "AZR").await?;
        let staking = system_wallet(&txn, SystemWalletKind::StakingPool, "AZR").await?;
        let posted = post(
            &txn,
            Posting {
                kind: LedgerKind::StakeReward,
                currency: "AZR",
                amount: total,
                description: "staking reward",
                reference: Some(&id.to_string()),
                initiated_by: None,
                reverses: None,
                legs: vec![(pool, -total), (staking, total)],
            },
        )
        .await?;
        stake_accruals::Entity::update_many()
            .set(stake_accruals::ActiveModel {
                transaction_id: Set(Some(posted.id)),
                ..Default::default()
            })
            .filter(stake_accruals::Column::StakeId.eq(id))
            .filter(stake_accruals::Column::TransactionId.is_null())
            .exec(&txn)
            .await?;
        db::exec(
            &txn,
            "UPDATE stakes SET accrued = accrued + $2, updated_at = now() WHERE id = $1",
            [id.into(), total.into()],
        )
        .await?;
        audit::record(
            &txn,
            AuditEvent::new(
                Some(stake.user_id),
                "wallet.stake_reward",
                "stake",
                Some(id.to_string()),
            )
            .details(serde_json::json!({
                "amount": total.to_string(),
                "through": last.to_string(),
                "transaction_id": posted.id,
            })),
            &RequestMeta::system(),
        )
        .await?;
        txn.commit().await?;
        return Ok(true);
    }
    txn.commit().await?;
    Ok(false)
}
