//! Accounts and sign-in from the outside: the mail journey over real SMTP, password rules,
//! enumeration-safe answers, refresh rotation and reuse, MFA, lockout across instances,
//! sessions, API keys, profiles and account administration.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::users::{PASSWORD, user_from_tokens};
use crate::helpers::{TestApp, assert_problem};

async fn json(resp: reqwest::Response) -> Value {
    resp.json().await.expect("JSON body")
}

#[tokio::test]
async fn full_journey_register_mail_verify_login_refresh_logout() {
    let app = TestApp::spawn().await;

    let resp = app
        .register("Ada@Example.com", PASSWORD, "Ada Lovelace")
        .await;
    assert_eq!(resp.status(), 201);
    let user = json(resp).await;
    assert_eq!(
        user["email"], "ada@example.com",
        "emails are stored lower-cased"
    );
    assert_eq!(user["email_verified"], false);
    assert!(user.get("password_hash").is_none());

    // The verification mail arrives over SMTP with a token.
    let mail = app
        .smtp
        .wait_for("ada@example.com", Duration::from_secs(10))
        .await;
    assert!(mail.subject.contains("Confirm"), "{}", mail.subject);
    let token = mail.param("token").expect("token in mail");

    // Unverified accounts may sign in.
    let resp = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(resp.status(), 200);

    let resp = app
        .post_json("/api/v1/auth/verify-email", &json!({"token": token}))
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(json(resp).await["email_verified"], true);
    // Single use.
    let resp = app
        .post_json("/api/v1/auth/verify-email", &json!({"token": token}))
        .await;
    assert_problem(resp, 422, "invalid_or_expired_token").await;

    let resp = app.login("ADA@example.com", PASSWORD).await;
    assert_eq!(resp.status(), 200);
    let tokens = json(resp).await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let user = user_from_tokens(&tokens, "ada@example.com", PASSWORD);

    let me = json(app.get_as("/api/v1/me", &user).await).await;
    assert_eq!(me["display_name"], "Ada Lovelace");
    assert_eq!(me["email_verified"], true);

    // Refresh rotates the pair; the new access token works.
    let resp = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let rotated = user_from_tokens(&json(resp).await, &user.email, PASSWORD);
    assert_ne!(rotated.refresh_token, user.refresh_token);
    assert_eq!(rotated.session_id, user.session_id);
    assert_eq!(app.get_as("/api/v1/me", &rotated).await.status(), 200);

    // Logout ends the session at once, for every token of it.
    let resp = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            &rotated.access_token,
            None,
        )
        .await;
    assert_eq!(resp.status(), 204);
    assert_problem(
        app.get_as("/api/v1/me", &rotated).await,
        401,
        "session_revoked",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/me", &user).await,
        401,
        "session_revoked",
    )
    .await;
    let resp = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": rotated.refresh_token}),
        )
        .await;
    assert_problem(resp, 401, "invalid_refresh_token").await;

    // Audited.
    let actions = app
        .count("SELECT count(DISTINCT action) AS n FROM audit_logs WHERE action IN \
                ('user.register', 'user.verify_email', 'auth.login', 'auth.refresh', 'auth.logout')")
        .await;
    assert_eq!(actions, 5);
}

#[tokio::test]
async fn registration_rules() {
    let app = TestApp::spawn().await;

    let body = assert_problem(
        app.register("weak@example.com", "password12", "W").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "#/password");
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("too easy to guess"),
        "{body}"
    );

    let body = assert_problem(
        app.register("short@example.com", "Xy7#q", "S").await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("at least 10")
    );

    let long = "Zq9!".repeat(33);
    assert_problem(
        app.register("long@example.com", &long, "L").await,
        422,
        "validation_failed",
    )
    .await;

    let body = assert_problem(
        app.register(
            "grace.hopper@example.com",
            "grace.hopper-Compiler-1952",
            "G",
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert!(
        body["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("email"),
        "{body}"
    );

    let body = assert_problem(
        app.register("not-an-email", PASSWORD, "N").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "#/email");

    let body = assert_problem(
        app.register("blank@example.com", PASSWORD, "  ").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "#/display_name");

    assert_eq!(
        app.register("dup@example.com", PASSWORD, "D")
            .await
            .status(),
        201
    );
    let body = assert_problem(
        app.register("DUP@example.com", PASSWORD, "D2").await,
        409,
        "email_taken",
    )
    .await;
    assert_eq!(body["errors"][0]["pointer"], "#/email");

    // Refused registrations left nothing behind.
    assert_eq!(app.count("SELECT count(*) AS n FROM users").await, 1);
}

#[tokio::test]
async fn forgot_and_resend_do_not_reveal_accounts() {
    let app = TestApp::spawn().await;
    app.register("known@example.com", PASSWORD, "Known").await;
    app.smtp
        .wait_for("known@example.com", Duration::from_secs(10))
        .await;

    for path in [
        "/api/v1/auth/password/forgot",
        "/api/v1/auth/resend-verification",
    ] {
        let known = app
            .post_json(path, &json!({"email": "known@example.com"}))
            .await;
        let unknown = app
            .post_json(path, &json!({"email": "nobody@example.com"}))
            .await;
        assert_eq!(known.status(), 202);
        assert_eq!(unknown.status(), 202);
        assert_eq!(json(known).await, json(unknown).await, "{path}: same body");
    }
    // The known address gets its two mails; the unknown one gets nothing.
    let to_known = || {
        app.smtp
            .messages()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == "known@example.com"))
            .count()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while to_known() < 3 {
        assert!(std::time::Instant::now() < deadline, "mails did not arrive");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(to_known(), 3);
    assert!(
        app.smtp
            .messages()
            .iter()
            .all(|m| !m.to.iter().any(|t| t == "nobody@example.com"))
    );
}

#[tokio::test]
async fn password_reset_by_mail_ends_every_session() {
    let app = TestApp::spawn().await;
    let user = app.signup("reset@example.com").await;
    app.smtp
        .wait_for("reset@example.com", Duration::from_secs(10))
        .await;

    app.post_json(
        "/api/v1/auth/password/forgot",
        &json!({"email": "reset@example.com"}),
    )
    .await;
    let mail = app
        .smtp
        .wait_for("reset@example.com", Duration::from_secs(10))
        .await;
    assert!(mail.subject.contains("Reset"), "{}", mail.subject);
    let token = mail.param("token").unwrap();

    let weak = app
        .post_json(
            "/api/v1/auth/password/reset",
            &json!({"token": token, "new_password": "password1"}),
        )
        .await;
    let body = assert_problem(weak, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["pointer"], "#/new_password");
    // The failed attempt did not spend the token.
    let new_password = "a brand new lengthy passphrase";
    let resp = app
        .post_json(
            "/api/v1/auth/password/reset",
            &json!({"token": token, "new_password": new_password}),
        )
        .await;
    assert_eq!(resp.status(), 204);

    assert_problem(
        app.get_as("/api/v1/me", &user).await,
        401,
        "session_revoked",
    )
    .await;
    assert_problem(
        app.login("reset@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(
        app.login("reset@example.com", new_password).await.status(),
        200
    );
    let again = app
        .post_json(
            "/api/v1/auth/password/reset",
            &json!({"token": token, "new_password": "yet another long passphrase"}),
        )
        .await;
    assert_problem(again, 422, "invalid_or_expired_token").await;
}

#[tokio::test]
async fn expired_tokens_are_refused() {
    let app = TestApp::spawn().await;
    app.register("late@example.com", PASSWORD, "Late").await;
    let token = app.mail_token("late@example.com").await;
    app.count("WITH u AS (UPDATE email_tokens SET expires_at = now() - interval '1 second' RETURNING 1) SELECT count(*) AS n FROM u")
        .await;
    let resp = app
        .post_json("/api/v1/auth/verify-email", &json!({"token": token}))
        .await;
    assert_problem(resp, 422, "invalid_or_expired_token").await;
}

#[tokio::test]
async fn password_change_keeps_this_session_and_ends_the_others() {
    let app = TestApp::spawn().await;
    let here = app.signup("change@example.com").await;
    let elsewhere = app.signin("change@example.com", PASSWORD).await;

    let wrong = app
        .post_as("/api/v1/auth/password/change", &here, &json!({"current_password": "nope nope nope", "new_password": "another decent passphrase"}))
        .await;
    let body = assert_problem(wrong, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["pointer"], "#/current_password");

    let ok = app
        .post_as(
            "/api/v1/auth/password/change",
            &here,
            &json!({"current_password": PASSWORD, "new_password": "another decent passphrase"}),
        )
        .await;
    assert_eq!(ok.status(), 204);
    assert_eq!(app.get_as("/api/v1/me", &here).await.status(), 200);
    assert_problem(
        app.get_as("/api/v1/me", &elsewhere).await,
        401,
        "session_revoked",
    )
    .await;
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    let user = app.signup("family@example.com").await;

    let first = json(
        app.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await,
    )
    .await;
    let second = user_from_tokens(&first, &user.email, PASSWORD);

    // An attacker replays the first (spent) refresh token.
    let replay = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_problem(replay, 401, "refresh_token_reused").await;

    // The legitimate holder's newer tokens died with the family.
    assert_problem(
        app.get_as("/api/v1/me", &second).await,
        401,
        "session_revoked",
    )
    .await;
    let resp = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": second.refresh_token}),
        )
        .await;
    assert_problem(resp, 401, "invalid_refresh_token").await;

    // Recorded as a security event.
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_logs WHERE action = 'auth.refresh_token_reuse' AND outcome = 'denied'")
            .await,
        1
    );
    assert_problem(
        app.post_json("/api/v1/auth/refresh", &json!({"refresh_token": "made-up"}))
            .await,
        401,
        "invalid_refresh_token",
    )
    .await;
}

fn totp_code(secret: &str, offset_steps: i64) -> String {
    let totp = totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .with_account_name("t")
        .build()
        .unwrap();
    let now = chrono::Utc::now().timestamp() + offset_steps * 30;
    totp.generate(now as u64).to_string()
}

#[tokio::test]
async fn totp_enrol_login_backup_codes_and_replay() {
    let app = TestApp::spawn().await;
    let user = app.signup("mfa@example.com").await;

    let enrol = json(
        app.call(
            Method::POST,
            "/api/v1/me/mfa/totp",
            &user.access_token,
            None,
        )
        .await,
    )
    .await;
    let secret = enrol["secret"].as_str().unwrap().to_owned();
    // Stored encrypted, never as the seed itself.
    let stored = app
        .count(&format!("SELECT count(*) AS n FROM mfa_totp WHERE secret LIKE '%{secret}%' OR secret NOT LIKE 'v1:%'"))
        .await;
    assert_eq!(stored, 0);
    assert!(
        enrol["otpauth_uri"]
            .as_str()
            .unwrap()
            .starts_with("otpauth://totp/")
    );

    let bad = app
        .post_as(
            "/api/v1/me/mfa/totp/confirm",
            &user,
            &json!({"code": "000000"}),
        )
        .await;
    assert_problem(bad, 422, "validation_failed").await;
    // Confirm with the previous step's code, so the current one is still fresh for login.
    let confirm = app
        .post_as(
            "/api/v1/me/mfa/totp/confirm",
            &user,
            &json!({"code": totp_code(&secret, -1)}),
        )
        .await;
    assert_eq!(confirm.status(), 200);
    let codes: Vec<String> =
        serde_json::from_value(json(confirm).await["backup_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!(
        json(app.get_as("/api/v1/me", &user).await).await["mfa_enabled"],
        true
    );

    // Password alone now yields a challenge, not tokens.
    let step1 = json(app.login("mfa@example.com", PASSWORD).await).await;
    assert_eq!(step1["mfa_required"], true);
    assert!(step1.get("access_token").is_none());
    let challenge = step1["mfa_token"].as_str().unwrap().to_owned();

    let wrong = app
        .post_json(
            "/api/v1/auth/login/mfa",
            &json!({"mfa_token": challenge, "code": "123456"}),
        )
        .await;
    assert_problem(wrong, 401, "invalid_mfa_code").await;
    let code = totp_code(&secret, 0);
    let ok = app
        .post_json(
            "/api/v1/auth/login/mfa",
            &json!({"mfa_token": challenge, "code": code}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    assert!(json(ok).await["access_token"].is_string());
    // The challenge is single-use.
    let again = app
        .post_json(
            "/api/v1/auth/login/mfa",
            &json!({"mfa_token": challenge, "code": code}),
        )
        .await;
    assert_problem(again, 401, "invalid_mfa_token").await;

    // The same TOTP code cannot be replayed within its window, even with a new challenge.
    let step1 = json(app.login("mfa@example.com", PASSWORD).await).await;
    let challenge = step1["mfa_token"].as_str().unwrap().to_owned();
    let replay = app
        .post_json(
            "/api/v1/auth/login/mfa",
            &json!({"mfa_token": challenge, "code": code}),
        )
        .await;
    assert_problem(replay, 401, "invalid_mfa_code").await;

    // A backup code works once.
    let backup = codes[3].to_uppercase();
    let ok = app
        .post_json(
            "/api/v1/auth/login/mfa",
            &json!({"mfa_token": challenge, "code": backup}),
        )
        .await;
    assert_eq!(ok.status(), 200);
    let step1 = json(app.login("mfa@example.com", PASSWORD).await).await;
    let challenge = step1["mfa_token"].as_str().unwrap().to_owned();
    let reuse = app
        .post_json(
            "/api/v1/auth/login/mfa",
            &json!({"mfa_token": challenge, "code": backup}),
        )
        .await;
    assert_problem(reuse, 401, "invalid_mfa_code").await;

    // Disabling needs the password (or a code).
    let resp = app
        .call(
            Method::DELETE,
            "/api/v1/me/mfa/totp",
            &user.access_token,
            Some(&json!({"password": "wrong password here"})),
        )
        .await;
    assert_problem(resp, 422, "validation_failed").await;
    let resp = app
        .call(
            Method::DELETE,
            "/api/v1/me/mfa/totp",
            &user.access_token,
            Some(&json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(resp.status(), 204);
    assert!(json(app.login("mfa@example.com", PASSWORD).await).await["access_token"].is_string());
    assert!(
        app.count(
            "SELECT count(*) AS n FROM audit_logs WHERE action IN ('mfa.enable', 'mfa.disable')"
        )
        .await
            == 2
    );
}

#[tokio::test]
async fn lockout_after_five_failures_holds_across_instances_and_hides_accounts() {
    let app = TestApp::spawn().await;
    let other_node = app.spawn_sibling().await;
    app.signup("victim@example.com").await;

    for node in [&app, &other_node, &app, &other_node, &app] {
        assert_problem(
            node.login("victim@example.com", "wrong password!!").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    // Locked on both nodes, even with the right password.
    for node in [&other_node, &app] {
        let resp = node.login("victim@example.com", PASSWORD).await;
        let retry: u64 = resp.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&retry), "{retry}");
        assert_problem(resp, 429, "account_locked").await;
    }

    // An unknown address answers exactly the same way: no enumeration.
    for _ in 0..5 {
        assert_problem(
            app.login("ghost@example.com", "wrong password!!").await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    assert_problem(
        app.login("ghost@example.com", "wrong password!!").await,
        429,
        "account_locked",
    )
    .await;

    // After the lock expires (moved into the past here), the right password works, and the
    // next lock after another failure is longer (exponential backoff).
    app.count("WITH u AS (UPDATE login_attempts SET created_at = created_at - interval '31 seconds' WHERE email = 'victim@example.com' RETURNING 1) SELECT count(*) AS n FROM u").await;
    assert_problem(
        app.login("victim@example.com", "wrong again!!!!!").await,
        401,
        "invalid_credentials",
    )
    .await;
    let resp = app.login("victim@example.com", PASSWORD).await;
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((31..=60).contains(&retry), "doubled: {retry}");
    assert_problem(resp, 429, "account_locked").await;
}

#[tokio::test]
async fn auth_routes_are_rate_limited_per_ip() {
    let app = TestApp::spawn_with(|s| s.security.ip_requests_per_minute = 3).await;
    for _ in 0..3 {
        assert_eq!(
            app.login("nobody@example.com", "whatever whatever")
                .await
                .status(),
            401
        );
    }
    let resp = app.login("nobody@example.com", "whatever whatever").await;
    assert!(resp.headers().contains_key("retry-after"));
    assert_problem(resp, 429, "rate_limited").await;
}

#[tokio::test]
async fn unverified_accounts_are_refused_where_verification_is_required() {
    let app = TestApp::spawn().await;
    app.register("fresh@example.com", PASSWORD, "Fresh").await;
    let fresh = app.signin("fresh@example.com", PASSWORD).await;
    let resp = app
        .post_as(
            "/api/v1/organizations",
            &fresh,
            &json!({"name": "Fresh School"}),
        )
        .await;
    assert_problem(resp, 403, "email_not_verified").await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM organizations").await,
        0
    );
}

#[tokio::test]
async fn sessions_are_listed_and_revocable_but_only_ones_own() {
    let app = TestApp::spawn().await;
    let phone = app.signup("multi@example.com").await;
    let laptop = app.signin("multi@example.com", PASSWORD).await;
    let stranger = app.signup("stranger@example.com").await;

    let sessions = json(app.get_as("/api/v1/me/sessions", &laptop).await).await;
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    assert!(sessions.iter().any(|s| s["current"] == true));
    assert!(sessions.iter().all(|s| s["ip"] == "127.0.0.1"));

    // A stranger cannot see or end them.
    let resp = app
        .delete_as(
            &format!("/api/v1/me/sessions/{}", phone.session_id),
            &stranger,
        )
        .await;
    assert_problem(resp, 404, "not_found").await;
    assert_eq!(app.get_as("/api/v1/me", &phone).await.status(), 200);

    let resp = app
        .delete_as(
            &format!("/api/v1/me/sessions/{}", phone.session_id),
            &laptop,
        )
        .await;
    assert_eq!(resp.status(), 204);
    assert_problem(
        app.get_as("/api/v1/me", &phone).await,
        401,
        "session_revoked",
    )
    .await;
    assert_eq!(app.get_as("/api/v1/me", &laptop).await.status(), 200);
}

#[tokio::test]
async fn bad_credentials_are_401_problems() {
    let app = TestApp::spawn().await;
    assert_problem(app.get("/api/v1/me").await, 401, "unauthenticated").await;
    let resp = app.call(Method::GET, "/api/v1/me", "not.a.jwt", None).await;
    assert_problem(resp, 401, "invalid_token").await;
    let resp = app
        .client
        .get(app.url("/api/v1/me"))
        .header("Authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_problem(resp, 401, "invalid_token").await;
    let resp = app
        .client
        .get(app.url("/api/v1/me"))
        .header("X-Api-Key", "azk_nope")
        .send()
        .await
        .unwrap();
    assert_problem(resp, 401, "invalid_api_key").await;
}

#[tokio::test]
async fn api_keys_carry_a_subset_of_permissions_and_can_be_revoked() {
    let app = TestApp::spawn().await;
    let user = app.signup("keys@example.com").await;
    let other = app.signup("other-keys@example.com").await;

    let resp = app
        .post_as(
            "/api/v1/me/api-keys",
            &user,
            &json!({"name": "ci", "permissions": ["wallet:mint"]}),
        )
        .await;
    let body = assert_problem(resp, 422, "validation_failed").await;
    assert_eq!(body["errors"][0]["pointer"], "#/permissions/0");

    let created = app
        .post_as(
            "/api/v1/me/api-keys",
            &user,
            &json!({"name": "ci", "permissions": ["course:enroll"]}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created = json(created).await;
    let key = created["key"].as_str().unwrap().to_owned();
    let key_id = created["id"].as_str().unwrap().to_owned();
    assert!(key.starts_with(&created["prefix"].as_str().unwrap()[..8]));

    let with_key = |path: &str| {
        app.client
            .get(app.url(path))
            .header("X-Api-Key", key.clone())
            .send()
    };
    let me = with_key("/api/v1/me").await.unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(json(me).await["email"], "keys@example.com");
    // The key does not carry org:create, though its owner holds it.
    let resp = app
        .client
        .post(app.url("/api/v1/organizations"))
        .header("X-Api-Key", key.clone())
        .json(&json!({"name": "Keyed School"}))
        .send()
        .await
        .unwrap();
    assert_problem(resp, 403, "forbidden").await;

    // Listed without the secret, with last use recorded.
    let list = json(app.get_as("/api/v1/me/api-keys", &user).await).await;
    assert!(list[0].get("key").is_none());
    assert!(list[0]["last_used_at"].is_string());
    assert_eq!(
        json(app.get_as("/api/v1/me/api-keys", &other).await).await,
        json!([])
    );

    // Another user cannot revoke it; its owner can.
    let resp = app
        .delete_as(&format!("/api/v1/me/api-keys/{key_id}"), &other)
        .await;
    assert_problem(resp, 404, "not_found").await;
    assert_eq!(
        app.delete_as(&format!("/api/v1/me/api-keys/{key_id}"), &user)
            .await
            .status(),
        204
    );
    assert_problem(
        with_key("/api/v1/me").await.unwrap(),
        401,
        "invalid_api_key",
    )
    .await;
}

#[tokio::test]
async fn profile_is_editable_by_its_owner_only() {
    let app = TestApp::spawn().await;
    let user = app.signup("profile@example.com").await;
    let other = app.signup("nosy@example.com").await;

    let resp = app
        .patch_as("/api/v1/me", &user, &json!({"display_name": "Prof", "bio": "Teaches", "avatar_url": "https://cdn.example.com/a.png", "locale": "en-ZA", "time_zone": "Africa/Johannesburg"}))
        .await;
    assert_eq!(resp.status(), 200);
    let me = json(resp).await;
    assert_eq!(me["locale"], "en-ZA");
    assert_eq!(me["avatar_url"], "https://cdn.example.com/a.png");
    let me = json(
        app.patch_as("/api/v1/me", &user, &json!({"avatar_url": null}))
            .await,
    )
    .await;
    assert_eq!(me["avatar_url"], Value::Null);
    assert_eq!(me["bio"], "Teaches");

    let body = assert_problem(
        app.patch_as(
            "/api/v1/me",
            &user,
            &json!({"avatar_url": "javascript:alert(1)", "time_zone": "Nowhere"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["errors"].as_array().unwrap().len(), 2);

    assert_problem(
        app.get_as(&format!("/api/v1/users/{}", user.id), &other)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        app.get_as(&format!("/api/v1/users/{}", user.id), &user)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn admins_list_suspend_reactivate_and_delete_accounts() {
    let app = TestApp::spawn().await;
    let admin = app.signup_with_role("root@example.com", "admin").await;
    let student = app.signup("pupil@example.com").await;

    let page = json(
        app.get_as("/api/v1/users?q=pupil&per_page=10", &admin)
            .await,
    )
    .await;
    assert_eq!(page["total"], 1);
    assert_eq!(page["items"][0]["email"], "pupil@example.com");
    assert_eq!(page["per_page"], 10);
    assert_problem(
        app.get_as("/api/v1/users?per_page=500", &admin).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get_as("/api/v1/users", &student).await,
        403,
        "forbidden",
    )
    .await;

    let path = format!("/api/v1/users/{}/status", student.id);
    // A student cannot suspend anyone (and is not told the account exists).
    assert_problem(
        app.patch_as(
            &format!("/api/v1/users/{}/status", admin.id),
            &student,
            &json!({"status": "suspended"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;

    let resp = app
        .patch_as(
            &path,
            &admin,
            &json!({"status": "suspended", "reason": "spam"}),
        )
        .await;
    assert_eq!(json(resp).await["status"], "suspended");
    assert_problem(
        app.get_as("/api/v1/me", &student).await,
        401,
        "session_revoked",
    )
    .await;
    assert_problem(
        app.login("pupil@example.com", PASSWORD).await,
        403,
        "account_suspended",
    )
    .await;

    let resp = app
        .patch_as(&path, &admin, &json!({"status": "active"}))
        .await;
    assert_eq!(json(resp).await["status"], "active");
    assert_eq!(app.login("pupil@example.com", PASSWORD).await.status(), 200);

    let resp = app
        .patch_as(&path, &admin, &json!({"status": "deleted"}))
        .await;
    assert!(json(resp).await["deleted_at"].is_string());
    assert_problem(
        app.login("pupil@example.com", PASSWORD).await,
        401,
        "invalid_credentials",
    )
    .await;
    let deleted = json(app.get_as("/api/v1/users?status=deleted", &admin).await).await;
    assert_eq!(deleted["total"], 1);

    assert_problem(
        app.patch_as(&path, &admin, &json!({"status": "banished"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.patch_as(
            &format!("/api/v1/users/{}/status", admin.id),
            &admin,
            &json!({"status": "suspended"}),
        )
        .await,
        422,
        "cannot_change_own_status",
    )
    .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM audit_logs WHERE action = 'user.status_change'")
            .await,
        3
    );
}

#[tokio::test]
async fn development_serve_seeds_an_empty_database_with_demo_accounts() {
    let app = TestApp::spawn_with(|s| s.environment = "development".into()).await;
    for (email, role) in [
        ("student@azora.world", "student"),
        ("educator@azora.world", "instructor"),
        ("employer@azora.world", "employer"),
        ("admin@azora.world", "super_admin"),
    ] {
        let user = app.signin(email, "Azora2025!").await;
        let me = json(app.get_as("/api/v1/me", &user).await).await;
        assert_eq!(me["email_verified"], true, "{email}");
        let grants = json(
            app.get_as(
                &format!("/api/v1/rbac/assignments?user_id={}", user.id),
                &user,
            )
            .await,
        )
        .await;
        assert!(
            grants.as_array().unwrap().iter().any(|g| g["role"] == role),
            "{email}: {grants}"
        );
    }
    let orgs = json(app.get("/api/v1/organizations").await).await;
    assert_eq!(orgs["items"][0]["slug"], "azora-academy");
    // Demo money: AZR and ZAR wallets, a stake, and a clean ledger.
    let student = app.signin("student@azora.world", "Azora2025!").await;
    let wallets = json(app.get_as("/api/v1/wallets", &student).await).await;
    let currencies: Vec<&str> = wallets
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w["currency"].as_str())
        .collect();
    // USD too: the student bought the paid demo course.
    assert_eq!(currencies, ["AZR", "USD", "ZAR"]);
    let stakes = json(app.get_as("/api/v1/wallet/stakes", &student).await).await;
    assert_eq!(stakes.as_array().unwrap().len(), 1);
    let admin = app.signin("admin@azora.world", "Azora2025!").await;
    let report = json(app.get_as("/api/v1/wallet/reconcile", &admin).await).await;
    assert_eq!(report["ok"], true, "{report}");
    // Demo learning: a catalog, paths, the student's enrollments and grades.
    let catalog = json(app.get("/api/v1/courses").await).await;
    assert!(catalog["total"].as_u64().unwrap() >= 3, "{catalog}");
    let paths = json(app.get("/api/v1/learning-paths").await).await;
    assert_eq!(paths["total"], 2);
    let enrollments = json(app.get_as("/api/v1/me/enrollments", &student).await).await;
    let statuses: Vec<&str> = enrollments["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["status"].as_str())
        .collect();
    assert!(
        statuses.contains(&"completed") && statuses.contains(&"active"),
        "{enrollments}"
    );
    let grades = json(app.get_as("/api/v1/me/grades", &student).await).await;
    assert!(!grades.as_array().unwrap().is_empty(), "{grades}");
    // A second start finds accounts and seeds nothing more.
    let again = app.spawn_sibling().await;
    assert_eq!(again.count("SELECT count(*) AS n FROM users").await, 4);
}
