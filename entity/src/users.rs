//! `users`: accounts; `email` is stored lower-cased, unique among live accounts.

use kernel::enums::AccountStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub email_verified_at: Option<DateTimeUtc>,
    /// `active` or `suspended` (a deleted account has `deleted_at` set).
    pub status: AccountStatus,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub locale: String,
    pub time_zone: String,
    pub last_login_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::sessions::Entity")]
    Sessions,
    #[sea_orm(has_many = "super::email_tokens::Entity")]
    EmailTokens,
    #[sea_orm(has_one = "super::mfa_totp::Entity")]
    MfaTotp,
    #[sea_orm(has_many = "super::mfa_backup_codes::Entity")]
    MfaBackupCodes,
    #[sea_orm(has_many = "super::mfa_challenges::Entity")]
    MfaChallenges,
    #[sea_orm(has_many = "super::login_attempts::Entity")]
    LoginAttempts,
    #[sea_orm(has_many = "super::api_keys::Entity")]
    ApiKeys,
    #[sea_orm(has_many = "super::role_assignments::Entity")]
    RoleAssignments,
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
}

impl Related<super::email_tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::EmailTokens.def()
    }
}

impl Related<super::mfa_totp::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MfaTotp.def()
    }
}

impl Related<super::mfa_backup_codes::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MfaBackupCodes.def()
    }
}

impl Related<super::mfa_challenges::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::MfaChallenges.def()
    }
}

impl Related<super::login_attempts::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::LoginAttempts.def()
    }
}

impl Related<super::api_keys::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ApiKeys.def()
    }
}

impl Related<super::role_assignments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::RoleAssignments.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
