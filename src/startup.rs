//! Start-up: settings -> database (created if missing, migrated when `auto_migrate`) -> the
//! HTTP server on its listener, every connection behind the wire guard (`http::wire`).
//! [`Application`] is what `azora serve` runs and what the tests spawn; shutdown (SIGTERM/SIGINT
//! or [`Application::handle`]) lets in-flight requests finish within
//! `server.shutdown_timeout_secs`, then closes the pool.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_http::{HttpService, Protocol, Request, ServiceConfig};
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::{AppConfig, Server, ServerHandle};
use actix_web::web;
use anyhow::Context;
use sea_orm::DatabaseConnection;
use tokio::net::TcpStream;

use crate::config::Settings;
use crate::http::extract::RouteTable;
use crate::metrics::Metrics;
use crate::modules::audit::Sealer;
use crate::modules::notifications::mail::MailWorker;
use crate::modules::wallet::WalletJob;
use crate::state::AppState;
use crate::{AppParts, build_app, db, openapi};

/// Extra routes mounted beside the modules (the test harness mounts probes with it).
pub type ExtraRoutes = fn(&mut web::ServiceConfig);

/// A built server, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    db: DatabaseConnection,
    mail: MailWorker,
    wallet_job: WalletJob,
    sealer: Sealer,
    hub: Arc<crate::stream::Hub>,
}

impl Application {
    /// Connects (with retries), migrates when configured, binds and builds the server.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with(settings, None).await
    }

    pub async fn build_with(
        settings: Settings,
        extra: Option<ExtraRoutes>,
    ) -> anyhow::Result<Self> {
        let started_at = Instant::now();
        let db = db::connect(&settings.database).await?;
        if settings.database.auto_migrate {
            db::migrate_up(&db).await.context("applying migrations")?;
        }
        let pending = db::pending_migrations(&db)
            .await
            .context("reading migration state")?;
        if !pending.is_empty() {
            tracing::warn!(
                ?pending,
                "migrations pending: /health/ready answers 503 until they are applied"
            );
        }
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!("binding {}:{}", settings.server.host, settings.server.port)
            })?;
        let port = listener.local_addr()?.port();
        let metrics =
            Metrics::new(settings.database.max_connections).context("registering metrics")?;
        let doc = openapi::document();
        let workers = match settings.server.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let mut state = AppState::new(
            db.clone(),
            settings.clone(),
            metrics,
            pending.is_empty(),
            crate::modules::hooks(),
        )
        .await
        .context("preparing the application state")?;
        state.started_at = started_at;
        if pending.is_empty() {
            crate::modules::keys::ensure_active_keys(&state)
                .await
                .context("creating the signing keys")?;
        }
        if settings.environment == "development" && crate::seed::is_empty(&state).await? {
            tracing::info!("empty development database: seeding demo data");
            crate::seed::run_all(&state).await?;
        }
        let hub = crate::stream::Hub::spawn(
            db::stream_pool(&settings.database),
            settings.database.url.clone(),
            settings.realtime.clone(),
        );
        state.hub = Some(hub.clone());
        let sealer = Sealer::spawn(state.clone());
        let parts = AppParts {
            state: Arc::new(state),
            routes: web::Data::new(RouteTable::from_openapi(&doc)),
            doc: Arc::new(doc),
            extra,
            worker_pool_size: (settings.database.max_connections / workers as u32).max(1),
        };
        let server = serve(
            listener,
            workers,
            settings.server.shutdown_timeout_secs,
            parts,
        )?;
        tracing::info!(
            port,
            workers,
            startup_ms = started_at.elapsed().as_millis() as u64,
            "azora listening"
        );
        let mail = MailWorker::spawn(db.clone(), settings.mail.clone());
        let wallet_job = WalletJob::spawn(db.clone(), settings.clone());
        Ok(Self {
            port,
            server,
            db,
            mail,
            wallet_job,
            sealer,
            hub,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server from outside (tests); `stop(true)` is graceful.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped, then closes the pool.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.server.await.context("server failed")?;
        tracing::info!("server stopped; stopping workers and closing the database pool");
        self.mail.stop().await;
        self.wallet_job.stop().await;
        self.sealer.stop().await;
        self.hub.stop().await;
        self.db.close().await.context("closing the pool")?;
        tracing::info!("shutdown complete");
        Ok(())
    }
}

/// The HTTP/1 server on `listener`: what actix-web's `HttpServer::listen` builds (its timeouts
/// and graceful shutdown), with each connection wrapped in the wire guard
/// ([`crate::http::wire`]) so the parser's refusals get problem+json answers.
fn serve(
    listener: TcpListener,
    workers: usize,
    shutdown_timeout_secs: u64,
    parts: AppParts,
) -> std::io::Result<Server> {
    use crate::http::wire::Guarded;
    let addr = listener.local_addr()?;
    let builder = actix_server::Server::build()
        .workers(workers)
        .shutdown_timeout(shutdown_timeout_secs);
    let shutdown = builder.graceful_shutdown_signal();
    let builder = builder.listen("azora", listener, move || {
        let shutdown = shutdown.clone();
        // One per worker: the codec configuration the guard mirrors (it starts a date timer).
        let wire_config = ServiceConfig::default();
        let app = IntoServiceFactory::<_, Request>::into_factory(build_app(parts.clone()))
            .map_err(|e: actix_web::Error| e.as_response_error().error_response());
        let http = HttpService::build()
            .graceful_shutdown_signal(move || {
                let shutdown = shutdown.clone();
                async move { shutdown.notified().await }
            })
            .client_request_timeout(std::time::Duration::from_secs(5))
            .client_disconnect_timeout(std::time::Duration::from_secs(1))
            .local_addr(addr)
            .finish(map_config(app, |_| AppConfig::default()));
        fn_service(move |io: TcpStream| {
            let peer = io.peer_addr().ok();
            let guarded = Guarded::new(io, &wire_config);
            async move { Ok((guarded, Protocol::Http1, peer)) }
        })
        .and_then(http)
    })?;
    Ok(builder.run())
}
