//! Page-object helpers for accounts: sign up through the API, arrange roles directly, and
//! call routes as a given user.

use std::time::Duration;

use reqwest::{Method, Response};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use super::TestApp;

pub const PASSWORD: &str = "correct horse battery staple";

/// A signed-in test user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: Uuid,
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
    pub session_id: Uuid,
}

impl TestApp {
    /// `POST /auth/register`.
    pub async fn register(&self, email: &str, password: &str, name: &str) -> Response {
        self.post_json(
            "/api/v1/auth/register",
            &json!({"email": email, "password": password, "display_name": name}),
        )
        .await
    }

    /// `POST /auth/login`.
    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// The token in the newest mail to `email`.
    pub async fn mail_token(&self, email: &str) -> String {
        let mail = self.smtp.wait_for(email, Duration::from_secs(10)).await;
        mail.param("token").expect("a token in the mail")
    }

    /// Registers through the API, marks the email verified directly, and signs in.
    pub async fn signup(&self, email: &str) -> TestUser {
        let resp = self.register(email, PASSWORD, "Test User").await;
        assert_eq!(
            resp.status(),
            201,
            "register {email}: {}",
            resp.text().await.unwrap_or_default()
        );
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE users SET email_verified_at = now() WHERE email = $1",
                [email.to_lowercase().into()],
            ))
            .await
            .expect("verify directly");
        self.signin(email, PASSWORD).await
    }

    /// Signs in (no MFA) and returns the session's tokens.
    pub async fn signin(&self, email: &str, password: &str) -> TestUser {
        let resp = self.login(email, password).await;
        assert_eq!(resp.status(), 200, "login {email}");
        let body: Value = resp.json().await.expect("login JSON");
        user_from_tokens(&body, email, password)
    }

    /// A verified user holding `role` globally (arranged directly in the database).
    pub async fn signup_with_role(&self, email: &str, role: &str) -> TestUser {
        let user = self.signup(email).await;
        self.grant_role(user.id, role, None).await;
        user
    }

    /// Grants `role` in the global scope (`None`) or an organization's, directly.
    pub async fn grant_role(&self, user_id: Uuid, role: &str, org: Option<Uuid>) {
        self.db
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "INSERT INTO role_assignments (id, user_id, role_id, scope_type, scope_id) \
                 SELECT $1, $2, id, $3, $4 FROM roles WHERE name = $5",
                [
                    Uuid::now_v7().into(),
                    user_id.into(),
                    if org.is_some() {
                        "organization"
                    } else {
                        "global"
                    }
                    .into(),
                    org.into(),
                    role.into(),
                ],
            ))
            .await
            .expect("grant role");
    }

    /// Any method, as `token`'s bearer, with an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(body);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get_as(&self, path: &str, user: &TestUser) -> Response {
        self.call(Method::GET, path, &user.access_token, None).await
    }

    pub async fn post_as(&self, path: &str, user: &TestUser, body: &Value) -> Response {
        self.call(Method::POST, path, &user.access_token, Some(body))
            .await
    }

    pub async fn patch_as(&self, path: &str, user: &TestUser, body: &Value) -> Response {
        self.call(Method::PATCH, path, &user.access_token, Some(body))
            .await
    }

    pub async fn delete_as(&self, path: &str, user: &TestUser) -> Response {
        self.call(Method::DELETE, path, &user.access_token, None)
            .await
    }

    /// How many rows a query counts (`SELECT count(*) AS n ...`).
    pub async fn count(&self, sql: &str) -> i64 {
        self.db
            .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
            .await
            .expect("count query")
            .expect("a row")
            .try_get("", "n")
            .expect("n")
    }
}

/// A `TestUser` from a token response.
pub fn user_from_tokens(body: &Value, email: &str, _password: &str) -> TestUser {
    TestUser {
        id: body["user"]["id"]
            .as_str()
            .expect("user id")
            .parse()
            .expect("uuid"),
        email: email.to_owned(),
        access_token: body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned(),
        refresh_token: body["refresh_token"]
            .as_str()
            .expect("refresh token")
            .to_owned(),
        session_id: body["session_id"]
            .as_str()
            .expect("session")
            .parse()
            .expect("uuid"),
    }
}

/// A new API key of `user` listing `permissions`.
pub async fn create_key(app: &TestApp, user: &TestUser, permissions: &[&str]) -> String {
    let resp = app
        .post_as(
            "/api/v1/me/api-keys",
            user,
            &serde_json::json!({"name": "probe", "permissions": permissions}),
        )
        .await;
    assert_eq!(resp.status(), 201);
    let body: serde_json::Value = resp.json().await.unwrap();
    body["key"].as_str().unwrap().to_owned()
}

/// A request with `X-Api-Key: key` instead of a session.
pub async fn with_key(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<&serde_json::Value>,
) -> reqwest::Response {
    let mut req = app
        .client
        .request(method, app.url(path))
        .header("X-Api-Key", key);
    if let Some(body) = body {
        req = req.json(body);
    }
    req.send().await.unwrap()
}
