//! The audit trail without a global lock: concurrent writers, the sealer that chains what has
//! committed, signed checkpoints, failover between instances, and the signing keys behind the
//! checkpoints, verified with an independent JOSE library and the JWKS alone.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::users::TestUser;
use crate::helpers::{TestApp, assert_problem};

async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON body")
}

async fn unsealed(app: &TestApp) -> i64 {
    app.count("SELECT count(*) AS n FROM audit_logs WHERE chain_pos IS NULL")
        .await
}

/// Waits until the background sealer has chained every record (no verify call, which would
/// seal by itself).
async fn until_sealed(app: &TestApp, within: Duration) {
    let start = Instant::now();
    while unsealed(app).await > 0 {
        assert!(
            start.elapsed() < within,
            "{} records still unsealed after {within:?}",
            unsealed(app).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn until_checkpoint(app: &TestApp, auditor: &TestUser, past_pos: i64) -> Value {
    let start = Instant::now();
    loop {
        let page = json(app.get_as("/api/v1/audit/checkpoints", auditor).await).await;
        if let Some(first) = page["items"].as_array().and_then(|i| i.first())
            && first["chain_pos"].as_i64().unwrap_or(0) > past_pos
        {
            return first.clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no checkpoint: {page}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn concurrent_writers_end_fully_sealed_with_a_valid_chain() {
    let app = TestApp::spawn_with(|s| s.database.max_connections = 20).await;
    let auditor = app.signup_with_role("auditor@example.com", "admin").await;
    let mut writers = Vec::new();
    for i in 0..16 {
        writers.push(app.signup(&format!("writer{i}@example.com")).await);
    }
    // 16 clients, 60 audited profile edits each, all at once.
    let edits = writers.iter().map(|w| {
        let app = &app;
        async move {
            for n in 0..60 {
                let resp = app
                    .patch_as("/api/v1/me", w, &json!({"bio": format!("edit {n}")}))
                    .await;
                assert_eq!(resp.status(), 200);
            }
        }
    });
    join_all(edits).await;
    until_sealed(&app, Duration::from_secs(30)).await;
    let total = app.count("SELECT count(*) AS n FROM audit_logs").await;
    assert!(total > 16 * 60, "{total}");
    // Positions are exactly 1..=total, each once.
    assert_eq!(
        app.count("SELECT count(DISTINCT chain_pos) AS n FROM audit_logs")
            .await,
        total
    );
    assert_eq!(
        app.count("SELECT max(chain_pos) AS n FROM audit_logs")
            .await,
        total
    );
    let report = json(app.get_as("/api/v1/audit/verify", &auditor).await).await;
    assert_eq!(report["valid"], true, "{report}");
    assert_eq!(report["checked"], total);
    assert_eq!(report["unsealed"], 0);
    assert_eq!(report["head_pos"], total);
    // Listing shows the chain columns.
    let page = json(app.get_as("/api/v1/audit/logs?limit=5", &auditor).await).await;
    assert_eq!(page["items"][0]["sealed"], true);
    assert!(page["items"][0]["chain_pos"].is_i64());
}

#[tokio::test]
async fn the_table_refuses_edits_but_the_sealers_fill() {
    let app = TestApp::spawn().await;
    app.signup("someone@example.com").await;
    until_sealed(&app, Duration::from_secs(10)).await;
    for sql in [
        "UPDATE audit_logs SET details = '{\"x\": 1}' WHERE chain_pos = 1",
        "UPDATE audit_logs SET hash = '\\x00' WHERE chain_pos = 1",
        "UPDATE audit_logs SET chain_pos = chain_pos + 1000 WHERE chain_pos = 1",
        "DELETE FROM audit_logs WHERE chain_pos = 1",
    ] {
        let refused = app.db.execute_unprepared(sql).await;
        assert!(refused.is_err(), "{sql} was allowed");
    }
    // A record written by hand without a chain position is sealed like any other.
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO audit_logs (id, occurred_at, action, resource_type, outcome) \
             VALUES ('{}', now(), 'probe.write', 'probe', 'success')",
            Uuid::now_v7()
        ))
        .await
        .unwrap();
    until_sealed(&app, Duration::from_secs(10)).await;
    // Sealing it once is allowed; filling it again is not.
    let refill = app
        .db
        .execute_unprepared(
            "UPDATE audit_logs SET chain_pos = chain_pos WHERE action = 'probe.write'",
        )
        .await;
    assert!(refill.is_err());
}

#[tokio::test]
async fn tampering_and_forged_checkpoints_are_reported() {
    let app = TestApp::spawn().await;
    let auditor = app.signup_with_role("auditor@example.com", "admin").await;
    for i in 0..4 {
        app.signup(&format!("user{i}@example.com")).await;
    }
    until_sealed(&app, Duration::from_secs(10)).await;
    let cp = until_checkpoint(&app, &auditor, 0).await;
    let report = json(app.get_as("/api/v1/audit/verify", &auditor).await).await;
    assert_eq!(report["valid"], true, "{report}");
    assert!(report["checkpoints_checked"].as_u64().unwrap() >= 1);

    // A proof that the log only grew since the checkpoint.
    let grown = json(
        app.get_as(
            &format!(
                "/api/v1/audit/verify?from_checkpoint={}",
                cp["id"].as_str().unwrap()
            ),
            &auditor,
        )
        .await,
    )
    .await;
    assert_eq!(grown["valid"], true, "{grown}");
    assert_eq!(grown["from_pos"], cp["chain_pos"]);
    assert_problem(
        app.get_as(
            &format!("/api/v1/audit/verify?from_checkpoint={}", Uuid::now_v7()),
            &auditor,
        )
        .await,
        404,
        "not_found",
    )
    .await;

    // A forged checkpoint (a head that is not the chain's) is reported.
    let head = cp["chain_pos"].as_i64().unwrap();
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO audit_checkpoints (id, chain_pos, head_hash, kid, signature) \
             SELECT '{}', {head}, '\\xdeadbeef', kid, signature FROM audit_checkpoints LIMIT 1",
            Uuid::now_v7()
        ))
        .await
        .unwrap();
    let report = json(app.get_as("/api/v1/audit/verify", &auditor).await).await;
    assert_eq!(report["valid"], false, "{report}");
    assert!(report["broken_checkpoint"].is_string(), "{report}");
    app.db
        .execute_unprepared(
            "ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_update; \
             DELETE FROM audit_checkpoints WHERE head_hash = '\\xdeadbeef'; \
             ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_no_update;",
        )
        .await
        .unwrap();
    // A checkpoint whose signature was swapped for another's does not verify either.
    app.db
        .execute_unprepared(
            "ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_update; \
             UPDATE audit_checkpoints SET chain_pos = chain_pos - 1, \
                 head_hash = (SELECT hash FROM audit_logs WHERE chain_pos = audit_checkpoints.chain_pos - 1); \
             ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_no_update;",
        )
        .await
        .unwrap();
    let report = json(app.get_as("/api/v1/audit/verify", &auditor).await).await;
    assert_eq!(report["valid"], false, "{report}");
    assert!(
        report["reason"].as_str().unwrap().contains("signature"),
        "{report}"
    );
    app.db
        .execute_unprepared(
            "ALTER TABLE audit_checkpoints DISABLE TRIGGER audit_checkpoints_no_update; \
             DELETE FROM audit_checkpoints; \
             ALTER TABLE audit_checkpoints ENABLE TRIGGER audit_checkpoints_no_update;",
        )
        .await
        .unwrap();

    // An edit of a sealed record and a deleted record are each reported at their position.
    app.db
        .execute_unprepared(
            "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_update; \
             UPDATE audit_logs SET action = 'forged' WHERE chain_pos = 4; \
             ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_no_update;",
        )
        .await
        .unwrap();
    let report = json(app.get_as("/api/v1/audit/verify", &auditor).await).await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["first_broken_seq"], 4);
    app.db
        .execute_unprepared(
            "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_update; \
             DELETE FROM audit_logs WHERE chain_pos IN (3, 4); \
             ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_no_update;",
        )
        .await
        .unwrap();
    let report = json(app.get_as("/api/v1/audit/verify", &auditor).await).await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["first_broken_seq"], 3);
    assert!(report["reason"].as_str().unwrap().contains("missing"));
}

#[tokio::test]
async fn another_instance_takes_over_sealing_when_the_sealer_stops() {
    let first = TestApp::spawn().await;
    first.signup("before@example.com").await;
    // The first instance leads: it sealed what was written.
    until_sealed(&first, Duration::from_secs(10)).await;
    let second = first.spawn_sibling().await;
    // Stop the leader: its sealer ends and its session lock goes with its connection.
    first.handle.stop(true).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    second.signup("after@example.com").await;
    until_sealed(&second, Duration::from_secs(10)).await;
    let holders = second
        .count(
            "SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND objid = (x'7365616c6572'::bigint & 4294967295)::oid \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .await;
    assert_eq!(holders, 1, "exactly one sealer");
}

/// Decodes a compact JWS with `jsonwebtoken` (not Azora's code) and the key named by its
/// header, taken from the published JWKS alone.
fn verify_with_jwks(jws: &str, jwks: &Value) -> Result<Value, String> {
    use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header, jwk::JwkSet};
    let set: JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| e.to_string())?;
    let header = decode_header(jws).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = set.find(&kid).ok_or("kid not in the JWKS")?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    decode::<Value>(jws, &key, &validation)
        .map(|d| d.claims)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn checkpoints_verify_from_the_jwks_before_and_after_a_rotation() {
    let app = TestApp::spawn().await;
    let admin = app
        .signup_with_role("root@example.com", "super_admin")
        .await;
    let auditor = app.signup_with_role("auditor@example.com", "admin").await;
    until_sealed(&app, Duration::from_secs(10)).await;
    let old = until_checkpoint(&app, &auditor, 0).await;

    let resp = app.get("/.well-known/jwks.json").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age")
    );
    let jwks = json(resp).await;
    let claims = verify_with_jwks(old["signature"].as_str().unwrap(), &jwks).unwrap();
    assert_eq!(claims["chain_pos"], old["chain_pos"]);
    assert_eq!(claims["head_hash"], old["head_hash"]);

    // Rotation needs `key:rotate` and a session.
    assert_problem(
        app.post_as(
            "/api/v1/keys/rotate",
            &auditor,
            &json!({"purpose": "audit"}),
        )
        .await,
        403,
        "forbidden",
    )
    .await;
    let rotated = json(
        app.post_as("/api/v1/keys/rotate", &admin, &json!({"purpose": "audit"}))
            .await,
    )
    .await;
    let new_kid = rotated["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old["kid"].as_str().unwrap());
    app.signup("after-rotation@example.com").await;
    let new = until_checkpoint(&app, &auditor, old["chain_pos"].as_i64().unwrap()).await;
    assert_eq!(new["kid"], new_kid.as_str());

    let jwks = json(app.get("/.well-known/jwks.json").await).await;
    let keys = jwks["keys"].as_array().unwrap();
    assert!(
        keys.iter()
            .any(|k| k["kid"] == old["kid"] && k["retired_at"].is_string())
    );
    assert!(
        keys.iter()
            .any(|k| k["kid"] == new_kid.as_str() && k["retired_at"].is_null())
    );
    // Both signatures verify with the JWKS alone, the retired key's too.
    assert!(verify_with_jwks(old["signature"].as_str().unwrap(), &jwks).is_ok());
    assert!(verify_with_jwks(new["signature"].as_str().unwrap(), &jwks).is_ok());
    // A tampered signature or payload does not.
    let sig = new["signature"].as_str().unwrap();
    let (body, s) = sig.rsplit_once('.').unwrap();
    let flipped = format!(
        "{body}.{}{}",
        if s.starts_with('A') { "B" } else { "A" },
        &s[1..]
    );
    assert!(verify_with_jwks(&flipped, &jwks).is_err());
    let (h, rest) = sig.split_once('.').unwrap();
    let (_, s) = rest.split_once('.').unwrap();
    let forged_payload = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        br#"{"chain_pos":1,"head_hash":"00"}"#,
    );
    assert!(verify_with_jwks(&format!("{h}.{forged_payload}.{s}"), &jwks).is_err());
    // The whole chain still verifies, checkpoints of both keys included.
    let report = json(app.get_as("/api/v1/audit/verify", &auditor).await).await;
    assert_eq!(report["valid"], true, "{report}");
    assert!(report["checkpoints_checked"].as_u64().unwrap() >= 2);
}
