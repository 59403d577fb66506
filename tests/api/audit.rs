//! The audit trail from the outside: records written with the actions, filtered and paged
//! reads for `audit:read` holders only, and the hash chain catching an edit made in SQL.

use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::users::PASSWORD;
use crate::helpers::{TestApp, assert_problem};

async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON body")
}

#[tokio::test]
async fn actions_are_recorded_and_readable_with_filters_and_cursor() {
    let app = TestApp::spawn().await;
    let auditor = app.signup_with_role("auditor@example.com", "admin").await;
    let student = app.signup("student@example.com").await;
    assert_problem(
        app.login("student@example.com", "wrong password!!").await,
        401,
        "invalid_credentials",
    )
    .await;

    assert_problem(
        app.get_as("/api/v1/audit/logs", &student).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/audit/verify", &student).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.get("/api/v1/audit/logs").await, 401, "unauthenticated").await;

    let failures = json(
        app.get_as("/api/v1/audit/logs?action=auth.login", &auditor)
            .await,
    )
    .await;
    let failed: Vec<&Value> = failures["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"] == "failure")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["details"]["email"], "student@example.com");
    assert_eq!(failed[0]["ip"], "127.0.0.1");
    assert!(failed[0]["request_id"].is_string());
    assert!(
        !failed[0].to_string().contains(PASSWORD),
        "no secrets in the trail"
    );
    assert!(
        !failed[0].to_string().contains("wrong password"),
        "no secrets in the trail"
    );

    let mine = json(
        app.get_as(
            &format!("/api/v1/audit/logs?actor_id={}", student.id),
            &auditor,
        )
        .await,
    )
    .await;
    assert!(
        mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["actor_id"] == student.id.to_string())
    );

    // Page through everything two at a time; newest first, no record twice.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/audit/logs?limit=2&cursor={c}"),
            None => "/api/v1/audit/logs?limit=2".to_owned(),
        };
        let page = json(app.get_as(&path, &auditor).await).await;
        for item in page["items"].as_array().unwrap() {
            seen.push(item["seq"].as_i64().unwrap());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let total = app.count("SELECT count(*) AS n FROM audit_logs").await;
    assert_eq!(seen.len() as i64, total);
    assert!(seen.windows(2).all(|w| w[0] > w[1]));

    assert_problem(
        app.get_as("/api/v1/audit/logs?limit=0", &auditor).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/audit/logs?cursor=abc", &auditor).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/audit/logs?from=yesterday", &auditor)
            .await,
        400,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn the_chain_verifies_and_reports_an_edit_made_in_sql() {
    let app = TestApp::spawn().await;
    let auditor = app.signup_with_role("auditor@example.com", "admin").await;
    for i in 0..3 {
        app.signup(&format!("user{i}@example.com")).await;
    }
    let report = json(app.get_as("/api/v1/audit/verify", &auditor).await).await;
    assert_eq!(report["valid"], true, "{report}");
    let total = app.count("SELECT count(*) AS n FROM audit_logs").await;
    assert_eq!(report["checked"], total);

    // The table refuses edits...
    let refused = app
        .db
        .execute_unprepared("UPDATE audit_logs SET outcome = 'failure' WHERE seq = 3")
        .await;
    assert!(refused.is_err());
    // ...so a tamperer goes around the trigger.
    app.db
        .execute_unprepared(
            "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_update; \
             UPDATE audit_logs SET details = '{\"forged\": true}' WHERE seq = 3; \
             ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_no_update;",
        )
        .await
        .unwrap();
    let report = json(app.get_as("/api/v1/audit/verify", &auditor).await).await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["first_broken_seq"], 3);
    assert_eq!(report["checked"], 2);

    // Deleting a record is caught too.
    app.db
        .execute_unprepared(
            "ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_no_update; \
             UPDATE audit_logs SET details = '{}' WHERE seq = 3; \
             DELETE FROM audit_logs WHERE seq = 2; \
             ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_no_update;",
        )
        .await
        .unwrap();
    let report = json(app.get_as("/api/v1/audit/verify", &auditor).await).await;
    assert_eq!(report["valid"], false);
    assert_eq!(report["first_broken_seq"], 2);
    let _ = json!({});
}
