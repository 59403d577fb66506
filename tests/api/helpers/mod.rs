//! The test harness: a template database migrated once per test run, a fresh copy per test
//! (`CREATE DATABASE ... TEMPLATE`, dropped when the test ends), and [`TestApp`], the real
//! server on a random loopback port.

pub mod db;
pub mod lms;
pub mod probe;
pub mod problem;
pub mod smtp;
pub mod tcp_proxy;
pub mod users;
pub mod ws;

use std::sync::Arc;

use actix_web::dev::ServerHandle;
use azora::config::Settings;
use azora::startup::{Application, ExtraRoutes};
use sea_orm::{Database, DatabaseConnection};

pub use db::TestDb;
pub use problem::assert_problem;

/// One running Azora server over its own database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub client: reqwest::Client,
    /// A connection for arranging state directly (the behaviour under test goes through HTTP).
    pub db: DatabaseConnection,
    pub settings: Settings,
    pub handle: ServerHandle,
    pub database: Arc<TestDb>,
    /// The loopback SMTP server this app delivers mail to.
    pub smtp: Arc<smtp::SmtpServer>,
}

/// Settings for tests: `config/test.toml` with the process environment ignored.
pub fn test_settings() -> Settings {
    let env = [("AZORA_ENV".to_owned(), "test".to_owned())]
        .into_iter()
        .collect();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
    Settings::load_from(&dir, &env).expect("config/test.toml loads")
}

impl TestApp {
    /// A server over a fresh copy of the migrated template.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], with settings adjusted first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let database = Arc::new(TestDb::create().await);
        let smtp = Arc::new(smtp::SmtpServer::start().await);
        let mut settings = test_settings();
        settings.database.url = database.url.clone();
        settings.mail.smtp_port = smtp.port();
        adjust(&mut settings);
        Self::start_with_smtp(settings, database, smtp).await
    }

    /// A second server on the same database, for behaviour across several app nodes.
    pub async fn spawn_sibling(&self) -> TestApp {
        Self::start_with_smtp(
            self.settings.clone(),
            self.database.clone(),
            self.smtp.clone(),
        )
        .await
    }

    /// Starts a server with these settings over `database`, and an SMTP server of its own.
    pub async fn start(mut settings: Settings, database: Arc<TestDb>) -> TestApp {
        let smtp = Arc::new(smtp::SmtpServer::start().await);
        settings.mail.smtp_port = smtp.port();
        Self::start_with_smtp(settings, database, smtp).await
    }

    /// Starts a server with exactly these settings over `database`.
    pub async fn start_with_smtp(
        mut settings: Settings,
        database: Arc<TestDb>,
        smtp: Arc<smtp::SmtpServer>,
    ) -> TestApp {
        settings.database.create_if_missing = false;
        let app = Application::build_with(settings.clone(), Some(probe::routes as ExtraRoutes))
            .await
            .expect("the application builds");
        let port = app.port();
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        let db = Database::connect(database.url.as_str())
            .await
            .expect("test connection");
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            db,
            settings,
            handle,
            database,
            smtp,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(self.handle.clone().stop(false));
        }
    }
}
