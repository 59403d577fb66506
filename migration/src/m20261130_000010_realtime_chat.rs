//! Real-time and chat: the per-user event stream (a strictly increasing sequence per user,
//! appended in the transaction of the change), presence, chat rooms with their members,
//! messages (edit history, reactions, threads, full-text search), read positions, and the
//! moderation flags that chat messages and forum posts share.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &str = r#"
-- The stream: `last_seq` is the user's newest sequence (its row lock orders concurrent
-- appends for one user, so sequences commit in order); `pruned_through` the newest pruned.
CREATE TABLE stream_cursors (
    user_id        uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_seq       bigint NOT NULL DEFAULT 0 CHECK (last_seq >= 0),
    pruned_through bigint NOT NULL DEFAULT 0 CHECK (pruned_through >= 0)
);
CREATE TABLE stream_events (
    user_id    uuid NOT NULL,
    seq        bigint NOT NULL CHECK (seq > 0),
    kind       text NOT NULL CHECK (length(kind) <= 60),
    room_id    uuid,
    data       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, seq)
);
CREATE INDEX stream_events_created_idx ON stream_events (created_at);

-- Presence: one row per (node, user) while the user has a socket on that node; a node that
-- stops refreshing `realtime_nodes` counts as gone. `user_last_seen` outlives the sockets.
CREATE TABLE realtime_nodes (
    node_id uuid PRIMARY KEY,
    seen_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE presence_sessions (
    node_id    uuid NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status     text NOT NULL CHECK (status IN ('online', 'idle')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, node_id)
);
CREATE TABLE user_last_seen (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    last_seen_at timestamptz NOT NULL
);

CREATE TABLE chat_rooms (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('direct', 'group', 'course', 'organization')),
    name            text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    topic           text NOT NULL DEFAULT '' CHECK (length(topic) <= 1000),
    course_id       uuid UNIQUE REFERENCES courses (id) ON DELETE CASCADE,
    organization_id uuid UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    -- The two members of a direct room, smaller id first: one room per pair.
    direct_key      text UNIQUE CHECK (length(direct_key) = 73),
    created_by      uuid REFERENCES users (id),
    member_count    int NOT NULL DEFAULT 0 CHECK (member_count >= 0),
    message_count   bigint NOT NULL DEFAULT 0 CHECK (message_count >= 0),
    last_message_at timestamptz,
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'course') = (course_id IS NOT NULL)),
    CHECK ((kind = 'organization') = (organization_id IS NOT NULL)),
    CHECK ((kind = 'direct') = (direct_key IS NOT NULL))
);

CREATE TABLE chat_members (
    room_id      uuid NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         text NOT NULL DEFAULT 'member' CHECK (role IN ('owner', 'admin', 'member')),
    muted        boolean NOT NULL DEFAULT false,
    -- Read up to this message (ids are time-ordered); no per-message read times are kept.
    last_read_id uuid,
    joined_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX chat_members_user_idx ON chat_members (user_id);

CREATE TABLE chat_messages (
    id             uuid PRIMARY KEY,
    room_id        uuid NOT NULL REFERENCES chat_rooms (id) ON DELETE CASCADE,
    author_id      uuid NOT NULL REFERENCES users (id),
    body           text NOT NULL CHECK (length(body) <= 10000),
    body_html      text NOT NULL,
    thread_root_id uuid REFERENCES chat_messages (id),
    reply_count    int NOT NULL DEFAULT 0 CHECK (reply_count >= 0),
    mentions       uuid[] NOT NULL DEFAULT '{}',
    attachments    jsonb NOT NULL DEFAULT '[]',
    edited_at      timestamptz,
    deleted_at     timestamptz,
    hidden_at      timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    search         tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED
);
CREATE INDEX chat_messages_room_idx ON chat_messages (room_id, id);
CREATE INDEX chat_messages_thread_idx ON chat_messages (thread_root_id, id) WHERE thread_root_id IS NOT NULL;
CREATE INDEX chat_messages_author_idx ON chat_messages (author_id, created_at);
CREATE INDEX chat_messages_search_idx ON chat_messages USING gin (search);
CREATE INDEX chat_messages_mentions_idx ON chat_messages USING gin (mentions);

CREATE TABLE chat_message_edits (
    id         uuid PRIMARY KEY,
    message_id uuid NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    -- The text before this edit.
    body       text NOT NULL,
    edited_by  uuid NOT NULL REFERENCES users (id),
    edited_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chat_message_edits_message_idx ON chat_message_edits (message_id, id);

CREATE TABLE chat_reactions (
    message_id uuid NOT NULL REFERENCES chat_messages (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('thumbs_up', 'heart', 'laugh', 'celebrate', 'eyes', 'thinking')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, user_id, kind)
);

CREATE TABLE chat_settings (
    user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    send_receipts boolean NOT NULL DEFAULT true
);

-- One moderation queue for chat messages and forum posts.
CREATE TABLE moderation_flags (
    id              uuid PRIMARY KEY,
    target_type     text NOT NULL CHECK (target_type IN ('chat_message', 'forum_post')),
    target_id       uuid NOT NULL,
    -- Where the target lives, for moderators' scopes: the platform, an organization, a course.
    scope_type      text NOT NULL CHECK (scope_type IN ('global', 'organization', 'course')),
    scope_id        uuid,
    reporter_id     uuid NOT NULL REFERENCES users (id),
    reason          text NOT NULL CHECK (reason IN ('spam', 'harassment', 'inappropriate', 'off_topic', 'other')),
    note            text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    state           text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'resolved')),
    resolution      text CHECK (resolution IN ('hide', 'delete', 'dismiss')),
    resolution_note text CHECK (length(resolution_note) <= 1000),
    moderator_id    uuid REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    resolved_at     timestamptz,
    UNIQUE (target_type, target_id, reporter_id),
    CHECK ((scope_type = 'global') = (scope_id IS NULL)),
    CHECK ((state = 'resolved') = (resolution IS NOT NULL))
);
CREATE INDEX moderation_flags_queue_idx ON moderation_flags (state, scope_type, scope_id, id);

INSERT INTO permissions (id, key, description) VALUES
    ('01936b2e-0010-7000-8000-000000000001', 'chat:moderate', 'Resolve flags on chat messages in a scope');
INSERT INTO role_permissions (role_id, permission_id)
SELECT r.id, p.id FROM roles r, permissions p
WHERE r.name IN ('admin', 'moderator', 'org_admin', 'course_instructor')
  AND p.key = 'chat:moderate'
ON CONFLICT DO NOTHING;
"#;

const DOWN: &str = r#"
DELETE FROM permissions WHERE key = 'chat:moderate';
DROP TABLE moderation_flags, chat_settings, chat_reactions, chat_message_edits, chat_messages,
    chat_members, chat_rooms, user_last_seen, presence_sessions, realtime_nodes, stream_events,
    stream_cursors;
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
