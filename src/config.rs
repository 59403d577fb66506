//! Settings: `config/default.toml` (compiled in) < `config/<AZORA_ENV>.toml` < environment.
//!
//! Environment variables `AZORA__SECTION__KEY` override any key; `DATABASE_URL` and `PORT` are
//! honoured as aliases of `database.url` and `server.port` (the `AZORA__` form wins when both
//! are set). Values from the environment take the type of the key they override; lists are
//! comma-separated. Unknown keys, wrong types and refused values fail with a [`ConfigError`]
//! that names the key, so start-up can print one line and exit with code 2.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::{Table, Value};

const DEFAULT_TOML: &str = include_str!("../config/default.toml");
const ENV_PREFIX: &str = "AZORA__";

/// The whole configuration of one Azora process.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `development`, `test`, `production` or any name with a matching file; not read from files.
    #[serde(skip_deserializing, default)]
    pub environment: String,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub log: LogSettings,
    pub cors: CorsSettings,
    pub security: SecuritySettings,
    pub mail: MailSettings,
    pub wallet: WalletSettings,
    pub lms: LmsSettings,
    pub assessments: AssessmentSettings,
    pub audit: AuditSettings,
    pub realtime: RealtimeSettings,
    pub chat: ChatSettings,
    pub forums: ForumSettings,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
    pub payload_limit_bytes: usize,
    pub public_url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: String,
    pub create_if_missing: bool,
    pub auto_migrate: bool,
    pub max_connections: u32,
    pub min_connections: u32,
    pub connect_timeout_secs: u64,
    pub acquire_timeout_secs: u64,
    pub idle_timeout_secs: u64,
    pub max_lifetime_secs: u64,
    pub connect_retries: u32,
    pub retry_backoff_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub level: String,
    pub json: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSettings {
    pub allowed_origins: Vec<String>,
    pub max_age_secs: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    pub jwt_secret: String,
    pub encryption_key: String,
    pub hsts: bool,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    pub argon2_parallelism: u32,
    pub lockout_threshold: u32,
    pub lockout_window_secs: u64,
    pub lockout_base_secs: u64,
    pub lockout_max_secs: u64,
    pub ip_failure_limit: u32,
    pub ip_requests_per_minute: u32,
    pub verified_email_required: Vec<String>,
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletSettings {
    pub transfer_fee_rate: rust_decimal::Decimal,
    pub stake_apr_30: rust_decimal::Decimal,
    pub stake_apr_90: rust_decimal::Decimal,
    pub stake_apr_180: rust_decimal::Decimal,
    pub job_interval_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmsSettings {
    pub completion_reward: rust_decimal::Decimal,
    pub refund_window_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssessmentSettings {
    pub grace_seconds: i64,
    pub pass_reward: rust_decimal::Decimal,
    pub course_pass_score: rust_decimal::Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// Pause of the sealer between passes that found little to seal.
    pub seal_interval_ms: u64,
    /// How often the sealer signs a checkpoint of the chain's head (when it moved).
    pub checkpoint_interval_secs: u64,
    /// How often an instance that is not the sealer checks whether it should take over.
    pub failover_poll_ms: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RealtimeSettings {
    /// Stream events older than this are pruned; a client further behind must resync.
    pub retention_days: u32,
    /// Seconds between pruning passes.
    pub prune_interval_secs: u64,
    /// The server pings every socket this often.
    pub ping_interval_secs: u64,
    /// A socket that sent nothing (not even a pong) for this long is closed.
    pub idle_timeout_secs: u64,
    /// Messages queued for one socket.
    pub send_buffer: usize,
    /// A socket whose queue stays full this long (the client does not read) is disconnected.
    pub slow_consumer_secs: u64,
    /// The connection that LISTENs for other nodes' wake-ups; the database URL when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_url: Option<String>,
    /// Seconds between checks of the LISTEN connection and catch-up sweeps.
    pub sweep_interval_secs: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatSettings {
    /// Seconds after sending in which the author may edit a message.
    pub edit_window_secs: i64,
    /// Typing indicators go only to rooms of at most this many members.
    pub typing_max_members: i32,
    /// Rooms up to this size show who read up to where; bigger ones only how many read.
    pub receipt_detail_max_members: i32,
    /// Messages one user may send per minute, over all rooms.
    pub messages_per_minute: u32,
}

/// Forum moderation and the limits on new accounts (Discourse's new-user limits, course-aware).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForumSettings {
    /// Distinct open flags that hide a post until a moderator reviews it.
    pub auto_hide_flags: i64,
    /// Accounts younger than this many days are new and post under the limits below.
    pub new_account_days: i64,
    /// Seconds a new account waits between two posts.
    pub new_post_interval_secs: i64,
    /// Posts (replies and threads) a new account may write per 24 hours.
    pub new_daily_posts: i64,
    /// Threads a new account may start per 24 hours.
    pub new_daily_threads: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub from: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: String,
    pub smtp_password: String,
    pub file_dir: String,
    pub poll_interval_ms: u64,
    pub max_attempts: u32,
    pub retry_base_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTransport {
    Smtp,
    File,
    Log,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

/// A configuration problem, always tied to the key that caused it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: `{}`: {}", self.key, self.message)
    }
}

impl std::error::Error for ConfigError {}

fn err(key: impl Into<String>, message: impl Into<String>) -> ConfigError {
    ConfigError {
        key: key.into(),
        message: message.into(),
    }
}

impl Settings {
    /// Loads settings from the process environment and the `config/` folder (or
    /// `AZORA_CONFIG_DIR`).
    pub fn load() -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let dir = env
            .get("AZORA_CONFIG_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("config"));
        Self::load_from(&dir, &env)
    }

    /// Loads settings from `dir` and the given environment, without touching the process.
    pub fn load_from(dir: &Path, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let environment = env
            .get("AZORA_ENV")
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "development".to_owned());
        if !environment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(err(
                "AZORA_ENV",
                format!("`{environment}` is not a valid environment name"),
            ));
        }

        let mut table: Table = DEFAULT_TOML
            .parse()
            .map_err(|e| err("config/default.toml", format!("{e}")))?;

        let env_file = dir.join(format!("{environment}.toml"));
        if env_file.exists() {
            let text = std::fs::read_to_string(&env_file)
                .map_err(|e| err(env_file.display().to_string(), e.to_string()))?;
            let overlay: Table = text.parse().map_err(|e: toml::de::Error| {
                err(env_file.display().to_string(), e.message().to_owned())
            })?;
            merge_file(&mut table, overlay, "")?;
        }

        let mut overrides: Vec<(Vec<String>, String, String)> = Vec::new();
        if let Some(v) = env.get("DATABASE_URL") {
            overrides.push((path_of("database.url"), v.clone(), "DATABASE_URL".into()));
        }
        if let Some(v) = env.get("PORT") {
            overrides.push((path_of("server.port"), v.clone(), "PORT".into()));
        }
        let mut prefixed: Vec<_> = env
            .iter()
            .filter_map(|(k, v)| {
                let rest = k.strip_prefix(ENV_PREFIX)?;
                let path = rest.split("__").map(|s| s.to_ascii_lowercase()).collect();
                Some((path, v.clone(), k.clone()))
            })
            .collect();
        prefixed.sort();
        overrides.extend(prefixed);
        for (path, raw, var) in overrides {
            apply_env(&mut table, &path, &raw, &var)?;
        }

        let mut settings: Settings = serde_path_to_error::deserialize(Value::Table(table))
            .map_err(|e| {
                let key = e.path().to_string();
                err(key, e.into_inner().to_string())
            })?;
        settings.environment = environment;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks the rules no type can express.
    fn validate(&self) -> Result<(), ConfigError> {
        if self.realtime.send_buffer == 0 {
            return Err(err("realtime.send_buffer", "must be greater than 0"));
        }
        if self.realtime.ping_interval_secs == 0
            || self.realtime.idle_timeout_secs <= self.realtime.ping_interval_secs
        {
            return Err(err(
                "realtime.idle_timeout_secs",
                "must be greater than realtime.ping_interval_secs (> 0)",
            ));
        }
        if self.chat.messages_per_minute == 0 {
            return Err(err("chat.messages_per_minute", "must be greater than 0"));
        }
        if self.forums.auto_hide_flags < 1 {
            return Err(err("forums.auto_hide_flags", "must be at least 1"));
        }
        if self.forums.new_account_days < 0
            || self.forums.new_post_interval_secs < 0
            || self.forums.new_daily_posts < 1
            || self.forums.new_daily_threads < 1
        {
            return Err(err(
                "forums",
                "new_account_days and new_post_interval_secs must not be negative, the daily limits at least 1",
            ));
        }
        if self.server.payload_limit_bytes == 0 {
            return Err(err("server.payload_limit_bytes", "must be greater than 0"));
        }
        url::Url::parse(&self.database.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "postgres" | "postgresql"))
            .filter(|u| u.path().len() > 1)
            .ok_or_else(|| {
                err(
                    "database.url",
                    "must be a postgres:// URL that names a database",
                )
            })?;
        url::Url::parse(&self.server.public_url)
            .map_err(|e| err("server.public_url", format!("not a URL: {e}")))?;
        if self.database.max_connections == 0 {
            return Err(err("database.max_connections", "must be greater than 0"));
        }
        if self.database.min_connections > self.database.max_connections {
            return Err(err(
                "database.min_connections",
                "must not exceed database.max_connections",
            ));
        }
        for origin in &self.cors.allowed_origins {
            let ok = origin == "*"
                || url::Url::parse(origin).is_ok_and(|u| {
                    matches!(u.scheme(), "http" | "https")
                        && u.path() == "/"
                        && !origin.ends_with('/')
                        && u.host().is_some()
                });
            if !ok {
                return Err(err(
                    "cors.allowed_origins",
                    format!("`{origin}` is not an origin like https://app.example.com (or \"*\")"),
                ));
            }
        }
        if self.security.jwt_secret.len() < 32 {
            return Err(err("security.jwt_secret", "must be at least 32 bytes long"));
        }
        if self.security.encryption_key.len() < 32 {
            return Err(err(
                "security.encryption_key",
                "must be at least 32 bytes long",
            ));
        }
        if self.security.argon2_memory_kib < 8 * self.security.argon2_parallelism.max(1)
            || self.security.argon2_iterations == 0
            || self.security.argon2_parallelism == 0
        {
            return Err(err(
                "security.argon2_memory_kib",
                "argon2 needs memory >= 8 KiB per lane, iterations >= 1, parallelism >= 1",
            ));
        }
        for proxy in &self.security.trusted_proxies {
            if proxy.parse::<std::net::IpAddr>().is_err() {
                return Err(err(
                    "security.trusted_proxies",
                    format!("`{proxy}` is not an IP address"),
                ));
            }
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(err(
                "mail.from",
                "must be a mailbox like `Azora <no-reply@example.com>`",
            ));
        }
        let w = &self.wallet;
        if w.transfer_fee_rate.is_sign_negative()
            || w.transfer_fee_rate >= rust_decimal::Decimal::ONE
        {
            return Err(err(
                "wallet.transfer_fee_rate",
                "must be at least 0 and below 1",
            ));
        }
        for (key, apr) in [
            ("wallet.stake_apr_30", w.stake_apr_30),
            ("wallet.stake_apr_90", w.stake_apr_90),
            ("wallet.stake_apr_180", w.stake_apr_180),
        ] {
            if apr.is_sign_negative() || apr > rust_decimal::Decimal::TEN {
                return Err(err(key, "must be between 0 and 10"));
            }
        }
        if w.job_interval_secs == 0 {
            return Err(err("wallet.job_interval_secs", "must be greater than 0"));
        }
        if self.lms.completion_reward.is_sign_negative() || self.lms.completion_reward.scale() > 8 {
            return Err(err(
                "lms.completion_reward",
                "must be a non-negative AZR amount with at most 8 decimals",
            ));
        }
        if !(0..=365).contains(&self.lms.refund_window_days) {
            return Err(err("lms.refund_window_days", "must be between 0 and 365"));
        }
        let a = &self.assessments;
        if !(0..=3600).contains(&a.grace_seconds) {
            return Err(err(
                "assessments.grace_seconds",
                "must be between 0 and 3600",
            ));
        }
        if a.pass_reward.is_sign_negative() || a.pass_reward.scale() > 8 {
            return Err(err(
                "assessments.pass_reward",
                "must be a non-negative AZR amount with at most 8 decimals",
            ));
        }
        if a.course_pass_score.is_sign_negative()
            || a.course_pass_score > rust_decimal::Decimal::ONE_HUNDRED
        {
            return Err(err(
                "assessments.course_pass_score",
                "must be between 0 and 100",
            ));
        }
        if self.environment == "production" {
            let defaults: Table = DEFAULT_TOML
                .parse()
                .map_err(|e| err("config/default.toml", format!("{e}")))?;
            for (key, value, var) in [
                (
                    "jwt_secret",
                    &self.security.jwt_secret,
                    "AZORA__SECURITY__JWT_SECRET",
                ),
                (
                    "encryption_key",
                    &self.security.encryption_key,
                    "AZORA__SECURITY__ENCRYPTION_KEY",
                ),
            ] {
                let default = defaults
                    .get("security")
                    .and_then(|s| s.get(key))
                    .and_then(Value::as_str);
                if default == Some(value.as_str()) {
                    return Err(err(
                        format!("security.{key}"),
                        format!("production refuses the default secret; set {var}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The settings as TOML with secrets redacted, for `azora config`.
    pub fn redacted_toml(&self) -> String {
        let mut copy = self.clone();
        copy.security.jwt_secret = "<redacted>".into();
        copy.security.encryption_key = "<redacted>".into();
        if !copy.mail.smtp_password.is_empty() {
            copy.mail.smtp_password = "<redacted>".into();
        }
        if let Ok(mut url) = url::Url::parse(&copy.database.url)
            && url.password().is_some()
        {
            let _ = url.set_password(Some("<redacted>"));
            copy.database.url = url.to_string();
        }
        toml::to_string_pretty(&copy).unwrap_or_default()
    }
}

fn path_of(dotted: &str) -> Vec<String> {
    dotted.split('.').map(str::to_owned).collect()
}

/// Merges a file's table into the defaults; every key must already exist with the same shape.
fn merge_file(base: &mut Table, overlay: Table, prefix: &str) -> Result<(), ConfigError> {
    for (k, v) in overlay {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match (base.get_mut(&k), v) {
            (Some(Value::Table(b)), Value::Table(o)) => merge_file(b, o, &key)?,
            (Some(Value::Table(_)), _) => return Err(err(key, "must be a table")),
            (Some(slot), v) => *slot = v,
            (None, _) => return Err(err(key, "unknown key")),
        }
    }
    Ok(())
}

/// Sets one key from an environment variable, typed like the value it replaces.
fn apply_env(table: &mut Table, path: &[String], raw: &str, var: &str) -> Result<(), ConfigError> {
    let key = path.join(".");
    let unknown = || {
        err(
            &key,
            format!("unknown key (from environment variable {var})"),
        )
    };
    let (last, parents) = path.split_last().ok_or_else(unknown)?;
    let mut cur = table;
    for p in parents {
        cur = match cur.get_mut(p) {
            Some(Value::Table(t)) => t,
            _ => return Err(unknown()),
        };
    }
    let slot = cur.get_mut(last).ok_or_else(unknown)?;
    let bad = |expected: &str| {
        err(
            &key,
            format!("invalid value {raw:?} from {var}: expected {expected}"),
        )
    };
    let trimmed = raw.trim();
    *slot = match slot {
        Value::String(_) => Value::String(raw.to_owned()),
        Value::Integer(_) => Value::Integer(trimmed.parse().map_err(|_| bad("an integer"))?),
        Value::Float(_) => Value::Float(trimmed.parse().map_err(|_| bad("a number"))?),
        Value::Boolean(_) => Value::Boolean(match trimmed.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => true,
            "false" | "0" | "no" | "off" => false,
            _ => return Err(bad("true or false")),
        }),
        Value::Array(_) => Value::Array(
            trimmed
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_owned()))
                .collect(),
        ),
        Value::Table(_) => return Err(bad("a key inside this section, not the section")),
        Value::Datetime(_) => return Err(bad("a datetime")),
    };
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
    }

    #[test]
    fn file_then_env_precedence() {
        let s = Settings::load_from(&dir(), &env(&[("AZORA_ENV", "test")])).unwrap();
        assert_eq!(s.server.workers, 1, "test.toml overrides default.toml");
        assert_eq!(s.server.payload_limit_bytes, 1_048_576, "default kept");
        let s = Settings::load_from(
            &dir(),
            &env(&[
                ("AZORA_ENV", "test"),
                ("AZORA__SERVER__WORKERS", "3"),
                ("PORT", "9001"),
                (
                    "AZORA__CORS__ALLOWED_ORIGINS",
                    "https://a.example, https://b.example",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(s.server.workers, 3);
        assert_eq!(s.server.port, 9001);
        assert_eq!(s.cors.allowed_origins.len(), 2);
    }

    #[test]
    fn prefixed_env_wins_over_alias() {
        let s = Settings::load_from(
            &dir(),
            &env(&[("PORT", "9001"), ("AZORA__SERVER__PORT", "9002")]),
        )
        .unwrap();
        assert_eq!(s.server.port, 9002);
    }

    #[test]
    fn invalid_and_unknown_keys_are_named() {
        let e =
            Settings::load_from(&dir(), &env(&[("AZORA__SERVER__PORT", "eighty")])).unwrap_err();
        assert_eq!(e.key, "server.port");
        let e = Settings::load_from(&dir(), &env(&[("AZORA__SERVER__PROT", "1")])).unwrap_err();
        assert_eq!(e.key, "server.prot");
        let e = Settings::load_from(&dir(), &env(&[("AZORA__SERVER__PORT", "70000")])).unwrap_err();
        assert_eq!(e.key, "server.port");
        let e = Settings::load_from(&dir(), &env(&[("DATABASE_URL", "mysql://x/y")])).unwrap_err();
        assert_eq!(e.key, "database.url");
    }

    #[test]
    fn production_refuses_default_secret() {
        let e = Settings::load_from(&dir(), &env(&[("AZORA_ENV", "production")])).unwrap_err();
        assert_eq!(e.key, "security.jwt_secret");
        let e = Settings::load_from(
            &dir(),
            &env(&[
                ("AZORA_ENV", "production"),
                (
                    "AZORA__SECURITY__JWT_SECRET",
                    "a-real-secret-that-is-long-enough-0123456789",
                ),
            ]),
        )
        .unwrap_err();
        assert_eq!(e.key, "security.encryption_key");
        let ok = Settings::load_from(
            &dir(),
            &env(&[
                ("AZORA_ENV", "production"),
                (
                    "AZORA__SECURITY__JWT_SECRET",
                    "a-real-secret-that-is-long-enough-0123456789",
                ),
                (
                    "AZORA__SECURITY__ENCRYPTION_KEY",
                    "another-real-key-that-is-long-enough-0123456789",
                ),
            ]),
        )
        .unwrap();
        assert!(!ok.database.auto_migrate);
    }
}
