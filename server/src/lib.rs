//! The help desk server: configuration, SurrealDB storage, the REST API and the dashboard site.
//!
//! `main` reads the configuration, opens storage and serves [`app_router`]; tests build the same
//! router on port 0 with an in-memory database.

pub mod auth;
pub mod config;
pub mod http;
pub mod site;
pub mod storage;

use app::service::{SharedAccounts, SharedHelpDesk};
use std::sync::Arc;

pub use config::Config;

/// The whole application: REST API, probes, server functions and dashboard pages, every route
/// behind the access guard, every response with the security headers.
pub fn app_router(
    help_desk: SharedHelpDesk,
    auth: Arc<auth::AuthService>,
    site: site::SiteSettings,
) -> axum::Router {
    let accounts: SharedAccounts = auth.clone();
    http::router(http::ApiState {
        help_desk: help_desk.clone(),
        accounts: accounts.clone(),
    })
    .merge(site::router(help_desk, accounts, site))
    .route_layer(axum::middleware::from_fn_with_state(
        auth::guard::GuardState { auth },
        auth::guard::guard,
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

/// Opens storage as configured and builds the application.
pub async fn build(config: &Config) -> Result<axum::Router, storage::StorageError> {
    let (store, auth) = open(config).await?;
    let help_desk: SharedHelpDesk = Arc::new(store);
    Ok(app_router(
        help_desk,
        auth,
        site::SiteSettings {
            site_root: config.site_root.clone(),
            address: config.address,
        },
    ))
}
