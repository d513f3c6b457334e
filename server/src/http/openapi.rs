//! The OpenAPI document, generated from the handlers' annotations so it cannot drift.

use super::error::{ErrorBody, ErrorDetail};
use app::model::{
    Channel, Entry, EntryKind, Outcome, Scope, Status, Ticket, TicketDetail, TicketPage, Urgency,
};
use app::requests::{NewEntry, NewTicket, TicketPatch, TransitionRequest};
use axum::Json;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Help desk API",
        description = "Tickets, their timeline and their workflow."
    ),
    paths(
        super::tickets::create,
        super::tickets::list,
        super::tickets::show,
        super::tickets::update,
        super::tickets::add_entry,
        super::tickets::transition,
        super::health::healthz,
        super::health::readyz,
    ),
    components(schemas(
        Ticket,
        TicketDetail,
        TicketPage,
        Entry,
        NewTicket,
        TicketPatch,
        NewEntry,
        TransitionRequest,
        Urgency,
        Status,
        Channel,
        Scope,
        EntryKind,
        Outcome,
        ErrorBody,
        ErrorDetail
    ))
)]
struct ApiDocument;

/// The OpenAPI 3.1 document of this API.
pub fn openapi() -> utoipa::openapi::OpenApi {
    ApiDocument::openapi()
}

/// Serves the document.
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(openapi())
}
