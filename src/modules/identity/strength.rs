//! The password rule: 10 to 128 characters, a zxcvbn score of at least 3 (its feedback goes
//! into the problem), and not containing the email's local part. Pure, unit-tested.

use kernel::{AppError, AppResult, FieldError};

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
