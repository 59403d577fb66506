//! Values of the `lms` module.

crate::string_enum!(
    /// Where a course is in its workflow.
    CourseStatus {
        Draft = "draft",
        UnderReview = "under_review",
        Published = "published",
        Archived = "archived",
    }
);

crate::string_enum!(
    /// How demanding a course is.
    CourseLevel {
        Beginner = "beginner",
        Intermediate = "intermediate",
        Advanced = "advanced",
        Expert = "expert",
    }
);

crate::string_enum!(
    /// Free or paid courses, as a catalog filter.
    PriceFilter {
        Free = "free",
        Paid = "paid",
    }
);

crate::string_enum!(
    /// Orders of the catalog (`relevance` needs a search term).
    CourseSort {
        Relevance = "relevance",
        Newest = "newest",
        Rating = "rating",
        Popularity = "popularity",
        Title = "title",
    }
);

crate::string_enum!(
    /// How someone teaches a course they do not own.
    CoInstructorRole {
        Instructor = "instructor",
        Assistant = "assistant",
    }
);

crate::string_enum!(
    /// What a lesson holds.
    LessonKind {
        Text = "text",
        Video = "video",
        Audio = "audio",
        Interactive = "interactive",
        Quiz = "quiz",
        Assignment = "assignment",
    }
);

crate::string_enum!(
    /// A learner's enrollment.
    EnrollmentStatus {
        Active = "active",
        Completed = "completed",
        Dropped = "dropped",
    }
);

crate::string_enum!(
    /// What a learner reports about a lesson.
    ProgressUpdate {
        Started = "started",
        Completed = "completed",
    }
);

crate::string_enum!(
    /// How someone teaches a course (`course_instructors.role`): its one owner, co-instructors
    /// and assistants.
    InstructorRole {
        Owner = "owner",
        Instructor = "instructor",
        Assistant = "assistant",
    }
);

crate::string_enum!(
    /// Where a learner is in one lesson (`lesson_progress.status`).
    ProgressStatus {
        Started = "started",
        Completed = "completed",
    }
);

impl From<CoInstructorRole> for InstructorRole {
    fn from(role: CoInstructorRole) -> Self {
        match role {
            CoInstructorRole::Instructor => InstructorRole::Instructor,
            CoInstructorRole::Assistant => InstructorRole::Assistant,
        }
    }
}

impl From<ProgressUpdate> for ProgressStatus {
    fn from(update: ProgressUpdate) -> Self {
        match update {
            ProgressUpdate::Started => ProgressStatus::Started,
            ProgressUpdate::Completed => ProgressStatus::Completed,
        }
    }
}

impl CourseStatus {
    /// Published or archived: the public may see the course.
    pub const fn is_public(self) -> bool {
        matches!(self, CourseStatus::Published | CourseStatus::Archived)
    }
}
