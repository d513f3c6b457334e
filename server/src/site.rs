//! The dashboard site: server-rendered Leptos pages, server functions and the static bundle.

use app::service::{
    SharedAccounts, SharedArticles, SharedCrashes, SharedCustomers, SharedProjects, SharedSearch,
    SharedTickets,
};
use app::{App, shell};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the built site lives.
#[derive(Clone, Debug)]
pub struct SiteSettings {
    /// The directory holding `pkg/` (wasm bundle and CSS) and the public files.
    pub site_root: PathBuf,
    /// The address the server listens on.
    pub address: SocketAddr,
    /// Where clients reach the server (`http://host:port`), for the DSNs of projects; requests
    /// must name its host (or `localhost`, an IP address or one of `allowed_hosts`).
    pub public_url: String,
    /// Other host names requests may name.
    pub allowed_hosts: Vec<String>,
    /// How long a request may take before it is answered 503.
    pub request_timeout: std::time::Duration,
    /// Crash reports a project may send a minute (0: no limit).
    pub ingest_per_minute: u32,
    /// When a burst of reports makes a problem critical.
    pub spike: crate::storage::SpikeRule,
}

/// The desk's services, which server functions find in the Leptos context.
#[derive(Clone)]
pub struct Services {
    /// Tickets.
    pub tickets: SharedTickets,
    /// What crash reports left on tickets.
    pub crashes: SharedCrashes,
    /// Agents, sign-in and tokens.
    pub accounts: SharedAccounts,
    /// Projects.
    pub projects: SharedProjects,
    /// Customers.
    pub customers: SharedCustomers,
    /// Knowledge-base articles.
    pub articles: SharedArticles,
    /// Search and suggestions.
    pub search: SharedSearch,
}

/// The output name of the wasm bundle and stylesheet under `/pkg`.
pub const OUTPUT_NAME: &str = "helpdesk";

/// The pages, the server functions and the static files.
pub fn router(services: Services, settings: SiteSettings) -> Router {
    let options = LeptosOptions::builder()
        .output_name(OUTPUT_NAME)
        .site_root(settings.site_root.to_string_lossy().to_string())
        .site_pkg_dir("pkg")
        .site_addr(settings.address)
        .build();
    let routes = generate_route_list(App);
    let context = move || {
        provide_context(services.tickets.clone());
        provide_context(services.crashes.clone());
        provide_context(services.accounts.clone());
        provide_context(services.projects.clone());
        provide_context(services.customers.clone());
        provide_context(services.articles.clone());
        provide_context(services.search.clone());
    };
    Router::new()
        .leptos_routes_with_context(&options, routes, context.clone(), {
            let options = options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context(
            context, shell,
        ))
        .with_state(options)
        .layer(axum::middleware::from_fn(malformed_calls_are_client_errors))
}

/// Leptos answers a server-function call whose arguments do not parse with a 500; it is the
/// caller's mistake, so it becomes a 400 (the body, which the dashboard decodes, is unchanged).
async fn malformed_calls_are_client_errors(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::http::StatusCode;
    let response = next.run(request).await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if bytes.starts_with(b"Args|") || bytes.starts_with(b"Deserialization|") {
        parts.status = StatusCode::BAD_REQUEST;
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}
