//! SeaORM entities: one file per table, no web or API types. The schema itself lives in the
//! `migration` crate; these structs mirror it.

pub mod api_keys;
pub mod audit_logs;
pub mod currencies;
pub mod economic_snapshots;
pub mod email_tokens;
pub mod idempotency_keys;
pub mod ledger_entries;
pub mod ledger_transactions;
pub mod login_attempts;
pub mod mail_delivery_attempts;
pub mod mail_outbox;
pub mod mfa_backup_codes;
pub mod mfa_challenges;
pub mod mfa_totp;
pub mod organization_members;
pub mod organizations;
pub mod permissions;
pub mod platform_settings;
pub mod refresh_tokens;
pub mod reward_grants;
pub mod role_assignments;
pub mod role_permissions;
pub mod roles;
pub mod sessions;
pub mod stake_accruals;
pub mod stakes;
pub mod users;
pub mod wallets;
