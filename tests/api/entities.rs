//! The SeaORM entities of the LMS and assessment tables against the migrated schema: a row
//! written through each entity comes back unchanged, and a `SELECT` of every model column
//! decodes, so a wrong column name, Rust type or precision fails here.

use chrono::{DateTime, Utc};
use entity::{
    assessments, attempts, categories, course_categories, course_instructors, course_modules,
    course_prerequisites, course_reviews, course_tags, courses, domain_events, enrollments,
    learning_path_courses, learning_path_enrollments, learning_paths, lesson_bookmarks,
    lesson_progress, lessons, questions, responses, tags,
};
use kernel::enums::{
    AssessmentKind, AttemptStatus, CourseLevel, CourseStatus, EnrollmentStatus, GradingPolicy,
    InstructorRole, LessonKind, ProgressStatus, QuestionKind,
};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, IntoActiveModel, QuerySelect};
use serde_json::json;
use uuid::Uuid;

use crate::helpers::TestApp;

/// A fixed instant with microsecond precision (what `timestamptz` keeps), `s` seconds later
/// than the first.
fn at(s: i64) -> DateTime<Utc> {
    "2026-11-22T10:00:00.123456Z"
        .parse::<DateTime<Utc>>()
        .unwrap()
        + chrono::Duration::seconds(s)
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Inserts `model` through its entity and asserts the row `RETURNING` gives back is equal.
macro_rules! insert {
    ($db:expr, $m:ident, $model:expr) => {{
        let model: $m::Model = $model;
        let stored = model
            .clone()
            .into_active_model()
            .insert($db)
            .await
            .expect(concat!("insert into ", stringify!($m)));
        assert_eq!(stored, model, "{} round trip", stringify!($m));
        model
    }};
}

/// `Entity::find().limit(1)` on each entity: a SELECT of every model column, and one row of it
/// decoded.
macro_rules! select_one {
    ($db:expr, $($m:ident),+ $(,)?) => {$(
        let rows = $m::Entity::find()
            .limit(1)
            .all($db)
            .await
            .expect(concat!("select from ", stringify!($m)));
        assert_eq!(rows.len(), 1, "one {} row", stringify!($m));
    )+};
}

/// The entities of the identity, RBAC, mail and platform tables: every column written and read
/// back (the enum columns too), and their relations joining as the schema's foreign keys do.
#[tokio::test]
async fn identity_rbac_and_mail_entities_match_the_schema() {
    use entity::{
        api_keys, email_tokens, login_attempts, mail_delivery_attempts, mail_outbox,
        mfa_backup_codes, mfa_challenges, mfa_totp, permissions, platform_settings, refresh_tokens,
        role_assignments, role_permissions, roles, sessions, users,
    };
    use kernel::ScopeType;
    use kernel::enums::{
        AccountStatus, DeliveryOutcome, EmailTokenPurpose, LoginOutcome, MailStatus, RevokeReason,
    };
    use sea_orm::{ColumnTrait, ModelTrait, QueryFilter};

    let app = TestApp::spawn().await;
    let db: &DatabaseConnection = &app.db;
    let user = insert!(
        db,
        users,
        users::Model {
            id: Uuid::now_v7(),
            email: "entity@example.com".into(),
            display_name: "Entity".into(),
            password_hash: "$argon2id$not-a-real-hash".into(),
            email_verified_at: Some(at(1)),
            status: AccountStatus::Suspended,
            bio: "A bio".into(),
            avatar_url: Some("https://example.com/a.png".into()),
            locale: "en-ZA".into(),
            time_zone: "Africa/Johannesburg".into(),
            last_login_at: Some(at(2)),
            created_at: at(0),
            updated_at: at(3),
            deleted_at: None,
        }
    );
    insert!(
        db,
        email_tokens,
        email_tokens::Model {
            id: Uuid::now_v7(),
            user_id: user.id,
            purpose: EmailTokenPurpose::ResetPassword,
            token_hash: vec![1; 32],
            expires_at: at(60),
            used_at: Some(at(5)),
            created_at: at(0),
        }
    );
    let session = insert!(
        db,
        sessions,
        sessions::Model {
            id: Uuid::now_v7(),
            user_id: user.id,
            user_agent: "tests".into(),
            ip: "127.0.0.1".into(),
            created_at: at(0),
            last_seen_at: at(1),
            expires_at: at(3600),
            revoked_at: Some(at(2)),
            revoked_reason: Some(RevokeReason::RefreshTokenReuse),
        }
    );
    insert!(
        db,
        refresh_tokens,
        refresh_tokens::Model {
            id: Uuid::now_v7(),
            session_id: session.id,
            token_hash: vec![2; 32],
            created_at: at(0),
            used_at: Some(at(1)),
        }
    );
    insert!(
        db,
        mfa_totp,
        mfa_totp::Model {
            user_id: user.id,
            secret: "v1:sealed".into(),
            confirmed_at: Some(at(1)),
            last_used_step: Some(59_000_000),
            created_at: at(0),
            updated_at: at(1),
        }
    );
    insert!(
        db,
        mfa_backup_codes,
        mfa_backup_codes::Model {
            id: Uuid::now_v7(),
            user_id: user.id,
            code_hash: vec![3; 32],
            used_at: Some(at(4)),
            created_at: at(0),
        }
    );
    insert!(
        db,
        mfa_challenges,
        mfa_challenges::Model {
            id: Uuid::now_v7(),
            user_id: user.id,
            token_hash: vec![4; 32],
            attempts: 2,
            user_agent: "tests".into(),
            ip: "127.0.0.1".into(),
            expires_at: at(300),
            used_at: None,
            created_at: at(0),
        }
    );
    insert!(
        db,
        login_attempts,
        login_attempts::Model {
            id: Uuid::now_v7(),
            email: "entity@example.com".into(),
            ip: "127.0.0.1".into(),
            user_id: Some(user.id),
            outcome: LoginOutcome::MfaFailure,
            created_at: at(0),
        }
    );
    insert!(
        db,
        api_keys,
        api_keys::Model {
            id: Uuid::now_v7(),
            user_id: user.id,
            name: "CI".into(),
            prefix: "azk_abcdefgh".into(),
            key_hash: vec![5; 32],
            permissions: vec!["course:create".into(), "course:read".into()],
            expires_at: Some(at(86_400)),
            last_used_at: Some(at(1)),
            revoked_at: Some(at(2)),
            created_at: at(0),
            revoked_reason: Some(RevokeReason::PasswordChange),
        }
    );
    let student = roles::Entity::find()
        .filter(roles::Column::Name.eq("student"))
        .one(db)
        .await
        .expect("select role")
        .expect("the student role exists");
    let role = insert!(
        db,
        roles,
        roles::Model {
            id: Uuid::now_v7(),
            name: "entity_checker".into(),
            description: "Helps".into(),
            parent_id: Some(student.id),
            is_system: false,
            created_at: at(0),
            updated_at: at(1),
        }
    );
    let permission = insert!(
        db,
        permissions,
        permissions::Model {
            id: Uuid::now_v7(),
            key: "entity:check".into(),
            description: "Checks entities".into(),
            created_at: at(0),
        }
    );
    insert!(
        db,
        role_permissions,
        role_permissions::Model {
            role_id: role.id,
            permission_id: permission.id,
        }
    );
    insert!(
        db,
        role_assignments,
        role_assignments::Model {
            id: Uuid::now_v7(),
            user_id: user.id,
            role_id: Some(role.id),
            permission_id: None,
            scope_type: ScopeType::Organization,
            scope_id: Some(Uuid::now_v7()),
            expires_at: Some(at(86_400)),
            granted_by: Some(user.id),
            created_at: at(0),
        }
    );
    let outbox = insert!(
        db,
        mail_outbox,
        mail_outbox::Model {
            id: Uuid::now_v7(),
            kind: "verify_email".into(),
            to_address: "entity@example.com".into(),
            subject: "Hello".into(),
            text_body: "Text".into(),
            html_body: Some("<p>Text</p>".into()),
            status: MailStatus::Failed,
            attempts: 3,
            next_attempt_at: at(10),
            last_error: Some("refused".into()),
            created_at: at(0),
            updated_at: at(10),
            sent_at: None,
        }
    );
    insert!(
        db,
        mail_delivery_attempts,
        mail_delivery_attempts::Model {
            id: Uuid::now_v7(),
            outbox_id: outbox.id,
            attempt: 3,
            attempted_at: at(10),
            outcome: DeliveryOutcome::Failed,
            error: Some("refused".into()),
        }
    );
    insert!(
        db,
        platform_settings,
        platform_settings::Model {
            id: Uuid::now_v7(),
            key: "entity.check".into(),
            value: json!({"on": true}),
            description: "Checks entities".into(),
            is_public: false,
            created_at: at(0),
            updated_at: at(1),
        }
    );

    // Relations: each child reaches its parent, a role its own permissions through
    // `role_permissions`, and an account its sessions and API keys.
    let (_, owner) = sessions::Entity::find_by_id(session.id)
        .find_also_related(users::Entity)
        .one(db)
        .await
        .expect("session with user")
        .expect("the session exists");
    assert_eq!(owner.map(|u| u.id), Some(user.id));
    let granted = role
        .find_related(permissions::Entity)
        .all(db)
        .await
        .expect("role permissions");
    assert_eq!(granted, [permission]);
    assert_eq!(
        user.find_related(api_keys::Entity)
            .all(db)
            .await
            .expect("api keys")
            .len(),
        1
    );
    assert_eq!(
        outbox
            .find_related(mail_delivery_attempts::Entity)
            .all(db)
            .await
            .expect("attempts")
            .len(),
        1
    );
    select_one!(
        db,
        users,
        email_tokens,
        sessions,
        refresh_tokens,
        mfa_totp,
        mfa_backup_codes,
        mfa_challenges,
        login_attempts,
        api_keys,
        permissions,
        roles,
        role_permissions,
        role_assignments,
        mail_outbox,
        mail_delivery_attempts,
        platform_settings,
    );
}

#[tokio::test]
async fn lms_and_assessment_entities_match_the_schema() {
    let app = TestApp::spawn().await;
    let db: &DatabaseConnection = &app.db;
    let user = app.signup("entities@example.com").await.id;

    // Tables with no foreign keys to existing rows, written and read back field by field.
    let tag_id = Uuid::now_v7();
    insert!(
        db,
        tags,
        tags::Model {
            id: tag_id,
            name: "rust".into(),
            created_at: at(0),
        }
    );
    let tag = tags::Entity::find_by_id(tag_id)
        .one(db)
        .await
        .expect("select tag")
        .expect("the tag exists");
    assert_eq!(tag.id, tag_id);
    assert_eq!(tag.name, "rust");
    assert_eq!(tag.created_at, at(0));

    let root_id = Uuid::now_v7();
    let child_id = Uuid::now_v7();
    insert!(
        db,
        categories,
        categories::Model {
            id: root_id,
            parent_id: None,
            name: "Programming".into(),
            slug: "programming".into(),
            description: String::new(),
            position: 0,
            created_at: at(0),
            updated_at: at(0),
        }
    );
    insert!(
        db,
        categories,
        categories::Model {
            id: child_id,
            parent_id: Some(root_id),
            name: "Systems".into(),
            slug: "systems".into(),
            description: "Close to the metal".into(),
            position: 3,
            created_at: at(1),
            updated_at: at(2),
        }
    );
    let child = categories::Entity::find_by_id(child_id)
        .one(db)
        .await
        .expect("select category")
        .expect("the category exists");
    assert_eq!(child.id, child_id);
    assert_eq!(child.parent_id, Some(root_id));
    assert_eq!(child.name, "Systems");
    assert_eq!(child.slug, "systems");
    assert_eq!(child.description, "Close to the metal");
    assert_eq!(child.position, 3);
    assert_eq!(child.created_at, at(1));
    assert_eq!(child.updated_at, at(2));

    // Every other table, with its optional columns filled where it can be.
    let course = insert!(
        db,
        courses,
        courses::Model {
            id: Uuid::now_v7(),
            title: "Async Rust".into(),
            slug: "async-rust".into(),
            summary: "Futures and executors".into(),
            description: "A long description".into(),
            level: CourseLevel::Advanced,
            language: "en".into(),
            organization_id: None,
            cover_image_url: Some("https://example.com/cover.png".into()),
            estimated_hours: Some(d("12.5")),
            price: d("49.99000001"),
            currency: "USD".into(),
            completion_reward: Some(d("5.00000001")),
            status: CourseStatus::Published,
            owner_id: user,
            tag_names: vec!["rust".into(), "async".into()],
            enrollment_count: 1,
            rating_count: 1,
            rating_sum: 4,
            submitted_at: Some(at(10)),
            published_at: Some(at(20)),
            archived_at: None,
            created_at: at(0),
            updated_at: at(20),
            deleted_at: None,
        }
    )
    .id;
    let basics = insert!(
        db,
        courses,
        courses::Model {
            id: Uuid::now_v7(),
            title: "Rust Basics".into(),
            slug: "rust-basics".into(),
            summary: String::new(),
            description: String::new(),
            level: CourseLevel::Beginner,
            language: "en".into(),
            organization_id: None,
            cover_image_url: None,
            estimated_hours: None,
            price: Decimal::ZERO,
            currency: "USD".into(),
            completion_reward: None,
            status: CourseStatus::Archived,
            owner_id: user,
            tag_names: Vec::new(),
            enrollment_count: 0,
            rating_count: 0,
            rating_sum: 0,
            submitted_at: None,
            published_at: None,
            archived_at: Some(at(30)),
            created_at: at(0),
            updated_at: at(30),
            deleted_at: Some(at(40)),
        }
    )
    .id;
    insert!(
        db,
        course_categories,
        course_categories::Model {
            course_id: course,
            category_id: child_id,
        }
    );
    insert!(
        db,
        course_tags,
        course_tags::Model {
            course_id: course,
            tag_id,
        }
    );
    insert!(
        db,
        course_instructors,
        course_instructors::Model {
            course_id: course,
            user_id: user,
            role: InstructorRole::Owner,
            created_at: at(0),
        }
    );
    insert!(
        db,
        course_prerequisites,
        course_prerequisites::Model {
            course_id: course,
            prerequisite_id: basics,
            created_at: at(1),
        }
    );
    let module = insert!(
        db,
        course_modules,
        course_modules::Model {
            id: Uuid::now_v7(),
            course_id: course,
            title: "Futures".into(),
            description: "What a future is".into(),
            position: 0,
            created_at: at(2),
            updated_at: at(3),
        }
    )
    .id;
    let lesson = insert!(
        db,
        lessons,
        lessons::Model {
            id: Uuid::now_v7(),
            module_id: module,
            course_id: course,
            title: "Polling".into(),
            kind: LessonKind::Video,
            content: "Transcript".into(),
            media_url: Some("https://example.com/polling.mp4".into()),
            duration_minutes: 12,
            preview: true,
            required: false,
            position: 0,
            created_at: at(4),
            updated_at: at(5),
        }
    )
    .id;
    let path = insert!(
        db,
        learning_paths,
        learning_paths::Model {
            id: Uuid::now_v7(),
            title: "Rust Engineer".into(),
            slug: "rust-engineer".into(),
            description: "From zero to async".into(),
            organization_id: None,
            created_by: user,
            created_at: at(6),
            updated_at: at(7),
        }
    )
    .id;
    insert!(
        db,
        learning_path_courses,
        learning_path_courses::Model {
            path_id: path,
            course_id: course,
            position: 0,
            required: false,
        }
    );
    insert!(
        db,
        learning_path_enrollments,
        learning_path_enrollments::Model {
            id: Uuid::now_v7(),
            path_id: path,
            user_id: user,
            enrolled_at: at(8),
        }
    );
    let enrollment = insert!(
        db,
        enrollments,
        enrollments::Model {
            id: Uuid::now_v7(),
            user_id: user,
            course_id: course,
            status: EnrollmentStatus::Completed,
            progress_percent: d("100.00"),
            price: d("49.99000001"),
            currency: Some("USD".into()),
            payment_id: None,
            refund_id: None,
            learning_path_id: Some(path),
            enrolled_at: at(9),
            completed_at: Some(at(100)),
            dropped_at: None,
            last_activity_at: Some(at(99)),
        }
    )
    .id;
    insert!(
        db,
        lesson_progress,
        lesson_progress::Model {
            enrollment_id: enrollment,
            lesson_id: lesson,
            status: ProgressStatus::Completed,
            time_spent_seconds: 720,
            last_position_seconds: 715,
            started_at: at(10),
            completed_at: Some(at(90)),
            updated_at: at(90),
        }
    );
    insert!(
        db,
        lesson_bookmarks,
        lesson_bookmarks::Model {
            user_id: user,
            lesson_id: lesson,
            note: "Rewatch the waker part".into(),
            created_at: at(11),
        }
    );
    insert!(
        db,
        course_reviews,
        course_reviews::Model {
            id: Uuid::now_v7(),
            course_id: course,
            user_id: user,
            rating: 4,
            body: "Dense but good".into(),
            reply: Some("Thanks!".into()),
            replied_by: Some(user),
            replied_at: Some(at(120)),
            created_at: at(110),
            updated_at: at(120),
        }
    );
    insert!(
        db,
        domain_events,
        domain_events::Model {
            id: Uuid::now_v7(),
            kind: "course.completed".into(),
            user_id: Some(user),
            payload: json!({"course_id": course, "enrollment_id": enrollment, "nested": {"n": 1.5}}),
            created_at: at(100),
        }
    );
    let assessment = insert!(
        db,
        assessments,
        assessments::Model {
            id: Uuid::now_v7(),
            course_id: course,
            lesson_id: Some(lesson),
            kind: AssessmentKind::Quiz,
            title: "Futures quiz".into(),
            instructions: "Answer everything".into(),
            pass_score: d("70.50"),
            time_limit_seconds: Some(600),
            max_attempts: Some(3),
            available_from: Some(at(0)),
            available_until: Some(at(86_400)),
            shuffle_questions: true,
            shuffle_options: true,
            show_correct_answers: false,
            weight: d("1.25"),
            grading_policy: GradingPolicy::Last,
            required_for_completion: true,
            reward: Some(d("1.50000000")),
            created_by: user,
            created_at: at(12),
            updated_at: at(13),
        }
    )
    .id;
    let question = insert!(
        db,
        questions,
        questions::Model {
            id: Uuid::now_v7(),
            assessment_id: assessment,
            kind: QuestionKind::SingleChoice,
            prompt: "What does poll return?".into(),
            points: d("2.50"),
            options: json!([{"id": "a", "text": "Poll"}, {"id": "b", "text": "()"}]),
            answer: json!({"correct": ["a"]}),
            partial_credit: true,
            explanation: "Poll::Ready or Poll::Pending".into(),
            position: 0,
            created_at: at(14),
            updated_at: at(15),
        }
    )
    .id;
    let attempt = insert!(
        db,
        attempts,
        attempts::Model {
            id: Uuid::now_v7(),
            assessment_id: assessment,
            user_id: user,
            number: 1,
            status: AttemptStatus::Graded,
            question_order: vec![question, Uuid::nil()],
            option_seed: -9_007_199_254_740_993,
            started_at: at(20),
            deadline_at: Some(at(620)),
            submitted_at: Some(at(300)),
            auto_submitted: false,
            score: Some(d("2.50")),
            max_score: d("2.50"),
            percent: Some(d("100.00")),
            passed: Some(true),
            graded_at: Some(at(301)),
        }
    )
    .id;
    insert!(
        db,
        responses,
        responses::Model {
            id: Uuid::now_v7(),
            attempt_id: attempt,
            question_id: question,
            answer: json!({"selected": ["a"]}),
            points: Some(d("2.50")),
            feedback: "Right".into(),
            auto_graded: true,
            graded_by: Some(user),
            graded_at: Some(at(301)),
            created_at: at(200),
            updated_at: at(301),
        }
    );

    select_one!(
        db,
        categories,
        tags,
        courses,
        course_categories,
        course_tags,
        course_instructors,
        course_prerequisites,
        course_modules,
        lessons,
        enrollments,
        lesson_progress,
        lesson_bookmarks,
        course_reviews,
        learning_paths,
        learning_path_courses,
        learning_path_enrollments,
        domain_events,
        assessments,
        questions,
        attempts,
        responses,
    );
}
