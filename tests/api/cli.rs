//! The `azora` binary from the outside: settings layering and failures, `migrate`, `seed`,
//! `openapi`.

use std::process::{Command, Output};

use crate::helpers::TestDb;

const BIN: &str = env!("CARGO_BIN_EXE_azora");

/// Runs the binary with a clean environment plus `env`.
fn azora(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run azora")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn settings_layer_default_then_env_file_then_environment() {
    let out = azora(&["config"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("port = 8080"),
        "default.toml: {}",
        stdout(&out)
    );

    let out = azora(&["config"], &[("AZORA_ENV", "test")]);
    assert!(
        stdout(&out).contains("port = 0"),
        "test.toml over default: {}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("payload_limit_bytes = 1048576"));

    let out = azora(
        &["config"],
        &[
            ("AZORA_ENV", "test"),
            ("AZORA__SERVER__PORT", "9123"),
            ("AZORA__LOG__JSON", "true"),
        ],
    );
    let text = stdout(&out);
    assert!(
        text.contains("port = 9123"),
        "environment over files: {text}"
    );
    assert!(text.contains("json = true"), "{text}");

    let out = azora(
        &["config"],
        &[
            ("PORT", "7001"),
            ("DATABASE_URL", "postgres://u:pw@db:5432/other"),
        ],
    );
    let text = stdout(&out);
    assert!(text.contains("port = 7001"), "{text}");
    assert!(text.contains("db:5432/other"), "{text}");
    assert!(!text.contains(":pw@"), "the password is redacted: {text}");
    assert!(
        !text.contains("insecure-development-secret"),
        "the secret is redacted"
    );
}

#[test]
fn an_invalid_setting_stops_start_up_with_one_line_and_exit_code_2() {
    for (var, value, key) in [
        ("AZORA__SERVER__PORT", "eighty", "server.port"),
        (
            "AZORA__DATABASE__AUTO_MIGRATE",
            "maybe",
            "database.auto_migrate",
        ),
        ("AZORA__SERVER__PROT", "1", "server.prot"),
        ("DATABASE_URL", "mysql://localhost/azora", "database.url"),
        (
            "AZORA__CORS__ALLOWED_ORIGINS",
            "not an origin",
            "cors.allowed_origins",
        ),
    ] {
        let out = azora(&["serve"], &[(var, value)]);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{var}={value}: {}",
            stderr(&out)
        );
        let err = stderr(&out);
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
        assert!(err.contains(&format!("`{key}`")), "names {key}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn production_refuses_the_default_secret() {
    let out = azora(&["serve"], &[("AZORA_ENV", "production")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("security.jwt_secret"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn openapi_command_prints_the_committed_document() {
    let out = azora(&["openapi"], &[]);
    assert!(out.status.success());
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json")).unwrap();
    assert_eq!(stdout(&out), committed);
}

#[tokio::test]
async fn migrate_creates_the_database_then_status_and_seed_are_idempotent() {
    let db = TestDb::create_empty().await;
    let env = [
        ("AZORA_ENV", "test"),
        ("DATABASE_URL", db.url.as_str()),
        ("AZORA__DATABASE__CREATE_IF_MISSING", "true"),
    ];

    let out = azora(&["migrate", "up"], &env);
    assert!(out.status.success(), "{}", stderr(&out));

    let names = migration_names();
    let newest = names.last().unwrap().clone();
    let out = azora(&["migrate", "status"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    for name in &names {
        assert!(
            stdout(&out).contains(&format!("Applied  {name}")),
            "{}",
            stdout(&out)
        );
    }

    let out = azora(&["seed"], &env);
    let text = stdout(&out);
    assert!(
        text.contains("platform_settings: 3 row(s) inserted"),
        "{text}{}",
        stderr(&out)
    );
    assert!(text.contains("users: 4 row(s) inserted"), "{text}");
    assert!(text.contains("organizations: 1 row(s) inserted"), "{text}");
    assert!(
        text.contains("ledger_transactions: 12 row(s) inserted"),
        "{text}"
    );
    let out = azora(&["seed"], &env);
    let text = stdout(&out);
    for step in [
        "platform_settings",
        "users",
        "organizations",
        "ledger_transactions",
    ] {
        assert!(
            text.contains(&format!("{step}: 0 row(s) inserted")),
            "{text}"
        );
    }

    let out = azora(&["migrate", "down", "--steps", "1"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = azora(&["migrate", "status"], &env);
    assert!(
        stdout(&out).contains(&format!("Pending  {newest}")),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("Applied  m20261122_000001_platform"),
        "{}",
        stdout(&out)
    );

    let out = azora(&["migrate", "fresh"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = azora(&["migrate", "status"], &env);
    assert!(
        stdout(&out).contains(&format!("Applied  {newest}")),
        "{}",
        stdout(&out)
    );
}

fn migration_names() -> Vec<String> {
    use migration::MigratorTrait;
    migration::Migrator::migrations()
        .iter()
        .map(|m| m.name().to_owned())
        .collect()
}
