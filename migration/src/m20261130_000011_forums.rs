//! Forums: forums (site-wide, organization or course scoped, nested at most three levels) with
//! posting rules, threads (discussions and Q&A, linked to a lesson or an assessment), posts
//! in a tree (a materialized path of per-thread post numbers, so a thread reads in tree order
//! by one index range), revisions, reactions, votes, subscriptions and bans. Flags go to the
//! shared `moderation_flags`. Course instructors moderate their course's forums.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
CREATE TABLE forums (
    id             uuid PRIMARY KEY,
    scope_type     text NOT NULL CHECK (scope_type IN ('global', 'organization', 'course')),
    scope_id       uuid,
    parent_id      uuid REFERENCES forums (id) ON DELETE CASCADE,
    depth          smallint NOT NULL DEFAULT 1 CHECK (depth BETWEEN 1 AND 3),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description    text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    -- Who may start threads and who may reply: members, staff (instructors, organization
    -- admins, moderators) or nobody (read-only).
    start_rule     text NOT NULL DEFAULT 'members' CHECK (start_rule IN ('members', 'staff', 'nobody')),
    reply_rule     text NOT NULL DEFAULT 'members' CHECK (reply_rule IN ('members', 'staff', 'nobody')),
    position       integer NOT NULL DEFAULT 0,
    thread_count   integer NOT NULL DEFAULT 0,
    post_count     integer NOT NULL DEFAULT 0,
    last_posted_at timestamptz,
    created_by     uuid NOT NULL REFERENCES users (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((scope_type = 'global') = (scope_id IS NULL))
);
CREATE INDEX forums_scope_idx ON forums (scope_type, scope_id, position, id);
CREATE INDEX forums_parent_idx ON forums (parent_id);

CREATE TABLE forum_threads (
    id               uuid PRIMARY KEY,
    forum_id         uuid NOT NULL REFERENCES forums (id) ON DELETE CASCADE,
    author_id        uuid NOT NULL REFERENCES users (id),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    kind             text NOT NULL DEFAULT 'discussion' CHECK (kind IN ('discussion', 'question')),
    -- The root post (number 1 unless the thread was split off another).
    root_post_id     uuid,
    accepted_post_id uuid,
    lesson_id        uuid REFERENCES lessons (id) ON DELETE SET NULL,
    assessment_id    uuid REFERENCES assessments (id) ON DELETE SET NULL,
    pinned           boolean NOT NULL DEFAULT false,
    locked           boolean NOT NULL DEFAULT false,
    hidden_at        timestamptz,
    merged_into_id   uuid REFERENCES forum_threads (id),
    -- The next post number of the thread (under the thread's row lock).
    next_number      integer NOT NULL DEFAULT 1,
    post_count       integer NOT NULL DEFAULT 0,
    last_posted_at   timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX forum_threads_list_idx ON forum_threads (forum_id, pinned DESC, last_posted_at DESC, id DESC);
CREATE INDEX forum_threads_author_idx ON forum_threads (author_id, created_at);
CREATE INDEX forum_threads_lesson_idx ON forum_threads (lesson_id) WHERE lesson_id IS NOT NULL;
CREATE INDEX forum_threads_assessment_idx ON forum_threads (assessment_id) WHERE assessment_id IS NOT NULL;
CREATE INDEX forum_threads_title_idx ON forum_threads USING gin (to_tsvector('english', title));

CREATE TABLE forum_posts (
    id          uuid PRIMARY KEY,
    thread_id   uuid NOT NULL REFERENCES forum_threads (id) ON DELETE CASCADE,
    number      integer NOT NULL,
    parent_id   uuid REFERENCES forum_posts (id),
    -- Post numbers from the root down to this post: arrays compare element by element, so
    -- ordering by path is the depth-first order of the tree.
    path        integer[] NOT NULL,
    author_id   uuid NOT NULL REFERENCES users (id),
    body        text NOT NULL CHECK (length(body) <= 20000),
    body_html   text NOT NULL,
    child_count integer NOT NULL DEFAULT 0,
    score       integer NOT NULL DEFAULT 0,
    -- Title (weight A, root posts only) and body (weight B), for search.
    search      tsvector NOT NULL,
    edited_at   timestamptz,
    deleted_at  timestamptz,
    hidden_at   timestamptz,
    -- Who hid it: a moderator, or flags awaiting review (a dismissal un-hides those).
    hidden_by   text CHECK (hidden_by IN ('moderator', 'flags')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (thread_id, number),
    CHECK (cardinality(path) BETWEEN 1 AND 64)
);
CREATE INDEX forum_posts_tree_idx ON forum_posts (thread_id, path);
CREATE INDEX forum_posts_flat_idx ON forum_posts (thread_id, id);
CREATE INDEX forum_posts_author_idx ON forum_posts (author_id, created_at);
CREATE INDEX forum_posts_search_idx ON forum_posts USING gin (search);
-- For the foreign keys that point at posts (cascading deletes check them).
CREATE INDEX forum_posts_parent_idx ON forum_posts (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX forum_threads_root_idx ON forum_threads (root_post_id);
CREATE INDEX forum_threads_accepted_idx ON forum_threads (accepted_post_id) WHERE accepted_post_id IS NOT NULL;
ALTER TABLE forum_threads ADD FOREIGN KEY (root_post_id) REFERENCES forum_posts (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE forum_threads ADD FOREIGN KEY (accepted_post_id) REFERENCES forum_posts (id) ON DELETE SET NULL;

CREATE TABLE forum_post_revisions (
    id        uuid PRIMARY KEY,
    post_id   uuid NOT NULL REFERENCES forum_posts (id) ON DELETE CASCADE,
    -- The text before this edit.
    body      text NOT NULL,
    edited_by uuid NOT NULL REFERENCES users (id),
    edited_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX forum_post_revisions_post_idx ON forum_post_revisions (post_id, id);

CREATE TABLE forum_reactions (
    post_id    uuid NOT NULL REFERENCES forum_posts (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('thumbs_up', 'heart', 'laugh', 'celebrate', 'eyes', 'thinking')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, user_id, kind)
);

CREATE TABLE forum_votes (
    post_id    uuid NOT NULL REFERENCES forum_posts (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    value      smallint NOT NULL CHECK (value IN (-1, 1)),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, user_id)
);

-- A user's level on a forum or a thread (a thread's own level wins over its forum's).
CREATE TABLE forum_subscriptions (
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_type text NOT NULL CHECK (target_type IN ('forum', 'thread')),
    target_id   uuid NOT NULL,
    level       text NOT NULL CHECK (level IN ('watching', 'tracking', 'normal', 'muted')),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target_type, target_id, user_id)
);
CREATE INDEX forum_subscriptions_user_idx ON forum_subscriptions (user_id);

CREATE TABLE forum_bans (
    forum_id   uuid NOT NULL REFERENCES forums (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- NULL: until lifted.
    until      timestamptz,
    reason     text NOT NULL DEFAULT '' CHECK (length(reason) <= 1000),
    banned_by  uuid NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (forum_id, user_id)
);

-- Course instructors moderate their course's forums; admins everything.
INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r, permissions p
WHERE r.name IN ('admin', 'course_instructor') AND p.key = 'forum:moderate'
ON CONFLICT DO NOTHING;
"#;

const DOWN: &str = r#"
DELETE FROM role_permissions
WHERE role_id IN (SELECT id FROM roles WHERE name = 'course_instructor')
  AND permission_id IN (SELECT id FROM permissions WHERE key = 'forum:moderate');
DELETE FROM moderation_flags WHERE target_type = 'forum_post';
ALTER TABLE forum_threads DROP CONSTRAINT IF EXISTS forum_threads_root_post_id_fkey,
    DROP CONSTRAINT IF EXISTS forum_threads_accepted_post_id_fkey;
DROP TABLE forum_bans, forum_subscriptions, forum_votes, forum_reactions, forum_post_revisions,
    forum_posts, forum_threads, forums;
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
