//! What an outside probe found, each closed at its root and kept closed: API keys limited to
//! their permission list and kept away from account security, bounded paging and text, strict
//! amounts, and an OpenAPI document that says what the server does.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::users::{create_key, with_key};
use crate::helpers::{TestApp, assert_problem};

async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.unwrap()
}

#[tokio::test]
async fn api_keys_cannot_touch_account_security() {
    let app = TestApp::spawn().await;
    let user = app.signup("owner@example.com").await;
    let key = create_key(&app, &user, &["course:read"]).await;
    let other_key_id = json(app.get_as("/api/v1/me/api-keys", &user).await).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::POST, "/api/v1/me/mfa/totp".into(), None),
        (
            Method::POST,
            "/api/v1/me/mfa/totp/confirm".into(),
            Some(json!({"code": "123456"})),
        ),
        (
            Method::DELETE,
            "/api/v1/me/mfa/totp".into(),
            Some(json!({"password": "irrelevant-password"})),
        ),
        (
            Method::POST,
            "/api/v1/auth/password/change".into(),
            Some(
                json!({"current_password": crate::helpers::users::PASSWORD, "new_password": "another very long passphrase 42"}),
            ),
        ),
        (Method::GET, "/api/v1/me/api-keys".into(), None),
        (
            Method::POST,
            "/api/v1/me/api-keys".into(),
            Some(json!({"name": "more", "permissions": ["course:read"]})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/me/api-keys/{other_key_id}"),
            None,
        ),
        (Method::GET, "/api/v1/me/sessions".into(), None),
        (
            Method::DELETE,
            format!("/api/v1/me/sessions/{}", user.session_id),
            None,
        ),
        (Method::POST, "/api/v1/auth/logout".into(), None),
    ];
    for (method, path, body) in attempts {
        let resp = with_key(&app, method.clone(), &path, &key, body.as_ref()).await;
        assert_problem(resp, 403, "session_required").await;
    }
    // Nothing changed: no second factor, the session and the key live, the password works.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM mfa_totp").await,
        0,
        "no TOTP enrolment"
    );
    assert_eq!(app.get_as("/api/v1/me", &user).await.status(), 200);
    let login = json(
        app.login("owner@example.com", crate::helpers::users::PASSWORD)
            .await,
    )
    .await;
    assert!(login["access_token"].is_string(), "{login}");
    assert_eq!(
        with_key(&app, Method::GET, "/api/v1/me", &key, None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn changing_or_resetting_the_password_revokes_api_keys_and_says_so() {
    let app = TestApp::spawn().await;
    let user = app.signup("keyholder@example.com").await;
    let key = create_key(&app, &user, &["course:read"]).await;
    let resp = app
        .post_as(
            "/api/v1/auth/password/change",
            &user,
            &json!({"current_password": crate::helpers::users::PASSWORD, "new_password": "a brand new passphrase 1815"}),
        )
        .await;
    assert_eq!(resp.status(), 204);
    assert_problem(
        with_key(&app, Method::GET, "/api/v1/me", &key, None).await,
        401,
        "invalid_api_key",
    )
    .await;
    let mail = loop {
        let mail = app
            .smtp
            .wait_for("keyholder@example.com", Duration::from_secs(10))
            .await;
        if mail.subject.contains("password was changed") {
            break mail;
        }
    };
    assert!(
        mail.body.contains("1 API key(s) were revoked"),
        "{}",
        mail.body
    );
    // The session that changed it stays.
    assert_eq!(app.get_as("/api/v1/me", &user).await.status(), 200);

    // A reset by mail revokes keys made since, too.
    let key = create_key(&app, &user, &["course:read"]).await;
    assert_eq!(
        app.post_json(
            "/api/v1/auth/password/forgot",
            &json!({"email": "keyholder@example.com"})
        )
        .await
        .status(),
        202
    );
    let token = app.mail_token("keyholder@example.com").await;
    let resp = app
        .post_json(
            "/api/v1/auth/password/reset",
            &json!({"token": token, "new_password": "yet another long passphrase 77"}),
        )
        .await;
    assert_eq!(resp.status(), 204);
    assert_problem(
        with_key(&app, Method::GET, "/api/v1/me", &key, None).await,
        401,
        "invalid_api_key",
    )
    .await;
    let revoked = app
        .count(&format!(
            "SELECT count(*) AS n FROM api_keys WHERE user_id = '{}' AND revoked_reason IN ('password_change', 'password_reset')",
            user.id
        ))
        .await;
    assert_eq!(revoked, 2);
}

/// Every write route in the OpenAPI document, called with a key that may only read, is
/// refused before it does anything: 401 or 403, nothing written.
#[tokio::test]
async fn a_read_only_key_is_refused_on_every_write_route() {
    let app = TestApp::spawn().await;
    let user = app.signup("reader@example.com").await;
    let key = create_key(&app, &user, &["course:read", "wallet:read"]).await;
    let doc = json(app.get("/api-docs/openapi.json").await).await;
    let before = app.count("SELECT count(*) AS n FROM audit_logs").await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else {
                continue;
            };
            if op["security"].as_array().is_none_or(|s| s.is_empty()) {
                continue; // public routes (sign-in, registration) need no credential
            }
            let concrete: String = path
                .split('/')
                .map(|seg| {
                    if seg.starts_with('{') {
                        Uuid::now_v7().to_string()
                    } else {
                        seg.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let resp = with_key(
                &app,
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                &concrete,
                &key,
                Some(&json!({})),
            )
            .await;
            let status = resp.status().as_u16();
            let body = resp.text().await.unwrap();
            assert!(
                status == 401 || status == 403,
                "{method} {path} with a read-only key answered {status}: {body}"
            );
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} write routes checked");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_logs").await,
        before,
        "a refused write left an audit record"
    );
}

#[tokio::test]
async fn keys_act_within_their_list_on_the_owners_own_resources() {
    let app = TestApp::spawn().await;
    let user = app.signup("self@example.com").await;
    let reader = create_key(&app, &user, &["course:read"]).await;
    // Self-service writes name their permission too.
    for (method, path, body) in [
        (
            Method::PATCH,
            "/api/v1/me",
            json!({"display_name": "Renamed by a key"}),
        ),
        (Method::POST, "/api/v1/wallets", json!({"currency": "AZR"})),
    ] {
        assert_problem(
            with_key(&app, method, path, &reader, Some(&body)).await,
            403,
            "forbidden",
        )
        .await;
    }
    let profile = create_key(&app, &user, &["profile:write"]).await;
    let resp = with_key(
        &app,
        Method::PATCH,
        "/api/v1/me",
        &profile,
        Some(&json!({"display_name": "Renamed by a key"})),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp).await["display_name"], "Renamed by a key");
}

#[tokio::test]
async fn huge_page_numbers_are_refused_not_overflowed() {
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("pager@example.com", "admin").await;
    let course = Uuid::now_v7();
    for path in [
        "/api/v1/courses",
        "/api/v1/organizations",
        "/api/v1/learning-paths",
        "/api/v1/me/enrollments",
        "/api/v1/me/teaching",
        "/api/v1/users",
    ] {
        for page in ["9223372036854775807", "18446744073709551615", "1000001"] {
            let resp = app.get_as(&format!("{path}?page={page}"), &admin).await;
            let body = assert_problem(resp, 422, "validation_failed").await;
            assert_eq!(body["errors"][0]["pointer"], "page", "{path}");
        }
        let resp = app.get_as(&format!("{path}?page=1000000"), &admin).await;
        assert_eq!(resp.status(), 200, "{path}: the last allowed page");
    }
    let resp = app
        .get(&format!(
            "/api/v1/courses/{course}/reviews?page=9223372036854775807"
        ))
        .await;
    assert!(matches!(resp.status().as_u16(), 404 | 422));
    // Not a number at all: the query string is malformed.
    assert_problem(
        app.get("/api/v1/courses?page=abc").await,
        400,
        "invalid_query",
    )
    .await;
}

#[tokio::test]
async fn over_long_text_is_refused_before_the_database() {
    let app = TestApp::spawn().await;
    // A 2,800-character email at sign-in: 422, not a database error.
    let long_email = format!("{}@example.com", "a".repeat(2800));
    let body = assert_problem(
        app.login(&long_email, "whatever-password").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "#/email");
    assert_problem(
        app.register(&long_email, "a fine long passphrase 9", "Long")
            .await,
        422,
        "validation_failed",
    )
    .await;

    let user = app
        .signup_with_role("author@example.com", "instructor")
        .await;
    let before = app.count("SELECT count(*) AS n FROM audit_logs").await;
    let cases = [
        (
            "/api/v1/organizations",
            json!({"name": "Org", "description": "d".repeat(5001)}),
            "#/description",
        ),
        (
            "/api/v1/organizations",
            json!({"name": "Org", "website": format!("https://{}.example", "w".repeat(2100))}),
            "#/website",
        ),
        (
            "/api/v1/courses",
            json!({"title": "Course", "description": "c".repeat(20001)}),
            "#/description",
        ),
        (
            "/api/v1/courses",
            json!({"title": "Bell\u{7} in the title"}),
            "#/title",
        ),
        (
            "/api/v1/organizations",
            json!({"name": "Escape\u{1b}[31m"}),
            "#/name",
        ),
    ];
    for (path, body, pointer) in cases {
        let resp = app.post_as(path, &user, &body).await;
        let problem = assert_problem(resp, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{path}");
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_logs").await,
        before
    );
}

#[tokio::test]
async fn a_transfer_description_of_a_million_characters_is_refused() {
    let app = TestApp::spawn().await;
    let sender = app.signup("big-sender@example.com").await;
    let wallets = json(app.get_as("/api/v1/wallets", &sender).await).await;
    let wallet = match wallets.as_array().and_then(|w| w.first()) {
        Some(w) => w["id"].as_str().unwrap().to_owned(),
        None => json(
            app.post_as("/api/v1/wallets", &sender, &json!({"currency": "AZR"}))
                .await,
        )
        .await["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    let resp = app
        .client
        .post(app.url("/api/v1/wallet/transfers"))
        .bearer_auth(&sender.access_token)
        .header("Idempotency-Key", Uuid::now_v7().to_string())
        .json(&json!({
            "from_wallet_id": wallet,
            "to_email": "nobody@example.com",
            "amount": "1",
            "description": "x".repeat(1_000_000),
        }))
        .send()
        .await
        .unwrap();
    let body = assert_problem(resp, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["pointer"], "#/description");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM ledger_transactions WHERE length(description) > 500")
            .await,
        0
    );
}

#[tokio::test]
async fn amounts_are_strict_and_single_choice_keys_unique() {
    let app = TestApp::spawn().await;
    let sender = app.signup("strict@example.com").await;
    let wallet = json(
        app.post_as("/api/v1/wallets", &sender, &json!({"currency": "ZAR"}))
            .await,
    )
    .await;
    let wallet = wallet["id"].as_str().unwrap_or_default().to_owned();
    for amount in [" 1", "1 ", "+1", "1e2", "0x1", "١"] {
        let resp = app
            .client
            .post(app.url("/api/v1/wallet/transfers"))
            .bearer_auth(&sender.access_token)
            .header("Idempotency-Key", Uuid::now_v7().to_string())
            .json(&json!({"from_wallet_id": wallet, "to_email": "x@example.com", "amount": amount}))
            .send()
            .await
            .unwrap();
        let body = assert_problem(resp, 422, "validation_failed").await;
        assert_eq!(body["errors"][0]["pointer"], "#/amount", "{amount:?}");
    }

    let teacher = app.signup_with_role("keys@example.com", "instructor").await;
    let course = json(
        app.post_as("/api/v1/courses", &teacher, &json!({"title": "Keys"}))
            .await,
    )
    .await;
    let quiz = json(
        app.post_as(
            &format!("/api/v1/courses/{}/quizzes", course["id"].as_str().unwrap()),
            &teacher,
            &json!({"title": "Q"}),
        )
        .await,
    )
    .await;
    let resp = app
        .post_as(
            &format!("/api/v1/quizzes/{}/questions", quiz["id"].as_str().unwrap()),
            &teacher,
            &json!({"kind": "single_choice", "prompt": "Pick", "options": ["a", "b"], "correct_options": [0, 0]}),
        )
        .await;
    let body = assert_problem(resp, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["pointer"], "#/correct_options");
}

/// The served document is what generators and validators need: every response described,
/// every problem code known, every text input bounded, and the shared problems everywhere.
#[tokio::test]
async fn the_openapi_document_declares_what_the_server_does() {
    let app = TestApp::spawn().await;
    let doc = json(app.get("/api-docs/openapi.json").await).await;
    assert!(azora::http::docs::unknown_codes(&doc).is_empty());
    assert_eq!(azora::http::docs::dangling_refs(&doc), Vec::<String>::new());
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, resp) in op["responses"].as_object().unwrap() {
                if resp["description"].as_str().is_none_or(str::is_empty) {
                    missing.push(format!("{method} {path} {status}: no description"));
                }
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let statuses: Vec<&str> = op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            if secured {
                for s in ["401", "403"] {
                    if !statuses.contains(&s) {
                        missing.push(format!("{method} {path}: no {s}"));
                    }
                }
            }
            if op.get("requestBody").is_some() {
                for s in ["400", "413", "415", "422"] {
                    if !statuses.contains(&s) {
                        missing.push(format!("{method} {path}: no {s}"));
                    }
                }
            }
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "query" && p["schema"]["type"] == "string" {
                    let bounded = p["schema"]["maxLength"].is_u64()
                        || p["schema"]["format"].is_string()
                        || p["schema"]["enum"].is_array();
                    if !bounded {
                        missing.push(format!("{method} {path}: query `{}` unbounded", p["name"]));
                    }
                }
            }
        }
    }
    // Every text field of a request body has a maximum length.
    let mut request_schemas = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(r) =
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            {
                request_schemas.push(r.trim_start_matches("#/components/schemas/").to_owned());
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    while let Some(name) = request_schemas.pop() {
        if !seen.insert(name.clone()) {
            continue;
        }
        let schema = &schemas[&name];
        check_strings(&name, schema, &mut missing, &mut request_schemas);
    }
    assert!(missing.is_empty(), "{missing:#?}");
}

fn check_strings(at: &str, schema: &Value, missing: &mut Vec<String>, refs: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        refs.push(r.trim_start_matches("#/components/schemas/").to_owned());
        return;
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if types.contains(&"string")
        && !(schema["maxLength"].is_u64()
            || schema["format"].is_string()
            || schema["enum"].is_array())
    {
        missing.push(format!("{at}: unbounded string"));
    }
    for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
        check_strings(&format!("{at}.{name}"), prop, missing, refs);
    }
    check_strings_opt(&format!("{at}[]"), &schema["items"], missing, refs);
    for key in ["oneOf", "anyOf", "allOf"] {
        for (i, s) in schema[key].as_array().into_iter().flatten().enumerate() {
            check_strings(&format!("{at}/{key}/{i}"), s, missing, refs);
        }
    }
}

fn check_strings_opt(at: &str, schema: &Value, missing: &mut Vec<String>, refs: &mut Vec<String>) {
    if schema.is_object() {
        check_strings(at, schema, missing, refs);
    }
}

/// An `Idempotency-Key` outside the declared pattern is refused before anything happens, on
/// writes that require one (transfers) and writes that take one (enrollment).
#[tokio::test]
async fn malformed_idempotency_keys_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let learner = app.signup("keys-pattern@example.com").await;
    let bad: [&[u8]; 4] = [b"", b"a\tb", "caf\u{e9}".as_bytes(), &[b'k'; 201]];
    for key in bad {
        let value = reqwest::header::HeaderValue::from_bytes(key).unwrap();
        for path in [
            format!("/api/v1/courses/{}/enroll", Uuid::now_v7()),
            "/api/v1/wallet/transfers".to_owned(),
        ] {
            let resp = app
                .client
                .post(app.url(&path))
                .bearer_auth(&learner.access_token)
                .header("Idempotency-Key", value.clone())
                .json(&json!({
                    "from_wallet_id": Uuid::now_v7(),
                    "to_wallet_id": Uuid::now_v7(),
                    "amount": "1",
                    "description": "well-formed",
                }))
                .send()
                .await
                .unwrap();
            assert_problem(resp, 400, "invalid_idempotency_key").await;
        }
    }
    assert_eq!(
        app.count("SELECT count(*) AS n FROM idempotency_keys")
            .await,
        0
    );
}
