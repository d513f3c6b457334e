//! The REST API (JSON, for integrations) and the operational endpoints.

mod agents;
mod articles;
mod customers;
mod error;
mod extract;
pub mod headers;
mod health;
pub mod ingest;
mod openapi;
mod projects;
mod tickets;
mod tokens;

use app::service::{SharedAccounts, SharedHelpDesk};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, patch, post};

pub use error::ApiError;
pub use openapi::openapi;

/// The largest request body the API reads, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// What every API handler can reach.
#[derive(Clone)]
pub struct ApiState {
    /// The help desk.
    pub help_desk: SharedHelpDesk,
    /// Agents and tokens.
    pub accounts: SharedAccounts,
    /// Where clients reach the server, for DSNs.
    pub public_url: std::sync::Arc<str>,
}

/// The crash-report ingestion endpoints, with their own body limit (the compressed maximum).
pub fn ingest_router(state: ingest::IngestState) -> Router {
    Router::new()
        .route("/api/{project_id}/envelope/", post(ingest::envelope))
        .route("/api/{project_id}/store/", post(ingest::store))
        .layer(DefaultBodyLimit::max(ingest::MAX_COMPRESSED_BYTES))
        .with_state(state)
}

/// The REST API and the health probes.
pub fn router(state: ApiState) -> Router {
    let api = Router::new()
        .route("/tickets", post(tickets::create).get(tickets::list))
        .route(
            "/tickets/{reference}",
            get(tickets::show).patch(tickets::update),
        )
        .route("/tickets/{reference}/entries", post(tickets::add_entry))
        .route(
            "/tickets/{reference}/transitions",
            post(tickets::transition),
        )
        .route("/tickets/{reference}/events", get(tickets::events))
        .route(
            "/tickets/{reference}/occurrences",
            get(tickets::occurrences),
        )
        .route("/me", get(agents::me))
        .route("/me/password", post(agents::change_password))
        .route("/agents", get(agents::list).post(agents::create))
        .route("/agents/{id}", patch(agents::update))
        .route("/projects", get(projects::list).post(projects::create))
        .route("/customers", get(customers::list).post(customers::create))
        .route(
            "/customers/{id}",
            get(customers::get).patch(customers::update),
        )
        .route("/customers/{id}/tickets", get(customers::tickets))
        .route("/articles", get(articles::list).post(articles::create))
        .route("/articles/{id}", get(articles::get).patch(articles::update))
        .route("/articles/{id}/history", get(articles::history))
        .route(
            "/tickets/{reference}/article-draft",
            get(articles::draft_from_ticket),
        )
        .route(
            "/tickets/{reference}/suggestions",
            get(articles::ticket_suggestions),
        )
        .route("/suggestions", get(articles::suggestions))
        .route("/search", get(articles::search))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route("/openapi.json", get(openapi::document))
        .fallback(|| async { ApiError::not_found("no such API route") });
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}
