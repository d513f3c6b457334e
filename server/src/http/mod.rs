//! The REST API (JSON, for integrations) and the operational endpoints.

mod agents;
mod articles;
mod crashes;
mod customers;
mod error;
mod extract;
pub mod guard;
pub mod headers;
mod health;
pub mod host;
pub mod ingest;
pub mod limit;
mod openapi;
mod projects;
pub mod rules;
mod search;
mod tickets;
mod tokens;

use app::service::{
    Readiness, SharedAccounts, SharedArticles, SharedCrashes, SharedCustomers, SharedProjects,
    SharedSearch, SharedTickets,
};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use error::ApiError;

/// The largest request body the API reads, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What every API handler can reach.
#[derive(Clone)]
pub struct ApiState {
    /// Tickets.
    pub tickets: SharedTickets,
    /// What crash reports left on tickets.
    pub crashes: SharedCrashes,
    /// The readiness probe.
    pub ready: std::sync::Arc<dyn Readiness>,
    /// Agents and tokens.
    pub accounts: SharedAccounts,
    /// Projects and their DSNs.
    pub projects: SharedProjects,
    /// Customers.
    pub customers: SharedCustomers,
    /// Knowledge-base articles.
    pub articles: SharedArticles,
    /// Search and suggestions.
    pub search: SharedSearch,
}

/// The REST API and the health probes, each route declared once: the router and the OpenAPI
/// document both come from these `routes!` (a handler's `#[utoipa::path]` names its method and
/// path; handlers of one path share a `routes!`).
fn api_routes() -> OpenApiRouter<ApiState> {
    let version_1 = OpenApiRouter::new()
        .routes(routes!(tickets::create, tickets::list))
        .routes(routes!(tickets::show, tickets::update))
        .routes(routes!(tickets::add_entry))
        .routes(routes!(tickets::transition))
        .routes(routes!(crashes::events))
        .routes(routes!(crashes::occurrences))
        .routes(routes!(articles::draft_from_ticket))
        .routes(routes!(search::ticket_suggestions))
        .routes(routes!(agents::me))
        .routes(routes!(agents::change_password))
        .routes(routes!(agents::list, agents::create))
        .routes(routes!(agents::update))
        .routes(routes!(projects::list, projects::create))
        .routes(routes!(projects::update))
        .routes(routes!(projects::replace_key))
        .routes(routes!(customers::list, customers::create))
        .routes(routes!(customers::get, customers::update))
        .routes(routes!(customers::tickets))
        .routes(routes!(articles::list, articles::create))
        .routes(routes!(articles::get, articles::update))
        .routes(routes!(articles::history))
        .routes(routes!(search::suggestions))
        .routes(routes!(search::search))
        .routes(routes!(tokens::list, tokens::create))
        .routes(routes!(tokens::revoke))
        .routes(routes!(openapi::document))
        .fallback(|| async { ApiError::not_found("no such API route") });
    OpenApiRouter::with_openapi(openapi::description())
        .nest("/api/v1", version_1)
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
}

/// The crash-report ingestion endpoints (Sentry protocol), declared the same way.
fn ingest_routes() -> OpenApiRouter<ingest::IngestState> {
    OpenApiRouter::new()
        .routes(routes!(ingest::envelope))
        .routes(routes!(ingest::store))
}

/// The OpenAPI 3.1 document of every route above, as the routers declare them.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = api_routes().into_openapi();
    document.merge(ingest_routes().into_openapi());
    openapi::complete(&mut document);
    document
}

/// The crash-report ingestion endpoints, with their own body limit (the compressed maximum).
pub fn ingest_router(state: ingest::IngestState) -> Router {
    let (router, _) = ingest_routes().split_for_parts();
    router
        .layer(DefaultBodyLimit::max(ingest::MAX_COMPRESSED_BYTES))
        .with_state(state)
}

/// The REST API and the health probes.
pub fn router(state: ApiState) -> Router {
    let (router, _) = api_routes().split_for_parts();
    router
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
