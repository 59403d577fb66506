//! Values of the `assessments` module.

crate::string_enum!(
    /// What an assessment is.
    AssessmentKind {
        Quiz = "quiz",
        Assignment = "assignment",
        Project = "project",
        FinalExam = "final_exam",
    }
);

crate::string_enum!(
    /// Which attempt counts in the gradebook.
    GradingPolicy {
        Best = "best",
        Last = "last",
    }
);

crate::string_enum!(
    /// What a question asks for.
    QuestionKind {
        SingleChoice = "single_choice",
        MultipleChoice = "multiple_choice",
        TrueFalse = "true_false",
        ShortAnswer = "short_answer",
        Numeric = "numeric",
        Essay = "essay",
        FileUpload = "file_upload",
    }
);

impl QuestionKind {
    /// Graded by hand (essays and files).
    pub fn is_manual(self) -> bool {
        matches!(self, QuestionKind::Essay | QuestionKind::FileUpload)
    }

    /// Answered by choosing among options.
    pub fn is_choice(self) -> bool {
        matches!(
            self,
            QuestionKind::SingleChoice | QuestionKind::MultipleChoice
        )
    }
}

crate::string_enum!(
    /// Where an attempt is.
    AttemptStatus {
        InProgress = "in_progress",
        Submitted = "submitted",
        Graded = "graded",
    }
);

crate::string_enum!(
    /// Which responses a grader lists.
    SubmissionFilter {
        NeedsGrading = "needs_grading",
        All = "all",
    }
);

crate::string_enum!(
    /// How the gradebook is served.
    GradebookFormat {
        Json = "json",
        Csv = "csv",
    }
);
