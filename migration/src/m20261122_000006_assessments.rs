//! Assessments: quizzes, assignments, projects and final exams of a course, their questions,
//! learners' attempts and responses (auto- and manually graded).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE assessments (
    id                      uuid PRIMARY KEY,
    course_id               uuid NOT NULL REFERENCES courses (id),
    lesson_id               uuid REFERENCES lessons (id) ON DELETE SET NULL,
    kind                    text NOT NULL CHECK (kind IN ('quiz', 'assignment', 'project', 'final_exam')),
    title                   text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    instructions            text NOT NULL DEFAULT '',
    pass_score              numeric(5, 2) NOT NULL DEFAULT 60 CHECK (pass_score BETWEEN 0 AND 100),
    time_limit_seconds      int CHECK (time_limit_seconds > 0),
    max_attempts            int CHECK (max_attempts > 0),
    available_from          timestamptz,
    available_until         timestamptz,
    shuffle_questions       boolean NOT NULL DEFAULT false,
    shuffle_options         boolean NOT NULL DEFAULT false,
    show_correct_answers    boolean NOT NULL DEFAULT true,
    weight                  numeric(6, 2) NOT NULL DEFAULT 1 CHECK (weight >= 0),
    grading_policy          text NOT NULL DEFAULT 'best' CHECK (grading_policy IN ('best', 'last')),
    required_for_completion boolean NOT NULL DEFAULT false,
    reward                  numeric(26, 8) CHECK (reward >= 0),
    created_by              uuid NOT NULL REFERENCES users (id),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    CHECK (available_from IS NULL OR available_until IS NULL OR available_from < available_until)
);
CREATE INDEX assessments_course_idx ON assessments (course_id);
CREATE INDEX assessments_lesson_idx ON assessments (lesson_id) WHERE lesson_id IS NOT NULL;

-- `options` are [{id, text}]; `answer` holds the key, by kind: {"correct": [option ids]},
-- {"value": true}, {"accepted": [...], "case_sensitive": false}, {"value": 3.14, "tolerance": 0.01}.
-- The key never leaves the server before submission.
CREATE TABLE questions (
    id             uuid PRIMARY KEY,
    assessment_id  uuid NOT NULL REFERENCES assessments (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('single_choice', 'multiple_choice', 'true_false', 'short_answer', 'numeric', 'essay', 'file_upload')),
    prompt         text NOT NULL CHECK (length(prompt) BETWEEN 1 AND 10000),
    points         numeric(8, 2) NOT NULL CHECK (points > 0),
    options        jsonb NOT NULL DEFAULT '[]',
    answer         jsonb NOT NULL DEFAULT '{}',
    partial_credit boolean NOT NULL DEFAULT false,
    explanation    text NOT NULL DEFAULT '',
    position       int NOT NULL CHECK (position >= 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT questions_position_key UNIQUE (assessment_id, position) DEFERRABLE INITIALLY IMMEDIATE
);

-- `in_progress` until submitted; `submitted` while responses wait for manual grading;
-- `graded` once every response has points.
CREATE TABLE attempts (
    id             uuid PRIMARY KEY,
    assessment_id  uuid NOT NULL REFERENCES assessments (id),
    user_id        uuid NOT NULL REFERENCES users (id),
    number         int NOT NULL CHECK (number > 0),
    status         text NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'submitted', 'graded')),
    question_order uuid[] NOT NULL,
    option_seed    bigint NOT NULL DEFAULT 0,
    started_at     timestamptz NOT NULL DEFAULT now(),
    deadline_at    timestamptz,
    submitted_at   timestamptz,
    auto_submitted boolean NOT NULL DEFAULT false,
    score          numeric(10, 2),
    max_score      numeric(10, 2) NOT NULL DEFAULT 0,
    percent        numeric(5, 2),
    passed         boolean,
    graded_at      timestamptz,
    UNIQUE (assessment_id, user_id, number),
    CHECK ((status = 'in_progress') = (submitted_at IS NULL))
);
CREATE UNIQUE INDEX attempts_one_open ON attempts (assessment_id, user_id) WHERE status = 'in_progress';
CREATE INDEX attempts_user_idx ON attempts (user_id, assessment_id);
CREATE INDEX attempts_pending_idx ON attempts (assessment_id) WHERE status = 'submitted';

CREATE TABLE responses (
    id          uuid PRIMARY KEY,
    attempt_id  uuid NOT NULL REFERENCES attempts (id) ON DELETE CASCADE,
    question_id uuid NOT NULL REFERENCES questions (id),
    answer      jsonb NOT NULL,
    points      numeric(8, 2) CHECK (points >= 0),
    feedback    text NOT NULL DEFAULT '',
    auto_graded boolean NOT NULL DEFAULT false,
    graded_by   uuid REFERENCES users (id),
    graded_at   timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (attempt_id, question_id)
);
"#;

const DOWN: &str = r#"
DROP TABLE responses, attempts, questions, assessments;
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::run_sql(manager, DOWN).await
    }
}
