//! Passwords: the strength rules and argon2id hashing on the blocking pool.
//!
//! Rules: 10 to 128 characters, a zxcvbn score of at least 3 (its feedback goes into the
//! problem), and not containing the email's local part. Hashes use the configured argon2id
//! parameters; an unknown account is checked against a dummy hash so it costs the same time.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

use crate::config::SecuritySettings;
use crate::http::error::{AppError, AppResult, FieldError};

/// The argon2id hasher of the configured parameters. At most one hash per core runs at a
/// time, so a login storm queues instead of crowding out the async workers.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    dummy_hash: String,
    permits: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Hasher {
    pub fn new(cfg: &SecuritySettings) -> anyhow::Result<Self> {
        let params = Params::new(
            cfg.argon2_memory_kib,
            cfg.argon2_iterations,
            cfg.argon2_parallelism,
            None,
        )
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut hasher = Self {
            params,
            dummy_hash: String::new(),
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(cores)),
        };
        hasher.dummy_hash = hasher.hash_blocking(&super::tokens::new_token())?;
        Ok(hasher)
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_blocking(&self, password: &str) -> anyhow::Result<String> {
        self.argon2()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    }

    /// Hashes on the blocking pool.
    pub async fn hash(&self, password: String) -> AppResult<String> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.hash_blocking(&password))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)
    }

    /// Verifies on the blocking pool; `None` checks against the dummy hash and fails.
    pub async fn verify(&self, password: String, hash: Option<String>) -> AppResult<bool> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let (hash, real) = match hash {
                Some(h) => (h, true),
                None => (this.dummy_hash.clone(), false),
            };
            let ok = this
                .argon2()
                .verify_password(password.as_bytes(), hash.as_str())
                .is_ok();
            ok && real
        })
        .await
        .map_err(AppError::internal)
    }
}

/// Checks a new password; `pointer` names the field in the problem.
pub fn check_strength(password: &str, email: &str, pointer: &str) -> AppResult<()> {
    let fail = |detail: String| Err(AppError::validation(vec![FieldError::new(pointer, detail)]));
    let chars = password.chars().count();
    if chars < 10 {
        return fail("must be at least 10 characters long".into());
    }
    if chars > 128 {
        return fail("must be at most 128 characters long".into());
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.len() >= 3 && password.to_lowercase().contains(&local) {
        return fail("must not contain your email address".into());
    }
    let estimate = zxcvbn::zxcvbn(password, &[local.as_str()]);
    if (estimate.score() as u8) < 3 {
        let mut detail = String::from("is too easy to guess");
        if let Some(feedback) = estimate.feedback() {
            if let Some(w) = feedback.warning() {
                detail.push_str(&format!(": {w}"));
            }
            for s in feedback.suggestions() {
                detail.push_str(&format!(" {s}"));
            }
        }
        return fail(detail);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rules() {
        let e = "ada@example.com";
        assert!(check_strength("short", e, "#/password").is_err());
        assert!(check_strength(&"x".repeat(129), e, "#/password").is_err());
        assert!(check_strength("password123", e, "#/password").is_err());
        assert!(check_strength("ada-lovelace-1815-engine", e, "#/password").is_err());
        assert!(check_strength("correct horse battery staple", e, "#/password").is_ok());
    }
}
