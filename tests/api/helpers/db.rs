//! Per-test databases copied from a template migrated once per test process.
//!
//! Names carry the process id (`azora_tpl_<pid>`, `azora_t_<pid>_<n>`), so databases left
//! behind by a killed run are recognised and dropped by the next one, while a run going on in
//! parallel keeps its own.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use azora::db::quote_ident;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

static TEMPLATE: OnceLock<String> = OnceLock::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The server Postgres tests use: `AZORA_TEST_DATABASE_URL` or the local trust-auth server.
pub fn server_url() -> String {
    std::env::var("AZORA_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

pub fn url_of(name: &str) -> String {
    format!("{}/{name}", server_url())
}

/// Runs `f` on a fresh runtime in its own thread: usable from `Drop` and from `OnceLock`
/// initialisers, whatever runtime the caller is on.
fn on_own_runtime<T: Send + 'static>(
    f: impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = T> + Send>> + Send + 'static,
) -> T {
    std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
            .block_on(f())
    })
    .join()
    .expect("helper thread")
}

async fn admin() -> DatabaseConnection {
    Database::connect(url_of("postgres"))
        .await
        .expect("Postgres must run at 127.0.0.1:5432 (see README: testing)")
}

/// The migrated template of this process, created on first use.
pub fn template() -> &'static str {
    TEMPLATE.get_or_init(|| {
        on_own_runtime(|| {
            Box::pin(async {
                let pid = std::process::id();
                let admin = admin().await;
                drop_stale(&admin).await;
                let name = format!("azora_tpl_{pid}");
                admin
                    .execute_unprepared(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        quote_ident(&name)
                    ))
                    .await
                    .expect("drop old template");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {}", quote_ident(&name)))
                    .await
                    .expect("create template");
                let db = Database::connect(url_of(&name))
                    .await
                    .expect("connect template");
                azora::db::migrate_up(&db).await.expect("migrate template");
                db.close().await.expect("close template");
                admin.close().await.expect("close admin");
                name
            })
        })
    })
}

/// Drops test databases whose process is gone.
async fn drop_stale(admin: &DatabaseConnection) {
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            "SELECT datname FROM pg_database WHERE datname LIKE 'azora\\_tpl\\_%' OR datname LIKE 'azora\\_t\\_%'",
        ))
        .await
        .unwrap_or_default();
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let pid = name
            .trim_start_matches("azora_tpl_")
            .trim_start_matches("azora_t_")
            .split('_')
            .next()
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
        if !alive {
            let _ = admin
                .execute_unprepared(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(&name)
                ))
                .await;
        }
    }
}

/// A database of one test, dropped when the last handle goes.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    /// A fresh copy of the migrated template.
    pub async fn create() -> TestDb {
        let template = template();
        let name = format!(
            "azora_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let admin = admin().await;
        admin
            .execute_unprepared(&format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote_ident(&name),
                quote_ident(template)
            ))
            .await
            .expect("copy the template");
        admin.close().await.expect("close admin");
        TestDb {
            url: url_of(&name),
            name,
        }
    }

    /// An empty database (no migrations), for start-up tests.
    pub async fn create_empty() -> TestDb {
        let name = format!(
            "azora_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        TestDb {
            url: url_of(&name),
            name,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        on_own_runtime(move || {
            Box::pin(async move {
                if let Ok(admin) = Database::connect(url_of("postgres")).await {
                    let _ = admin
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            quote_ident(&name)
                        ))
                        .await;
                    let _ = admin.close().await;
                }
            })
        });
    }
}
