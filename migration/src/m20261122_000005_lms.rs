//! The LMS: categories, tags, courses with their instructors and prerequisites, modules and
//! lessons, enrollments and lesson progress, bookmarks, reviews, learning paths, and the
//! domain-event journal. Also splits course editing out of the global `instructor` role into
//! course-scoped roles, so an instructor edits only the courses they teach.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE categories (
    id          uuid PRIMARY KEY,
    parent_id   uuid REFERENCES categories (id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    slug        text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    position    int NOT NULL DEFAULT 0 CHECK (position >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX categories_parent_idx ON categories (parent_id, position);

CREATE TABLE tags (
    id         uuid PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name = lower(name) AND length(name) BETWEEN 1 AND 50),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE courses (
    id                uuid PRIMARY KEY,
    title             text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    slug              text NOT NULL UNIQUE,
    summary           text NOT NULL DEFAULT '',
    description       text NOT NULL DEFAULT '',
    level             text NOT NULL DEFAULT 'beginner' CHECK (level IN ('beginner', 'intermediate', 'advanced', 'expert')),
    language          text NOT NULL DEFAULT 'en',
    organization_id   uuid REFERENCES organizations (id),
    cover_image_url   text,
    estimated_hours   numeric(7, 1) CHECK (estimated_hours >= 0),
    price             numeric(26, 8) NOT NULL DEFAULT 0 CHECK (price >= 0),
    currency          text NOT NULL DEFAULT 'USD' REFERENCES currencies (code),
    completion_reward numeric(26, 8) CHECK (completion_reward >= 0),
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'under_review', 'published', 'archived')),
    owner_id          uuid NOT NULL REFERENCES users (id),
    -- Tag names, cached for search; course_tags is the source.
    tag_names         text[] NOT NULL DEFAULT '{}',
    -- Counters kept in the same transaction as the rows they count.
    enrollment_count  int NOT NULL DEFAULT 0 CHECK (enrollment_count >= 0),
    rating_count      int NOT NULL DEFAULT 0 CHECK (rating_count >= 0),
    rating_sum        int NOT NULL DEFAULT 0 CHECK (rating_sum >= 0),
    search            tsvector NOT NULL DEFAULT ''::tsvector,
    submitted_at      timestamptz,
    published_at      timestamptz,
    archived_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz
);
CREATE INDEX courses_search_idx ON courses USING gin (search);
CREATE INDEX courses_published_idx ON courses (published_at DESC, id) WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX courses_popular_idx ON courses (enrollment_count DESC, id) WHERE status = 'published' AND deleted_at IS NULL;
CREATE INDEX courses_org_idx ON courses (organization_id) WHERE organization_id IS NOT NULL;

CREATE OR REPLACE FUNCTION courses_search_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search :=
        setweight(to_tsvector('english', coalesce(NEW.title, '')), 'A') ||
        setweight(to_tsvector('english', array_to_string(NEW.tag_names, ' ')), 'B') ||
        setweight(to_tsvector('english', coalesce(NEW.summary, '')), 'B') ||
        setweight(to_tsvector('english', coalesce(NEW.description, '')), 'C');
    RETURN NEW;
END $$;
CREATE TRIGGER courses_search_trg BEFORE INSERT OR UPDATE OF title, summary, description, tag_names
    ON courses FOR EACH ROW EXECUTE FUNCTION courses_search_update();

CREATE TABLE course_categories (
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    category_id uuid NOT NULL REFERENCES categories (id),
    PRIMARY KEY (course_id, category_id)
);
CREATE INDEX course_categories_category_idx ON course_categories (category_id);

CREATE TABLE course_tags (
    course_id uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    tag_id    uuid NOT NULL REFERENCES tags (id),
    PRIMARY KEY (course_id, tag_id)
);
CREATE INDEX course_tags_tag_idx ON course_tags (tag_id);

CREATE TABLE course_instructors (
    course_id  uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id),
    role       text NOT NULL CHECK (role IN ('owner', 'instructor', 'assistant')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX course_instructors_user_idx ON course_instructors (user_id);
CREATE UNIQUE INDEX course_instructors_one_owner ON course_instructors (course_id) WHERE role = 'owner';

CREATE TABLE course_prerequisites (
    course_id       uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    prerequisite_id uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (course_id, prerequisite_id),
    CHECK (course_id <> prerequisite_id)
);

-- Positions are 0..n-1 within their parent; checked at the end of each statement, so one
-- UPDATE can reorder.
CREATE TABLE course_modules (
    id          uuid PRIMARY KEY,
    course_id   uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    position    int NOT NULL CHECK (position >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT course_modules_position_key UNIQUE (course_id, position) DEFERRABLE INITIALLY IMMEDIATE
);

CREATE TABLE lessons (
    id               uuid PRIMARY KEY,
    module_id        uuid NOT NULL REFERENCES course_modules (id) ON DELETE CASCADE,
    course_id        uuid NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    kind             text NOT NULL CHECK (kind IN ('text', 'video', 'audio', 'interactive', 'quiz', 'assignment')),
    content          text NOT NULL DEFAULT '',
    media_url        text,
    duration_minutes int NOT NULL DEFAULT 0 CHECK (duration_minutes >= 0),
    preview          boolean NOT NULL DEFAULT false,
    required         boolean NOT NULL DEFAULT true,
    position         int NOT NULL CHECK (position >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT lessons_position_key UNIQUE (module_id, position) DEFERRABLE INITIALLY IMMEDIATE
);
CREATE INDEX lessons_course_idx ON lessons (course_id);

-- One live (active or completed) enrollment per learner and course; dropped ones stay.
CREATE TABLE enrollments (
    id                uuid PRIMARY KEY,
    user_id           uuid NOT NULL REFERENCES users (id),
    course_id         uuid NOT NULL REFERENCES courses (id),
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'dropped')),
    progress_percent  numeric(5, 2) NOT NULL DEFAULT 0 CHECK (progress_percent BETWEEN 0 AND 100),
    price             numeric(26, 8) NOT NULL DEFAULT 0,
    currency          text REFERENCES currencies (code),
    payment_id        uuid REFERENCES ledger_transactions (id),
    refund_id         uuid REFERENCES ledger_transactions (id),
    learning_path_id  uuid,
    enrolled_at       timestamptz NOT NULL DEFAULT now(),
    completed_at      timestamptz,
    dropped_at        timestamptz,
    last_activity_at  timestamptz,
    CHECK ((status = 'completed') = (completed_at IS NOT NULL)),
    CHECK ((status = 'dropped') = (dropped_at IS NOT NULL))
);
CREATE UNIQUE INDEX enrollments_live_key ON enrollments (user_id, course_id) WHERE status <> 'dropped';
CREATE INDEX enrollments_course_idx ON enrollments (course_id, enrolled_at);
CREATE INDEX enrollments_user_idx ON enrollments (user_id, enrolled_at DESC);

CREATE TABLE lesson_progress (
    enrollment_id         uuid NOT NULL REFERENCES enrollments (id) ON DELETE CASCADE,
    lesson_id             uuid NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
    status                text NOT NULL CHECK (status IN ('started', 'completed')),
    time_spent_seconds    int NOT NULL DEFAULT 0 CHECK (time_spent_seconds >= 0),
    last_position_seconds int NOT NULL DEFAULT 0 CHECK (last_position_seconds >= 0),
    started_at            timestamptz NOT NULL DEFAULT now(),
    completed_at          timestamptz,
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (enrollment_id, lesson_id)
);
CREATE INDEX lesson_progress_lesson_idx ON lesson_progress (lesson_id);

CREATE TABLE lesson_bookmarks (
    user_id    uuid NOT NULL REFERENCES users (id),
    lesson_id  uuid NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
    note       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, lesson_id)
);

CREATE TABLE course_reviews (
    id         uuid PRIMARY KEY,
    course_id  uuid NOT NULL REFERENCES courses (id),
    user_id    uuid NOT NULL REFERENCES users (id),
    rating     smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body       text NOT NULL DEFAULT '',
    reply      text,
    replied_by uuid REFERENCES users (id),
    replied_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (course_id, user_id)
);

CREATE TABLE learning_paths (
    id              uuid PRIMARY KEY,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    slug            text NOT NULL UNIQUE,
    description     text NOT NULL DEFAULT '',
    organization_id uuid REFERENCES organizations (id),
    created_by      uuid NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE learning_path_courses (
    path_id   uuid NOT NULL REFERENCES learning_paths (id) ON DELETE CASCADE,
    course_id uuid NOT NULL REFERENCES courses (id),
    position  int NOT NULL CHECK (position >= 0),
    required  boolean NOT NULL DEFAULT true,
    PRIMARY KEY (path_id, course_id),
    UNIQUE (path_id, position)
);

CREATE TABLE learning_path_enrollments (
    id          uuid PRIMARY KEY,
    path_id     uuid NOT NULL REFERENCES learning_paths (id),
    user_id     uuid NOT NULL REFERENCES users (id),
    enrolled_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (path_id, user_id)
);

ALTER TABLE enrollments ADD CONSTRAINT enrollments_path_fk FOREIGN KEY (learning_path_id) REFERENCES learning_paths (id);

-- Domain events published inside the transaction that caused them (course completed, ...).
CREATE TABLE domain_events (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL,
    user_id     uuid REFERENCES users (id),
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX domain_events_kind_idx ON domain_events (kind, created_at);
CREATE INDEX domain_events_user_idx ON domain_events (user_id, kind);

-- Course editing moves from the global instructor role to course-scoped roles: the global
-- `instructor` creates courses; `course_instructor` (owner and co-instructors) edits and grades
-- one course; `teaching_assistant` grades it; organization admins (and so admins) edit and
-- grade every course they cover. `catalog:manage` (categories) belongs to admins.
INSERT INTO permissions (id, key, description) VALUES
    ('01936b2e-0005-7000-8000-000000000001', 'catalog:manage', 'Manage the category tree');
INSERT INTO roles (id, name, description, parent_id, is_system) VALUES
    ('01936b2e-0005-7000-8000-000000000011', 'teaching_assistant', 'Grades one course', NULL, true),
    ('01936b2e-0005-7000-8000-000000000012', 'course_instructor', 'Teaches one course', '01936b2e-0005-7000-8000-000000000011', true);
DELETE FROM role_permissions rp USING roles r, permissions p
WHERE rp.role_id = r.id AND rp.permission_id = p.id AND r.name = 'instructor' AND p.key IN ('course:update', 'course:grade');
INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r JOIN permissions p ON p.key = ANY (CASE r.name
    WHEN 'teaching_assistant' THEN ARRAY['course:read', 'course:grade']
    WHEN 'course_instructor' THEN ARRAY['course:update']
    WHEN 'org_admin' THEN ARRAY['course:update', 'course:grade']
    WHEN 'admin' THEN ARRAY['catalog:manage']
    ELSE ARRAY[]::text[] END)
ON CONFLICT DO NOTHING;
"#;

const DOWN: &str = r#"
DELETE FROM role_permissions rp USING roles r, permissions p
WHERE rp.role_id = r.id AND rp.permission_id = p.id
  AND ((r.name = 'org_admin' AND p.key IN ('course:update', 'course:grade')) OR p.key = 'catalog:manage');
INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r, permissions p
WHERE r.name = 'instructor' AND p.key IN ('course:update', 'course:grade') ON CONFLICT DO NOTHING;
DELETE FROM role_assignments WHERE role_id IN (SELECT id FROM roles WHERE name IN ('course_instructor', 'teaching_assistant'));
DELETE FROM roles WHERE name IN ('course_instructor', 'teaching_assistant');
DELETE FROM permissions WHERE key = 'catalog:manage';
DROP TABLE domain_events;
DROP TABLE enrollments, learning_path_enrollments, learning_path_courses, learning_paths CASCADE;
DROP TABLE course_reviews, lesson_bookmarks, lesson_progress;
DROP TABLE lessons, course_modules, course_prerequisites, course_instructors, course_tags, course_categories;
DROP TABLE courses, tags, categories;
DROP FUNCTION IF EXISTS courses_search_update();
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
