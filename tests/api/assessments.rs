//! Assessments from the outside: authoring every question kind (keys for staff only, invalid
//! questions refused with pointers), attempts from start to an automatic grade, answer keys
//! never leaving the server before submission, partial credit, deadlines, attempt limits and
//! availability windows, manual grading, the weighted gradebook (JSON, CSV, my grades), the
//! pass reward paid once, LMS wiring (lesson and course completion) and privacy of attempts.

use std::str::FromStr;
use std::time::Duration;

use chrono::Utc;
use futures_util::future::join_all;
use reqwest::{Method, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::users::TestUser;
use crate::helpers::{TestApp, assert_problem};

// ------------------------------------------------------------------ helpers

/// Asserts the status (showing the body when it differs) and returns the JSON body.
async fn expect(resp: Response, status: u16) -> Value {
    let got = resp.status().as_u16();
    let url = resp.url().path().to_owned();
    let text = resp.text().await.expect("a body");
    assert_eq!(got, status, "{url}: {text}");
    if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: not JSON ({e}): {text}"))
    }
}

/// Asserts the status and returns the raw body text.
async fn expect_text(resp: Response, status: u16) -> String {
    let got = resp.status().as_u16();
    let url = resp.url().path().to_owned();
    let text = resp.text().await.expect("a body");
    assert_eq!(got, status, "{url}: {text}");
    text
}

/// A JSON decimal string as a number (`"12.50"` -> 12.50); panics on anything else.
fn dec(v: &Value) -> Decimal {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("a decimal string, got {v}"));
    Decimal::from_str(s).unwrap_or_else(|e| panic!("`{s}` is not a decimal: {e}"))
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn id_of(v: &Value) -> Uuid {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("an id in {v}"))
        .parse()
        .unwrap()
}

async fn put_as(app: &TestApp, path: &str, user: &TestUser, body: &Value) -> Response {
    app.call(Method::PUT, path, &user.access_token, Some(body))
        .await
}

/// A course with one module and its lessons, in order.
struct Course {
    id: Uuid,
    lessons: Vec<Uuid>,
}

/// The people most tests need and a published course with `lessons` text lessons.
struct World {
    app: TestApp,
    instructor: TestUser,
    admin: TestUser,
    learner: TestUser,
    course: Course,
}

async fn course_with(
    app: &TestApp,
    instructor: &TestUser,
    admin: &TestUser,
    kinds: &[&str],
    publish: bool,
) -> Course {
    let course = expect(
        app.post_as(
            "/api/v1/courses",
            instructor,
            &json!({"title": format!("Course {}", Uuid::now_v7()), "summary": "Testing assessments"}),
        )
        .await,
        201,
    )
    .await;
    let id = id_of(&course);
    let module = expect(
        app.post_as(
            &format!("/api/v1/courses/{id}/modules"),
            instructor,
            &json!({"title": "Module one"}),
        )
        .await,
        201,
    )
    .await;
    let module_id = id_of(&module);
    let mut lessons = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        let body = if *kind == "quiz" {
            json!({"title": format!("Lesson {i}"), "kind": "quiz"})
        } else {
            json!({"title": format!("Lesson {i}"), "kind": kind, "content": "Read this."})
        };
        let lesson = expect(
            app.post_as(
                &format!("/api/v1/modules/{module_id}/lessons"),
                instructor,
                &body,
            )
            .await,
            201,
        )
        .await;
        lessons.push(id_of(&lesson));
    }
    if publish {
        expect(
            app.post_as(
                &format!("/api/v1/courses/{id}/submit"),
                instructor,
                &json!({}),
            )
            .await,
            200,
        )
        .await;
        expect(
            app.post_as(&format!("/api/v1/courses/{id}/publish"), admin, &json!({}))
                .await,
            200,
        )
        .await;
    }
    Course { id, lessons }
}

async fn enroll(app: &TestApp, course: Uuid, learner: &TestUser) {
    expect(
        app.post_as(
            &format!("/api/v1/courses/{course}/enroll"),
            learner,
            &json!({}),
        )
        .await,
        201,
    )
    .await;
}

/// An instructor, an admin, an enrolled learner and a published course of `kinds` lessons.
async fn world_with(app: TestApp, kinds: &[&str]) -> World {
    let instructor = app.signup_with_role("i@example.com", "instructor").await;
    let admin = app.signup_with_role("admin@example.com", "admin").await;
    let learner = app.signup("learner@example.com").await;
    let course = course_with(&app, &instructor, &admin, kinds, true).await;
    enroll(&app, course.id, &learner).await;
    World {
        app,
        instructor,
        admin,
        learner,
        course,
    }
}

async fn world() -> World {
    world_with(TestApp::spawn().await, &["text"]).await
}

impl World {
    /// `POST /courses/{id}/quizzes` as the instructor; asserts 201.
    async fn quiz(&self, body: Value) -> Value {
        expect(
            self.app
                .post_as(
                    &format!("/api/v1/courses/{}/quizzes", self.course.id),
                    &self.instructor,
                    &body,
                )
                .await,
            201,
        )
        .await
    }

    /// `POST /quizzes/{id}/questions` as the instructor; asserts 201.
    async fn question(&self, quiz: Uuid, body: Value) -> Value {
        expect(
            self.app
                .post_as(
                    &format!("/api/v1/quizzes/{quiz}/questions"),
                    &self.instructor,
                    &body,
                )
                .await,
            201,
        )
        .await
    }

    /// A quiz with one true/false question (`true` is right) of `points`.
    async fn tf_quiz(&self, mut settings: Value, points: &str) -> (Uuid, Uuid) {
        if settings.get("title").is_none() {
            settings["title"] = json!("True or false");
        }
        let quiz = id_of(&self.quiz(settings).await);
        let q = self
            .question(
                quiz,
                json!({"kind": "true_false", "prompt": "Is Rust memory safe?", "correct": true, "points": points}),
            )
            .await;
        (quiz, id_of(&q))
    }

    async fn start(&self, user: &TestUser, quiz: Uuid) -> Response {
        self.app
            .post_as(
                &format!("/api/v1/quizzes/{quiz}/attempts"),
                user,
                &json!({}),
            )
            .await
    }

    /// Starts an attempt as `user`; asserts 201.
    async fn started(&self, user: &TestUser, quiz: Uuid) -> Value {
        expect(self.start(user, quiz).await, 201).await
    }

    async fn save(&self, user: &TestUser, attempt: Uuid, responses: Value) -> Response {
        put_as(
            &self.app,
            &format!("/api/v1/attempts/{attempt}/responses"),
            user,
            &json!({ "responses": responses }),
        )
        .await
    }

    async fn submit(&self, user: &TestUser, attempt: Uuid) -> Response {
        self.app
            .post_as(
                &format!("/api/v1/attempts/{attempt}/submit"),
                user,
                &json!({}),
            )
            .await
    }

    /// Start, answer the single true/false question with `answer`, submit; the submitted attempt.
    async fn take_tf(&self, user: &TestUser, quiz: Uuid, question: Uuid, answer: bool) -> Value {
        let attempt = id_of(&self.started(user, quiz).await);
        expect(
            self.save(
                user,
                attempt,
                json!([{"question_id": question, "answer": answer}]),
            )
            .await,
            200,
        )
        .await;
        expect(self.submit(user, attempt).await, 200).await
    }

    async fn azr(&self, user: &TestUser) -> Decimal {
        let wallets = expect(self.app.get_as("/api/v1/wallets", user).await, 200).await;
        wallets
            .as_array()
            .expect("an array of wallets")
            .iter()
            .find(|w| w["currency"] == "AZR")
            .map(|w| dec(&w["balance"]))
            .unwrap_or_default()
    }
}

/// The attempt question for `question_id`.
fn attempt_question(attempt: &Value, question_id: Uuid) -> &Value {
    attempt["questions"]
        .as_array()
        .expect("questions")
        .iter()
        .find(|q| q["question_id"] == question_id.to_string())
        .unwrap_or_else(|| panic!("question {question_id} in {attempt}"))
}

/// The id of the option with `text` in an attempt's (or a staff view's) question.
fn option_id(question: &Value, text: &str) -> String {
    question["options"]
        .as_array()
        .expect("options")
        .iter()
        .find(|o| o["text"] == text)
        .unwrap_or_else(|| panic!("option `{text}` in {question}"))["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn pointers(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| x["pointer"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts that no learner-facing question carries any part of an answer key.
fn assert_no_keys(attempt: &Value) {
    for q in attempt["questions"].as_array().expect("questions") {
        assert!(q.get("answer").is_none(), "no `answer` key: {q}");
        assert!(q["correct_answer"].is_null(), "no correct answer: {q}");
        assert!(q["explanation"].is_null(), "no explanation: {q}");
        for o in q["options"].as_array().expect("options") {
            let keys: Vec<&String> = o.as_object().expect("an option object").keys().collect();
            assert_eq!(keys, ["id", "text"], "an option is only id and text: {o}");
        }
    }
}

// ------------------------------------------------------------------ authoring

#[tokio::test]
async fn every_question_kind_is_authored_and_staff_see_the_keys() {
    let w = world().await;
    let quiz = w.quiz(json!({"title": "Everything quiz"})).await;
    assert_eq!(quiz["kind"], "quiz");
    assert_eq!(dec(&quiz["pass_score"]), d("60"));
    assert_eq!(dec(&quiz["weight"]), d("1"));
    assert_eq!(dec(&quiz["reward"]), d("5"), "the platform default reward");
    assert_eq!(quiz["grading_policy"], "best");
    assert_eq!(quiz["show_correct_answers"], true);
    assert_eq!(quiz["required_for_completion"], false);
    assert_eq!(quiz["question_count"], 0);
    let quiz = id_of(&quiz);

    let single = w
        .question(
            quiz,
            json!({"kind": "single_choice", "prompt": "Which moves?", "points": "2",
                   "options": ["copy", "move", "clone"], "correct_options": [1],
                   "explanation": "move takes ownership"}),
        )
        .await;
    assert_eq!(single["position"], 0);
    assert_eq!(dec(&single["points"]), d("2"));
    assert_eq!(
        single["answer"],
        json!({"correct": [option_id(&single, "move")]})
    );
    assert_eq!(single["explanation"], "move takes ownership");
    let multi = w
        .question(
            quiz,
            json!({"kind": "multiple_choice", "prompt": "Which are traits?", "points": "4",
                   "options": ["Send", "Box", "Sync", "Vec"], "correct_options": [2, 0],
                   "partial_credit": true}),
        )
        .await;
    let mut correct: Vec<String> = multi["answer"]["correct"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    correct.sort();
    let mut expected = vec![option_id(&multi, "Send"), option_id(&multi, "Sync")];
    expected.sort();
    assert_eq!(correct, expected);
    assert_eq!(multi["partial_credit"], true);
    let tf = w
        .question(
            quiz,
            json!({"kind": "true_false", "prompt": "Rust has a GC?", "correct": false}),
        )
        .await;
    assert_eq!(tf["answer"], json!({"value": false}));
    assert_eq!(dec(&tf["points"]), d("1"), "points default to 1");
    assert_eq!(tf["options"], json!([]));
    let short = w
        .question(
            quiz,
            json!({"kind": "short_answer", "prompt": "Capital of France?", "accepted_answers": ["Paris"]}),
        )
        .await;
    assert_eq!(
        short["answer"],
        json!({"accepted": ["Paris"], "case_sensitive": false})
    );
    let numeric = w
        .question(
            quiz,
            json!({"kind": "numeric", "prompt": "Pi to two places?", "numeric_answer": "3.14", "tolerance": "0.01"}),
        )
        .await;
    assert_eq!(
        numeric["answer"],
        json!({"value": "3.14", "tolerance": "0.01"})
    );
    let essay = w
        .question(
            quiz,
            json!({"kind": "essay", "prompt": "Explain borrowing.", "points": "5"}),
        )
        .await;
    assert_eq!(essay["answer"], json!({}));
    let file = w
        .question(
            quiz,
            json!({"kind": "file_upload", "prompt": "Upload your project.", "points": "3"}),
        )
        .await;
    assert_eq!(file["answer"], json!({}));
    assert_eq!(file["position"], 6);

    let staff = expect(
        w.app
            .get_as(&format!("/api/v1/quizzes/{quiz}"), &w.instructor)
            .await,
        200,
    )
    .await;
    assert_eq!(staff["question_count"], 7);
    assert_eq!(dec(&staff["total_points"]), d("17"));
    let questions = staff["questions"].as_array().expect("staff see questions");
    let kinds: Vec<&str> = questions
        .iter()
        .map(|q| q["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "single_choice",
            "multiple_choice",
            "true_false",
            "short_answer",
            "numeric",
            "essay",
            "file_upload"
        ]
    );
    assert!(questions.iter().all(|q| q.get("answer").is_some()));
    assert_eq!(questions[0]["answer"], single["answer"]);
    assert_eq!(questions[4]["answer"], numeric["answer"]);

    // An admin (a grader of every course) sees the keys too; the course list shows the quiz.
    let admin_view = expect(
        w.app
            .get_as(&format!("/api/v1/quizzes/{quiz}"), &w.admin)
            .await,
        200,
    )
    .await;
    assert_eq!(admin_view["questions"].as_array().map(Vec::len), Some(7));
    let list = expect(
        w.app
            .get_as(
                &format!("/api/v1/courses/{}/quizzes", w.course.id),
                &w.learner,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(list.as_array().map(Vec::len), Some(1));
    assert!(
        list[0]["questions"].is_null(),
        "learners get no questions: {list}"
    );
}

#[tokio::test]
async fn invalid_questions_are_refused_with_pointers() {
    let w = world().await;
    let quiz = id_of(&w.quiz(json!({"title": "Strict quiz"})).await);
    let path = format!("/api/v1/quizzes/{quiz}/questions");
    let cases = [
        (
            json!({"kind": "single_choice", "prompt": "Two right?", "options": ["a", "b"], "correct_options": [0, 1]}),
            "#/correct_options",
        ),
        (
            json!({"kind": "single_choice", "prompt": "Out of range?", "options": ["a", "b"], "correct_options": [2]}),
            "#/correct_options",
        ),
        (
            json!({"kind": "multiple_choice", "prompt": "One option?", "options": ["a"], "correct_options": [0]}),
            "#/options",
        ),
        (
            json!({"kind": "true_false", "prompt": "No key?"}),
            "#/correct",
        ),
        (json!({"kind": "riddle", "prompt": "What am I?"}), "#/kind"),
        (
            json!({"kind": "short_answer", "prompt": "Nothing accepted?", "accepted_answers": ["  "]}),
            "#/accepted_answers",
        ),
        (
            json!({"kind": "numeric", "prompt": "No number?"}),
            "#/numeric_answer",
        ),
        (
            json!({"kind": "essay", "prompt": "Zero points?", "points": "0"}),
            "#/points",
        ),
        (
            json!({"kind": "true_false", "prompt": "Partial?", "correct": true, "partial_credit": true}),
            "#/partial_credit",
        ),
        (json!({"kind": "essay", "prompt": "   "}), "#/prompt"),
    ];
    for (body, pointer) in cases {
        let problem = assert_problem(
            w.app.post_as(&path, &w.instructor, &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(
            pointers(&problem).iter().any(|p| p == pointer),
            "{body} -> {pointer}: {problem}"
        );
    }
    let staff = expect(
        w.app
            .get_as(&format!("/api/v1/quizzes/{quiz}"), &w.instructor)
            .await,
        200,
    )
    .await;
    assert_eq!(staff["question_count"], 0, "nothing was stored");

    // Invalid settings are refused the same way.
    let problem = assert_problem(
        w.app
            .post_as(
                &format!("/api/v1/courses/{}/quizzes", w.course.id),
                &w.instructor,
                &json!({"title": "Bad", "kind": "exam", "pass_score": "101", "grading_policy": "worst"}),
            )
            .await,
        422,
        "validation_failed",
    )
    .await;
    let ptrs = pointers(&problem);
    for p in ["#/kind", "#/pass_score", "#/grading_policy"] {
        assert!(ptrs.iter().any(|x| x == p), "{p}: {problem}");
    }
}

#[tokio::test]
async fn only_the_course_staff_author_assessments() {
    let w = world().await;
    let other = w
        .app
        .signup_with_role("other@example.com", "instructor")
        .await;
    let course_quizzes = format!("/api/v1/courses/{}/quizzes", w.course.id);
    for who in [&w.learner, &other] {
        assert_problem(
            w.app
                .post_as(&course_quizzes, who, &json!({"title": "Mine now"}))
                .await,
            403,
            "forbidden",
        )
        .await;
    }
    let quiz = id_of(&w.quiz(json!({"title": "Owned quiz"})).await);
    let question = json!({"kind": "true_false", "prompt": "Sure?", "correct": true});
    for who in [&w.learner, &other] {
        assert_problem(
            w.app
                .post_as(&format!("/api/v1/quizzes/{quiz}/questions"), who, &question)
                .await,
            403,
            "forbidden",
        )
        .await;
        assert_problem(
            w.app
                .patch_as(
                    &format!("/api/v1/quizzes/{quiz}"),
                    who,
                    &json!({"title": "Hijacked"}),
                )
                .await,
            403,
            "forbidden",
        )
        .await;
    }
    // Another instructor's view of a published course's quiz has no questions either.
    let view = expect(
        w.app
            .get_as(&format!("/api/v1/quizzes/{quiz}"), &other)
            .await,
        200,
    )
    .await;
    assert!(view["questions"].is_null(), "{view}");

    // A draft course and its quizzes do not exist for outsiders.
    let draft = course_with(&w.app, &w.instructor, &w.admin, &["text"], false).await;
    let draft_quiz = id_of(
        &expect(
            w.app
                .post_as(
                    &format!("/api/v1/courses/{}/quizzes", draft.id),
                    &w.instructor,
                    &json!({"title": "Draft quiz"}),
                )
                .await,
            201,
        )
        .await,
    );
    for who in [&w.learner, &other] {
        assert_problem(
            w.app
                .post_as(
                    &format!("/api/v1/courses/{}/quizzes", draft.id),
                    who,
                    &json!({"title": "x"}),
                )
                .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            w.app
                .post_as(
                    &format!("/api/v1/quizzes/{draft_quiz}/questions"),
                    who,
                    &question,
                )
                .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            w.app
                .get_as(&format!("/api/v1/quizzes/{draft_quiz}"), who)
                .await,
            404,
            "not_found",
        )
        .await;
    }
    // The owner may still edit the settings.
    let patched = expect(
        w.app
            .patch_as(
                &format!("/api/v1/quizzes/{quiz}"),
                &w.instructor,
                &json!({"title": "Renamed", "max_attempts": 2, "weight": "2.5"}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(patched["title"], "Renamed");
    assert_eq!(patched["max_attempts"], 2);
    assert_eq!(dec(&patched["weight"]), d("2.5"));
}

// ------------------------------------------------------------------ attempts

#[tokio::test]
async fn an_attempt_is_saved_submitted_and_graded_automatically() {
    let w = world().await;
    let quiz = id_of(
        &w.quiz(json!({"title": "Auto quiz", "pass_score": "70", "shuffle_options": true}))
            .await,
    );
    let single = id_of(
        &w.question(
            quiz,
            json!({"kind": "single_choice", "prompt": "Which moves?", "points": "2",
                   "options": ["copy", "move", "clone"], "correct_options": [1]}),
        )
        .await,
    );
    let multi = id_of(
        &w.question(
            quiz,
            json!({"kind": "multiple_choice", "prompt": "Which are traits?", "points": "4",
                   "options": ["Send", "Box", "Sync"], "correct_options": [0, 2]}),
        )
        .await,
    );
    let tf = id_of(
        &w.question(
            quiz,
            json!({"kind": "true_false", "prompt": "Rust has a GC?", "correct": false}),
        )
        .await,
    );
    let short = id_of(
        &w.question(
            quiz,
            json!({"kind": "short_answer", "prompt": "Capital of France?", "accepted_answers": ["Paris"]}),
        )
        .await,
    );
    let numeric = id_of(
        &w.question(
            quiz,
            json!({"kind": "numeric", "prompt": "Pi?", "points": "2", "numeric_answer": "3.14", "tolerance": "0.01"}),
        )
        .await,
    );

    let started = w.started(&w.learner, quiz).await;
    assert_eq!(started["status"], "in_progress");
    assert_eq!(started["number"], 1);
    assert_eq!(started["assessment_title"], "Auto quiz");
    assert_eq!(dec(&started["max_score"]), d("10"));
    assert!(started["deadline_at"].is_null(), "untimed");
    assert_eq!(started["questions"].as_array().map(Vec::len), Some(5));
    let attempt = id_of(&started);
    let q = |id| attempt_question(&started, id).clone();
    let (sq, mq) = (q(single), q(multi));
    let again = expect(
        w.app
            .get_as(&format!("/api/v1/attempts/{attempt}"), &w.learner)
            .await,
        200,
    )
    .await;
    assert_eq!(
        attempt_question(&again, single)["options"],
        sq["options"],
        "shuffled options keep their order on every read"
    );

    // First save: everything wrong.
    let saved = expect(
        w.save(
            &w.learner,
            attempt,
            json!([
                {"question_id": single, "answer": option_id(&sq, "copy")},
                {"question_id": multi, "answer": [option_id(&mq, "Box")]},
                {"question_id": tf, "answer": true},
                {"question_id": short, "answer": "Lyon"},
                {"question_id": numeric, "answer": 2},
            ]),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(attempt_question(&saved, tf)["response"], true);
    assert_eq!(attempt_question(&saved, short)["response"], "Lyon");
    assert!(
        attempt_question(&saved, tf)["points_awarded"].is_null(),
        "no points before submission"
    );
    // Second save overwrites (numeric stays wrong: 3.2 is outside 3.14 ± 0.01).
    let saved = expect(
        w.save(
            &w.learner,
            attempt,
            json!([
                {"question_id": single, "answer": option_id(&sq, "move")},
                {"question_id": multi, "answer": [option_id(&mq, "Sync"), option_id(&mq, "Send")]},
                {"question_id": tf, "answer": false},
                {"question_id": short, "answer": "  PARIS "},
                {"question_id": numeric, "answer": 3.2},
            ]),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(attempt_question(&saved, tf)["response"], false);
    assert_eq!(attempt_question(&saved, short)["response"], "  PARIS ");
    let stored = w
        .app
        .count(&format!(
            "SELECT count(*) AS n FROM responses WHERE attempt_id = '{attempt}'"
        ))
        .await;
    assert_eq!(stored, 5, "one response per question, overwritten in place");

    let graded = expect(w.submit(&w.learner, attempt).await, 200).await;
    // 2 (single) + 4 (multiple) + 1 (t/f) + 1 (short, case-insensitive) + 0 (numeric) = 8 / 10.
    assert_eq!(graded["status"], "graded", "{graded}");
    assert_eq!(dec(&graded["score"]), d("8"));
    assert_eq!(dec(&graded["max_score"]), d("10"));
    assert_eq!(dec(&graded["percent"]), d("80"));
    assert_eq!(graded["passed"], true);
    assert_eq!(graded["auto_submitted"], false);
    assert!(graded["submitted_at"].is_string());
    let awarded = |id| dec(&attempt_question(&graded, id)["points_awarded"]);
    assert_eq!(awarded(single), d("2"));
    assert_eq!(awarded(multi), d("4"));
    assert_eq!(awarded(tf), d("1"));
    assert_eq!(awarded(short), d("1"));
    assert_eq!(awarded(numeric), d("0"));

    // Closed: no more saving or submitting.
    assert_problem(
        w.save(
            &w.learner,
            attempt,
            json!([{"question_id": tf, "answer": true}]),
        )
        .await,
        409,
        "attempt_closed",
    )
    .await;
    assert_problem(w.submit(&w.learner, attempt).await, 409, "attempt_closed").await;

    // The quiz shows the learner's attempt.
    let view = expect(
        w.app
            .get_as(&format!("/api/v1/quizzes/{quiz}"), &w.learner)
            .await,
        200,
    )
    .await;
    assert_eq!(view["my_attempts"].as_array().map(Vec::len), Some(1));
    assert_eq!(dec(&view["my_attempts"][0]["percent"]), d("80"));
}

#[tokio::test]
async fn answers_are_checked_against_each_kind() {
    let w = world().await;
    let quiz = id_of(&w.quiz(json!({"title": "Shapes"})).await);
    let single = w
        .question(
            quiz,
            json!({"kind": "single_choice", "prompt": "Pick", "options": ["a", "b"], "correct_options": [0]}),
        )
        .await;
    let multi = id_of(
        &w.question(
            quiz,
            json!({"kind": "multiple_choice", "prompt": "Pick some", "options": ["a", "b"], "correct_options": [0]}),
        )
        .await,
    );
    let tf = id_of(
        &w.question(
            quiz,
            json!({"kind": "true_false", "prompt": "Yes?", "correct": true}),
        )
        .await,
    );
    let numeric = id_of(
        &w.question(
            quiz,
            json!({"kind": "numeric", "prompt": "How many?", "numeric_answer": "4"}),
        )
        .await,
    );
    let essay = id_of(
        &w.question(quiz, json!({"kind": "essay", "prompt": "Discuss."}))
            .await,
    );
    let file = id_of(
        &w.question(quiz, json!({"kind": "file_upload", "prompt": "Upload."}))
            .await,
    );
    let single_id = id_of(&single);
    let attempt = id_of(&w.started(&w.learner, quiz).await);

    let problem = assert_problem(
        w.save(
            &w.learner,
            attempt,
            json!([
                {"question_id": single_id, "answer": "not-an-option"},
                {"question_id": multi, "answer": "a"},
                {"question_id": tf, "answer": "yes"},
                {"question_id": numeric, "answer": "four"},
                {"question_id": file, "answer": "ftp://files.example.com/x.zip"},
                {"question_id": Uuid::now_v7(), "answer": true},
            ]),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(
        pointers(&problem),
        [
            "#/responses/0/answer",
            "#/responses/1/answer",
            "#/responses/2/answer",
            "#/responses/3/answer",
            "#/responses/4/answer",
            "#/responses/5/question_id",
        ],
        "{problem}"
    );
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT count(*) AS n FROM responses WHERE attempt_id = '{attempt}'"
            ))
            .await,
        0,
        "a refused save stores nothing"
    );
    // Numbers too large to grade are refused, not overflowed; NUL characters never reach the
    // database.
    assert_problem(
        w.save(
            &w.learner,
            attempt,
            json!([{"question_id": numeric, "answer": "-79228162514264337593543950335"}]),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        w.save(
            &w.learner,
            attempt,
            json!([{"question_id": essay, "answer": "before\u{0}after"}]),
        )
        .await,
        400,
        "malformed_json",
    )
    .await;

    let saved = expect(
        w.save(
            &w.learner,
            attempt,
            json!([
                {"question_id": numeric, "answer": "4.0"},
                {"question_id": essay, "answer": "Borrowing lends a reference."},
                {"question_id": file, "answer": "https://files.example.com/project.zip"},
            ]),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(attempt_question(&saved, numeric)["response"], "4");
    assert_eq!(
        attempt_question(&saved, essay)["response"],
        "Borrowing lends a reference."
    );
    assert_eq!(
        attempt_question(&saved, file)["response"],
        "https://files.example.com/project.zip"
    );
    // Hand-graded questions leave the submitted attempt waiting for a grader.
    let submitted = expect(w.submit(&w.learner, attempt).await, 200).await;
    assert_eq!(submitted["status"], "submitted");
    assert!(submitted["score"].is_null());
    assert!(submitted["percent"].is_null());
    assert!(submitted["passed"].is_null());
    assert_eq!(
        dec(&attempt_question(&submitted, numeric)["points_awarded"]),
        d("1")
    );
    assert!(attempt_question(&submitted, essay)["points_awarded"].is_null());
    assert_eq!(
        dec(&attempt_question(&submitted, tf)["points_awarded"]),
        d("0"),
        "unanswered questions score 0"
    );
}

#[tokio::test]
async fn answer_keys_never_leave_the_server_before_submission() {
    let w = world().await;
    let secret_options = json!({"kind": "single_choice", "prompt": "Pick the right one", "points": "1",
        "options": ["alpha", "beta"], "correct_options": [1], "explanation": "SECRET-EXPLANATION"});
    let secret_short = json!({"kind": "short_answer", "prompt": "Say the word",
        "accepted_answers": ["SECRET-ANSWER"], "explanation": "SECRET-EXPLANATION"});
    let secret_numeric =
        json!({"kind": "numeric", "prompt": "The number", "numeric_answer": "42.125"});
    let secrets = [
        "SECRET-EXPLANATION",
        "SECRET-ANSWER",
        "42.125",
        "\"correct\"",
        "accepted",
    ];

    for show in [true, false] {
        let quiz = id_of(
            &w.quiz(json!({"title": format!("Keys shown: {show}"), "show_correct_answers": show}))
                .await,
        );
        let single = id_of(&w.question(quiz, secret_options.clone()).await);
        w.question(quiz, secret_short.clone()).await;
        w.question(quiz, secret_numeric.clone()).await;

        // The start response.
        let raw = expect_text(w.start(&w.learner, quiz).await, 201).await;
        for s in secrets {
            assert!(!raw.contains(s), "`{s}` leaked at start: {raw}");
        }
        let started: Value = serde_json::from_str(&raw).unwrap();
        assert_no_keys(&started);
        let attempt = id_of(&started);
        let beta = option_id(attempt_question(&started, single), "beta");
        expect(
            w.save(
                &w.learner,
                attempt,
                json!([{"question_id": single, "answer": beta}]),
            )
            .await,
            200,
        )
        .await;

        // Reading the attempt back, and the quiz, as the learner.
        let raw = expect_text(
            w.app
                .get_as(&format!("/api/v1/attempts/{attempt}"), &w.learner)
                .await,
            200,
        )
        .await;
        for s in secrets {
            assert!(!raw.contains(s), "`{s}` leaked by GET /attempts: {raw}");
        }
        assert_no_keys(&serde_json::from_str(&raw).unwrap());
        let raw = expect_text(
            w.app
                .get_as(&format!("/api/v1/quizzes/{quiz}"), &w.learner)
                .await,
            200,
        )
        .await;
        for s in secrets {
            assert!(!raw.contains(s), "`{s}` leaked by GET /quizzes: {raw}");
        }
        let view: Value = serde_json::from_str(&raw).unwrap();
        assert!(view["questions"].is_null(), "{view}");
        assert_eq!(view["question_count"], 3);
        let raw = expect_text(
            w.app
                .get_as(
                    &format!("/api/v1/courses/{}/quizzes", w.course.id),
                    &w.learner,
                )
                .await,
            200,
        )
        .await;
        for s in secrets {
            assert!(
                !raw.contains(s),
                "`{s}` leaked by the course's quiz list: {raw}"
            );
        }

        // After submission the key shows only where the quiz allows it.
        let submitted = expect(w.submit(&w.learner, attempt).await, 200).await;
        let q = attempt_question(&submitted, single);
        if show {
            assert_eq!(q["correct_answer"], json!({"correct": [beta]}), "{q}");
            assert_eq!(q["explanation"], "SECRET-EXPLANATION");
        } else {
            assert!(q["correct_answer"].is_null(), "{q}");
            assert!(q["explanation"].is_null(), "{q}");
            let raw = expect_text(
                w.app
                    .get_as(&format!("/api/v1/attempts/{attempt}"), &w.learner)
                    .await,
                200,
            )
            .await;
            for s in secrets {
                assert!(!raw.contains(s), "`{s}` leaked after submission: {raw}");
            }
        }
        assert_eq!(dec(&q["points_awarded"]), d("1"));
    }
}

#[tokio::test]
async fn multiple_choice_gives_partial_credit() {
    let w = world().await;
    let quiz = id_of(&w.quiz(json!({"title": "Partial"})).await);
    let partial = id_of(
        &w.question(
            quiz,
            json!({"kind": "multiple_choice", "prompt": "Pick a and c", "points": "4",
                   "options": ["a", "b", "c", "d"], "correct_options": [0, 2], "partial_credit": true}),
        )
        .await,
    );
    let strict = id_of(
        &w.question(
            quiz,
            json!({"kind": "multiple_choice", "prompt": "Pick a and c too", "points": "4",
                   "options": ["a", "b", "c", "d"], "correct_options": [0, 2]}),
        )
        .await,
    );
    // (partial answer, strict answer, partial points, strict points)
    let cases = [
        (vec!["a"], vec!["a"], "2", "0"),
        (vec!["a", "b"], vec!["a", "c", "d"], "0", "0"),
        (vec!["c", "a"], vec!["a", "c"], "4", "4"),
        (vec!["a", "b", "c"], vec![], "2", "0"),
    ];
    for (pa, sa, pp, sp) in cases {
        let started = w.started(&w.learner, quiz).await;
        let attempt = id_of(&started);
        let ids = |q: Uuid, texts: &[&str]| -> Vec<String> {
            texts
                .iter()
                .map(|t| option_id(attempt_question(&started, q), t))
                .collect()
        };
        expect(
            w.save(
                &w.learner,
                attempt,
                json!([
                    {"question_id": partial, "answer": ids(partial, &pa)},
                    {"question_id": strict, "answer": ids(strict, &sa)},
                ]),
            )
            .await,
            200,
        )
        .await;
        let graded = expect(w.submit(&w.learner, attempt).await, 200).await;
        assert_eq!(
            dec(&attempt_question(&graded, partial)["points_awarded"]),
            d(pp),
            "partial {pa:?}"
        );
        assert_eq!(
            dec(&attempt_question(&graded, strict)["points_awarded"]),
            d(sp),
            "strict {sa:?}"
        );
        assert_eq!(dec(&graded["score"]), d(pp) + d(sp));
    }
}

#[tokio::test]
async fn answers_after_the_deadline_are_refused_and_the_attempt_submits_itself() {
    let app = TestApp::spawn_with(|s| s.assessments.grace_seconds = 0).await;
    let w = world_with(app, &["text"]).await;
    let quiz = id_of(
        &w.quiz(json!({"title": "Timed", "time_limit_seconds": 1}))
            .await,
    );
    let q1 = id_of(
        &w.question(
            quiz,
            json!({"kind": "true_false", "prompt": "One?", "correct": true}),
        )
        .await,
    );
    let q2 = id_of(
        &w.question(
            quiz,
            json!({"kind": "true_false", "prompt": "Two?", "correct": true}),
        )
        .await,
    );
    // An untimed quiz whose window closes in a second: the window's end is the deadline.
    let (window, wq) = w.tf_quiz(json!({"title": "Closing"}), "1").await;
    let started = w.started(&w.learner, quiz).await;
    assert!(started["deadline_at"].is_string(), "timed: {started}");
    let attempt = id_of(&started);
    expect(
        w.save(
            &w.learner,
            attempt,
            json!([{"question_id": q1, "answer": true}]),
        )
        .await,
        200,
    )
    .await;
    let until = Utc::now() + chrono::Duration::milliseconds(1200);
    expect(
        w.app
            .patch_as(
                &format!("/api/v1/quizzes/{window}"),
                &w.instructor,
                &json!({"available_until": until.to_rfc3339()}),
            )
            .await,
        200,
    )
    .await;
    let windowed = w.started(&w.learner, window).await;
    let deadline: chrono::DateTime<Utc> =
        serde_json::from_value(windowed["deadline_at"].clone()).expect("a deadline");
    assert!(
        (deadline - until).num_milliseconds().abs() < 1000,
        "the window's end: {windowed}"
    );
    let windowed = id_of(&windowed);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_problem(
        w.save(
            &w.learner,
            windowed,
            json!([{"question_id": wq, "answer": true}]),
        )
        .await,
        409,
        "deadline_passed",
    )
    .await;
    assert_problem(
        w.save(
            &w.learner,
            attempt,
            json!([{"question_id": q1, "answer": false}, {"question_id": q2, "answer": true}]),
        )
        .await,
        409,
        "deadline_passed",
    )
    .await;
    let after = expect(
        w.app
            .get_as(&format!("/api/v1/attempts/{attempt}"), &w.learner)
            .await,
        200,
    )
    .await;
    assert_eq!(after["status"], "graded", "{after}");
    assert_eq!(after["auto_submitted"], true);
    assert_eq!(
        attempt_question(&after, q1)["response"],
        true,
        "the first answer stays"
    );
    assert!(
        attempt_question(&after, q2)["response"].is_null(),
        "the late answer was not stored"
    );
    assert_eq!(dec(&attempt_question(&after, q1)["points_awarded"]), d("1"));
    assert_eq!(dec(&after["score"]), d("1"));
    assert_eq!(dec(&after["percent"]), d("50"));
    assert_eq!(after["passed"], false);
    assert_problem(w.submit(&w.learner, attempt).await, 409, "attempt_closed").await;

    // An expired attempt that nobody touched is closed when the learner starts the next one.
    let second = id_of(&w.started(&w.learner, quiz).await);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let third = w.started(&w.learner, quiz).await;
    assert_eq!(third["number"], 3);
    let second = expect(
        w.app
            .get_as(&format!("/api/v1/attempts/{second}"), &w.learner)
            .await,
        200,
    )
    .await;
    assert_eq!(second["status"], "graded");
    assert_eq!(second["auto_submitted"], true);
    assert_eq!(dec(&second["score"]), d("0"));
}

#[tokio::test]
async fn attempts_are_limited_one_open_at_a_time() {
    let w = world().await;
    let (once, q) = w.tf_quiz(json!({"max_attempts": 1}), "1").await;
    w.take_tf(&w.learner, once, q, false).await;
    assert_problem(w.start(&w.learner, once).await, 422, "max_attempts_reached").await;

    let (open, _) = w.tf_quiz(json!({"title": "Open"}), "1").await;
    let first = id_of(&w.started(&w.learner, open).await);
    let problem = assert_problem(w.start(&w.learner, open).await, 409, "attempt_in_progress").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&first.to_string()),
        "{problem}"
    );
    // After submitting, the next attempt starts with the next number.
    expect(w.submit(&w.learner, first).await, 200).await;
    let second = w.started(&w.learner, open).await;
    assert_eq!(second["number"], 2);

    // An empty quiz cannot be attempted.
    let empty = id_of(&w.quiz(json!({"title": "Empty"})).await);
    assert_problem(w.start(&w.learner, empty).await, 422, "assessment_empty").await;
}

#[tokio::test]
async fn assessments_open_only_within_their_window() {
    let w = world().await;
    let later = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let earlier = (Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let (future, _) = w
        .tf_quiz(json!({"title": "Future", "available_from": later}), "1")
        .await;
    assert_problem(
        w.start(&w.learner, future).await,
        422,
        "assessment_not_available",
    )
    .await;
    let (past, _) = w
        .tf_quiz(json!({"title": "Past", "available_until": earlier}), "1")
        .await;
    assert_problem(
        w.start(&w.learner, past).await,
        422,
        "assessment_not_available",
    )
    .await;
    let (open, _) = w
        .tf_quiz(
            json!({"title": "Open now", "available_from": earlier, "available_until": later}),
            "1",
        )
        .await;
    w.started(&w.learner, open).await;
    // Opening the window later lets learners in.
    expect(
        w.app
            .patch_as(
                &format!("/api/v1/quizzes/{future}"),
                &w.instructor,
                &json!({"available_from": null}),
            )
            .await,
        200,
    )
    .await;
    w.started(&w.learner, future).await;
    // A window that closes before it opens is refused.
    assert_problem(
        w.app
            .post_as(
                &format!("/api/v1/courses/{}/quizzes", w.course.id),
                &w.instructor,
                &json!({"title": "Backwards", "available_from": later, "available_until": earlier}),
            )
            .await,
        422,
        "validation_failed",
    )
    .await;
}

// ------------------------------------------------------------------ manual grading

#[tokio::test]
async fn essays_are_graded_by_hand_and_then_the_attempt_settles() {
    let w = world().await;
    let quiz = id_of(
        &w.quiz(json!({"title": "Essay quiz", "pass_score": "80"}))
            .await,
    );
    let essay = id_of(
        &w.question(
            quiz,
            json!({"kind": "essay", "prompt": "Explain lifetimes.", "points": "5"}),
        )
        .await,
    );
    let tf = id_of(
        &w.question(
            quiz,
            json!({"kind": "true_false", "prompt": "Lifetimes are checked at compile time?", "correct": true, "points": "5"}),
        )
        .await,
    );
    let attempt = id_of(&w.started(&w.learner, quiz).await);
    let saved = expect(
        w.save(
            &w.learner,
            attempt,
            json!([
                {"question_id": essay, "answer": "They bound how long references live."},
                {"question_id": tf, "answer": true},
            ]),
        )
        .await,
        200,
    )
    .await;
    let response_id: Uuid = attempt_question(&saved, essay)["response_id"]
        .as_str()
        .expect("a response id once saved")
        .parse()
        .unwrap();
    let grade_path = format!("/api/v1/responses/{response_id}/grade");

    // Not submitted yet: nothing to grade.
    assert_problem(
        w.app
            .post_as(&grade_path, &w.instructor, &json!({"points": "4"}))
            .await,
        409,
        "attempt_open",
    )
    .await;

    let submitted = expect(w.submit(&w.learner, attempt).await, 200).await;
    assert_eq!(submitted["status"], "submitted");
    assert!(submitted["score"].is_null());
    assert!(submitted["passed"].is_null());
    assert_eq!(
        dec(&attempt_question(&submitted, tf)["points_awarded"]),
        d("5")
    );

    let pending = expect(
        w.app
            .get_as(
                &format!("/api/v1/quizzes/{quiz}/submissions"),
                &w.instructor,
            )
            .await,
        200,
    )
    .await;
    let pending = pending.as_array().expect("a list");
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(pending[0]["response_id"], response_id.to_string());
    assert_eq!(pending[0]["attempt_id"], attempt.to_string());
    assert_eq!(pending[0]["user_id"], w.learner.id.to_string());
    assert_eq!(pending[0]["kind"], "essay");
    assert_eq!(pending[0]["answer"], "They bound how long references live.");
    assert_eq!(dec(&pending[0]["points_possible"]), d("5"));
    assert!(pending[0]["points"].is_null());
    assert_problem(
        w.app
            .get_as(&format!("/api/v1/quizzes/{quiz}/submissions"), &w.learner)
            .await,
        403,
        "forbidden",
    )
    .await;

    // Learners never grade: their own work is forbidden, someone else's does not exist.
    assert_problem(
        w.app
            .post_as(&grade_path, &w.learner, &json!({"points": "5"}))
            .await,
        403,
        "forbidden",
    )
    .await;
    let stranger = w.app.signup("stranger@example.com").await;
    assert_problem(
        w.app
            .post_as(&grade_path, &stranger, &json!({"points": "5"}))
            .await,
        404,
        "not_found",
    )
    .await;
    let problem = assert_problem(
        w.app
            .post_as(&grade_path, &w.instructor, &json!({"points": "6"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&problem), ["#/points"]);
    assert_problem(
        w.app
            .post_as(&grade_path, &w.instructor, &json!({"points": "-1"}))
            .await,
        422,
        "validation_failed",
    )
    .await;

    let graded = expect(
        w.app
            .post_as(
                &grade_path,
                &w.instructor,
                &json!({"points": "4", "feedback": "good"}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(graded["status"], "graded", "{graded}");
    assert_eq!(dec(&graded["score"]), d("9"));
    assert_eq!(dec(&graded["percent"]), d("90"));
    assert_eq!(graded["passed"], true);

    let mine = expect(
        w.app
            .get_as(&format!("/api/v1/attempts/{attempt}"), &w.learner)
            .await,
        200,
    )
    .await;
    assert_eq!(mine["status"], "graded");
    let q = attempt_question(&mine, essay);
    assert_eq!(dec(&q["points_awarded"]), d("4"));
    assert_eq!(q["feedback"], "good");

    // Nothing waits any more; `all` still lists the graded essay.
    let pending = expect(
        w.app
            .get_as(
                &format!("/api/v1/quizzes/{quiz}/submissions"),
                &w.instructor,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(pending, json!([]));
    let all = expect(
        w.app
            .get_as(
                &format!("/api/v1/quizzes/{quiz}/submissions?status=all"),
                &w.instructor,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(all.as_array().map(Vec::len), Some(1));
    assert_eq!(dec(&all[0]["points"]), d("4"));
    assert_eq!(all[0]["feedback"], "good");

    // A regrade moves the score (and may fail the attempt).
    let regraded = expect(
        w.app
            .post_as(&grade_path, &w.instructor, &json!({"points": "2.5"}))
            .await,
        200,
    )
    .await;
    assert_eq!(dec(&regraded["score"]), d("7.5"));
    assert_eq!(dec(&regraded["percent"]), d("75"));
    assert_eq!(regraded["passed"], false);
    // ... and back: passing again announces nothing new and pays nothing more.
    let full = expect(
        w.app
            .post_as(&grade_path, &w.instructor, &json!({"points": "5"}))
            .await,
        200,
    )
    .await;
    assert_eq!(dec(&full["score"]), d("10"));
    assert_eq!(full["passed"], true);
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT count(*) AS n FROM domain_events WHERE kind = 'assessment_passed' AND user_id = '{}'",
                w.learner.id
            ))
            .await,
        1,
        "the first pass is announced once"
    );
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT count(*) AS n FROM reward_grants WHERE user_id = '{}'",
                w.learner.id
            ))
            .await,
        1
    );
    assert_eq!(w.azr(&w.learner).await, d("5"));
}

// ------------------------------------------------------------------ gradebook

#[tokio::test]
async fn the_gradebook_weighs_assessments_and_exports_csv() {
    let w = world().await;
    let idle = w.app.signup("idle@example.com").await;
    enroll(&w.app, w.course.id, &idle).await;
    let outsider = w.app.signup("outsider@example.com").await;

    let (quiz_a, qa) = w
        .tf_quiz(json!({"title": "Quiz A", "weight": "1"}), "1")
        .await;
    let final_b = id_of(
        &w.quiz(json!({"title": "Final B", "kind": "final_exam", "weight": "3"}))
            .await,
    );
    let b1 = id_of(
        &w.question(
            final_b,
            json!({"kind": "true_false", "prompt": "B1?", "correct": true}),
        )
        .await,
    );
    let b2 = id_of(
        &w.question(
            final_b,
            json!({"kind": "true_false", "prompt": "B2?", "correct": true}),
        )
        .await,
    );
    w.take_tf(&w.learner, quiz_a, qa, true).await;
    let attempt = id_of(&w.started(&w.learner, final_b).await);
    expect(
        w.save(
            &w.learner,
            attempt,
            json!([{"question_id": b1, "answer": true}, {"question_id": b2, "answer": false}]),
        )
        .await,
        200,
    )
    .await;
    let graded = expect(w.submit(&w.learner, attempt).await, 200).await;
    assert_eq!(dec(&graded["percent"]), d("50"));

    let book = expect(
        w.app
            .get_as(
                &format!("/api/v1/courses/{}/gradebook", w.course.id),
                &w.instructor,
            )
            .await,
        200,
    )
    .await;
    let titles: Vec<&str> = book["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Quiz A", "Final B"]);
    assert_eq!(dec(&book["columns"][1]["weight"]), d("3"));
    let rows = book["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "one row per enrolled learner: {book}");
    let row = |u: &TestUser| {
        rows.iter()
            .find(|r| r["user_id"] == u.id.to_string())
            .unwrap_or_else(|| panic!("a row for {}", u.email))
            .clone()
    };
    assert!(
        !rows.iter().any(|r| r["user_id"] == outsider.id.to_string()),
        "only enrolled learners"
    );
    let mine = row(&w.learner);
    assert_eq!(mine["email"], "learner@example.com");
    assert_eq!(dec(&mine["grades"][0]["percent"]), d("100"));
    assert_eq!(mine["grades"][0]["passed"], true);
    assert_eq!(mine["grades"][0]["attempts"], 1);
    assert_eq!(dec(&mine["grades"][1]["percent"]), d("50"));
    assert_eq!(mine["grades"][1]["passed"], false);
    // (100 × 1 + 50 × 3) / 4 = 62.5
    assert_eq!(dec(&mine["course_grade"]), d("62.5"));
    assert_eq!(
        mine["passed"], false,
        "the required final exam is not passed even though 62.5 >= 60"
    );
    let none = row(&idle);
    assert_eq!(dec(&none["course_grade"]), d("0"));
    assert!(none["grades"][0]["percent"].is_null());
    assert_eq!(none["grades"][0]["attempts"], 0);
    assert_eq!(none["passed"], false);

    // Admins grade every course; learners see only their own grades.
    let by_admin = expect(
        w.app
            .get_as(
                &format!("/api/v1/courses/{}/gradebook", w.course.id),
                &w.admin,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(by_admin["rows"], book["rows"]);
    assert_problem(
        w.app
            .get_as(
                &format!("/api/v1/courses/{}/gradebook", w.course.id),
                &w.learner,
            )
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        w.app
            .get_as(
                &format!("/api/v1/courses/{}/gradebook?format=csv", w.course.id),
                &w.learner,
            )
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        w.app
            .get_as(
                &format!("/api/v1/courses/{}/gradebook?format=xml", w.course.id),
                &w.instructor,
            )
            .await,
        422,
        "validation_failed",
    )
    .await;

    let resp = w
        .app
        .get_as(
            &format!("/api/v1/courses/{}/gradebook?format=csv", w.course.id),
            &w.instructor,
        )
        .await;
    assert_eq!(resp.status(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "header + one row per learner: {csv}");
    assert_eq!(
        lines[0],
        "user_id,display_name,email,Quiz A (quiz),Final B (final_exam),course_grade,passed"
    );
    let line = lines
        .iter()
        .find(|l| l.starts_with(&w.learner.id.to_string()))
        .expect("the learner's row");
    assert!(
        line.ends_with(",learner@example.com,100,50,62.5,false"),
        "{line}"
    );
    let line = lines
        .iter()
        .find(|l| l.starts_with(&idle.id.to_string()))
        .expect("the idle learner's row");
    assert!(line.ends_with(",idle@example.com,,,0,false"), "{line}");

    let grades = expect(w.app.get_as("/api/v1/me/grades", &w.learner).await, 200).await;
    let grades = grades.as_array().unwrap();
    assert_eq!(grades.len(), 1);
    assert_eq!(grades[0]["course_id"], w.course.id.to_string());
    assert_eq!(dec(&grades[0]["course_grade"]), d("62.5"));
    assert_eq!(grades[0]["passed"], false);
    assert_eq!(grades[0]["grades"][0]["title"], "Quiz A");
    assert_eq!(dec(&grades[0]["grades"][0]["percent"]), d("100"));
    assert_eq!(dec(&grades[0]["grades"][1]["weight"]), d("3"));
    assert_eq!(
        expect(w.app.get_as("/api/v1/me/grades", &outsider).await, 200).await,
        json!([])
    );
}

#[tokio::test]
async fn the_gradebook_counts_the_best_or_the_last_attempt() {
    let w = world().await;
    let (best, qb) = w
        .tf_quiz(json!({"title": "Best", "grading_policy": "best"}), "1")
        .await;
    let (last, ql) = w
        .tf_quiz(json!({"title": "Last", "grading_policy": "last"}), "1")
        .await;
    for (quiz, q) in [(best, qb), (last, ql)] {
        w.take_tf(&w.learner, quiz, q, true).await;
        w.take_tf(&w.learner, quiz, q, false).await;
    }
    let book = expect(
        w.app
            .get_as(
                &format!("/api/v1/courses/{}/gradebook", w.course.id),
                &w.instructor,
            )
            .await,
        200,
    )
    .await;
    let row = &book["rows"][0];
    assert_eq!(
        dec(&row["grades"][0]["percent"]),
        d("100"),
        "best of 100 and 0"
    );
    assert_eq!(row["grades"][0]["attempts"], 2);
    assert_eq!(
        dec(&row["grades"][1]["percent"]),
        d("0"),
        "last of 100 and 0"
    );
    assert_eq!(row["grades"][1]["passed"], false);
    assert_eq!(dec(&row["course_grade"]), d("50"));
    assert_eq!(
        row["passed"], false,
        "50 is below the course pass score of 60"
    );

    // An attempt waiting for a grader is pending and does not count yet.
    let essay = id_of(&w.quiz(json!({"title": "Essay"})).await);
    let eq = id_of(
        &w.question(essay, json!({"kind": "essay", "prompt": "Write."}))
            .await,
    );
    let attempt = id_of(&w.started(&w.learner, essay).await);
    expect(
        w.save(
            &w.learner,
            attempt,
            json!([{"question_id": eq, "answer": "Words."}]),
        )
        .await,
        200,
    )
    .await;
    expect(w.submit(&w.learner, attempt).await, 200).await;
    let grades = expect(w.app.get_as("/api/v1/me/grades", &w.learner).await, 200).await;
    let cell = &grades[0]["grades"][2];
    assert_eq!(cell["pending"], true, "{grades}");
    assert!(cell["percent"].is_null());
    assert_eq!(dec(&grades[0]["course_grade"]), d("33.33"));
}

// ------------------------------------------------------------------ rewards and the LMS

#[tokio::test]
async fn a_pass_pays_the_reward_once() {
    let w = world().await;
    let (quiz, q) = w.tf_quiz(json!({"title": "Rewarding"}), "1").await;
    let grants = format!(
        "SELECT count(*) AS n FROM reward_grants WHERE user_id = '{}'",
        w.learner.id
    );
    assert_eq!(w.azr(&w.learner).await, Decimal::ZERO);
    let failed = w.take_tf(&w.learner, quiz, q, false).await;
    assert_eq!(failed["passed"], false);
    assert_eq!(
        w.azr(&w.learner).await,
        Decimal::ZERO,
        "a fail pays nothing"
    );
    assert_eq!(w.app.count(&grants).await, 0);

    let passed = w.take_tf(&w.learner, quiz, q, true).await;
    assert_eq!(passed["passed"], true);
    assert_eq!(w.azr(&w.learner).await, d("5"), "the default pass reward");
    assert_eq!(w.app.count(&grants).await, 1);

    let again = w.take_tf(&w.learner, quiz, q, true).await;
    assert_eq!(again["passed"], true);
    assert_eq!(
        w.azr(&w.learner).await,
        d("5"),
        "a second pass pays nothing more"
    );
    assert_eq!(w.app.count(&grants).await, 1);

    // A quiz's own reward replaces the default.
    let (own, q2) = w
        .tf_quiz(json!({"title": "Own reward", "reward": "2.5"}), "1")
        .await;
    let view = expect(
        w.app
            .get_as(&format!("/api/v1/quizzes/{own}"), &w.learner)
            .await,
        200,
    )
    .await;
    assert_eq!(dec(&view["reward"]), d("2.5"));
    w.take_tf(&w.learner, own, q2, true).await;
    assert_eq!(w.azr(&w.learner).await, d("7.5"));
    assert_eq!(w.app.count(&grants).await, 2);
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT count(*) AS n FROM domain_events WHERE kind = 'assessment_passed' AND user_id = '{}'",
                w.learner.id
            ))
            .await,
        2,
        "one pass event per assessment"
    );

    // The reward can change later, and `null` returns to the platform default.
    let path = format!("/api/v1/quizzes/{own}");
    let changed = expect(
        w.app
            .patch_as(&path, &w.instructor, &json!({"reward": "7"}))
            .await,
        200,
    )
    .await;
    assert_eq!(dec(&changed["reward"]), d("7"));
    let reset = expect(
        w.app
            .patch_as(&path, &w.instructor, &json!({"reward": null}))
            .await,
        200,
    )
    .await;
    assert_eq!(dec(&reset["reward"]), d("5"));
    let bad = w
        .app
        .patch_as(&path, &w.instructor, &json!({"reward": "-1"}))
        .await;
    assert_problem(bad, 422, "validation_failed").await;
}

#[tokio::test]
async fn passing_a_lesson_quiz_completes_the_lesson() {
    let app = TestApp::spawn().await;
    let w = world_with(app, &["text", "quiz"]).await;
    let quiz_lesson = w.course.lessons[1];
    let (quiz, q) = w
        .tf_quiz(
            json!({"title": "Lesson quiz", "lesson_id": quiz_lesson}),
            "1",
        )
        .await;
    let progress_path = format!("/api/v1/courses/{}/progress", w.course.id);
    let lesson_status = |progress: &Value, lesson: Uuid| -> Option<String> {
        progress["lessons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["lesson_id"] == lesson.to_string())
            .map(|l| l["status"].as_str().unwrap().to_owned())
    };

    w.take_tf(&w.learner, quiz, q, false).await;
    let progress = expect(w.app.get_as(&progress_path, &w.learner).await, 200).await;
    assert_ne!(
        lesson_status(&progress, quiz_lesson).as_deref(),
        Some("completed"),
        "a fail completes nothing"
    );
    // Nor can the learner mark it completed by hand: the quiz decides.
    assert_problem(
        put_as(
            &w.app,
            &format!("/api/v1/lessons/{quiz_lesson}/progress"),
            &w.learner,
            &json!({"status": "completed"}),
        )
        .await,
        422,
        "assessment_required",
    )
    .await;
    let started = put_as(
        &w.app,
        &format!("/api/v1/lessons/{quiz_lesson}/progress"),
        &w.learner,
        &json!({"status": "started", "time_spent_seconds": 30}),
    )
    .await;
    assert_eq!(started.status(), 200);

    w.take_tf(&w.learner, quiz, q, true).await;
    let progress = expect(w.app.get_as(&progress_path, &w.learner).await, 200).await;
    assert_eq!(
        lesson_status(&progress, quiz_lesson).as_deref(),
        Some("completed"),
        "{progress}"
    );
    assert_eq!(progress["completed_lessons"], 1);
    assert_eq!(progress["enrollment"]["status"], "active");

    // A lesson of another course cannot hold this course's quiz.
    let other = course_with(&w.app, &w.instructor, &w.admin, &["text"], false).await;
    let problem = assert_problem(
        w.app
            .post_as(
                &format!("/api/v1/courses/{}/quizzes", w.course.id),
                &w.instructor,
                &json!({"title": "Elsewhere", "lesson_id": other.lessons[0]}),
            )
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(pointers(&problem), ["#/lesson_id"]);
}

#[tokio::test]
async fn a_final_exam_gates_course_completion() {
    let app = TestApp::spawn().await;
    let w = world_with(app, &["text", "text"]).await;
    let (exam, q) = w
        .tf_quiz(json!({"title": "Final", "kind": "final_exam"}), "1")
        .await;
    let view = expect(
        w.app
            .get_as(&format!("/api/v1/quizzes/{exam}"), &w.learner)
            .await,
        200,
    )
    .await;
    assert_eq!(view["kind"], "final_exam");
    assert_eq!(
        view["required_for_completion"], true,
        "the default for a final exam"
    );

    for lesson in &w.course.lessons {
        let done = expect(
            put_as(
                &w.app,
                &format!("/api/v1/lessons/{lesson}/progress"),
                &w.learner,
                &json!({"status": "completed"}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(done["course_completed"], false);
    }
    let enrollment_status = || async {
        let page = expect(
            w.app.get_as("/api/v1/me/enrollments", &w.learner).await,
            200,
        )
        .await;
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["course_id"] == w.course.id.to_string())
            .map(|e| e["status"].as_str().unwrap().to_owned())
            .expect("the enrollment")
    };
    assert_eq!(
        enrollment_status().await,
        "active",
        "every lesson done, final not passed"
    );

    w.take_tf(&w.learner, exam, q, false).await;
    assert_eq!(
        enrollment_status().await,
        "active",
        "a failed final completes nothing"
    );

    let passed = w.take_tf(&w.learner, exam, q, true).await;
    assert_eq!(passed["passed"], true);
    assert_eq!(enrollment_status().await, "completed");
    // The pass reward (5) and the course's completion reward (10).
    assert_eq!(w.azr(&w.learner).await, d("15"));
}

// ------------------------------------------------------------------ privacy and freezing

#[tokio::test]
async fn attempts_are_private_and_need_an_enrollment() {
    let w = world().await;
    let (quiz, q) = w.tf_quiz(json!({"title": "Private"}), "1").await;
    let peer = w.app.signup("peer@example.com").await;
    enroll(&w.app, w.course.id, &peer).await;
    let outsider = w.app.signup("outsider@example.com").await;

    let attempt = id_of(&w.started(&w.learner, quiz).await);
    let answers = json!([{"question_id": q, "answer": true}]);
    expect(w.save(&w.learner, attempt, answers.clone()).await, 200).await;
    for who in [&peer, &outsider] {
        assert_problem(
            w.app
                .get_as(&format!("/api/v1/attempts/{attempt}"), who)
                .await,
            404,
            "not_found",
        )
        .await;
        assert_problem(
            w.save(who, attempt, answers.clone()).await,
            404,
            "not_found",
        )
        .await;
        assert_problem(w.submit(who, attempt).await, 404, "not_found").await;
    }
    assert_problem(
        w.app
            .get_as(&format!("/api/v1/attempts/{}", Uuid::now_v7()), &w.learner)
            .await,
        404,
        "not_found",
    )
    .await;
    // The instructor may read it (with the key), but not answer or submit for the learner.
    let staff = expect(
        w.app
            .get_as(&format!("/api/v1/attempts/{attempt}"), &w.instructor)
            .await,
        200,
    )
    .await;
    assert_eq!(attempt_question(&staff, q)["response"], true);
    assert_eq!(
        attempt_question(&staff, q)["correct_answer"],
        json!({"value": true})
    );
    assert_problem(w.submit(&w.instructor, attempt).await, 404, "not_found").await;
    let mine = expect(
        w.app
            .get_as(&format!("/api/v1/attempts/{attempt}"), &w.learner)
            .await,
        200,
    )
    .await;
    assert_eq!(mine["status"], "in_progress", "nobody else touched it");

    assert_problem(w.start(&outsider, quiz).await, 403, "not_enrolled").await;
    let view = expect(
        w.app
            .get_as(&format!("/api/v1/quizzes/{quiz}"), &peer)
            .await,
        200,
    )
    .await;
    assert_eq!(
        view["my_attempts"],
        json!([]),
        "only the caller's own attempts"
    );
}

#[tokio::test]
async fn questions_freeze_once_an_attempt_exists() {
    let w = world().await;
    let (quiz, q) = w.tf_quiz(json!({"title": "Frozen"}), "1").await;
    // Before any attempt, questions can change: insert first, move last, delete.
    let extra = w
        .question(
            quiz,
            json!({"kind": "true_false", "prompt": "Extra?", "correct": false, "position": 0}),
        )
        .await;
    assert_eq!(extra["position"], 0);
    let extra = id_of(&extra);
    let staff = expect(
        w.app
            .get_as(&format!("/api/v1/quizzes/{quiz}"), &w.instructor)
            .await,
        200,
    )
    .await;
    assert_eq!(staff["questions"][0]["id"], extra.to_string());
    assert_eq!(staff["questions"][1]["id"], q.to_string());
    assert_eq!(staff["questions"][1]["position"], 1);
    let changed = expect(
        put_as(
            &w.app,
            &format!("/api/v1/questions/{extra}"),
            &w.instructor,
            &json!({"kind": "true_false", "prompt": "Changed?", "correct": true, "position": 1}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["position"], 1);
    assert_eq!(changed["prompt"], "Changed?");
    assert_eq!(changed["answer"], json!({"value": true}));
    expect(
        w.app
            .delete_as(&format!("/api/v1/questions/{extra}"), &w.instructor)
            .await,
        204,
    )
    .await;

    w.started(&w.learner, quiz).await;
    assert_problem(
        w.app
            .post_as(
                &format!("/api/v1/quizzes/{quiz}/questions"),
                &w.instructor,
                &json!({"kind": "true_false", "prompt": "Late?", "correct": true}),
            )
            .await,
        409,
        "assessment_has_attempts",
    )
    .await;
    assert_problem(
        put_as(
            &w.app,
            &format!("/api/v1/questions/{q}"),
            &w.instructor,
            &json!({"kind": "true_false", "prompt": "Flip?", "correct": false}),
        )
        .await,
        409,
        "assessment_has_attempts",
    )
    .await;
    assert_problem(
        w.app
            .delete_as(&format!("/api/v1/questions/{q}"), &w.instructor)
            .await,
        409,
        "assessment_has_attempts",
    )
    .await;
    let staff = expect(
        w.app
            .get_as(&format!("/api/v1/quizzes/{quiz}"), &w.instructor)
            .await,
        200,
    )
    .await;
    assert_eq!(staff["question_count"], 1);
    assert_eq!(staff["questions"][0]["id"], q.to_string());
    assert_eq!(staff["questions"][0]["position"], 0);
    assert_eq!(staff["questions"][0]["answer"], json!({"value": true}));
}

#[tokio::test]
async fn concurrent_starts_and_submits_do_not_duplicate() {
    let w = world().await;
    let (quiz, q) = w.tf_quiz(json!({"title": "Race"}), "1").await;
    let starts = join_all((0..5).map(|_| w.start(&w.learner, quiz))).await;
    let mut statuses: Vec<u16> = starts.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409, 409, 409, 409]);
    for resp in starts {
        if resp.status() == 409 {
            assert_problem(resp, 409, "attempt_in_progress").await;
        }
    }
    let attempt = id_of(
        &expect(
            w.app
                .get_as(&format!("/api/v1/quizzes/{quiz}"), &w.learner)
                .await,
            200,
        )
        .await["my_attempts"][0],
    );
    expect(
        w.save(
            &w.learner,
            attempt,
            json!([{"question_id": q, "answer": true}]),
        )
        .await,
        200,
    )
    .await;
    let submits = join_all((0..4).map(|_| w.submit(&w.learner, attempt))).await;
    let mut statuses: Vec<u16> = submits.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409]);
    assert_eq!(w.azr(&w.learner).await, d("5"), "rewarded once");
    assert_eq!(
        w.app
            .count(&format!(
                "SELECT count(*) AS n FROM attempts WHERE user_id = '{}'",
                w.learner.id
            ))
            .await,
        1
    );
}
