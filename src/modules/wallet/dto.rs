//! Request and response types of the wallet routes. Amounts are decimal strings.

use chrono::{DateTime, NaiveDate, Utc};
use kernel::money::Amount;
use kernel::money::DecimalValue;
use kernel::text::{Email, Line, Text};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A wallet and its balance.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WalletResponse {
    pub id: Uuid,
    #[schema(example = "AZR")]
    pub currency: String,
    /// Decimal string with the currency's scale.
    #[schema(value_type = String, example = "12.50")]
    pub balance: Decimal,
    pub created_at: DateTime<Utc>,
}

/// Open a wallet in a currency (one per currency).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWalletRequest {
    #[schema(example = "ZAR")]
    pub currency: Line<10>,
}

/// One movement of a wallet, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerEntryResponse {
    pub entry_id: Uuid,
    pub transaction_id: Uuid,
    /// `transfer`, `payment`, `refund`, `reward`, `mint`, `stake`, `unstake`, `stake_reward`.
    pub kind: String,
    /// Signed: negative leaves the wallet.
    #[schema(value_type = String, example = "-5.00")]
    pub amount: Decimal,
    #[schema(value_type = String, example = "7.50")]
    pub balance_after: Decimal,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

/// A page of a wallet's history (keyset cursor).
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerPage {
    pub items: Vec<LedgerEntryResponse>,
    pub next_cursor: Option<String>,
}

/// Paging of `GET /wallets/{id}/transactions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// 1 to 100, default 50.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<String>, format = Uuid)]
    pub cursor: Option<Line<100>>,
}

/// Move money to another user's wallet in the same currency. Give `to_wallet_id` or
/// `to_email` (then the recipient's wallet in `currency`).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub from_wallet_id: Uuid,
    pub to_wallet_id: Option<Uuid>,
    #[schema(value_type = Option<String>, format = Email, max_length = 254)]
    pub to_email: Option<Email>,
    /// Decimal string, > 0, at most the currency's scale in places.
    #[schema(example = "5.00")]
    pub amount: Amount,
    #[serde(default)]
    pub description: Text<500>,
}

/// A posted ledger transaction.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TransactionResponse {
    pub id: Uuid,
    pub kind: String,
    pub currency: String,
    #[schema(value_type = DecimalValue)]
    pub amount: Decimal,
    /// Fee charged to the sender on top of `amount`.
    #[schema(value_type = DecimalValue)]
    pub fee: Decimal,
    pub from_wallet_id: Option<Uuid>,
    pub to_wallet_id: Option<Uuid>,
    /// The balance after the transaction of the sender (transfers) or the credited wallet (mint).
    #[schema(value_type = Option<DecimalValue>)]
    pub balance_after: Option<Decimal>,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

/// Credit a user from the treasury (permission `wallet:mint`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MintRequest {
    pub user_id: Uuid,
    #[schema(example = "AZR")]
    pub currency: Line<10>,
    #[schema(example = "100.00000000")]
    pub amount: Amount,
    #[serde(default)]
    pub description: Text<500>,
}

/// Lock AZR for a term of 30, 90 or 180 days.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateStakeRequest {
    #[schema(example = "50")]
    pub amount: Amount,
    #[schema(value_type = StakeTermDays)]
    pub term_days: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StakeResponse {
    pub id: Uuid,
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub term_days: i32,
    /// Annual rate, e.g. `0.05` for 5 %.
    #[schema(value_type = String)]
    pub apr: Decimal,
    /// `active` or `unstaked`.
    pub status: String,
    /// Rewards paid into the stake so far.
    #[schema(value_type = String)]
    pub accrued: Decimal,
    pub started_at: DateTime<Utc>,
    pub matures_at: DateTime<Utc>,
    pub unstaked_at: Option<DateTime<Utc>>,
}

/// One reconciliation failure.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Violation {
    /// `unbalanced_transaction`, `balance_mismatch`, `negative_balance`, `supply_mismatch`.
    pub kind: String,
    pub currency: Option<String>,
    pub transaction_id: Option<Uuid>,
    pub wallet_id: Option<Uuid>,
    pub detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReconcileResponse {
    pub ok: bool,
    pub checked_transactions: i64,
    pub checked_wallets: i64,
    pub violations: Vec<Violation>,
}

/// Economic figures of one currency (the seeds' EconomicMetrics).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CurrencyMetrics {
    pub currency: String,
    pub day: NaiveDate,
    /// Issued by the treasury and held anywhere (the rewards pool included).
    #[schema(value_type = String)]
    pub supply: Decimal,
    /// The staking pool: principal plus yield not yet returned.
    #[schema(value_type = String)]
    pub staked: Decimal,
    /// Sum of transaction amounts over the last 24 h (today) or that day (history).
    #[schema(value_type = String)]
    pub volume_24h: Decimal,
    pub transactions: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MetricsResponse {
    /// Today's live figures, per currency.
    pub today: Vec<CurrencyMetrics>,
    /// Daily snapshots, newest first (up to 30 days).
    pub history: Vec<CurrencyMetrics>,
}

/// A staking term in days: 30, 90 or 180.
pub struct StakeTermDays;

impl utoipa::PartialSchema for StakeTermDays {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .enum_values(Some([30, 90, 180]))
            .examples([30])
            .into()
    }
}

impl utoipa::ToSchema for StakeTermDays {}
