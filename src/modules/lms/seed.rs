//! Demo data of the LMS for `azora seed` (and the auto-seed of an empty development database):
//! the category tree, five courses of the demo educator (four published, one under review)
//! with modules, lessons, tags and categories (see `demo_catalog`), two learning paths,
//! enrollments with progress, reviews and a reply.
//!
//! Everything goes through the LMS services (`x_in`, in one transaction), so the demo follows
//! the same rules as the API: the admin creates the categories; the educator creates the
//! courses, their modules and lessons and submits them; the admin publishes; the educator
//! builds the paths; the learners enroll (the student through the AI Practitioner path; the
//! paid course is paid through the wallet), complete lessons (completion pays the AZR reward
//! and publishes `CourseCompleted`) and review. The only thing no service does is the demo's
//! history: the courses' dates are moved back so that the catalog's "newest" has an order.
//! The student holds no USD after the wallet's seed, so 100.00 USD is minted to them from the
//! treasury first (a ledger `mint` with reference `seed:demo-lms`). A second run finds the demo
//! courses and creates nothing.

use chrono::{Duration, Utc};
use entity::{categories, courses, users};
use kernel::enums::{Choice, CourseStatus};
use kernel::money::Amount;
use kernel::{Actor, AppError, AppResult, ErrorCode, RequestMeta, db};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    Set, TransactionTrait,
};
use uuid::Uuid;

use super::access::course_row;
use super::categories::create_category_in;
use super::community::{post_review_in, reply_in};
use super::courses::{Transition, create_course_in, transition_in};
use super::demo_catalog::{AI, CATEGORIES, COURSES, CourseSpec, DATA, DEEP, ENGLISH, PATHS, WEB};
use super::dto::{
    AddPrerequisiteRequest, CreateCategoryRequest, CreateCourseRequest, CreateLessonRequest,
    CreateModuleRequest, CreatePathRequest, PathCourseInput, PriceInput, ReviewReplyRequest,
    ReviewRequest,
};
use super::enrollments::enroll_in;
use super::paths::{create_path_in, enroll_path_in};
use super::prerequisites::add_prerequisite_in;
use super::progress::complete_lesson_for;
use super::structure::{create_lesson_in, create_module_in};
use crate::modules::orgs;
use crate::modules::wallet::{self, Mint};
use crate::state::AppState;

fn seed_error(what: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("demo data: {what}"))
}

/// Demo text as a bounded request field (`Line`, `Name` or `Text`).
fn line<T: std::str::FromStr<Err = String>>(s: &str) -> AppResult<T> {
    s.parse().map_err(seed_error)
}

/// Demo free text as a bounded request field.
fn text<T: std::str::FromStr<Err = String>>(s: &str) -> AppResult<T> {
    s.parse().map_err(seed_error)
}

/// A demo account, acting as itself.
async fn demo_actor(txn: &DatabaseTransaction, n: usize) -> AppResult<Option<Actor>> {
    let (id, email, _, _) = seed::DEMO_USERS[n];
    let id: Uuid = id.parse().map_err(seed_error)?;
    let live = users::Entity::find_by_id(id)
        .filter(users::Column::DeletedAt.is_null())
        .count(txn)
        .await?
        > 0;
    Ok(live.then(|| Actor::new(id, email.to_owned(), true, None, None)))
}

async fn category_id(txn: &DatabaseTransaction, slug: &str) -> AppResult<Option<Uuid>> {
    Ok(categories::Entity::find()
        .filter(categories::Column::Slug.eq(slug))
        .one(txn)
        .await?
        .map(|c| c.id))
}

/// A created course: its id and its lessons in order.
struct Seeded {
    id: Uuid,
    lessons: Vec<Uuid>,
}

/// The demo's people: who acts in it.
struct Cast {
    student: Actor,
    educator: Actor,
    employer: Actor,
    admin: Actor,
}

/// Inserts the LMS demo data once; returns how many things it created (0 when the demo
/// courses exist already or the demo users are missing).
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let txn = state.db.begin().await?;
    db::advisory_lock(&txn, "seed:demo-lms").await?;
    let slugs = COURSES.iter().map(|c| c.slug.to_owned());
    if courses::Entity::find()
        .filter(courses::Column::Slug.is_in(slugs))
        .count(&txn)
        .await?
        > 0
    {
        return Ok(0);
    }
    let (Some(student), Some(educator), Some(employer), Some(admin)) = (
        demo_actor(&txn, 0).await?,
        demo_actor(&txn, 1).await?,
        demo_actor(&txn, 2).await?,
        demo_actor(&txn, 3).await?,
    ) else {
        return Ok(0);
    };
    let cast = Cast {
        student,
        educator,
        employer,
        admin,
    };
    let created = seed_in(state, &txn, &cast).await?;
    txn.commit().await?;
    tracing::info!(created, "seeded the LMS demo data");
    Ok(created)
}

async fn seed_in(state: &AppState, txn: &DatabaseTransaction, cast: &Cast) -> AppResult<u64> {
    let meta = RequestMeta::system();
    let org_id: Uuid = seed::DEMO_ORG.0.parse().map_err(seed_error)?;
    let org = match orgs::find(txn, org_id).await {
        Ok(org) => Some(org.id),
        Err(e) if e.code() == ErrorCode::NotFound => None,
        Err(e) => return Err(e),
    };
    let mut created = 0u64;

    // --- Categories (kept when an operator created one with the same slug) ---
    for (slug, name, parent, description) in CATEGORIES {
        if category_id(txn, slug).await?.is_some() {
            continue;
        }
        let parent_id = match parent {
            Some(parent) => category_id(txn, parent).await?,
            None => None,
        };
        let req = CreateCategoryRequest {
            name: line(name)?,
            slug: Some(line(slug)?),
            parent_id,
            description: text(description)?,
            position: None,
        };
        create_category_in(txn, &cast.admin, &meta, Uuid::now_v7(), req).await?;
        created += 1;
    }

    // --- Courses with their team, categories, tags, modules and lessons ---
    let mut courses = Vec::with_capacity(COURSES.len());
    for spec in &COURSES {
        courses.push(create_course(state, txn, cast, &meta, spec, org).await?);
        created += 1 + courses
            .last()
            .map_or(0, |c: &Seeded| c.lessons.len() as u64);
    }
    // The advanced course builds on the introduction.
    add_prerequisite_in(
        txn,
        &cast.educator,
        &meta,
        courses[DEEP].id,
        AddPrerequisiteRequest {
            prerequisite_id: courses[AI].id,
        },
    )
    .await?;
    created += 1;

    // --- Learning paths ---
    let mut paths = Vec::new();
    for (slug, title, description, in_org, steps) in PATHS {
        let req = CreatePathRequest {
            title: line(title)?,
            slug: Some(line(slug)?),
            description: text(description)?,
            organization_id: if in_org { org } else { None },
            courses: steps
                .iter()
                .map(|(course, required)| PathCourseInput {
                    course_id: courses[*course].id,
                    required: Some(*required),
                })
                .collect(),
        };
        let path = create_path_in(txn, &cast.educator, &meta, Uuid::now_v7(), req).await?;
        paths.push(path.id);
        created += 1;
    }

    // --- The student's money for the paid course: 100.00 USD from the treasury ---
    let usd = wallet::currency(txn, "USD", "#/currency").await?;
    wallet::mint_in(
        txn,
        None,
        &meta,
        Mint {
            user_id: cast.student.id,
            currency: &usd,
            amount: Decimal::new(10_000, 2),
            description: "demo data: course budget",
            reference: Some("seed:demo-lms"),
        },
    )
    .await?;
    created += 1;

    // --- Enrollments and progress ---
    // The student follows the AI Practitioner path (which enrolls them in data analysis) and
    // completes 2 of its 6 lessons; takes the AI introduction on the path too and completes it
    // (its reward is paid); and buys the web course (1 lesson). The employer takes two courses.
    let joined = enroll_path_in(txn, &cast.student, &meta, paths[0]).await?;
    created += 1 + joined.enrollments.len() as u64;
    let plan: [(&Actor, usize, Option<Uuid>, usize); 5] = [
        (&cast.student, DATA, Some(paths[0]), 2),
        (&cast.student, AI, Some(paths[0]), usize::MAX),
        (&cast.student, WEB, None, 1),
        (&cast.employer, AI, None, 3),
        (&cast.employer, ENGLISH, None, 2),
    ];
    for (user, course, path, lessons_done) in plan {
        let seeded = &courses[course];
        let enrolled = joined
            .enrollments
            .iter()
            .any(|e| e.user_id == user.id && e.course_id == seeded.id);
        if !enrolled {
            let row = course_row(txn, seeded.id).await?;
            enroll_in(txn, user.id, &row, path).await?;
            created += 1;
        }
        for lesson_id in seeded.lessons.iter().take(lessons_done) {
            complete_lesson_for(txn, state, user.id, *lesson_id).await?;
            created += 1;
        }
    }

    // --- Reviews (with the course counters) and an instructor's reply ---
    let reviews: [(usize, &Actor, i32, &str, Option<&str>); 4] = [
        (
            AI,
            &cast.student,
            5,
            "Clear explanations and a great first project. I finally understand how a model learns from data.",
            None,
        ),
        (
            AI,
            &cast.employer,
            4,
            "A solid introduction that my whole team could follow. I would like more on deploying models.",
            Some("Thank you! A module on deploying models is coming next term."),
        ),
        (
            DATA,
            &cast.student,
            4,
            "The SQL exercises in the browser are excellent; the pandas part moves a little fast.",
            None,
        ),
        (
            ENGLISH,
            &cast.employer,
            5,
            "Practical and to the point. The stand-up phrases helped me from day one.",
            None,
        ),
    ];
    for (course, user, rating, body, reply) in reviews {
        let req = ReviewRequest {
            rating,
            body: text(body)?,
        };
        let (review, _) = post_review_in(txn, user, &meta, courses[course].id, req).await?;
        created += 1;
        if let Some(reply) = reply {
            let req = ReviewReplyRequest {
                reply: text(reply)?,
            };
            reply_in(txn, &cast.educator, &meta, review.id, req).await?;
        }
    }
    Ok(created)
}

/// One demo course: created as a draft by the educator, its modules and lessons added,
/// submitted, published by the admin when the spec says so, and dated back.
async fn create_course(
    state: &AppState,
    txn: &DatabaseTransaction,
    cast: &Cast,
    meta: &RequestMeta,
    spec: &CourseSpec,
    org: Option<Uuid>,
) -> AppResult<Seeded> {
    let mut category_ids = Vec::new();
    for slug in spec.categories {
        category_ids.extend(category_id(txn, slug).await?);
    }
    let price = match spec.price_cents {
        0 => None,
        cents => Some(PriceInput {
            amount: Amount::parse(&Decimal::new(cents, 2).to_string()).map_err(seed_error)?,
            currency: line("USD")?,
        }),
    };
    let req = CreateCourseRequest {
        title: line(spec.title)?,
        slug: Some(line(spec.slug)?),
        summary: text(spec.summary)?,
        description: text(spec.description)?,
        level: Some(Choice::from(spec.level)),
        language: Some(line("en")?),
        organization_id: if spec.in_org { org } else { None },
        cover_image_url: Some(line(&format!(
            "https://cdn.azora.world/courses/{}/cover.jpg",
            spec.slug
        ))?),
        estimated_hours: Some(Decimal::new(spec.hours_tenths, 1)),
        price,
        completion_reward: spec
            .reward
            .map(|r| Amount::parse(&r.to_string()).map_err(seed_error))
            .transpose()?,
        category_ids,
        tags: spec
            .tags
            .iter()
            .map(|t| line(t))
            .collect::<AppResult<Vec<_>>>()?,
    };
    let id = Uuid::now_v7();
    create_course_in(state, txn, &cast.educator, meta, id, req).await?;
    let mut lessons = Vec::new();
    for module in spec.modules {
        let req = CreateModuleRequest {
            title: line(module.title)?,
            description: text(module.description)?,
            position: None,
        };
        let module_id = create_module_in(txn, &cast.educator, meta, id, req)
            .await?
            .id;
        for lesson in module.lessons {
            let req = CreateLessonRequest {
                title: line(lesson.title)?,
                kind: Choice::from(lesson.kind),
                content: text(lesson.content)?,
                media_url: lesson
                    .media
                    .map(|file| {
                        line(&format!(
                            "https://cdn.azora.world/courses/{}/{file}",
                            spec.slug
                        ))
                    })
                    .transpose()?,
                duration_minutes: lesson.minutes,
                preview: lesson.preview,
                required: Some(true),
                position: None,
            };
            let lesson = create_lesson_in(state, txn, &cast.educator, meta, module_id, req).await?;
            lessons.push(lesson.id);
        }
    }
    transition_in(state, txn, &cast.educator, meta, id, Transition::Submit).await?;
    let published = spec.status == CourseStatus::Published;
    if published {
        transition_in(state, txn, &cast.admin, meta, id, Transition::Publish).await?;
    }
    // The demo's history: published (or, under review, submitted) `days_ago` days ago.
    let days = |n: i32| Utc::now() - Duration::days(i64::from(n));
    let last = if published {
        spec.days_ago
    } else {
        spec.days_ago - 2
    };
    courses::ActiveModel {
        id: Set(id),
        submitted_at: Set(Some(days(last + 2))),
        published_at: Set(published.then(|| days(last))),
        created_at: Set(days(last + 14)),
        updated_at: Set(days(last)),
        ..Default::default()
    }
    .update(txn)
    .await?;
    Ok(Seeded { id, lessons })
}
