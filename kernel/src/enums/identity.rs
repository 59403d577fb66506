//! Values of the `identity` module.

crate::string_enum!(
    /// An account's standing as administrators set and filter it (`deleted` is a soft delete).
    AccountStatus {
        Active = "active",
        Suspended = "suspended",
        Deleted = "deleted",
    }
);
