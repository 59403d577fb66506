//! Values of the `notifications` module.

crate::string_enum!(
    /// Where a message of the mail outbox is.
    MailStatus {
        /// Waiting for (another) delivery attempt.
        Pending = "pending",
        Sent = "sent",
        /// Given up on; stays for an operator.
        Failed = "failed",
    }
);

crate::string_enum!(
    /// How one delivery attempt of a message ended.
    DeliveryOutcome {
        Sent = "sent",
        Failed = "failed",
    }
);
