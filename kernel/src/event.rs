//! Domain events: facts a module publishes inside the transaction that caused them, so that the
//! modules reacting to them do so in that same transaction (all or nothing). The bus that
//! journals and dispatches them lives with the application state; subscribers are registered
//! by the subscribing modules.

use serde::Serialize;
use uuid::Uuid;

/// Something that happened, as other modules may need to know it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DomainEvent {
    /// An account was created (rbac gives it the `student` role).
    UserRegistered { user_id: Uuid },
    /// A learner completed a course (once per enrollment).
    CourseCompleted {
        enrollment_id: Uuid,
        user_id: Uuid,
        course_id: Uuid,
        course_title: String,
    },
    /// A learner completed every required course of a learning path they are enrolled in
    /// (once: when the last required course completes).
    PathCompleted {
        user_id: Uuid,
        path_id: Uuid,
        path_title: String,
    },
    /// A learner passed an assessment for the first time.
    AssessmentPassed {
        attempt_id: Uuid,
        user_id: Uuid,
        assessment_id: Uuid,
        course_id: Uuid,
        lesson_id: Option<Uuid>,
    },
    /// A learner enrolled in a course (the course's chat channel takes them in).
    Enrolled { user_id: Uuid, course_id: Uuid },
    /// A learner dropped a course.
    EnrollmentDropped { user_id: Uuid, course_id: Uuid },
    /// Someone became a member of an organization.
    OrganizationJoined {
        user_id: Uuid,
        organization_id: Uuid,
    },
    /// Someone stopped being a member of an organization.
    OrganizationLeft {
        user_id: Uuid,
        organization_id: Uuid,
    },
}

/// The kind of an event, as journaled and as subscribers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    UserRegistered,
    CourseCompleted,
    PathCompleted,
    AssessmentPassed,
    Enrolled,
    EnrollmentDropped,
    OrganizationJoined,
    OrganizationLeft,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::UserRegistered => "user_registered",
            EventKind::CourseCompleted => "course_completed",
            EventKind::PathCompleted => "path_completed",
            EventKind::AssessmentPassed => "assessment_passed",
            EventKind::Enrolled => "enrolled",
            EventKind::EnrollmentDropped => "enrollment_dropped",
            EventKind::OrganizationJoined => "organization_joined",
            EventKind::OrganizationLeft => "organization_left",
        }
    }
}

impl DomainEvent {
    pub fn kind(&self) -> EventKind {
        match self {
            DomainEvent::UserRegistered { .. } => EventKind::UserRegistered,
            DomainEvent::CourseCompleted { .. } => EventKind::CourseCompleted,
            DomainEvent::PathCompleted { .. } => EventKind::PathCompleted,
            DomainEvent::AssessmentPassed { .. } => EventKind::AssessmentPassed,
            DomainEvent::Enrolled { .. } => EventKind::Enrolled,
            DomainEvent::EnrollmentDropped { .. } => EventKind::EnrollmentDropped,
            DomainEvent::OrganizationJoined { .. } => EventKind::OrganizationJoined,
            DomainEvent::OrganizationLeft { .. } => EventKind::OrganizationLeft,
        }
    }

    /// The user the event is about.
    pub fn user_id(&self) -> Uuid {
        match self {
            DomainEvent::UserRegistered { user_id }
            | DomainEvent::CourseCompleted { user_id, .. }
            | DomainEvent::PathCompleted { user_id, .. }
            | DomainEvent::AssessmentPassed { user_id, .. }
            | DomainEvent::Enrolled { user_id, .. }
            | DomainEvent::EnrollmentDropped { user_id, .. }
            | DomainEvent::OrganizationJoined { user_id, .. }
            | DomainEvent::OrganizationLeft { user_id, .. } => *user_id,
        }
    }
}
