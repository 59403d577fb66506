//! What the benchmark examples share: an API client that returns status and JSON, SQL helpers,
//! bounded concurrency and latency percentiles. Included with `#[path]` by each example.

#![allow(dead_code)]

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures_util::StreamExt;
use reqwest::Method;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use serde_json::{Value, json};

pub const PASSWORD: &str = "Azora2025!";

#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub base: String,
}

impl Api {
    /// Any call; returns the status and the JSON body (`null` when empty or not JSON).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> anyhow::Result<(u16, Value)> {
        let mut req = self
            .client
            .request(method, format!("{}/api/v1{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req
            .send()
            .await
            .with_context(|| format!("calling {path}"))?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await?;
        let value = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok((status, value))
    }

    /// A call that must answer `want`.
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&Value>,
        want: u16,
    ) -> anyhow::Result<Value> {
        let (status, value) = self
            .call(method.clone(), path, token, headers, body)
            .await?;
        if status != want {
            bail!("{method} {path}: {status} (expected {want}): {value}");
        }
        Ok(value)
    }

    pub async fn login(&self, email: &str) -> anyhow::Result<String> {
        let v = self
            .expect(
                Method::POST,
                "/auth/login",
                None,
                &[],
                Some(&json!({"email": email, "password": PASSWORD})),
                200,
            )
            .await
            .with_context(|| format!("signing in {email} (did `azora seed` run?)"))?;
        str_of(&v["access_token"])
    }
}

pub fn str_of(v: &Value) -> anyhow::Result<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("expected a string, got {v}"))
}

pub async fn sql(db: &DatabaseConnection, query: &str) -> anyhow::Result<()> {
    db.execute_unprepared(query).await?;
    Ok(())
}

pub async fn sql_i64(db: &DatabaseConnection, query: String) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, query))
        .await?
        .ok_or_else(|| anyhow!("no row"))?;
    Ok(row.try_get::<i64>("", "n")?)
}

/// Runs `f(0..n)` with at most `concurrency` in flight; results in index order.
pub async fn each<T, F, Fut>(n: usize, concurrency: usize, f: F) -> anyhow::Result<Vec<T>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    futures_util::stream::iter((0..n).map(f))
        .buffered(concurrency)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

pub fn ms(d: Duration) -> String {
    format!("{:.1}ms", d.as_secs_f64() * 1000.0)
}

/// Nearest-rank percentile of sorted values.
pub fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `n` learners (`<prefix><i>.<tag>@bench.azora.test`, verified, global `student`, the demo
/// password) inserted with SQL, then signed in through the API (8 at a time): their tokens and
/// how long signing in took.
pub async fn sign_up_learners(
    api: &Api,
    db: &DatabaseConnection,
    prefix: &str,
    tag: &str,
    n: usize,
) -> anyhow::Result<(Vec<String>, Duration)> {
    sql(
        db,
        &format!(
            "INSERT INTO users (id, email, display_name, password_hash, email_verified_at) \
             SELECT gen_random_uuid(), '{prefix}' || i || '.{tag}@bench.azora.test', 'Learner ' || i, \
                    (SELECT password_hash FROM users WHERE email = 'student@azora.world'), now() \
             FROM generate_series(1, {n}) AS i;
             INSERT INTO role_assignments (id, user_id, role_id, scope_type) \
             SELECT gen_random_uuid(), u.id, r.id, 'global' FROM users u, roles r \
             WHERE r.name = 'student' AND u.email LIKE '{prefix}%.{tag}@bench.azora.test';"
        ),
    )
    .await
    .context("inserting the learners")?;
    let t = std::time::Instant::now();
    let tokens = each(n, 8, |i| {
        let api = api.clone();
        let email = format!("{prefix}{}.{tag}@bench.azora.test", i + 1);
        async move { api.login(&email).await }
    })
    .await?;
    Ok((tokens, t.elapsed()))
}

/// The API at `base` and the database at `database_url`, a client keeping a connection per
/// learner, and a tag that makes this run's names unique.
pub async fn connect(
    base: &str,
    database_url: &str,
    learners: usize,
) -> anyhow::Result<(Api, DatabaseConnection, String)> {
    let db = sea_orm::Database::connect(database_url)
        .await
        .context("connecting to the database")?;
    let api = Api {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(learners + 16)
            .timeout(Duration::from_secs(120))
            .build()?,
        base: base.trim_end_matches('/').to_owned(),
    };
    let tag = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_millis()
        .to_string();
    Ok((api, db, tag))
}

/// A process's resident memory from /proc/<pid>/status, in KiB: (VmRSS, RssAnon).
pub fn rss_kib(pid: u32) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status (is the server running?)"))?;
    let field = |name: &str| -> anyhow::Result<u64> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| anyhow!("no {name} in /proc/{pid}/status"))
    };
    Ok((field("VmRSS:")?, field("RssAnon:")?))
}
