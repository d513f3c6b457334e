//! The help desk server: configuration, SurrealDB storage, the REST API and the dashboard site.
//!
//! `main` reads the configuration, opens storage and serves [`app_router`]; tests build the same
//! router on port 0 with an in-memory database.

pub mod auth;
pub mod config;
pub mod desk;
pub mod http;
pub mod ingest;
pub mod serve;
pub mod site;
pub mod storage;
pub mod work;

use app::service::{
    SharedAccounts, SharedArticles, SharedCrashes, SharedCustomers, SharedProjects, SharedSearch,
    SharedTickets,
};
use std::sync::Arc;

pub use config::Config;
/// The allocator the server's binaries (and benchmarks) declare global: jemalloc. With glibc's
/// malloc, the memory SurrealDB frees after flushing and compacting its tables stayed resident
/// (docs/performance.md "Memory").
pub use tikv_jemallocator::Jemalloc as Allocator;

/// The largest request body any route reads (the REST API allows less: `http::MAX_BODY_BYTES`).
pub const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// How long a client may take to send a request body.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
/// How long a request may take by default, from its head to the answer (then 503).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The whole application: REST API, probes, server functions and dashboard pages, every route
/// behind the access guard, every response with the security headers.
pub fn app_router(
    store: storage::Store,
    auth: Arc<auth::AuthService>,
    site: site::SiteSettings,
) -> axum::Router {
    let hosts = http::host::AllowedHosts::new(&site.public_url, &site.allowed_hosts);
    let request_timeout = site.request_timeout;
    let desk =
        desk::Desk::new(store, site.public_url.as_str()).with_crash_rules(desk::CrashRules {
            limiter: ingest::rate::IngestLimiter::new(site.ingest_per_minute),
            spike: site.spike,
        });
    let services = site::Services {
        tickets: Arc::new(desk.clone()) as SharedTickets,
        crashes: Arc::new(desk.clone()) as SharedCrashes,
        accounts: auth.clone() as SharedAccounts,
        projects: Arc::new(desk.clone()) as SharedProjects,
        customers: Arc::new(desk.clone()) as SharedCustomers,
        articles: Arc::new(desk.clone()) as SharedArticles,
        search: Arc::new(desk.clone()) as SharedSearch,
    };
    http::router(http::ApiState {
        tickets: services.tickets.clone(),
        crashes: services.crashes.clone(),
        ready: Arc::new(desk.clone()),
        accounts: services.accounts.clone(),
        projects: services.projects.clone(),
        customers: services.customers.clone(),
        articles: services.articles.clone(),
        search: services.search.clone(),
    })
    .merge(http::ingest_router(http::ingest::IngestState {
        desk,
        work: Arc::new(work::BoundedWork::per_core("reading crash reports", 64)),
    }))
    .merge(site::router(services, site))
    .route_layer(axum::middleware::from_fn_with_state(
        http::guard::GuardState { auth },
        http::guard::guard,
    ))
    // Bodies are bounded everywhere (server functions included); a client too slow to send its
    // body is answered 408, a request the server did not answer in time 503.
    .layer(axum::middleware::from_fn(http::limit::bounded_body))
    .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
        BODY_TIMEOUT,
    ))
    .layer(axum::middleware::from_fn_with_state(
        request_timeout,
        http::limit::answered_within,
    ))
    // A request naming another host (a page that rebound its name to this machine) is
    // refused before anything else.
    .layer(axum::middleware::from_fn_with_state(
        hosts,
        http::host::allowed_host,
    ))
    .layer(axum::middleware::from_fn(http::headers::security_headers))
    .layer(tower_http::compression::CompressionLayer::new())
    .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Opens storage as configured: the help desk and its accounts service.
pub async fn open(
    config: &Config,
) -> Result<(storage::Store, Arc<auth::AuthService>), storage::StorageError> {
    let store = storage::Store::open(&config.database_settings()).await?;
    let auth = Arc::new(auth::AuthService::new(
        store.clone(),
        config.auth_settings(),
    ));
    Ok((store, auth))
}

/// Opens storage as configured and builds the application; also answers the accounts
/// service, which knows whether the first admin is still to be set up.
pub async fn build(
    config: &Config,
) -> Result<(axum::Router, Arc<auth::AuthService>), storage::StorageError> {
    let (store, auth) = open(config).await?;
    // Ended sessions are removed in the background for as long as the server runs.
    let _sweeping = auth.sweep_sessions();
    // So are the answers of idempotency keys past their day, and crash receipts past theirs.
    let _sweeping_keys = desk::sweep_request_keys(store.clone());
    let _sweeping_receipts = desk::sweep_crash_receipts(store.clone());
    let router = app_router(
        store,
        auth.clone(),
        site::SiteSettings {
            site_root: config.site_root.clone(),
            address: config.address,
            public_url: config.public_url(),
            allowed_hosts: config.allowed_hosts.clone(),
            request_timeout: std::time::Duration::from_secs(config.request_timeout_seconds),
            ingest_per_minute: config.ingest_per_minute,
            spike: storage::SpikeRule {
                reports: config.spike_reports,
                window: std::time::Duration::from_secs(config.spike_minutes * 60),
            },
        },
    );
    Ok((router, auth))
}
