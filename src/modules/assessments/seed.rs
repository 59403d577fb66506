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
//! Everything goes through the module's services, acting as the demo users: the educator
//! creates each quiz and its questions (`create_assessment_in`, `add_question_in`), the student
//! starts, answers and submits (`start_attempt_in`, `save_responses_in`, `submit_in`), and the
//! educator grades the essays (`grade_response_in`), so the scores, the reward, the lesson's
//! completion and the audit trail follow the same rules as through the API. All in one
//! transaction; a second run finds the demo quizzes and creates nothing.

use kernel::enums::{AssessmentKind, GradingPolicy, QuestionKind};
use kernel::{Actor, AppError, AppResult, RequestMeta, db};
use rust_decimal::Decimal;
use sea_orm::{DatabaseTransaction, TransactionTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use super::attempts::{save_responses_in, start_attempt_in, submit_in};
use super::authoring::{add_question_in, create_assessment_in};
use super::dto::{
    CreateAssessmentRequest, GradeRequest, OptionResponse, QuestionRequest, QuestionResponse,
    ResponseInput, SaveResponsesRequest,
};
use super::scoring::grade_response_in;
use super::service::assessment;
use crate::modules::lms;
use crate::state::AppState;

/// An authored question; `points` in whole points.
struct Q {
    kind: QuestionKind,
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
    kind: QuestionKind::Essay,
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
        kind: QuestionKind::SingleChoice,
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
        kind: QuestionKind::MultipleChoice,
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
        kind: QuestionKind::TrueFalse,
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
        kind: QuestionKind::ShortAnswer,
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
        kind: QuestionKind::Numeric,
        prompt,
        points,
        numeric: Some((value, tolerance)),
        explanation,
        ..BLANK
    }
}

const fn essay(prompt: &'static str, points: i64, explanation: &'static str) -> Q {
    Q {
        kind: QuestionKind::Essay,
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

fn seed_error(message: String) -> AppError {
    AppError::internal(anyhow::anyhow!("assessments seed: {message}"))
}

/// Demo text as a bounded request field (the demo texts are within every bound).
fn text<T: std::str::FromStr + Default>(s: &str) -> T {
    s.parse().unwrap_or_default()
}

fn request(q: &Q) -> QuestionRequest {
    QuestionRequest {
        kind: q.kind.into(),
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

/// Creates the assessments demo data once; returns how many rows of the module's tables it
/// created (0 when the demo quizzes exist already, or the demo users are missing).
pub async fn seed_demo(state: &AppState) -> AppResult<u64> {
    let txn = state.db.begin().await?;
    db::advisory_lock(&txn, "seed:demo-assessments").await?;
    let student = crate::modules::identity::demo_actor(0)?;
    let educator = crate::modules::identity::demo_actor(1)?;
    let slugs: Vec<String> = QUIZZES.iter().map(|q| q.course_slug.to_owned()).collect();
    let titles: Vec<String> = QUIZZES.iter().map(|q| q.title.to_owned()).collect();
    let done = db::exists(
        &txn,
        "SELECT 1 FROM assessments a JOIN courses c ON c.id = a.course_id \
         WHERE c.slug = ANY ($1) AND a.title = ANY ($2) LIMIT 1",
        [slugs.into(), titles.into()],
    )
    .await?;
    if done {
        return Ok(0);
    }
    let users: i64 = db::scalar(
        &txn,
        "SELECT count(*) FROM users WHERE id = ANY ($1) AND deleted_at IS NULL",
        [vec![student.id, educator.id].into()],
    )
    .await?
    .unwrap_or(0);
    if users < 2 {
        return Ok(0);
    }
    let meta = RequestMeta::system();
    let mut created = 0u64;
    for spec in &QUIZZES {
        // Only the LMS seed's course (the educator's), and only if it has lessons.
        let course: Option<Uuid> = db::scalar(
            &txn,
            "SELECT c.id FROM courses c WHERE c.slug = $1 AND c.owner_id = $2 AND c.deleted_at IS NULL \
             AND EXISTS (SELECT 1 FROM lessons l WHERE l.course_id = c.id)",
            [spec.course_slug.into(), educator.id.into()],
        )
        .await?;
        let Some(course_id) = course else {
            continue;
        };
        let demo = Demo {
            state,
            txn: &txn,
            meta: &meta,
            educator: &educator,
            student: &student,
        };
        created += demo.quiz(spec, course_id).await?;
    }
    txn.commit().await?;
    tracing::info!(created, "seeded the assessments demo data");
    Ok(created)
}

/// Who acts, and where.
struct Demo<'a> {
    state: &'a AppState,
    txn: &'a DatabaseTransaction,
    meta: &'a RequestMeta,
    educator: &'a Actor,
    student: &'a Actor,
}

impl Demo<'_> {
    /// The educator's quiz in `course_id` with its questions, then the student's attempts if
    /// they are enrolled.
    async fn quiz(&self, spec: &QuizSpec, course_id: Uuid) -> AppResult<u64> {
        lms::course_for(self.state, self.educator, course_id, "course:update").await?;
        let lesson_id: Option<Uuid> = match spec.lesson {
            Some(title) => {
                db::scalar(
                    self.txn,
                    "SELECT id FROM lessons WHERE course_id = $1 AND title = $2 LIMIT 1",
                    [course_id.into(), title.into()],
                )
                .await?
            }
            None => None,
        };
        let quiz = create_assessment_in(
            self.state,
            self.txn,
            self.educator,
            self.meta,
            course_id,
            CreateAssessmentRequest {
                title: text(spec.title),
                kind: Some(AssessmentKind::Quiz.into()),
                lesson_id,
                instructions: text(spec.instructions),
                pass_score: Some(Decimal::from(spec.pass_score)),
                time_limit_seconds: spec.time_limit_minutes.map(|m| m * 60),
                max_attempts: spec.max_attempts,
                available_from: None,
                available_until: None,
                shuffle_questions: false,
                shuffle_options: spec.shuffle_options,
                show_correct_answers: Some(true),
                weight: Some(Decimal::ONE),
                grading_policy: Some(GradingPolicy::Best.into()),
                required_for_completion: Some(false),
                reward: spec.reward.map(Decimal::from),
            },
        )
        .await?;
        let a = assessment(self.txn, quiz.id).await?;
        let mut created = 1;
        let mut authored = Vec::with_capacity(spec.questions.len());
        for (position, q) in spec.questions.iter().enumerate() {
            let added = add_question_in(self.txn, self.educator, self.meta, &a, request(q))
                .await
                .map_err(|e| {
                    seed_error(format!("question {position} of `{}`: {e:?}", spec.title))
                })?;
            authored.push(added);
            created += 1;
        }
        if spec.attempts.is_empty()
            || lms::live_enrollment(self.txn, self.student.id, course_id)
                .await?
                .is_none()
        {
            return Ok(created);
        }
        for attempt in spec.attempts {
            created += self.attempt(&a, spec, &authored, attempt).await?;
        }
        Ok(created)
    }

    /// One attempt of the student: started, answered, submitted; then the educator grades the
    /// essays if the spec says so.
    async fn attempt(
        &self,
        a: &entity::assessments::Model,
        quiz: &QuizSpec,
        authored: &[QuestionResponse],
        spec: &AttemptSpec,
    ) -> AppResult<u64> {
        let started = start_attempt_in(self.state, self.txn, self.student, self.meta, a).await?;
        let attempt_id = started.attempt.id;
        let responses = authored
            .iter()
            .zip(spec.answers)
            .map(|(q, answer)| {
                Ok(ResponseInput {
                    question_id: q.id,
                    answer: raw_answer(answer, &q.options)?,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let saved = save_responses_in(
            self.state,
            self.txn,
            self.student,
            attempt_id,
            SaveResponsesRequest { responses },
        )
        .await
        .map_err(|e| seed_error(format!("answers to `{}`: {e:?}", quiz.title)))?;
        submit_in(self.state, self.txn, self.student, self.meta, attempt_id).await?;
        if let Some((tenths, feedback)) = spec.essay_grade {
            for (q, authored) in quiz.questions.iter().zip(authored) {
                if !q.kind.is_manual() {
                    continue;
                }
                let Some(response_id) = saved
                    .questions
                    .iter()
                    .find(|s| s.question_id == authored.id)
                    .and_then(|s| s.response_id)
                else {
                    continue;
                };
                grade_response_in(
                    self.state,
                    self.txn,
                    self.educator,
                    self.meta,
                    response_id,
                    GradeRequest {
                        points: Decimal::new(tenths, 1),
                        feedback: text(feedback),
                    },
                )
                .await?;
            }
        }
        // The attempt, and a response to every question (unanswered ones with 0 points).
        Ok(1 + authored.len() as u64)
    }
}
