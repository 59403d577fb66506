//! Values of the `keys` module.

crate::string_enum!(
    /// What a signing key signs.
    KeyPurpose {
        /// Audit-trail checkpoints.
        Audit = "audit",
        /// Verifiable credentials (certificates and badges).
        Credentials = "credentials",
    }
);
