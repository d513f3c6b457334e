//! The OpenAPI document's description, security schemes and shared schemas; its paths come from
//! the routers themselves (`super::api_routes`), so that no route can be missing from it.

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
        super::crashes::CrashEventView,
        super::crashes::CrashEventPage,
        super::crashes::OccurrencesView,
        super::crashes::HourView,
        Role
    ))
)]
struct ApiDocument;

/// The document's description, security schemes and schemas, without paths.
pub(super) fn description() -> utoipa::openapi::OpenApi {
    ApiDocument::openapi()
}

/// The served document, built once.
static DOCUMENT: std::sync::LazyLock<utoipa::openapi::OpenApi> =
    std::sync::LazyLock::new(super::openapi);

/// This document: the OpenAPI 3.1 description of every route.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", security(()), responses(
    (status = 200, description = "The OpenAPI document", content_type = "application/json"),
))]
pub async fn document() -> Json<&'static utoipa::openapi::OpenApi> {
    Json(&DOCUMENT)
}
