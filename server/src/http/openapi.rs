//! The OpenAPI document, generated from the handlers' annotations so it cannot drift.

use super::error::{ErrorBody, ErrorDetail};
use app::accounts::{
    Agent, AgentPatch, ApiToken, CreatedToken, CurrentAgent, NewAgent, NewToken, PasswordChange,
};
use app::model::Role;
use app::model::{
    Channel, CrashFacts, Entry, EntryKind, Outcome, Scope, Status, Ticket, TicketDetail,
    TicketPage, Urgency,
};
use app::projects::{NewProject, Project};
use app::requests::{NewEntry, NewTicket, TicketPatch, TransitionRequest};
use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Declares how callers authenticate: a personal API token, or the dashboard's session cookie.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, document: &mut utoipa::openapi::OpenApi) {
        let components = document.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "sentry_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Sentry-Auth",
                "`Sentry sentry_key=<project public key>, sentry_version=7` (or the sentry_key query parameter, or the envelope's dsn)",
            ))),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::service::SESSION_COOKIE,
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Help desk API",
        description = "Tickets, their timeline and their workflow. Every route but the probes and this document needs credentials: `Authorization: Bearer <personal API token>` (401 without, 403 when the token's role is too low)."
    ),
    modifiers(&Credentials),
    security(("token" = []), ("session" = [])),
    paths(
        super::tickets::create,
        super::tickets::list,
        super::tickets::show,
        super::tickets::update,
        super::tickets::add_entry,
        super::tickets::transition,
        super::agents::me,
        super::agents::change_password,
        super::agents::list,
        super::agents::create,
        super::agents::update,
        super::tickets::events,
        super::tickets::occurrences,
        super::ingest::envelope,
        super::ingest::store,
        super::projects::list,
        super::projects::create,
        super::customers::list,
        super::customers::create,
        super::customers::get,
        super::customers::update,
        super::customers::tickets,
        super::articles::list,
        super::articles::create,
        super::articles::get,
        super::articles::update,
        super::articles::history,
        super::articles::draft_from_ticket,
        super::articles::ticket_suggestions,
        super::articles::suggestions,
        super::articles::search,
        super::tokens::list,
        super::tokens::create,
        super::tokens::revoke,
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
        ErrorDetail,
        Agent,
        AgentPatch,
        NewAgent,
        CurrentAgent,
        ApiToken,
        CreatedToken,
        NewToken,
        PasswordChange,
        Project,
        NewProject,
        app::customers::Customer,
        app::customers::CustomerPage,
        app::customers::CustomerTickets,
        app::articles::Article,
        app::articles::ArticlePage,
        app::articles::ArticleVersion,
        app::articles::NewArticle,
        app::articles::ArticlePatch,
        app::model::ArticleStatus,
        app::search::SearchResults,
        app::search::SearchHit,
        app::search::HitKind,
        app::search::Fragment,
        app::search::Suggestions,
        app::customers::NewCustomer,
        app::customers::CustomerPatch,
        app::customers::Contact,
        app::customers::Property,
        CrashFacts,
        super::tickets::CrashEventView,
        super::tickets::CrashEventPage,
        super::tickets::OccurrencesView,
        super::tickets::HourView,
        Role
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
