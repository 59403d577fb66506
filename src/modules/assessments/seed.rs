//! Demo data of the assessments for `azora seed` (and the auto-seed of an empty development
//! database), run after the LMS seed: one quiz in each demo course that has lessons (the
//! data-analysis quiz belongs to its lesson "Joins and aggregates"), each with questions of
//! every kind but file upload, and the demo student's attempts in the courses they are
//! enrolled in:
//!
//! - Introduction to AI: attempt 1 failed (40%), attempt 2 passed (90%); both essays graded
//!   by the educator; the pass pays the quiz's 10 AZR.
//! - Data analysis: passed (75%, essay graded), which completes the lesson of the quiz.
//! - Full-stack web: submitted, its essay waiting in the educator's grading queue.
//!
//! Authoring is plain inserts (options and keys built by [`keys::build`], so their JSON is what
//! the API stores). The attempts follow what `attempts.rs` does step by step (its grading
//! functions are private): saved answers checked by [`keys::check_answer`], then on submission
//! every question graded by [`keys::grade`], the essays graded by the educator, the score
//! settled the same way, and a pass handled as `on_pass` does: the reward through
//! `wallet::service::reward` with the same dedupe key, `AssessmentPassed` published, the
//! quiz's lesson completed through `lms::complete_lesson_for`. All in one transaction; a
//! second run finds the demo quizzes and creates nothing.

use kernel::enums::QuestionKind;
use rust_decimal::Decimal;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::dto::{OptionResponse, QuestionRequest};
use super::keys;
use super::service::{assessment_row, questions};
use crate::db;
use crate::events;
use crate::modules::lms;
use crate::modules::wallet;
use crate::state::AppState;
use kernel::event::DomainEvent;
use kernel::{AppError, AppResult};

/// An authored question; `points` in whole points.
struct Q {
    kind: &'static str,
    prompt: &'static str,
    points: i64,
    options: &'static [&'static str],
    correct_options: &'static [usize],
    correct: Option<bool>,
    accepted: &'static [&'static str],
    /// (value, tolerance)
    numeric: Option<(i64, i64)>,
    partial_credit: bool,
    explanation: &'static str,
}

const BLANK: Q = Q {
    kind: "",
    prompt: "",
    points: 1,
    options: &[],
    correct_options: &[],
    correct: None,
    accepted: &[],
    numeric: None,
    partial_credit: false,
    explanation: "",
};

const fn single(
    prompt: &'static str,
    points: i64,
    options: &'static [&'static str],
    correct_options: &'static [usize],
    explanation: &'static str,
) -> Q {
    Q {
        kind: "single_choice",
        prompt,
        points,
        options,
        correct_options,
        explanation,
        ..BLANK
    }
}

const fn multiple(
    prompt: &'static str,
    points: i64,
    options: &'static [&'static str],
    correct_options: &'static [usize],
    partial_credit: bool,
    explanation: &'static str,
) -> Q {
    Q {
        kind: "multiple_choice",
        prompt,
        points,
        options,
        correct_options,
        partial_credit,
        explanation,
        ..BLANK
    }
}

const fn true_false(
    prompt: &'static str,
    points: i64,
    correct: bool,
    explanation: &'static str,
) -> Q {
    Q {
        kind: "true_false",
        prompt,
        points,
        correct: Some(correct),
        explanation,
        ..BLANK
    }
}

const fn short(
    prompt: &'static str,
    points: i64,
    accepted: &'static [&'static str],
    explanation: &'static str,
) -> Q {
    Q {
        kind: "short_answer",
        prompt,
        points,
        accepted,
        explanation,
        ..BLANK
    }
}

const fn numeric(
    prompt: &'static str,
    points: i64,
    value: i64,
    tolerance: i64,
    explanation: &'static str,
) -> Q {
    Q {
        kind: "numeric",
        prompt,
        points,
        numeric: Some((value, tolerance)),
        explanation,
        ..BLANK
    }
}

const fn essay(prompt: &'static str, points: i64, explanation: &'static str) -> Q {
    Q {
        kind: "essay",
        prompt,
        points,
        explanation,
        ..BLANK
    }
}

/// A learner's answer to the question at the same position.
enum A {
    /// An option, by its index in the authored list.
    Pick(usize),
    Picks(&'static [usize]),
    Bool(bool),
    Text(&'static str),
    Number(i64),
}

/// The demo student's attempt: answers by question position, and the educator's grade of the
/// essay (tenths of a point, feedback); `None` leaves it waiting for a grader.
struct AttemptSpec {
    answers: &'static [A],
    essay_grade: Option<(i64, &'static str)>,
}

struct QuizSpec {
    course_slug: &'static str,
    /// The lesson it belongs to, by title.
    lesson: Option<&'static str>,
    title: &'static str,
    instructions: &'static str,
    pass_score: i64,
    time_limit_minutes: Option<i32>,
    max_attempts: Option<i32>,
    shuffle_options: bool,
    /// AZR on the first pass; `None` is `assessments.pass_reward`.
    reward: Option<i64>,
    questions: &'static [Q],
    attempts: &'static [AttemptSpec],
}

const QUIZZES: [QuizSpec; 5] = [
    QuizSpec {
        course_slug: "intro-ai-ml",
        lesson: None,
        title: "Foundations of AI: checkpoint quiz",
        instructions: "Seven questions on the first two modules. You have 20 minutes and three attempts; 70% passes.",
        pass_score: 70,
        time_limit_minutes: Some(20),
        max_attempts: Some(3),
        shuffle_options: true,
        reward: Some(10),
        questions: &[
            single(
                "Which kind of machine learning learns from labelled examples?",
                2,
                &[
                    "Supervised learning",
                    "Unsupervised learning",
                    "Reinforcement learning",
                ],
                &[0],
                "Labels (spam or not spam, a house's price) are what supervised learning learns from.",
            ),
            multiple(
                "Which of these measure the error of a regression model?",
                3,
                &["Mean absolute error", "RMSE", "R²", "Accuracy"],
                &[0, 1, 2],
                true,
                "Accuracy counts right and wrong labels: it is a classification metric.",
            ),
            true_false(
                "A model is best evaluated on the same data it was trained on.",
                1,
                false,
                "Only data the model has not seen tells you how it will do in practice.",
            ),
            short(
                "Which mathematician asked in 1950 whether machines can think? (surname)",
                1,
                &["Turing", "Alan Turing"],
                "Alan Turing, in \"Computing Machinery and Intelligence\".",
            ),
            numeric(
                "A model predicts a price of 250 (thousand) for a house that sold for 200 (thousand). What is the absolute error, in thousands?",
                2,
                50,
                0,
                "|250 - 200| = 50.",
            ),
            single(
                "Which approach trains a game-playing agent by trial, error and reward?",
                1,
                &[
                    "Supervised learning",
                    "Unsupervised learning",
                    "Reinforcement learning",
                ],
                &[2],
                "",
            ),
            essay(
                "In a short paragraph, explain one way historical data can make a model biased, and what you would do about it.",
                5,
                "A good answer names a mechanism (for example under-represented groups) and a concrete remedy.",
            ),
        ],
        attempts: &[
            AttemptSpec {
                answers: &[
                    A::Pick(1),
                    A::Picks(&[0, 3]),
                    A::Bool(true),
                    A::Text("turing"),
                    A::Number(50),
                    A::Pick(2),
                    A::Text(
                        "If old data is biased the model copies it, so we should use more data.",
                    ),
                ],
                essay_grade: Some((
                    20,
                    "Right idea, but say how the bias gets into the data and what \"more data\" should contain.",
                )),
            },
            AttemptSpec {
                answers: &[
                    A::Pick(0),
                    A::Picks(&[0, 1]),
                    A::Bool(false),
                    A::Text("Alan Turing"),
                    A::Number(50),
                    A::Pick(2),
                    A::Text(
                        "A hiring model trained on past decisions learns that fewer women were hired for engineering roles and repeats it. \
                         I would check the error rates per group, rebalance or reweight the training data, and remove features that stand in for gender.",
                    ),
                ],
                essay_grade: Some((45, "Clear mechanism and concrete remedies. Well done.")),
            },
        ],
    },
    QuizSpec {
        course_slug: "data-analysis-python-sql",
        lesson: Some("Joins and aggregates"),
        title: "SQL essentials check",
        instructions: "Passing this check completes the lesson \"Joins and aggregates\". Take it as often as you like; 60% passes.",
        pass_score: 60,
        time_limit_minutes: None,
        max_attempts: None,
        shuffle_options: false,
        reward: None,
        questions: &[
            single(
                "Which clause filters rows before they are grouped?",
                1,
                &["WHERE", "HAVING", "ORDER BY", "LIMIT"],
                &[0],
                "HAVING filters groups after GROUP BY; WHERE filters rows before it.",
            ),
            multiple(
                "Which of these are aggregate functions?",
                2,
                &["count", "sum", "avg", "lower"],
                &[0, 1, 2],
                false,
                "lower() works on one value at a time.",
            ),
            true_false(
                "ORDER BY without DESC sorts in ascending order.",
                1,
                true,
                "",
            ),
            short(
                "Which keyword combines the rows of two tables that share a key?",
                1,
                &["JOIN", "INNER JOIN"],
                "",
            ),
            numeric(
                "Three bike trips took 12, 18 and 30 minutes. What does avg(minutes) return?",
                2,
                20,
                0,
                "(12 + 18 + 30) / 3 = 20.",
            ),
            essay(
                "Describe a question about city bike trips you would answer with GROUP BY, and the query you would write.",
                3,
                "",
            ),
        ],
        attempts: &[AttemptSpec {
            answers: &[
                A::Pick(0),
                A::Picks(&[0, 1]),
                A::Bool(true),
                A::Text("join"),
                A::Number(20),
                A::Text(
                    "Which station starts the most trips? SELECT start_station, count(*) FROM trips GROUP BY start_station ORDER BY 2 DESC LIMIT 1;",
                ),
            ],
            essay_grade: Some((
                25,
                "Good query; mention what ties (two busiest stations) would do.",
            )),
        }],
    },
    QuizSpec {
        course_slug: "fullstack-web-react-node",
        lesson: None,
        title: "Modern JavaScript and React quiz",
        instructions: "Six questions on the first two modules; 15 minutes and two attempts.",
        pass_score: 60,
        time_limit_minutes: Some(15),
        max_attempts: Some(2),
        shuffle_options: true,
        reward: None,
        questions: &[
            single(
                "What does an async function always return?",
                1,
                &["A promise", "A callback", "undefined", "An array"],
                &[0],
                "",
            ),
            multiple(
                "Which of these are React hooks?",
                3,
                &["useState", "useEffect", "componentDidMount", "useMemo"],
                &[0, 1, 3],
                true,
                "componentDidMount is a lifecycle method of class components.",
            ),
            true_false(
                "await can be used at the top level of an ES module.",
                1,
                true,
                "Top-level await is part of ES2022 modules.",
            ),
            short(
                "Which npm command installs the dependencies listed in package.json?",
                1,
                &["npm install", "npm i", "npm ci"],
                "",
            ),
            numeric(
                "Promise.all gets three promises that settle after 100, 250 and 400 ms. About how many milliseconds until it resolves?",
                2,
                400,
                10,
                "It waits for the slowest promise.",
            ),
            essay(
                "Where would you keep the signed-in user's state in the course-review app, and why?",
                4,
                "",
            ),
        ],
        attempts: &[AttemptSpec {
            answers: &[
                A::Pick(0),
                A::Picks(&[0, 1, 3]),
                A::Bool(true),
                A::Text("npm install"),
                A::Number(400),
                A::Text(
                    "In a context provider at the top of the app, so every page can read it without passing props down, and the token only in memory.",
                ),
            ],
            essay_grade: None,
        }],
    },
    QuizSpec {
        course_slug: "business-english-tech",
        lesson: None,
        title: "Stand-ups and emails: phrase check",
        instructions: "Check the phrases of the first modules; 60% passes.",
        pass_score: 60,
        time_limit_minutes: None,
        max_attempts: None,
        shuffle_options: false,
        reward: None,
        questions: &[
            single(
                "Which is the clearest start of a stand-up update?",
                1,
                &[
                    "Yesterday I finished the login page; today I'm writing its tests.",
                    "I was doing many things.",
                    "Nothing special to tell.",
                ],
                &[0],
                "",
            ),
            multiple(
                "What belongs in a good email subject?",
                2,
                &[
                    "The ask",
                    "The deadline, when there is one",
                    "Hello!!!",
                    "URGENT, on every email",
                ],
                &[0, 1],
                false,
                "",
            ),
            true_false(
                "\"Could you review my pull request by Friday?\" is a polite request.",
                1,
                true,
                "",
            ),
            short(
                "Complete: \"I'm ___ on the payment bug right now.\"",
                1,
                &["working"],
                "",
            ),
            numeric(
                "In the five steps of a clear email, how many steps come before the ask?",
                1,
                2,
                0,
                "Subject and context come first.",
            ),
            essay(
                "Write a three-sentence status update for a task that is blocked.",
                4,
                "",
            ),
        ],
        attempts: &[],
    },
    QuizSpec {
        course_slug: "deep-learning-neural-networks",
        lesson: None,
        title: "Neural network fundamentals quiz",
        instructions: "Six questions on the first module; 70% passes.",
        pass_score: 70,
        time_limit_minutes: Some(30),
        max_attempts: Some(3),
        shuffle_options: true,
        reward: None,
        questions: &[
            single(
                "Which algorithm computes the gradients of a network's weights?",
                1,
                &["Backpropagation", "k-means", "Dijkstra's algorithm"],
                &[0],
                "",
            ),
            multiple(
                "Which of these are activation functions?",
                3,
                &["ReLU", "sigmoid", "tanh", "mean squared error"],
                &[0, 1, 2],
                true,
                "Mean squared error is a loss function.",
            ),
            true_false(
                "A convolutional layer uses the same filter weights across the whole image.",
                1,
                true,
                "",
            ),
            short(
                "In attention, queries are compared with which vectors?",
                1,
                &["keys", "the keys"],
                "",
            ),
            numeric(
                "A dense layer has 10 inputs and 5 outputs, with biases. How many parameters does it have?",
                2,
                55,
                0,
                "10 × 5 weights + 5 biases.",
            ),
            essay(
                "Explain in your own words why a GPU speeds up training.",
                4,
                "",
            ),
        ],
        attempts: &[],
    },
];

fn parse_id(raw: &str) -> AppResult<Uuid> {
    raw.parse().map_err(AppError::internal)
}

fn seed_error(message: String) -> AppError {
    AppError::internal(anyhow::anyhow!("assessments seed: {message}"))
}

/// Demo text as a bounded request field (the demo texts are within every bound).
fn text<T: std::str::FromStr + Default>(s: &str) -> T {
    s.parse().unwrap_or_default()
}

/// A demo question's kind (the demo kinds are all valid).
fn kind(s: &str) -> QuestionKind {
    s.parse().unwrap_or(QuestionKind::Essay)
}

fn request(q: &Q) -> QuestionRequest {
    QuestionRequest {
        kind: kind(q.kind).into(),
        prompt: text(q.prompt),
        points: Some(Decimal::from(q.points)),
        options: q.options.iter().map(|o| text(o)).collect(),
        correct_options: q.correct_options.to_vec(),
        correct: q.correct,
        accepted_answers: q.accepted.iter().map(|a| text(a)).collect(),
        case_sensitive: false,
        numeric_answer: q.numeric.map(|(v, _)| Decimal::from(v)),
        tolerance: q.numeric.map(|(_, t)| Decimal::from(t)),
        partial_credit: q.partial_credit,
        explanation: text(q.explanation),
        position: None,
    }
}

/// The answer as the API receives it (option ids instead of indexes).
fn raw_answer(a: &A, options: &[OptionResponse]) -> AppResult<Value> {
    let id = |i: usize| {
        options
            .get(i)
            .map(|o| Value::String(o.id.clone()))
            .ok_or_else(|| seed_error(format!("no option {i}")))
    };
    Ok(match a {
        A::Pick(i) => id(*i)?,
        A::Picks(is) => Value::Array(is.iter().map(|i| id(*i)).collect::<AppResult<_>>()?),
        A::Bool(b) => Value::Bool(*b),
        A::Text(t) => Value::String((*t).to_owned()),
        A::Number(n) => json!(n),
    })
}

/// Inserts the assessments demo data once; returns how many rows it created (0 when the demo
/// quizzes exist already, or the demo users or courses are missing).
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let (db, _settings) = (&state.db, &*state.settings);
    let txn = db.begin().await?;
    db::advisory_lock(&txn, "seed:demo-assessments").await?;
    let student = parse_id(seed::DEMO_USERS[0].0)?;
    let educator = parse_id(seed::DEMO_USERS[1].0)?;
    let slugs: Vec<String> = QUIZZES.iter().map(|q| q.course_slug.to_owned()).collect();
    let titles: Vec<String> = QUIZZES.iter().map(|q| q.title.to_owned()).collect();
    let done = db::one(
        &txn,
        "SELECT 1 AS one FROM assessments a JOIN courses c ON c.id = a.course_id \
         WHERE c.slug = ANY ($1) AND a.title = ANY ($2) LIMIT 1",
        [slugs.into(), titles.into()],
    )
    .await?
    .is_some();
    if done {
        return Ok(0);
    }
    let users = db::one(
        &txn,
        "SELECT count(*) AS n FROM users WHERE id = ANY ($1) AND deleted_at IS NULL",
        [vec![student, educator].into()],
    )
    .await?
    .map(|r| r.try_get::<i64>("", "n"))
    .transpose()?
    .unwrap_or(0);
    if users < 2 {
        return Ok(0);
    }
    let mut created = 0u64;
    for spec in &QUIZZES {
        // Only the LMS seed's course (the educator's), and only if it has lessons.
        let Some(course) = db::one(
            &txn,
            "SELECT c.id FROM courses c WHERE c.slug = $1 AND c.owner_id = $2 AND c.deleted_at IS NULL \
             AND EXISTS (SELECT 1 FROM lessons l WHERE l.course_id = c.id)",
            [spec.course_slug.into(), educator.into()],
        )
        .await?
        else {
            continue;
        };
        let course_id: Uuid = course.try_get("", "id")?;
        created += create_quiz(&txn, state, spec, course_id, educator, student).await?;
    }
    txn.commit().await?;
    tracing::info!(created, "seeded the assessments demo data");
    Ok(created)
}

async fn create_quiz(
    txn: &DatabaseTransaction,
    state: &AppState,
    spec: &QuizSpec,
    course_id: Uuid,
    educator: Uuid,
    student: Uuid,
) -> AppResult<u64> {
    let lesson_id: Option<Uuid> = match spec.lesson {
        Some(title) => db::one(
            txn,
            "SELECT id FROM lessons WHERE course_id = $1 AND title = $2 LIMIT 1",
            [course_id.into(), title.into()],
        )
        .await?
        .map(|r| r.try_get("", "id"))
        .transpose()?,
        None => None,
    };
    let id = Uuid::now_v7();
    db::exec(
        txn,
        "INSERT INTO assessments (id, course_id, lesson_id, kind, title, instructions, pass_score, time_limit_seconds, \
         max_attempts, shuffle_questions, shuffle_options, show_correct_answers, weight, grading_policy, \
         required_for_completion, reward, created_by) \
         VALUES ($1, $2, $3, 'quiz', $4, $5, $6, $7, $8, false, $9, true, 1, 'best', false, $10, $11)",
        [
            id.into(),
            course_id.into(),
            lesson_id.into(),
            spec.title.into(),
            spec.instructions.into(),
            Decimal::from(spec.pass_score).into(),
            spec.time_limit_minutes.map(|m| m * 60).into(),
            spec.max_attempts.into(),
            spec.shuffle_options.into(),
            spec.reward.map(Decimal::from).into(),
            educator.into(),
        ],
    )
    .await?;
    let mut created = 1;
    // Options and keys exactly as `POST /quizzes/{id}/questions` builds them.
    let mut options_of = Vec::with_capacity(spec.questions.len());
    for (position, q) in spec.questions.iter().enumerate() {
        let req = request(q);
        let (options, key) = keys::build(&req).map_err(|errors| {
            seed_error(format!(
                "question {position} of `{}`: {errors:?}",
                spec.title
            ))
        })?;
        db::exec(
            txn,
            "INSERT INTO questions (id, assessment_id, kind, prompt, points, options, answer, partial_credit, explanation, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [
                Uuid::now_v7().into(),
                id.into(),
                req.kind.clone().into(),
                req.prompt.trim().to_owned().into(),
                Decimal::from(q.points).into(),
                serde_json::to_value(&options)
                    .map_err(AppError::internal)?
                    .into(),
                key.into(),
                req.partial_credit.into(),
                req.explanation.trim().to_owned().into(),
                (position as i32).into(),
            ],
        )
        .await?;
        options_of.push(options);
        created += 1;
    }
    if spec.attempts.is_empty()
        || lms::live_enrollment(txn, student, course_id)
            .await?
            .is_none()
    {
        return Ok(created);
    }
    for (n, attempt) in spec.attempts.iter().enumerate() {
        created += take_attempt(txn, state, id, n as i32 + 1, attempt, educator, student).await?;
    }
    Ok(created)
}

/// One attempt of the student, as `start_attempt`, `save_responses`, `submit` and the
/// educator's `grade_response` would leave it.
async fn take_attempt(
    txn: &DatabaseTransaction,
    state: &AppState,
    assessment_id: Uuid,
    number: i32,
    spec: &AttemptSpec,
    educator: Uuid,
    student: Uuid,
) -> AppResult<u64> {
    let a = assessment_row(txn, assessment_id).await?;
    let qs = questions(txn, assessment_id).await?;
    let max_score: Decimal = qs.iter().map(|q| q.points).sum();
    let order: Vec<Uuid> = qs.iter().map(|q| q.id).collect();
    let seed: i64 = rand::random();
    // --- start_attempt ---
    let attempt_id = Uuid::now_v7();
    db::exec(
        txn,
        "INSERT INTO attempts (id, assessment_id, user_id, number, question_order, option_seed, deadline_at, max_score) \
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7), $8)",
        [
            attempt_id.into(),
            assessment_id.into(),
            student.into(),
            number.into(),
            order.into(),
            seed.into(),
            a.time_limit_seconds.map(f64::from).into(),
            max_score.into(),
        ],
    )
    .await?;
    let mut created = 1;
    // --- save_responses: answers checked and stored as the API stores them ---
    let mut stored = Vec::with_capacity(qs.len());
    for (q, answer) in qs.iter().zip(spec.answers) {
        let raw = raw_answer(answer, &q.options)?;
        let value = keys::check_answer(&q.kind, &q.options, &raw)
            .map_err(|e| seed_error(format!("answer to `{}`: {e}", q.prompt)))?;
        stored.push((q, value));
    }
    // --- submit (finalize): every question graded, unanswered ones with 0 ---
    let mut essays = Vec::new();
    for q in &qs {
        let answer = stored
            .iter()
            .find(|(sq, _)| sq.id == q.id)
            .map_or(Value::Null, |(_, v)| v.clone());
        let points = keys::grade(&q.kind, &q.answer, q.partial_credit, q.points, &answer);
        let response_id = Uuid::now_v7();
        db::exec(
            txn,
            "INSERT INTO responses (id, attempt_id, question_id, answer, points, auto_graded, graded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $6 THEN now() END)",
            [
                response_id.into(),
                attempt_id.into(),
                q.id.into(),
                answer.into(),
                points.into(),
                points.is_some().into(),
            ],
        )
        .await?;
        created += 1;
        if points.is_none() {
            essays.push(response_id);
        }
    }
    db::exec(
        txn,
        "UPDATE attempts SET status = 'submitted', submitted_at = now(), auto_submitted = false WHERE id = $1",
        [attempt_id.into()],
    )
    .await?;
    // --- grade_response by the educator ---
    if let Some((tenths, feedback)) = spec.essay_grade {
        for response_id in &essays {
            db::exec(
                txn,
                "UPDATE responses SET points = $2, feedback = $3, graded_by = $4, graded_at = now(), \
                 auto_graded = false, updated_at = now() WHERE id = $1",
                [
                    (*response_id).into(),
                    Decimal::new(tenths, 1).into(),
                    feedback.into(),
                    educator.into(),
                ],
            )
            .await?;
        }
    }
    settle(txn, state, attempt_id).await?;
    Ok(created)
}

/// As `attempts::settle`: once every response has points, the score, percent and pass, and
/// what a pass triggers; otherwise the attempt waits as `submitted`.
async fn settle(txn: &DatabaseTransaction, state: &AppState, attempt_id: Uuid) -> AppResult<()> {
    let r = db::one(
        txn,
        "SELECT t.user_id, t.assessment_id, \
           count(r.id) FILTER (WHERE r.points IS NULL) AS pending, coalesce(sum(r.points), 0) AS score, \
           (SELECT coalesce(sum(q.points), 0) FROM questions q WHERE q.assessment_id = t.assessment_id) AS max_score \
         FROM attempts t LEFT JOIN responses r ON r.attempt_id = t.id WHERE t.id = $1 GROUP BY t.id",
        [attempt_id.into()],
    )
    .await?
    .ok_or_else(|| seed_error(format!("attempt {attempt_id} vanished")))?;
    let pending: i64 = r.try_get("", "pending")?;
    let max_score: Decimal = r.try_get("", "max_score")?;
    if pending > 0 {
        db::exec(
            txn,
            "UPDATE attempts SET status = 'submitted', score = NULL, percent = NULL, passed = NULL, max_score = $2 WHERE id = $1",
            [attempt_id.into(), max_score.into()],
        )
        .await?;
        return Ok(());
    }
    let score: Decimal = r.try_get("", "score")?;
    let user_id: Uuid = r.try_get("", "user_id")?;
    let a = assessment_row(txn, r.try_get("", "assessment_id")?).await?;
    let percent = if max_score.is_zero() {
        Decimal::ZERO
    } else {
        (score * Decimal::ONE_HUNDRED / max_score).round_dp(2)
    };
    let passed = percent >= a.pass_score;
    db::exec(
        txn,
        "UPDATE attempts SET status = 'graded', score = $2, max_score = $3, percent = $4, passed = $5, graded_at = now() WHERE id = $1",
        [
            attempt_id.into(),
            score.into(),
            max_score.into(),
            percent.into(),
            passed.into(),
        ],
    )
    .await?;
    if !passed {
        return Ok(());
    }
    // --- on_pass ---
    let amount = a.reward.unwrap_or(state.settings.assessments.pass_reward);
    let first = wallet::reward(
        txn,
        user_id,
        amount,
        &format!("Passed {}", a.title),
        &format!("assessment_pass:{user_id}:{}", a.id),
    )
    .await?
    .is_some();
    let earlier_pass = db::one(
        txn,
        "SELECT 1 AS one FROM attempts WHERE assessment_id = $1 AND user_id = $2 AND passed AND id <> $3",
        [a.id.into(), user_id.into(), attempt_id.into()],
    )
    .await?
    .is_some();
    if first || !earlier_pass {
        events::publish(
            state,
            txn,
            DomainEvent::AssessmentPassed {
                attempt_id,
                user_id,
                assessment_id: a.id,
                course_id: a.course_id,
                lesson_id: a.lesson_id,
            },
        )
        .await?;
    }
    match a.lesson_id {
        Some(lesson) => {
            lms::complete_lesson_for(txn, state, user_id, lesson).await?;
        }
        None if a.required_for_completion => {
            lms::recheck_completion(txn, state, user_id, a.course_id).await?;
        }
        None => {}
    }
    Ok(())
}
