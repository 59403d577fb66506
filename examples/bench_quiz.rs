//! Quiz submission under a burst: N learners (200) submit a 20-question quiz at the same
//! moment. Run by `bench/assessments.sh`, against a server it started on its own database.
//!
//! `cargo run --release --example bench_quiz -- <base_url> <database_url> [learners=200] [rounds=3]`
//!
//! Arranged (not measured): the seeded educator creates a free course with one lesson and a
//! quiz of 20 auto-graded questions (single choice, multiple choice with partial credit,
//! true/false, short answer, numeric; four of each), which the seeded admin publishes. The
//! learners are inserted with SQL (verified, global `student`, the demo password's hash copied
//! from `student@azora.world`), then sign in and enroll through the API. Each round every
//! learner starts a new attempt and saves all 20 answers (one request each, all at once, which
//! also leaves one warm connection per learner).
//!
//! Measured: all N `POST /attempts/{id}/submit` released together; each latency is from the
//! release to the parsed response. Prints submissions/s (N / wall time), p50, p95, p99 and max
//! per round, and checks every answer was 200 with status `graded`, as the database also says.
//! Round 1 pays the first-pass rewards (a ledger posting per passing learner); later rounds
//! find them paid.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Barrier;

#[path = "support/bench.rs"]
mod bench;
use bench::*;

const QUESTIONS: usize = 20;

fn question(j: usize) -> Value {
    let n = j + 1;
    match j % 5 {
        0 => json!({
            "kind": "single_choice",
            "prompt": format!("Question {n}: which option is the right one?"),
            "points": "1",
            "options": ["Alpha", "Bravo", "Charlie", "Delta"],
            "correct_options": [j % 4],
        }),
        1 => json!({
            "kind": "multiple_choice",
            "prompt": format!("Question {n}: pick every right option."),
            "points": "2",
            "options": ["Alpha", "Bravo", "Charlie", "Delta", "Echo"],
            "correct_options": [0, 2, 4],
            "partial_credit": true,
        }),
        2 => json!({
            "kind": "true_false",
            "prompt": format!("Question {n}: this statement is true."),
            "points": "1",
            "correct": j.is_multiple_of(2),
        }),
        3 => json!({
            "kind": "short_answer",
            "prompt": format!("Question {n}: name the capital of South Africa's executive."),
            "points": "1",
            "accepted_answers": ["Pretoria", "Tshwane"],
        }),
        _ => json!({
            "kind": "numeric",
            "prompt": format!("Question {n}: what is {n} squared, roughly?"),
            "points": "2",
            "numeric_answer": (n * n).to_string(),
            "tolerance": "0.5",
        }),
    }
}

/// Learner `i`'s answer to question `q` (the staff view, with its key) in round `r`: right
/// most of the time, wrong more often for some learners (so some attempts fail).
fn answer(q: &Value, i: usize, j: usize, r: usize) -> anyhow::Result<Value> {
    let right = (i * 31 + j * 17 + r * 7) % 10 >= i % 6;
    let key = &q["answer"];
    let option_ids: Vec<&str> = q["options"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["id"].as_str()).collect())
        .unwrap_or_default();
    let correct: Vec<&str> = key["correct"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let wrong_option = || {
        option_ids
            .iter()
            .find(|id| !correct.contains(id))
            .copied()
            .ok_or_else(|| anyhow!("no wrong option in {q}"))
    };
    Ok(match q["kind"].as_str().unwrap_or_default() {
        "single_choice" if right => json!(correct.first()),
        "single_choice" => json!(wrong_option()?),
        "multiple_choice" if right => json!(correct),
        "multiple_choice" => json!([correct.first(), wrong_option()?]),
        "true_false" => json!(key["value"].as_bool().map(|v| v == right)),
        "short_answer" if right => key["accepted"][0].clone(),
        "short_answer" => json!("Johannesburg"),
        "numeric" => {
            let v: f64 = key["value"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .ok_or_else(|| anyhow!("bad numeric key {key}"))?;
            json!(if right { v } else { v + 1000.0 })
        }
        other => bail!("unexpected kind {other}"),
    })
}

struct Submitted {
    latency: Duration,
    status: u16,
    graded: bool,
    body: Value,
}

struct Round {
    wall: Duration,
    sorted: Vec<Duration>,
    ok: usize,
    graded: usize,
    graded_in_db: i64,
    passed: usize,
    rewards: i64,
    first_error: Option<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        bail!(
            "usage: bench_quiz <base_url> <database_url> [learners=200] [rounds=3]\n\
             (bench/assessments.sh starts a server and runs this)"
        );
    }
    let learners: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200);
    let rounds: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(3);
    let (api, db, run_tag) = connect(&args[1], &args[2], learners).await?;
    let tag = run_tag.as_str();
    let started = Instant::now();

    // --- Course, lesson and quiz, through the API ---
    let educator = api.login("educator@azora.world").await?;
    let admin = api.login("admin@azora.world").await?;
    let course = api
        .expect(
            Method::POST,
            "/courses",
            Some(&educator),
            &[],
            Some(&json!({
                "title": format!("Quiz benchmark {tag}"),
                "description": "A course for the quiz submission benchmark.",
            })),
            201,
        )
        .await?;
    let course_id = str_of(&course["id"])?;
    let module = api
        .expect(
            Method::POST,
            &format!("/courses/{course_id}/modules"),
            Some(&educator),
            &[],
            Some(&json!({"title": "The only module"})),
            201,
        )
        .await?;
    api.expect(
        Method::POST,
        &format!("/modules/{}/lessons", str_of(&module["id"])?),
        Some(&educator),
        &[],
        Some(&json!({"title": "The only lesson", "kind": "text", "content": "Read this."})),
        201,
    )
    .await?;
    api.expect(
        Method::POST,
        &format!("/courses/{course_id}/publish"),
        Some(&admin),
        &[],
        Some(&json!({})),
        200,
    )
    .await?;
    let quiz = api
        .expect(
            Method::POST,
            &format!("/courses/{course_id}/quizzes"),
            Some(&educator),
            &[],
            Some(&json!({"title": "Benchmark quiz", "pass_score": "60"})),
            201,
        )
        .await?;
    let quiz_id = str_of(&quiz["id"])?;
    for j in 0..QUESTIONS {
        api.expect(
            Method::POST,
            &format!("/quizzes/{quiz_id}/questions"),
            Some(&educator),
            &[],
            Some(&question(j)),
            201,
        )
        .await?;
    }
    // The staff view holds the keys the learners' answers are made from.
    let staff_view = api
        .expect(
            Method::GET,
            &format!("/quizzes/{quiz_id}"),
            Some(&educator),
            &[],
            None,
            200,
        )
        .await?;
    let questions: Vec<Value> = staff_view["questions"]
        .as_array()
        .cloned()
        .ok_or_else(|| anyhow!("no questions in the staff view: {staff_view}"))?;
    if questions.len() != QUESTIONS {
        bail!("the quiz has {} questions", questions.len());
    }

    // --- Learners: inserted with SQL, signed in and enrolled through the API ---
    let (tokens, login_time) = sign_up_learners(&api, &db, "quiz", tag, learners).await?;
    let tokens = Arc::new(tokens);
    each(learners, 32, |i| {
        let (api, tokens, course_id) = (api.clone(), tokens.clone(), course_id.clone());
        async move {
            api.expect(
                Method::POST,
                &format!("/courses/{course_id}/enroll"),
                Some(&tokens[i]),
                &[],
                Some(&json!({})),
                201,
            )
            .await
        }
    })
    .await?;
    println!(
        "arranged: course, lesson, quiz of {QUESTIONS} questions; {learners} learners signed in ({:.0}/s) and enrolled",
        learners as f64 / login_time.as_secs_f64()
    );

    // --- Rounds ---
    let questions = Arc::new(questions);
    let rewards_sql = format!(
        "SELECT count(*) AS n FROM reward_grants WHERE dedupe_key LIKE 'assessment_pass:%:{quiz_id}'"
    );
    let mut results = Vec::new();
    for r in 1..=rounds {
        let attempts = each(learners, 32, |i| {
            let (api, tokens, quiz_id) = (api.clone(), tokens.clone(), quiz_id.clone());
            async move {
                let v = api
                    .expect(
                        Method::POST,
                        &format!("/quizzes/{quiz_id}/attempts"),
                        Some(&tokens[i]),
                        &[],
                        None,
                        201,
                    )
                    .await?;
                str_of(&v["id"])
            }
        })
        .await?;
        let attempts = Arc::new(attempts);
        each(learners, learners, |i| {
            let (api, tokens, attempts, questions) = (
                api.clone(),
                tokens.clone(),
                attempts.clone(),
                questions.clone(),
            );
            async move {
                let responses = questions
                    .iter()
                    .enumerate()
                    .map(|(j, q)| {
                        Ok(json!({"question_id": q["id"], "answer": answer(q, i, j, r)?}))
                    })
                    .collect::<anyhow::Result<Vec<_>>>()?;
                api.expect(
                    Method::PUT,
                    &format!("/attempts/{}/responses", attempts[i]),
                    Some(&tokens[i]),
                    &[],
                    Some(&json!({"responses": responses})),
                    200,
                )
                .await
            }
        })
        .await?;
        tokio::time::sleep(Duration::from_millis(500)).await;

        let rewards_before = sql_i64(&db, rewards_sql.clone()).await?;

        // Measured: every submit released at once.
        let barrier = Arc::new(Barrier::new(learners + 1));
        let mut tasks = Vec::with_capacity(learners);
        for i in 0..learners {
            let (api, tokens, attempts, barrier) = (
                api.clone(),
                tokens.clone(),
                attempts.clone(),
                barrier.clone(),
            );
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                let t0 = Instant::now();
                let (status, body) = api
                    .call(
                        Method::POST,
                        &format!("/attempts/{}/submit", attempts[i]),
                        Some(&tokens[i]),
                        &[],
                        None,
                    )
                    .await?;
                Ok::<_, anyhow::Error>(Submitted {
                    latency: t0.elapsed(),
                    status,
                    graded: body["status"] == "graded",
                    body,
                })
            }));
        }
        barrier.wait().await;
        let t0 = Instant::now();
        let mut done = Vec::with_capacity(learners);
        for task in tasks {
            done.push(task.await??);
        }
        let wall = t0.elapsed();

        let mut sorted: Vec<Duration> = done.iter().map(|s| s.latency).collect();
        sorted.sort_unstable();
        let ids = attempts
            .iter()
            .map(|a| format!("'{a}'"))
            .collect::<Vec<_>>()
            .join(",");
        results.push(Round {
            wall,
            sorted,
            ok: done.iter().filter(|s| s.status == 200).count(),
            graded: done.iter().filter(|s| s.status == 200 && s.graded).count(),
            graded_in_db: sql_i64(
                &db,
                format!(
                    "SELECT count(*) AS n FROM attempts WHERE status = 'graded' AND id IN ({ids})"
                ),
            )
            .await?,
            passed: done.iter().filter(|s| s.body["passed"] == true).count(),
            rewards: sql_i64(&db, rewards_sql.clone()).await? - rewards_before,
            first_error: done
                .iter()
                .find(|s| s.status != 200 || !s.graded)
                .map(|s| format!("{} {}", s.status, s.body)),
        });
    }

    // --- Report ---
    println!(
        "\n== Azora quiz submission: {learners} learners submit a {QUESTIONS}-question quiz at once ({} cores) ==",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:<6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8}",
        "round",
        "submits/s",
        "wall",
        "p50",
        "p95",
        "p99",
        "max",
        "200 OK",
        "graded",
        "passed",
        "rewards"
    );
    let mut failed = false;
    for (n, r) in results.iter().enumerate() {
        println!(
            "{:<6} {:>10.1} {:>10} {:>10} {:>10} {:>10} {:>10} {:>8} {:>8} {:>8} {:>8}",
            n + 1,
            learners as f64 / r.wall.as_secs_f64(),
            ms(r.wall),
            ms(pct(&r.sorted, 50.0)),
            ms(pct(&r.sorted, 95.0)),
            ms(pct(&r.sorted, 99.0)),
            ms(r.sorted.last().copied().unwrap_or_default()),
            format!("{}/{learners}", r.ok),
            format!("{}/{learners}", r.graded),
            r.passed,
            r.rewards,
        );
        if r.ok != learners || r.graded != learners || r.graded_in_db != learners as i64 {
            failed = true;
            println!(
                "  round {}: {} answered 200, {} graded in the response, {} graded in the database; first failure: {}",
                n + 1,
                r.ok,
                r.graded,
                r.graded_in_db,
                r.first_error.as_deref().unwrap_or("-")
            );
        }
    }
    println!(
        "check: {}",
        if failed {
            "FAILED (see above)".to_owned()
        } else {
            format!(
                "every submission answered 200 with status graded ({rounds} x {learners}), as the database says"
            )
        }
    );
    println!(
        "(rewards: first-pass AZR rewards posted during the round; total run time {:.1}s)",
        started.elapsed().as_secs_f64()
    );
    if failed {
        std::process::exit(1);
    }
    Ok(())
}
