//! Who sees a forum and who may post in it: the scope rules, the staff test
//! (`forum:moderate` in the forum's scope), posting rules, bans and the new-account limits.
//! Every other part of the module asks here first.

use kernel::enums::PostingRule;
use kernel::{Actor, AppError, AppResult, ErrorCode, Scope, ScopeType, db};
use sea_orm::{ConnectionTrait, FromQueryResult};
use uuid::Uuid;

use crate::modules::lms;
use crate::state::AppState;

/// What the rules need of a forum.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ForumRow {
    pub id: Uuid,
    pub scope_type: ScopeType,
    pub scope_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    pub grandparent_id: Option<Uuid>,
    pub depth: i16,
    pub start_rule: PostingRule,
    pub reply_rule: PostingRule,
}

/// A forum the caller sees, with its RBAC scope and whether the caller is its staff.
#[derive(Debug, Clone)]
pub struct Access {
    pub forum: ForumRow,
    pub scope: Scope,
    pub staff: bool,
}

/// Starting a thread or replying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posting {
    Start,
    Reply,
}

/// The columns of [`ForumRow`] but its id, from [`FORUM_FROM`].
pub const FORUM_FACTS: &str = "f.scope_type, f.scope_id, f.parent_id, g.parent_id AS grandparent_id, f.depth, f.start_rule, f.reply_rule";
/// A forum `f` with its parent `g` (whose parent is the grandparent).
pub const FORUM_FROM: &str = "forums f LEFT JOIN forums g ON g.id = f.parent_id";

pub async fn forum_row(db: &impl ConnectionTrait, id: Uuid) -> AppResult<ForumRow> {
    db::row(
        db,
        format!("SELECT f.id, {FORUM_FACTS} FROM {FORUM_FROM} WHERE f.id = $1"),
        [id.into()],
    )
    .await?
    .ok_or_else(|| AppError::not_found("forum"))
}

/// The RBAC scope of a forum (a course's completed with its organization).
pub async fn scope_of(state: &AppState, kind: ScopeType, id: Option<Uuid>) -> AppResult<Scope> {
    crate::authz::resolve_parts(state, kind, id)
        .await?
        .ok_or_else(|| AppError::not_found("course"))
}

/// Whether the caller is staff of `scope`: `forum:moderate` there.
pub async fn is_staff(state: &AppState, actor: &Actor, scope: Scope) -> AppResult<bool> {
    crate::authz::allowed(state, actor, "forum:moderate", scope).await
}

/// Forum `id` if the caller sees it (404 otherwise).
pub async fn access(state: &AppState, actor: &Actor, id: Uuid) -> AppResult<Access> {
    let forum = forum_row(&state.db, id).await?;
    access_to(state, actor, forum).await
}

pub async fn access_to(state: &AppState, actor: &Actor, forum: ForumRow) -> AppResult<Access> {
    let scope = scope_of(state, forum.scope_type, forum.scope_id).await?;
    let staff = is_staff(state, actor, scope).await?;
    let sees = staff
        || match scope {
            Scope::Global => true,
            Scope::Organization(org) => db::exists(
                &state.db,
                "SELECT 1 FROM organization_members WHERE organization_id = $1 AND user_id = $2",
                [org.into(), actor.id.into()],
            )
            .await?,
            Scope::Course { id, .. } => {
                db::exists(
                    &state.db,
                    "SELECT 1 FROM enrollments WHERE course_id = $1 AND user_id = $2 AND status <> 'dropped'
                     UNION ALL SELECT 1 FROM course_instructors WHERE course_id = $1 AND user_id = $2",
                    [id.into(), actor.id.into()],
                )
                .await?
                    || lms::is_staff_in(state, actor, scope).await?
            }
        };
    if sees {
        Ok(Access {
            forum,
            scope,
            staff,
        })
    } else {
        Err(AppError::not_found("forum"))
    }
}

/// The forums the caller sees, for lists and search.
pub async fn visible_forum_ids(state: &AppState, actor: &Actor) -> AppResult<Vec<Uuid>> {
    let grants = crate::authz::grants(state, actor).await?;
    let keys = actor.key_permissions();
    let mut all = false;
    let mut orgs: Vec<Uuid> = Vec::new();
    let mut courses: Vec<Uuid> = Vec::new();
    let now = chrono::Utc::now();
    for g in &grants.grants {
        let relevant = (g.permission == "forum:moderate"
            || lms::STAFF_PERMISSIONS.contains(&g.permission.as_str()))
            && g.expires_at.is_none_or(|e| e > now)
            && keys.is_none_or(|k| k.contains(&g.permission));
        if !relevant {
            continue;
        }
        match g.scope {
            Scope::Global => all = true,
            Scope::Organization(id) => orgs.push(id),
            Scope::Course { id, .. } => courses.push(id),
        }
    }
    Ok(db::column(
        &state.db,
        "SELECT f.id FROM forums f
         WHERE $4 OR f.scope_type = 'global'
            OR (f.scope_type = 'organization' AND (f.scope_id = ANY ($2) OR EXISTS (
                  SELECT 1 FROM organization_members m WHERE m.organization_id = f.scope_id AND m.user_id = $1)))
            OR (f.scope_type = 'course' AND (f.scope_id = ANY ($3)
                OR EXISTS (SELECT 1 FROM courses c WHERE c.id = f.scope_id AND c.organization_id = ANY ($2))
                OR EXISTS (SELECT 1 FROM enrollments e WHERE e.course_id = f.scope_id AND e.user_id = $1 AND e.status <> 'dropped')
                OR EXISTS (SELECT 1 FROM course_instructors ci WHERE ci.course_id = f.scope_id AND ci.user_id = $1)))
         ORDER BY f.id",
        [actor.id.into(), orgs.into(), courses.into(), all.into()],
    )
    .await?)
}

/// Whether a posting rule lets someone post (bans and limits aside).
pub fn rule_permits(rule: PostingRule, staff: bool) -> bool {
    match rule {
        PostingRule::Members => true,
        PostingRule::Staff => staff,
        PostingRule::Nobody => false,
    }
}

/// Whether the forum's rule lets the caller start a thread or reply.
fn rule_allows(access: &Access, what: Posting) -> bool {
    let rule = match what {
        Posting::Start => access.forum.start_rule,
        Posting::Reply => access.forum.reply_rule,
    };
    rule_permits(rule, access.staff)
}

/// The caller's live ban from the forum or one of its parents.
pub async fn banned(db: &impl ConnectionTrait, forum: &ForumRow, user_id: Uuid) -> AppResult<bool> {
    let forums: Vec<Uuid> = [Some(forum.id), forum.parent_id, forum.grandparent_id]
        .into_iter()
        .flatten()
        .collect();
    Ok(db::exists(
        db,
        "SELECT 1 FROM forum_bans WHERE forum_id = ANY ($1) AND user_id = $2 AND (until IS NULL OR until > now())",
        [forums.into(), user_id.into()],
    )
    .await?)
}

/// Refuses a post the rules, a ban or the new-account limits forbid: `forum:post` in the
/// forum's scope, the posting rule (403 `posting_restricted`), bans (403 `forum_banned`),
/// then the limits (429 `rate_limited` with `Retry-After`).
pub async fn check_posting(
    state: &AppState,
    actor: &Actor,
    access: &Access,
    what: Posting,
) -> AppResult<()> {
    crate::authz::require(state, actor, "forum:post", access.scope).await?;
    if !rule_allows(access, what) {
        return Err(AppError::new(
            ErrorCode::PostingRestricted,
            match what {
                Posting::Start => "this forum does not let you start threads",
                Posting::Reply => "this forum does not let you reply",
            },
        ));
    }
    if banned(&state.db, &access.forum, actor.id).await? {
        return Err(AppError::new(
            ErrorCode::ForumBanned,
            "you are banned from this forum",
        ));
    }
    if access.staff {
        return Ok(());
    }
    trust_limits(state, actor, access, what).await
}

/// Course-aware trust: accounts younger than `forums.new_account_days` wait
/// `new_post_interval_secs` between posts and write at most `new_daily_posts` posts and
/// `new_daily_threads` threads a day, unless the forum is a course's whose instructor they are
/// or in which they completed a lesson or passed an assessment.
async fn trust_limits(
    state: &AppState,
    actor: &Actor,
    access: &Access,
    what: Posting,
) -> AppResult<()> {
    #[derive(FromQueryResult)]
    struct Standing {
        new_account: bool,
        exempt: bool,
        wait_secs: Option<f64>,
        posts_today: i64,
        threads_today: i64,
        oldest_wait: Option<f64>,
        oldest_thread_wait: Option<f64>,
    }
    let s = &state.settings.forums;
    let course = match access.scope {
        Scope::Course { id, .. } => Some(id),
        _ => None,
    };
    let r: Option<Standing> = db::row(
        &state.db,
        "SELECT u.created_at > now() - make_interval(days => $2::int) AS new_account,
                ($3::uuid IS NOT NULL AND (
                    EXISTS (SELECT 1 FROM course_instructors ci WHERE ci.course_id = $3 AND ci.user_id = $1)
                 OR EXISTS (SELECT 1 FROM enrollments e JOIN lesson_progress lp ON lp.enrollment_id = e.id
                            WHERE e.course_id = $3 AND e.user_id = $1 AND lp.status = 'completed')
                 OR EXISTS (SELECT 1 FROM attempts a JOIN assessments s ON s.id = a.assessment_id
                            WHERE s.course_id = $3 AND a.user_id = $1 AND a.passed))) AS exempt,
                (SELECT extract(epoch FROM (max(p.created_at) + make_interval(secs => $4::float8) - now()))::float8
                 FROM forum_posts p WHERE p.author_id = $1 AND p.created_at > now() - make_interval(secs => $4::float8)) AS wait_secs,
                (SELECT count(*) FROM forum_posts p WHERE p.author_id = $1 AND p.created_at > now() - interval '1 day') AS posts_today,
                (SELECT count(*) FROM forum_threads t WHERE t.author_id = $1 AND t.created_at > now() - interval '1 day') AS threads_today,
                (SELECT extract(epoch FROM (min(p.created_at) + interval '1 day' - now()))::float8
                 FROM forum_posts p WHERE p.author_id = $1 AND p.created_at > now() - interval '1 day') AS oldest_wait,
                (SELECT extract(epoch FROM (min(t.created_at) + interval '1 day' - now()))::float8
                 FROM forum_threads t WHERE t.author_id = $1 AND t.created_at > now() - interval '1 day') AS oldest_thread_wait
         FROM users u WHERE u.id = $1",
        [
            actor.id.into(),
            (s.new_account_days as i32).into(),
            course.into(),
            (s.new_post_interval_secs as f64).into(),
        ],
    )
    .await?;
    let Some(r) = r else { return Ok(()) };
    if !r.new_account || r.exempt {
        return Ok(());
    }
    let limited = |detail: String, wait: Option<f64>| {
        Err(AppError::too_many_requests(
            ErrorCode::RateLimited,
            detail,
            wait.unwrap_or(1.0).ceil().max(1.0) as u64,
        ))
    };
    if let Some(wait) = r.wait_secs.filter(|w| *w > 0.0) {
        return limited(
            format!(
                "new accounts wait {} seconds between posts",
                s.new_post_interval_secs
            ),
            Some(wait),
        );
    }
    if r.posts_today >= s.new_daily_posts {
        return limited(
            format!(
                "new accounts write at most {} posts a day",
                s.new_daily_posts
            ),
            r.oldest_wait,
        );
    }
    if what == Posting::Start && r.threads_today >= s.new_daily_threads {
        return limited(
            format!(
                "new accounts start at most {} threads a day",
                s.new_daily_threads
            ),
            r.oldest_thread_wait,
        );
    }
    Ok(())
}
