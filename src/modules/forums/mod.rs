//! `forums`: site-wide, organization and course forums (nested at most three levels), threads
//! (discussions and Q&A linked to lessons or assessments), posts in a tree of replies,
//! revisions, reactions, votes, accepted answers, subscriptions, bans, search; the contract is
//! `docs/forums.md`.
//!
//! Owns `forums`, `forum_threads`, `forum_posts`, `forum_post_revisions`, `forum_reactions`,
//! `forum_votes`, `forum_subscriptions`, `forum_bans`; flags go to the shared
//! `moderation_flags`. Rules: a course forum is seen by the course's learners, instructors and
//! staff only, an organization forum by its members (404 for everyone else, search included);
//! staff are holders of `forum:moderate` in the forum's scope (course instructors in their
//! course); posting needs `forum:post`, the forum's posting rule, no live ban and, for new
//! accounts, the trust limits (`access`); a post's place is its path of post numbers, written
//! under the thread's row lock, so tree order is one index range; bodies are Markdown rendered
//! to sanitized HTML; edits keep revisions; deletes are soft; every write but reactions,
//! votes and subscription levels (personal, frequent) is audited in its transaction.
//!
//! Files: `access` (visibility, staff, posting rules, bans, trust limits), `boards` (the forums themselves,
//! levels, bans), `posts` (the tree, reading, edits, reactions, votes, flags, stream events),
//! `threads` (threads, moderation of threads, split and merge, answers, similar titles),
//! `search`, `seed`; `routes` and `dto` serve them all.

mod access;
mod boards;
mod dto;
mod posts;
mod routes;
mod search;
mod seed;
mod threads;

pub use seed::seed_demo;

use futures_util::future::BoxFuture;
use kernel::AppResult;
use kernel::enums::FlagAction;
use sea_orm::DatabaseTransaction;
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(routes::list_forums)
        .service(routes::create_forum)
        .service(routes::search_forums)
        .service(routes::get_thread)
        .service(routes::update_thread)
        .service(routes::list_posts)
        .service(routes::create_post)
        .service(routes::merge_thread)
        .service(routes::accept_answer)
        .service(routes::unaccept_answer)
        .service(routes::subscribe_thread)
        .service(routes::get_post)
        .service(routes::edit_post)
        .service(routes::delete_post)
        .service(routes::list_post_revisions)
        .service(routes::split_post)
        .service(routes::add_post_reaction)
        .service(routes::remove_post_reaction)
        .service(routes::vote_post)
        .service(routes::unvote_post)
        .service(routes::flag_post)
        .service(routes::get_forum)
        .service(routes::update_forum)
        .service(routes::list_threads)
        .service(routes::create_thread)
        .service(routes::similar_threads)
        .service(routes::subscribe_forum)
        .service(routes::list_forum_bans)
        .service(routes::ban_from_forum)
        .service(routes::lift_forum_ban)
        .service(routes::list_lesson_threads);
}

/// Applies a moderator's decision to a forum post (registered with the moderation module).
pub fn moderate<'a>(
    txn: &'a DatabaseTransaction,
    id: Uuid,
    action: FlagAction,
) -> BoxFuture<'a, AppResult<()>> {
    Box::pin(posts::moderate_in(txn, id, action))
}
