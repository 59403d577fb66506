//! The container entrypoint, run outside Docker against this machine's Postgres binaries, as
//! a non-root user in a temporary directory: it initialises a cluster, serves
//! `/health/ready`, and stops both azora and Postgres cleanly on SIGTERM; a second start
//! reuses the cluster. With `DATABASE_URL` it runs azora alone.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_azora");
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docker/entrypoint.sh");
const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/config");

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn is_root() -> bool {
    // /proc/self/status holds the real, effective, saved and fs uids.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// The script as the `postgres` user when we are root (initdb refuses root), else as us.
fn entrypoint(
    data_dir: &Path,
    http_port: u16,
    pg_port: u16,
    extra_env: &[(&str, &str)],
    args: &[&str],
) -> Child {
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "sh",
            SCRIPT,
        ]);
        c
    } else {
        let mut c = Command::new("sh");
        c.arg(SCRIPT);
        c
    };
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AZORA_BIN", BIN)
        .env("AZORA_CONFIG_DIR", CONFIG)
        .env("AZORA_DATA_DIR", data_dir)
        .env("AZORA_PG_PORT", pg_port.to_string())
        .env("PORT", http_port.to_string())
        .env("AZORA__SERVER__HOST", "127.0.0.1")
        .env("AZORA__SERVER__WORKERS", "1")
        .env("AZORA__LOG__LEVEL", "warn")
        .current_dir(data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    cmd.args(args);
    cmd.spawn().expect("start the entrypoint")
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "azora-entrypoint-{}-{}",
        std::process::id(),
        free_port()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    dir
}

async fn wait_ready(port: u16, child: &mut Child) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Ok(resp) = client
            .get(format!("http://127.0.0.1:{port}/health/ready"))
            .send()
            .await
            && resp.status() == 200
        {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let out = std::mem::replace(child, Command::new("true").spawn().unwrap())
                .wait_with_output()
                .unwrap();
            panic!(
                "entrypoint exited early ({status}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(Instant::now() < deadline, "not ready in time");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn sigterm_and_wait(child: Child) -> std::process::Output {
    let pid = child.id() as i32;
    // SIGTERM through the `kill` command: no unsafe code needed.
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut child = child;
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        assert!(Instant::now() < deadline, "entrypoint did not stop");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test]
async fn embedded_postgres_starts_serves_and_stops_cleanly() {
    let dir = temp_dir();
    let http_port = free_port();
    let pg_port = free_port();

    let mut child = entrypoint(&dir, http_port, pg_port, &[], &[]);
    wait_ready(http_port, &mut child).await;
    assert!(
        dir.join("pgdata/PG_VERSION").exists(),
        "the cluster lives in the data dir"
    );
    let out = sigterm_and_wait(child);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "clean exit: {:?}\n{log}", out.status);
    assert!(log.contains("azora exited with status 0"), "{log}");
    assert!(
        !dir.join("pgdata/postmaster.pid").exists(),
        "Postgres stopped"
    );

    // Second start: the existing cluster is reused, not re-initialised.
    let mut child = entrypoint(&dir, http_port, pg_port, &[], &[]);
    wait_ready(http_port, &mut child).await;
    let out = sigterm_and_wait(child);
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{log}");
    assert!(!log.contains("initialising"), "{log}");

    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn with_database_url_it_runs_azora_alone() {
    let dir = temp_dir();
    let out = entrypoint(
        &dir,
        free_port(),
        free_port(),
        &[(
            "DATABASE_URL",
            "postgres://postgres@127.0.0.1:5432/elsewhere",
        )],
        &["config"],
    )
    .wait_with_output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("127.0.0.1:5432/elsewhere"), "{text}");
    assert!(!dir.join("pgdata").exists(), "no embedded cluster");
    let _ = std::fs::remove_dir_all(&dir);
}
