//! Values of the `identity` module.

crate::string_enum!(
    /// An account's standing as administrators set and filter it (`deleted` is a soft delete:
    /// stored accounts are `active` or `suspended`, a deleted one has `deleted_at` set).
    AccountStatus {
        Active = "active",
        Suspended = "suspended",
        Deleted = "deleted",
    }
);

crate::string_enum!(
    /// What a mailed single-use token proves.
    EmailTokenPurpose {
        VerifyEmail = "verify_email",
        ResetPassword = "reset_password",
    }
);

crate::string_enum!(
    /// How a sign-in attempt ended; the lockout state is computed from these.
    LoginOutcome {
        /// The password was right and no second step was needed.
        Success = "success",
        /// Wrong email or password, or a suspended account.
        Failure = "failure",
        /// Refused unchecked: the account was locked out.
        Locked = "locked",
        /// The password was right; a second step was asked for.
        MfaRequired = "mfa_required",
        /// The second step's code was wrong.
        MfaFailure = "mfa_failure",
        /// The second step succeeded.
        MfaSuccess = "mfa_success",
    }
);

crate::string_enum!(
    /// Why a session ended or an API key was revoked by the platform.
    RevokeReason {
        /// The user signed out.
        Logout = "logout",
        /// The user ended one of their sessions.
        Revoked = "revoked",
        /// A spent refresh token of the session was presented again.
        RefreshTokenReuse = "refresh_token_reuse",
        /// The password was changed.
        PasswordChange = "password_change",
        /// The password was reset from a mailed token.
        PasswordReset = "password_reset",
        /// An administrator suspended the account.
        Suspended = "suspended",
        /// An administrator deleted the account.
        Deleted = "deleted",
    }
);
