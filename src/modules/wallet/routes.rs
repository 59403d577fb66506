//! Handlers of the wallet routes.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use uuid::Uuid;

use super::dto::{
    CreateStakeRequest, CreateWalletRequest, LedgerPage, LedgerQuery, MetricsResponse, MintRequest,
    ReconcileResponse, StakeResponse, TransactionResponse, TransferRequest, WalletResponse,
};
use super::{reports, staking, transfers, wallets};
use crate::http::ApiResult;
use crate::http::auth::{AuthUser, ClientInfo};
use crate::http::extract::{Json, Query};
use crate::http::idempotency::RequiredIdempotencyKey;
use crate::state::AppState;

/// Your wallets with their balances.
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:read"])),
    responses(
        (status = 200, body = Vec<WalletResponse>),
    )
)]
#[get("/wallets")]
pub async fn list_wallets(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<Vec<WalletResponse>>> {
    Ok(web::Json(wallets::list_wallets(&state, &user).await?))
}

/// Open a wallet in a currency (one per currency).
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:open"])),
    request_body = CreateWalletRequest,
    responses(
        (status = 201, body = WalletResponse),
        (status = 409, description = "`wallet_exists`"),
        (status = 422, description = "unknown currency"),
    )
)]
#[post("/wallets")]
pub async fn open_wallet(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateWalletRequest>,
) -> ApiResult<HttpResponse> {
    let wallet = wallets::open_wallet(&state, &user, &client, &body.currency).await?;
    Ok(HttpResponse::Created().json(wallet))
}

/// One of your wallets.
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:read"])),
    params(("id" = Uuid, Path, description = "Wallet id")),
    responses(
        (status = 200, body = WalletResponse),
    )
)]
#[get("/wallets/{id}")]
pub async fn get_wallet(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<WalletResponse>> {
    Ok(web::Json(
        wallets::get_wallet(&state, &user, id.into_inner()).await?,
    ))
}

/// A wallet's ledger entries, newest first, with a keyset cursor.
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:read"])),
    params(("id" = Uuid, Path, description = "Wallet id"), LedgerQuery),
    responses(
        (status = 200, body = LedgerPage),
    )
)]
#[get("/wallets/{id}/transactions")]
pub async fn list_wallet_transactions(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    query: Query<LedgerQuery>,
) -> ApiResult<web::Json<LedgerPage>> {
    Ok(web::Json(
        wallets::history(&state, &user, id.into_inner(), query.into_inner()).await?,
    ))
}

/// Transfer to another user's wallet (by id or email) in the same currency. Needs an
/// `Idempotency-Key` header: a retry with the same key and body returns the first result and
/// moves nothing; the same key with another body is 409.
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:transfer"])),
    params(RequiredIdempotencyKey),
    request_body = TransferRequest,
    responses(
        (status = 201, body = TransactionResponse),
        (status = 400, description = "`idempotency_key_required`, `invalid_idempotency_key`"),
        (status = 403, description = "`email_not_verified`, `forbidden`"),
        (status = 404, description = "unknown or foreign wallet"),
        (status = 409, description = "`idempotency_key_reused`"),
        (status = 422, description = "`insufficient_funds`, `currency_mismatch`, `self_transfer`, `validation_failed`"),
    )
)]
#[post("/wallet/transfers")]
pub async fn create_transfer(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<TransferRequest>,
) -> ApiResult<HttpResponse> {
    let key = crate::http::idempotency::required(&req, "transfer")?;
    let tx = transfers::transfer(&state, &user, &client, &key, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(tx))
}

/// Your stakes.
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:read"])),
    responses(
        (status = 200, body = Vec<StakeResponse>),
    )
)]
#[get("/wallet/stakes")]
pub async fn list_stakes(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<Vec<StakeResponse>>> {
    Ok(web::Json(staking::list_stakes(&state, &user).await?))
}

/// Stake AZR for 30, 90 or 180 days; rewards accrue daily at the term's APR.
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:stake"])),
    request_body = CreateStakeRequest,
    responses(
        (status = 201, body = StakeResponse),
        (status = 422, description = "`insufficient_funds`, `validation_failed`"),
    )
)]
#[post("/wallet/stakes")]
pub async fn create_stake(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<CreateStakeRequest>,
) -> ApiResult<HttpResponse> {
    let stake = staking::create_stake(&state, &user, &client, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(stake))
}

/// Return a matured stake's principal and rewards to your AZR wallet. Before maturity this
/// is refused (`stake_not_matured`).
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:stake"])),
    params(("id" = Uuid, Path, description = "Stake id")),
    responses(
        (status = 200, body = StakeResponse),
        (status = 409, description = "`already_unstaked`"),
        (status = 422, description = "`stake_not_matured`"),
    )
)]
#[post("/wallet/stakes/{id}/unstake")]
pub async fn unstake(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<StakeResponse>> {
    Ok(web::Json(
        staking::unstake(&state, &user, &client, id.into_inner()).await?,
    ))
}

/// Credit a user from the treasury (permission `wallet:mint`).
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:mint"])),
    request_body = MintRequest,
    responses(
        (status = 201, body = TransactionResponse),
    )
)]
#[post("/wallet/mint")]
pub async fn mint(
    state: web::Data<AppState>,
    user: AuthUser,
    client: ClientInfo,
    body: Json<MintRequest>,
) -> ApiResult<HttpResponse> {
    let tx = transfers::mint(&state, &user, &client, body.into_inner()).await?;
    Ok(HttpResponse::Created().json(tx))
}

/// Check the ledger: every transaction sums to zero, cached balances match their entries, no
/// non-treasury balance is negative, supply equals what the treasury issued (permission
/// `wallet:audit`).
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:audit"])),
    responses(
        (status = 200, body = ReconcileResponse),
    )
)]
#[get("/wallet/reconcile")]
pub async fn reconcile(
    state: web::Data<AppState>,
    user: AuthUser,
) -> ApiResult<web::Json<ReconcileResponse>> {
    Ok(web::Json(reports::reconcile(&state, &user).await?))
}

/// Per currency: supply, staked, 24 h volume and transaction count, today and by day.
#[utoipa::path(
    tag = "wallet",
    security(("api_key" = ["wallet:read"])),
    responses(
        (status = 200, body = MetricsResponse),
    )
)]
#[get("/wallet/metrics")]
pub async fn wallet_metrics(
    state: web::Data<AppState>,
    _user: AuthUser,
) -> ApiResult<web::Json<MetricsResponse>> {
    Ok(web::Json(reports::metrics(&state).await?))
}
