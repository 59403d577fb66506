//! The hash of one audit record: pure, so the writer and the verifier cannot disagree.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The chained content of one record.
pub struct Link<'a> {
    pub id: Uuid,
    pub seq: i64,
    pub occurred_at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: &'a str,
    pub resource_type: &'a str,
    pub resource_id: Option<&'a str>,
    pub outcome: &'a str,
    pub ip: Option<&'a str>,
    pub user_agent: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub details: &'a serde_json::Value,
}

/// The genesis link's predecessor.
pub const GENESIS: [u8; 32] = [0; 32];

/// `sha256(prev_hash || canonical JSON of the content)`; JSON objects serialize with sorted
/// keys, so what Postgres's jsonb gives back hashes the same as what was written.
pub fn hash(prev_hash: &[u8], link: &Link<'_>) -> Vec<u8> {
    let content = serde_json::json!({
        "id": link.id,
        "seq": link.seq,
        "occurred_at": link.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true),
        "actor_id": link.actor_id,
        "action": link.action,
        "resource_type": link.resource_type,
        "resource_id": link.resource_id,
        "outcome": link.outcome,
        "ip": link.ip,
        "user_agent": link.user_agent,
        "request_id": link.request_id,
        "details": link.details,
    });
    let mut hasher = Sha256::new();
    hasher.update(prev_hash);
    hasher.update(content.to_string().as_bytes());
    hasher.finalize().to_vec()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn any_change_changes_the_hash() {
        let details = serde_json::json!({"b": 1, "a": "x"});
        let link = Link {
            id: Uuid::now_v7(),
            seq: 1,
            occurred_at: Utc::now(),
            actor_id: None,
            action: "auth.login",
            resource_type: "user",
            resource_id: Some("u1"),
            outcome: "success",
            ip: Some("127.0.0.1"),
            user_agent: None,
            request_id: None,
            details: &details,
        };
        let h = hash(&GENESIS, &link);
        assert_eq!(h, hash(&GENESIS, &link));
        assert_ne!(h, hash(&[1; 32], &link));
        let other = Link {
            outcome: "failure",
            ..link
        };
        assert_ne!(h, hash(&GENESIS, &other));
        // Key order does not matter.
        let reordered: serde_json::Value = serde_json::from_str(r#"{"a":"x","b":1}"#).unwrap();
        let same = Link {
            details: &reordered,
            outcome: "success",
            ..other
        };
        assert_eq!(h, hash(&GENESIS, &same));
    }
}
