//! Demo forums, through the module's own services: a site-wide community forum, and the AI
//! course's forum with a Q&A thread whose answer the student accepted, a nested discussion
//! and a flag waiting in the moderation queue.

use kernel::enums::{FlagReason, ThreadKind};
use kernel::text::{Name, Prose};
use kernel::{AppError, AppResult, RequestMeta, ScopeType, db};
use uuid::Uuid;

use super::dto::{AcceptRequest, CreateForumRequest, CreatePostRequest, CreateThreadRequest};
use super::{boards, posts, threads};
use crate::modules::identity;
use crate::modules::moderation::FlagRequest;
use crate::state::AppState;

fn name<const N: usize>(s: &str) -> AppResult<Name<N>> {
    Name::new(s).map_err(|e| AppError::internal(anyhow::anyhow!(e)))
}

fn prose(s: &str) -> AppResult<Prose<20000>> {
    Prose::new(s).map_err(|e| AppError::internal(anyhow::anyhow!(e)))
}

fn reply(body: &str, parent_id: Option<Uuid>) -> AppResult<CreatePostRequest> {
    Ok(CreatePostRequest {
        body: prose(body)?,
        parent_id,
    })
}

/// Creates the demo forums (idempotent: nothing happens once any forum exists).
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    if db::exists(&state.db, "SELECT 1 FROM forums", []).await? {
        return Ok(0);
    }
    let Some(course) = db::scalar::<Uuid, _>(
        &state.db,
        "SELECT id FROM courses WHERE slug = 'intro-ai-ml'",
        [],
    )
    .await?
    else {
        return Ok(0);
    };
    let meta = RequestMeta::system();
    let student = identity::demo_actor(0)?;
    let educator = identity::demo_actor(1)?;
    let employer = identity::demo_actor(2)?;
    let admin = identity::demo_actor(3)?;
    let forum = |scope_type, scope_id, n: &str, d: &str| -> AppResult<CreateForumRequest> {
        Ok(CreateForumRequest {
            scope_type,
            scope_id,
            parent_id: None,
            name: name(n)?,
            description: Some(
                kernel::text::Text::new(d).map_err(|e| AppError::internal(anyhow::anyhow!(e)))?,
            ),
            start_rule: None,
            reply_rule: None,
            position: None,
        })
    };
    boards::create(
        state,
        &admin,
        &meta,
        forum(
            ScopeType::Global,
            None,
            "Community",
            "Introductions, study groups and platform news.",
        )?,
    )
    .await?;
    let course_forum = boards::create(
        state,
        &educator,
        &meta,
        forum(
            ScopeType::Course,
            Some(course),
            "Course discussion",
            "Questions and discussion about Introduction to AI and Machine Learning.",
        )?,
    )
    .await?;
    let mut created = 2;

    // A question, answered by the educator, the answer accepted by the student.
    let question = threads::create(
        state,
        &student,
        &meta,
        course_forum.id,
        CreateThreadRequest {
            title: name("Why does my model overfit with more epochs?")?,
            body: prose("Training accuracy keeps rising but validation accuracy drops after epoch 10. What am I doing wrong?")?,
            kind: Some(ThreadKind::Question),
            lesson_id: None,
            assessment_id: None,
        },
    )
    .await?;
    let answer = posts::reply(
        state,
        &educator,
        &meta,
        question.id,
        reply("That is classic **overfitting**. Try early stopping on the validation loss, add dropout, or collect more data.", None)?,
    )
    .await?;
    posts::reply(
        state,
        &employer,
        &meta,
        question.id,
        reply(
            "Data augmentation helped me a lot with the same problem.",
            None,
        )?,
    )
    .await?;
    threads::accept(
        state,
        &student,
        &meta,
        question.id,
        Some(AcceptRequest { post_id: answer.id }),
    )
    .await?;
    created += 4;

    // A nested discussion, three replies deep, one reply flagged.
    let discussion = threads::create(
        state,
        &educator,
        &meta,
        course_forum.id,
        CreateThreadRequest {
            title: name("Share your first project idea")?,
            body: prose("What would you like to build with what you learn in this course?")?,
            kind: None,
            lesson_id: None,
            assessment_id: None,
        },
    )
    .await?;
    let idea = posts::reply(
        state,
        &student,
        &meta,
        discussion.id,
        reply(
            "A classifier that sorts photos of crops by disease, for farmers near my town.",
            None,
        )?,
    )
    .await?;
    let follow = posts::reply(
        state,
        &employer,
        &meta,
        discussion.id,
        reply(
            "Great idea! Which dataset would you start with?",
            Some(idea.id),
        )?,
    )
    .await?;
    posts::reply(
        state,
        &student,
        &meta,
        discussion.id,
        reply(
            "The PlantVillage dataset, then photos I take myself. @educator does that sound right?",
            Some(follow.id),
        )?,
    )
    .await?;
    let spam = posts::reply(
        state,
        &employer,
        &meta,
        discussion.id,
        reply(
            "Buy cheap GPU credits at my shop, link in my profile!",
            None,
        )?,
    )
    .await?;
    posts::flag(
        state,
        &student,
        &meta,
        spam.id,
        FlagRequest {
            reason: FlagReason::Spam,
            note: None,
        },
    )
    .await?;
    created += 6;
    Ok(created)
}
