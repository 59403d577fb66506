//! Values of the `wallet` module.

crate::string_enum!(
    /// What a ledger transaction does.
    LedgerKind {
        Transfer = "transfer",
        Payment = "payment",
        Refund = "refund",
        Reward = "reward",
        Mint = "mint",
        Stake = "stake",
        Unstake = "unstake",
        StakeReward = "stake_reward",
        Fee = "fee",
    }
);

crate::string_enum!(
    /// The platform's own wallets, one of each per currency.
    SystemWalletKind {
        /// Issues money: the only wallet that goes negative.
        Treasury = "treasury",
        Fees = "fees",
        Escrow = "escrow",
        StakingPool = "staking_pool",
        RewardsPool = "rewards_pool",
        CourseRevenue = "course_revenue",
    }
);

crate::string_enum!(
    /// Whether a stake still holds its AZR.
    StakeStatus {
        Active = "active",
        Unstaked = "unstaked",
    }
);
