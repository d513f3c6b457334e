//! The help desk server: configuration, SurrealDB storage, the REST API and the dashboard site.
//!
//! `main` reads the configuration, opens storage and serves [`app_router`]; tests build the same
//! router on port 0 with an in-memory database.

pub mod config;
pub mod http;
pub mod site;
pub mod storage;

use app::service::SharedHelpDesk;
use std::sync::Arc;

pub use config::Config;

/// The whole application: REST API, probes, server functions and dashboard pages.
pub fn app_router(help_desk: SharedHelpDesk, site: site::SiteSettings) -> axum::Router {
    http::router(http::ApiState {
        help_desk: help_desk.clone(),
    })
    .merge(site::router(help_desk, site))
    .layer(tower_http::compression::CompressionLayer::new())
    .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Opens storage as configured and builds the application.
pub async fn build(config: &Config) -> Result<axum::Router, storage::StorageError> {
    let store = storage::Store::open(&config.database_settings()).await?;
    let help_desk: SharedHelpDesk = Arc::new(store);
    Ok(app_router(
        help_desk,
        site::SiteSettings {
            site_root: config.site_root.clone(),
            address: config.address,
        },
    ))
}
