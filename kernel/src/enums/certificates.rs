//! Values of the `certificates` module.

crate::string_enum!(
    /// What a credential attests.
    AchievementKind {
        /// A completed course.
        Course = "course",
        /// A completed learning path.
        Path = "path",
        /// A badge, awarded by hand or by a rule.
        Badge = "badge",
    }
);

crate::string_enum!(
    /// What awards a badge by itself.
    BadgeRuleKind {
        /// Completing the course `target_id`.
        CourseCompleted = "course_completed",
        /// Passing the assessment `target_id` with at least `min_percent`.
        AssessmentPassed = "assessment_passed",
        /// Completing the learning path `target_id`.
        PathCompleted = "path_completed",
    }
);

crate::string_enum!(
    /// Where a credential stands.
    CredentialStatus {
        Active = "active",
        Suspended = "suspended",
        Revoked = "revoked",
    }
);

crate::string_enum!(
    /// What a status list records (W3C Bitstring Status List `statusPurpose`).
    StatusPurpose {
        /// Revoked for good.
        Revocation = "revocation",
        /// Suspended until unsuspended.
        Suspension = "suspension",
    }
);
