//! `stakes`: AZR locked for a term, with the rewards accrued into it so far.

use kernel::enums::StakeStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stakes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub wallet_id: Uuid,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub amount: Decimal,
    pub term_days: i32,
    #[sea_orm(column_type = "Decimal(Some((8, 6)))")]
    pub apr: Decimal,
    pub status: StakeStatus,
    #[sea_orm(column_type = "Decimal(Some((26, 8)))")]
    pub accrued: Decimal,
    pub started_at: DateTimeUtc,
    pub matures_at: DateTimeUtc,
    pub unstaked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UserId",
        to = "super::users::Column::Id"
    )]
    User,
    #[sea_orm(
        belongs_to = "super::wallets::Entity",
        from = "Column::WalletId",
        to = "super::wallets::Column::Id"
    )]
    Wallet,
    #[sea_orm(has_many = "super::stake_accruals::Entity")]
    Accruals,
}

impl Related<super::users::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl Related<super::wallets::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Wallet.def()
    }
}

impl Related<super::stake_accruals::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Accruals.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
