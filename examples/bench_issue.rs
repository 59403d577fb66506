//! Certificate issuance under a burst: N learners (1,000) complete the only lesson of a course at
//! the same moment, and each completion issues the course certificate (a verifiable credential
//! with its Data Integrity proof and its VC-JWT) in the transaction that completes the course.
//! Run by `bench/certificates.sh`, against a server it started on its own database.
//!
//! `cargo run --release --example bench_issue -- <base_url> <database_url> [learners=1000]`
//!
//! Arranged (not measured): the seeded educator creates a free course with one module and one
//! text lesson and submits it; the seeded admin publishes it. The learners are inserted with SQL
//! (verified, global `student`, the demo password's hash copied from `student@azora.world`), then
//! sign in and enroll through the API (with an `Idempotency-Key`), and each reads its course
//! progress once, all at once, which leaves one warm connection per learner.
//!
//! Measured: all N `PUT /lessons/{id}/progress` `{"status":"completed"}` released together;
//! each latency is from the release to the parsed response. Prints issuances/s (N / wall time),
//! p50, p95, p99 and max, the target (p99 < 200 ms), and checks that every answer was 200 with
//! `course_completed: true` and that the database holds exactly N credentials of the course.
//! Exits 1 when a check fails (not when the target is missed).
//!
//! Env: `BENCH_REWARD`, the course's `completion_reward` (AZR; `0` pays none); absent, the
//! platform default (`lms.completion_reward`) is paid, as for any course.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use reqwest::Method;
use serde_json::{Value, json};
use tokio::sync::Barrier;

#[path = "support/bench.rs"]
mod bench;
use bench::*;

const P99_TARGET_MS: f64 = 200.0;

struct Completed {
    latency: Duration,
    status: u16,
    body: Value,
}

impl Completed {
    fn completed_course(&self) -> bool {
        self.status == 200 && self.body["course_completed"] == true
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        bail!(
            "usage: bench_issue <base_url> <database_url> [learners=1000]\n\
             (bench/certificates.sh starts a server and runs this)"
        );
    }
    let learners: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1000);
    if learners == 0 {
        bail!("learners must be at least 1");
    }
    let (api, db, run_tag) = connect(&args[1], &args[2], learners).await?;
    let tag = run_tag.as_str();
    let started = Instant::now();

    // --- A free course with one lesson, through the API ---
    let educator = api.login("educator@azora.world").await?;
    let admin = api.login("admin@azora.world").await?;
    let mut new_course = json!({
        "title": format!("Certificate benchmark {tag}"),
        "description": "A course for the certificate issuance benchmark.",
    });
    if let Ok(reward) = std::env::var("BENCH_REWARD") {
        new_course["completion_reward"] = json!(reward);
    }
    let course = api
        .expect(
            Method::POST,
            "/courses",
            Some(&educator),
            &[],
            Some(&new_course),
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
    let lesson = api
        .expect(
            Method::POST,
            &format!("/modules/{}/lessons", str_of(&module["id"])?),
            Some(&educator),
            &[],
            Some(&json!({
                "title": "The only lesson",
                "kind": "text",
                "content": "Read this, and the course is yours.",
                "duration_minutes": 5,
            })),
            201,
        )
        .await?;
    let lesson_id = str_of(&lesson["id"])?;
    api.expect(
        Method::POST,
        &format!("/courses/{course_id}/submit"),
        Some(&educator),
        &[],
        None,
        200,
    )
    .await?;
    api.expect(
        Method::POST,
        &format!("/courses/{course_id}/publish"),
        Some(&admin),
        &[],
        None,
        200,
    )
    .await?;

    // --- Learners: inserted with SQL, signed in and enrolled through the API ---
    let (tokens, login_time) = sign_up_learners(&api, &db, "cert", tag, learners).await?;
    let tokens = Arc::new(tokens);
    each(learners, 32, |i| {
        let (api, tokens, course_id) = (api.clone(), tokens.clone(), course_id.clone());
        async move {
            let key = format!("bench-issue-{tag}-{i}");
            api.expect(
                Method::POST,
                &format!("/courses/{course_id}/enroll"),
                Some(&tokens[i]),
                &[("Idempotency-Key", key.as_str())],
                None,
                201,
            )
            .await
        }
    })
    .await?;
    // Every learner reads its progress at once: one warm connection each for the burst.
    each(learners, learners, |i| {
        let (api, tokens, course_id) = (api.clone(), tokens.clone(), course_id.clone());
        async move {
            api.expect(
                Method::GET,
                &format!("/courses/{course_id}/progress"),
                Some(&tokens[i]),
                &[],
                None,
                200,
            )
            .await
        }
    })
    .await?;
    println!(
        "arranged: a published course with one lesson; {learners} learners signed in ({:.0}/s) and enrolled",
        learners as f64 / login_time.as_secs_f64()
    );
    let credentials_sql = format!(
        "SELECT count(*) AS n FROM credentials \
         WHERE achievement_kind = 'course' AND achievement_id = '{course_id}'"
    );
    let before = sql_i64(&db, credentials_sql.clone()).await?;
    if before != 0 {
        bail!("the course has {before} credentials before the burst");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // --- Measured: every completion released at once ---
    let barrier = Arc::new(Barrier::new(learners + 1));
    let mut tasks = Vec::with_capacity(learners);
    for i in 0..learners {
        let (api, tokens, lesson_id, barrier) = (
            api.clone(),
            tokens.clone(),
            lesson_id.clone(),
            barrier.clone(),
        );
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let t0 = Instant::now();
            let (status, body) = api
                .call(
                    Method::PUT,
                    &format!("/lessons/{lesson_id}/progress"),
                    Some(&tokens[i]),
                    &[],
                    Some(&json!({"status": "completed"})),
                )
                .await?;
            Ok::<_, anyhow::Error>(Completed {
                latency: t0.elapsed(),
                status,
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

    let mut sorted: Vec<Duration> = done.iter().map(|c| c.latency).collect();
    sorted.sort_unstable();
    let ok = done.iter().filter(|c| c.status == 200).count();
    let completed = done.iter().filter(|c| c.completed_course()).count();
    let rewarded = done
        .iter()
        .filter(|c| c.status == 200 && !c.body["reward"].is_null())
        .count();
    let first_error = done
        .iter()
        .find(|c| !c.completed_course())
        .map(|c| format!("{} {}", c.status, c.body));
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for c in &done {
        *statuses.entry(c.status).or_default() += 1;
    }
    let statuses = statuses
        .iter()
        .map(|(s, n)| format!("{s} x{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    let issued = sql_i64(&db, credentials_sql).await?;
    let holders = sql_i64(
        &db,
        format!(
            "SELECT count(DISTINCT c.holder_id) AS n FROM credentials c JOIN users u ON u.id = c.holder_id \
             WHERE c.achievement_kind = 'course' AND c.achievement_id = '{course_id}' \
               AND u.email LIKE 'cert%.{tag}@bench.azora.test'"
        ),
    )
    .await?;
    let p99 = pct(&sorted, 99.0);
    let p99_ms = p99.as_secs_f64() * 1000.0;

    // --- Report ---
    println!(
        "\n== Azora certificate issuance: {learners} learners complete a course's only lesson at once ({} cores) ==",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!(
        "{:>12} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "issued/s", "wall", "p50", "p95", "p99", "max", "200 OK", "completed", "rewarded"
    );
    println!(
        "{:>12.1} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
        issued as f64 / wall.as_secs_f64(),
        ms(wall),
        ms(pct(&sorted, 50.0)),
        ms(pct(&sorted, 95.0)),
        ms(p99),
        ms(sorted.last().copied().unwrap_or_default()),
        format!("{ok}/{learners}"),
        format!("{completed}/{learners}"),
        rewarded,
    );
    println!("responses: {statuses}");
    println!(
        "credentials of the course in the database: {issued} (expected {learners}), {holders} distinct learners"
    );
    println!(
        "issuance p99 {p99_ms:.1} ms, target < {P99_TARGET_MS:.0} ms: {}",
        if p99_ms < P99_TARGET_MS {
            "met"
        } else {
            "MISSED"
        }
    );
    let failed = issued != learners as i64 || holders != learners as i64 || completed != learners;
    println!(
        "check: {}",
        if failed {
            format!(
                "FAILED: {ok} answered 200, {completed} completed the course, {issued} credentials issued; first failure: {}",
                first_error.as_deref().unwrap_or("-")
            )
        } else {
            format!(
                "every completion answered 200 with course_completed true, and exactly {learners} credentials were issued"
            )
        }
    );
    println!(
        "(issued/s: credentials issued / wall time of the burst; rewarded: completions that paid the \
         course's AZR reward ({}); total run time {:.1}s)",
        std::env::var("BENCH_REWARD").map_or_else(
            |_| "the platform default".to_owned(),
            |r| format!("BENCH_REWARD={r}")
        ),
        started.elapsed().as_secs_f64()
    );
    if failed {
        std::process::exit(1);
    }
    Ok(())
}
