//! Building and running the application: the HTTP server and the persister beside it.
use crate::buyer_auth::BuyerTokens;
use crate::client_address::TrustedProxies;
use crate::configuration::Settings;
use crate::dashboard::Dashboard;
use crate::engine::EngineFactory;
use crate::holds;
use crate::metrics::Metrics;
use crate::persister::Persister;
use crate::rate_limit::RateLimits;
use crate::redis::RedisStore;
use crate::redis_gate::{self, RedisGate};
use crate::request_id;
use crate::retirement::{self, archive::Archive};
use crate::routes::{self, AdminPort, RequestDeadline};
use crate::shutdown::{self, StopHandle};
use crate::sold_out::SoldOutCache;
use crate::state::{AppState, OrderSlots};
use crate::telemetry::RequestSpan;
use actix_web::dev::Server;
use actix_web::middleware::{Condition, from_fn};
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing_actix_web::TracingLogger;

/// Shortest admin token accepted: anything shorter is guessable.
const MIN_ADMIN_TOKEN_LENGTH: usize = 16;

pub struct Application {
    port: u16,
    admin_port: Option<u16>,
    server: Server,
    persisters: Vec<JoinHandle<()>>,
    redis_watcher: JoinHandle<()>,
    shutdown: CancellationToken,
    /// Cancelled when the HTTP server starts to stop (see `shutdown`).
    closing: CancellationToken,
}

impl Application {
    /// Connects to Redis, prepares Postgres (lazily), binds the listener and starts the
    /// persister. Listening on port 0 picks a free port; `port()` tells which.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let admin_token = settings
            .admin_token
            .clone()
            .filter(|token| token.len() >= MIN_ADMIN_TOKEN_LENGTH)
            .with_context(|| {
                format!("FLASHSALE_ADMIN_TOKEN must be set, at least {MIN_ADMIN_TOKEN_LENGTH} characters")
            })?;
        let db = settings.database_pool()?;
        let redis = RedisStore::connect(&settings.redis_target(), &settings.redis_prefix)
            .await
            .context("connecting to Redis")?
            .with_order_timeout(Duration::from_millis(settings.redis_timeout_ms))
            .with_wait_replicas(settings.redis_wait_replicas);
        let metrics = Arc::new(Metrics::default());
        let listener = TcpListener::bind(&settings.listen)
            .with_context(|| format!("binding {}", settings.listen))?;
        let port = listener.local_addr()?.port();
        let admin_listener = settings
            .admin_listen
            .as_deref()
            .map(|address| TcpListener::bind(address).with_context(|| format!("binding {address}")))
            .transpose()?;
        let admin_port = match &admin_listener {
            Some(listener) => Some(listener.local_addr()?.port()),
            None => None,
        };

        let shutdown = CancellationToken::new();
        let closing = CancellationToken::new();
        let persisters = if settings.persister.enabled {
            let persister_db = settings.persister_pool()?;
            let mut tasks = Persister::spawn_all(
                &redis,
                &persister_db,
                &settings.persister,
                &metrics,
                &shutdown,
            );
            tasks.push(retirement::spawn_retirer(
                redis.clone(),
                persister_db.clone(),
                Duration::from_secs(settings.persister.sale_retention_s.max(1)),
                Duration::from_millis(settings.persister.retire_check_ms.max(1)),
                shutdown.clone(),
            ));
            tasks.push(holds::spawn_sweeper(
                redis.clone(),
                persister_db,
                Duration::from_millis(settings.persister.hold_sweep_ms.max(1)),
                metrics.clone(),
                shutdown.clone(),
            ));
            tasks
        } else {
            Vec::new()
        };

        let redis_gate = Arc::new(RedisGate::default());
        redis_gate::open_before_serving(&redis, &db, &redis_gate).await;
        let redis_watcher = tokio::spawn(redis_gate::watch(
            redis.clone(),
            db.clone(),
            redis_gate.clone(),
            metrics.clone(),
            shutdown.clone(),
        ));
        let engines = EngineFactory::new(
            settings.engine,
            &redis,
            &db,
            SoldOutCache::new(settings.sold_out_recheck()),
            &redis_gate,
            settings.file_lock_dir(),
        );
        let rate_limits = Arc::new(RateLimits::new(
            settings.rate_per_user,
            settings.rate_per_ip,
            settings.rate_limit_clients,
        ));
        tokio::spawn(forget_idle_clients(rate_limits.clone(), shutdown.clone()));
        let state = web::Data::new(AppState {
            buyer_tokens: settings.jwt_secret.as_deref().map(BuyerTokens::new),
            order_slots: OrderSlots::new(
                settings.redis_max_in_flight,
                Duration::from_millis(settings.redis_timeout_ms),
            ),
            rate_limits,
            redis,
            db,
            admin_token,
            metrics,
            redis_gate,
            trusted_proxies: TrustedProxies::parse(&settings.trusted_proxies)?,
            archive: Archive::default(),
            dashboard: Dashboard::new(closing.clone()),
        });
        let deadline = RequestDeadline(Duration::from_millis(settings.request_timeout_ms));
        for origin in &settings.cors_origins {
            routes::check_origin(origin)?;
        }
        let cors_origins = settings.cors_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(deadline)
                .app_data(AdminPort(admin_port))
                .wrap(from_fn(routes::enforce_deadline))
                .wrap(from_fn(routes::reject_oversized_requests))
                .wrap(Condition::new(
                    admin_port.is_some(),
                    from_fn(routes::keep_admin_apart),
                ))
                .wrap(Condition::new(
                    !cors_origins.is_empty(),
                    routes::cors(&cors_origins),
                ))
                .wrap(from_fn(routes::count_responses))
                .wrap(from_fn(request_id::middleware))
                .wrap(TracingLogger::<RequestSpan>::new())
                .app_data(state.clone())
                .data_factory({
                    let engines = engines.clone();
                    move || engines.clone().for_worker()
                })
                .configure(routes::configure)
        })
        .workers(settings.workers())
        // Slow clients: the request head must arrive within 5 s (else 408), a connection idle
        // for 30 s is closed, and a closing client gets 1 s to go.
        .client_request_timeout(Duration::from_secs(5))
        .keep_alive(Duration::from_secs(30))
        .client_disconnect_timeout(Duration::from_secs(1))
        .listen(listener)?;
        let server = match admin_listener {
            Some(admin_listener) => server.listen(admin_listener)?,
            None => server,
        }
        .run();
        Ok(Self {
            port,
            admin_port,
            server,
            persisters,
            redis_watcher,
            shutdown,
            closing,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The admin listener's port, when `admin_listen` is set.
    pub fn admin_port(&self) -> Option<u16> {
        self.admin_port
    }

    /// Stops the server gracefully from elsewhere (SIGTERM and Ctrl-C do the same).
    pub fn handle(&self) -> StopHandle {
        StopHandle {
            server: self.server.handle(),
            closing: self.closing.clone(),
        }
    }

    /// Serves until the server is stopped, then stops the persisters and waits for each to
    /// settle the batch it holds, and stops the Redis watcher.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let sigterm = tokio::spawn(shutdown::close_on_sigterm(self.closing.clone()));
        let served = self.server.await;
        self.closing.cancel();
        self.shutdown.cancel();
        sigterm.await.context("the SIGTERM listener panicked")?;
        for persister in self.persisters {
            persister.await.context("a persister task panicked")?;
        }
        self.redis_watcher
            .await
            .context("the Redis watcher panicked")?;
        served.context("HTTP server failed")
    }
}

/// How often the rate limiters forget quiet clients.
const FORGET_IDLE_EVERY: Duration = Duration::from_secs(60);

async fn forget_idle_clients(limits: Arc<RateLimits>, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(FORGET_IDLE_EVERY);
    loop {
        tokio::select! {
            _ = every.tick() => limits.forget_idle(),
            () = shutdown.cancelled() => return,
        }
    }
}
