//! Brute-force protection as a pure rule over recorded failures (unit-tested), so the lock
//! state can live in Postgres and hold across every app instance.

use chrono::{DateTime, Duration, Utc};

use crate::config::SecuritySettings;

/// When an account with `count` recent failures (all since the last success and inside the
/// window), the newest at `newest`, is locked until, if it is locked at all.
pub fn locked_until(
    count: u32,
    newest: Option<DateTime<Utc>>,
    cfg: &SecuritySettings,
) -> Option<DateTime<Utc>> {
    if count < cfg.lockout_threshold.max(1) {
        return None;
    }
    let newest = newest?;
    let doublings = (count - cfg.lockout_threshold.max(1)).min(20);
    let secs = cfg
        .lockout_base_secs
        .saturating_mul(1_u64 << doublings)
        .min(cfg.lockout_max_secs);
    Some(newest + Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn cfg() -> SecuritySettings {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        crate::config::Settings::load_from(&dir, &Default::default())
            .unwrap()
            .security
    }

    #[test]
    fn locks_after_threshold_with_doubling_backoff() {
        assert_eq!(locked_until(5, None, &cfg()), None);
        let cfg = cfg();
        let now = Utc::now();
        let at = Some(now);
        assert_eq!(locked_until(4, at, &cfg), None);
        assert_eq!(locked_until(5, at, &cfg), Some(now + Duration::seconds(30)));
        assert_eq!(locked_until(6, at, &cfg), Some(now + Duration::seconds(60)));
        assert_eq!(
            locked_until(7, at, &cfg),
            Some(now + Duration::seconds(120))
        );
        assert_eq!(
            locked_until(40, at, &cfg),
            Some(now + Duration::seconds(3600))
        );
    }
}
