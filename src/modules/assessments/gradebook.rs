//! The gradebook: per course, learners × assessments with each assessment's best or last
//! graded percent (its `grading_policy`), the weighted course grade (missing results count 0)
//! and pass/fail; as JSON or CSV for graders, and `GET /me/grades` for learners.

use std::collections::HashMap;

use entity::assessments;
use kernel::enums::GradingPolicy;
use kernel::{Actor, AppError, AppResult, db};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::dto::{
    GradeCell, GradebookColumn, GradebookResponse, GradebookRow, MyCourseGrades, MyGrade,
};
use super::service::is_grader;
use crate::config::Settings;
use crate::modules::lms;
use crate::state::AppState;

/// (best percent, last percent, attempts, an attempt waits for grading).
type Cell = (Option<Decimal>, Option<Decimal>, i64, bool);

struct Column {
    course_id: Uuid,
    col: GradebookColumn,
    policy: GradingPolicy,
    required: bool,
}

/// The assessments of these courses, in each course's order.
async fn columns(db: &impl ConnectionTrait, course_ids: &[Uuid]) -> AppResult<Vec<Column>> {
    Ok(assessments::Entity::find()
        .filter(assessments::Column::CourseId.is_in(course_ids.iter().copied()))
        .order_by_asc(assessments::Column::CourseId)
        .order_by_asc(assessments::Column::CreatedAt)
        .order_by_asc(assessments::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|a| Column {
            course_id: a.course_id,
            col: GradebookColumn {
                assessment_id: a.id,
                title: a.title,
                kind: a.kind.into(),
                weight: a.weight.normalize(),
                pass_score: a.pass_score.normalize(),
                grading_policy: a.grading_policy.into(),
            },
            policy: a.grading_policy,
            required: a.required_for_completion,
        })
        .collect())
}

/// One learner's attempts at one assessment, summed up.
#[derive(FromQueryResult)]
struct CellRow {
    user_id: Uuid,
    assessment_id: Uuid,
    attempts: i64,
    pending: Option<bool>,
    best: Option<Decimal>,
    last: Option<Decimal>,
}

/// Each (learner, assessment)'s result, for learners `user` (or all when `None`).
async fn cells(
    db: &impl ConnectionTrait,
    course_ids: &[Uuid],
    user: Option<Uuid>,
) -> AppResult<HashMap<(Uuid, Uuid), Cell>> {
    let rows: Vec<CellRow> = db::rows(
        db,
        "SELECT t.user_id, t.assessment_id, count(*) AS attempts, bool_or(t.status = 'submitted') AS pending, \
           max(t.percent) FILTER (WHERE t.status = 'graded') AS best, \
           (array_agg(t.percent ORDER BY t.number DESC) FILTER (WHERE t.status = 'graded'))[1] AS last \
         FROM attempts t JOIN assessments a ON a.id = t.assessment_id \
         WHERE a.course_id = ANY($1) AND ($2::uuid IS NULL OR t.user_id = $2) \
         GROUP BY t.user_id, t.assessment_id",
        [course_ids.to_vec().into(), user.into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                (r.user_id, r.assessment_id),
                (r.best, r.last, r.attempts, r.pending.unwrap_or(false)),
            )
        })
        .collect())
}

/// One learner's cells, weighted grade and pass.
fn row_for(
    settings: &Settings,
    cols: &[&Column],
    cells: &HashMap<(Uuid, Uuid), Cell>,
    user: Uuid,
) -> (Vec<GradeCell>, Decimal, bool) {
    let mut grades = Vec::with_capacity(cols.len());
    let mut weighted = Decimal::ZERO;
    let mut weights = Decimal::ZERO;
    let mut required_ok = true;
    for c in cols {
        let (best, last, attempts, pending) = cells
            .get(&(user, c.col.assessment_id))
            .cloned()
            .unwrap_or((None, None, 0, false));
        let percent = match c.policy {
            GradingPolicy::Best => best,
            GradingPolicy::Last => last,
        }
        .map(|p| p.normalize());
        let passed = percent.map(|p| p >= c.col.pass_score);
        if c.required && passed != Some(true) {
            required_ok = false;
        }
        weighted += c.col.weight * percent.unwrap_or(Decimal::ZERO);
        weights += c.col.weight;
        grades.push(GradeCell {
            assessment_id: c.col.assessment_id,
            percent,
            passed,
            attempts,
            pending,
        });
    }
    let grade = if weights.is_zero() {
        Decimal::ZERO
    } else {
        (weighted / weights).round_dp(2).normalize()
    };
    let passed = required_ok && grade >= settings.assessments.course_pass_score;
    (grades, grade, passed)
}

/// A learner of the course, as the gradebook names them.
#[derive(FromQueryResult)]
struct LearnerRow {
    id: Uuid,
    display_name: String,
    email: String,
}

pub async fn gradebook(
    state: &AppState,
    user: &Actor,
    course_id: Uuid,
) -> AppResult<GradebookResponse> {
    let course = lms::visible_course(state, Some(user), course_id).await?;
    if !is_grader(state, user, &course).await? {
        return Err(AppError::forbidden(
            "only the course's graders see its gradebook",
        ));
    }
    let cols = columns(&state.db, &[course_id]).await?;
    let cells = cells(&state.db, &[course_id], None).await?;
    let refs: Vec<&Column> = cols.iter().collect();
    let learners: Vec<LearnerRow> = db::rows(
        &state.db,
        "SELECT u.id, u.display_name, u.email FROM enrollments e JOIN users u ON u.id = e.user_id \
         WHERE e.course_id = $1 AND e.status <> 'dropped' ORDER BY u.display_name, u.id",
        [course_id.into()],
    )
    .await?;
    let mut rows = Vec::with_capacity(learners.len());
    for l in learners {
        let (grades, course_grade, passed) = row_for(&state.settings, &refs, &cells, l.id);
        rows.push(GradebookRow {
            user_id: l.id,
            display_name: l.display_name,
            email: l.email,
            grades,
            course_grade,
            passed,
        });
    }
    Ok(GradebookResponse {
        course_id,
        columns: cols.into_iter().map(|c| c.col).collect(),
        rows,
    })
}

fn csv_field(s: &str) -> String {
    // Formula-looking cells are prefixed so spreadsheets show them as text.
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The gradebook as CSV: one row per learner, one column per assessment (percent), then the
/// course grade and pass.
pub fn to_csv(book: &GradebookResponse) -> String {
    let mut out = String::from("user_id,display_name,email");
    for c in &book.columns {
        out.push(',');
        out.push_str(&csv_field(&format!("{} ({})", c.title, c.kind)));
    }
    out.push_str(",course_grade,passed\r\n");
    for r in &book.rows {
        out.push_str(&format!(
            "{},{},{}",
            r.user_id,
            csv_field(&r.display_name),
            csv_field(&r.email)
        ));
        for g in &r.grades {
            out.push(',');
            if let Some(p) = g.percent {
                out.push_str(&p.to_string());
            }
        }
        out.push_str(&format!(",{},{}\r\n", r.course_grade, r.passed));
    }
    out
}

/// A course the learner has grades in.
#[derive(FromQueryResult)]
struct CourseTitleRow {
    id: Uuid,
    title: String,
}

/// `GET /me/grades`: the caller's grades in each course they are enrolled in that has
/// assessments.
pub async fn my_grades(state: &AppState, user: &Actor) -> AppResult<Vec<MyCourseGrades>> {
    let courses: Vec<CourseTitleRow> = db::rows(
        &state.db,
        "SELECT DISTINCT c.id, c.title FROM enrollments e JOIN courses c ON c.id = e.course_id \
         WHERE e.user_id = $1 AND e.status <> 'dropped' AND c.deleted_at IS NULL \
           AND EXISTS (SELECT 1 FROM assessments a WHERE a.course_id = c.id) ORDER BY c.title",
        [user.id.into()],
    )
    .await?;
    let ids: Vec<Uuid> = courses.iter().map(|c| c.id).collect();
    // Three queries for all the courses together.
    let all_cols = columns(&state.db, &ids).await?;
    let cells = cells(&state.db, &ids, Some(user.id)).await?;
    let mut out = Vec::with_capacity(courses.len());
    for (c, course_id) in courses.into_iter().zip(ids) {
        let cols: Vec<&Column> = all_cols
            .iter()
            .filter(|k| k.course_id == course_id)
            .collect();
        let (grades, course_grade, passed) = row_for(&state.settings, &cols, &cells, user.id);
        out.push(MyCourseGrades {
            course_id,
            course_title: c.title,
            grades: cols
                .iter()
                .zip(grades)
                .map(|(col, cell)| MyGrade {
                    assessment_id: col.col.assessment_id,
                    title: col.col.title.clone(),
                    kind: col.col.kind.clone(),
                    weight: col.col.weight,
                    cell,
                })
                .collect(),
            course_grade,
            passed,
        });
    }
    Ok(out)
}

/// A graded attempt that counts towards a learner's course grade, with the exact record of
/// it (attempt, score, every response and its points) that a certificate's evidence digests.
#[derive(Debug, Clone)]
pub struct CountedAttempt {
    pub attempt_id: Uuid,
    pub assessment_title: String,
    pub number: i32,
    pub percent: Decimal,
    pub record: serde_json::Value,
}

/// A learner's result in a course as a certificate states it: the weighted grade (`None` when
/// the course has no assessments) and the attempts that count (each assessment's best or last
/// graded attempt, as its grading policy says).
#[derive(Debug, Clone)]
pub struct CourseRecord {
    pub grade: Option<Decimal>,
    pub attempts: Vec<CountedAttempt>,
}

/// One graded attempt, for the course record.
#[derive(FromQueryResult)]
struct GradedAttempt {
    id: Uuid,
    assessment_id: Uuid,
    number: i32,
    score: Option<Decimal>,
    max_score: Decimal,
    percent: Option<Decimal>,
    passed: Option<bool>,
    submitted_at: Option<chrono::DateTime<chrono::Utc>>,
    graded_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// `user`'s record in `course` (see [`CourseRecord`]).
pub async fn course_record(
    db: &impl ConnectionTrait,
    settings: &Settings,
    user: Uuid,
    course: Uuid,
) -> AppResult<CourseRecord> {
    let cols = columns(db, &[course]).await?;
    if cols.is_empty() {
        return Ok(CourseRecord {
            grade: None,
            attempts: Vec::new(),
        });
    }
    let cells = cells(db, &[course], Some(user)).await?;
    let refs: Vec<&Column> = cols.iter().collect();
    let (_, grade, _) = row_for(settings, &refs, &cells, user);
    let mut attempts = Vec::new();
    for c in &cols {
        let order = match c.policy {
            GradingPolicy::Best => "percent DESC, number DESC",
            GradingPolicy::Last => "number DESC",
        };
        let Some(a): Option<GradedAttempt> = db::row(
            db,
            format!(
                "SELECT id, assessment_id, number, score, max_score, percent, passed, submitted_at, \
                   graded_at FROM attempts \
                 WHERE assessment_id = $1 AND user_id = $2 AND status = 'graded' \
                 ORDER BY {order} LIMIT 1"
            ),
            [c.col.assessment_id.into(), user.into()],
        )
        .await?
        else {
            continue;
        };
        let responses: Vec<serde_json::Value> = entity::responses::Entity::find()
            .filter(entity::responses::Column::AttemptId.eq(a.id))
            .order_by_asc(entity::responses::Column::QuestionId)
            .all(db)
            .await?
            .into_iter()
            .map(|r| {
                serde_json::json!({
                    "question_id": r.question_id,
                    "answer": r.answer,
                    "points": r.points.map(|p| p.normalize().to_string()),
                })
            })
            .collect();
        let percent = a.percent.unwrap_or_default().normalize();
        attempts.push(CountedAttempt {
            attempt_id: a.id,
            assessment_title: c.col.title.clone(),
            number: a.number,
            percent,
            record: serde_json::json!({
                "attempt_id": a.id,
                "assessment_id": a.assessment_id,
                "assessment_title": c.col.title,
                "learner_id": user,
                "number": a.number,
                "score": a.score.map(|s| s.normalize().to_string()),
                "max_score": a.max_score.normalize().to_string(),
                "percent": percent.to_string(),
                "passed": a.passed,
                "submitted_at": a.submitted_at,
                "graded_at": a.graded_at,
                "responses": responses,
            }),
        });
    }
    Ok(CourseRecord {
        grade: Some(grade),
        attempts,
    })
}
