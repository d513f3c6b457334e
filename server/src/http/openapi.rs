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

/// Completes the routers' document with what the shared machinery answers, so that each
/// operation lists every status it can give: the host check's 421, any failure's 500, the guard's
/// 401, 403 and 503 (from the access rules), the JSON extractor's 400, 413, 415 and 422, the query
/// extractor's 400 and the 404 of an unknown id. A status the handler documents keeps the handler's words.
pub(super) fn complete(document: &mut utoipa::openapi::OpenApi) {
    for (path, item) in document.paths.paths.iter_mut() {
        for (method, operation) in operations(item) {
            shared_answers(path, &method, operation);
            operation
                .responses
                .responses
                .entry("421".to_string())
                .or_insert_with(|| {
                    error_answer(
                        "The request's `Host` names another server: only the public URL's \
                         host, `localhost`, IP addresses and the operator's `--allowed-host` \
                         names are served (against DNS rebinding)",
                    )
                    .into()
                });
            operation
                .responses
                .responses
                .entry("503".to_string())
                .or_insert_with(|| {
                    error_answer(
                        "Not answered in time (`timed_out`); try again after `Retry-After` \
                         seconds",
                    )
                    .into()
                });
            operation
                .responses
                .responses
                .entry("500".to_string())
                .or_insert_with(|| {
                    error_answer(
                        "The server failed in a way that trying again would not mend; the \
                         failure was logged",
                    )
                    .into()
                });
        }
    }
    if let Some(components) = document.components.as_mut() {
        optional_flattened_parts(components);
    }
    request_patterns(document);
    request_rules(document);
    filter_values(document);
}

fn operations(
    item: &mut utoipa::openapi::PathItem,
) -> Vec<(axum::http::Method, &mut utoipa::openapi::path::Operation)> {
    use axum::http::Method;
    [
        (Method::GET, item.get.as_mut()),
        (Method::POST, item.post.as_mut()),
        (Method::PUT, item.put.as_mut()),
        (Method::PATCH, item.patch.as_mut()),
        (Method::DELETE, item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|operation| (method, operation)))
    .collect()
}

fn shared_answers(
    path: &str,
    method: &axum::http::Method,
    operation: &mut utoipa::openapi::path::Operation,
) {
    use super::rules::{self, Access};
    use utoipa::openapi::path::ParameterIn;
    let Some(Access::AtLeast(role)) = rules::find(method, path).map(|rule| rule.access) else {
        return;
    };
    let changes = !matches!(*method, axum::http::Method::GET);
    let has_body = operation.request_body.is_some();
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has_query = parameters
        .iter()
        .any(|parameter| parameter.parameter_in == ParameterIn::Query);
    let path_names: Vec<String> = parameters
        .iter()
        .filter(|parameter| parameter.parameter_in == ParameterIn::Path)
        .map(|parameter| format!("`{}`", parameter.name))
        .collect();
    let mut answers: Vec<(&str, String)> = vec![(
        "401",
        "No credentials, or they are no longer valid (an expired session, a revoked token); \
         the answer carries `WWW-Authenticate: Bearer`"
            .into(),
    )];
    let forbidden = match (role != Role::Viewer, changes) {
        (true, true) => Some(format!(
            "The caller's role is below `{role}`, or the change came with the session cookie \
             from another site"
        )),
        (true, false) => Some(format!("The caller's role is below `{role}`")),
        (false, true) => {
            Some("The change came with the session cookie from another site".to_string())
        }
        (false, false) => None,
    };
    answers.extend(forbidden.map(|text| ("403", text)));
    if !path_names.is_empty() {
        answers.push((
            "404",
            format!("Nothing has this {}", path_names.join(" and ")),
        ));
    }
    if has_query {
        answers.push((
            "400",
            "A query parameter is malformed or out of bounds; the message names it".into(),
        ));
        let too_long = utoipa::openapi::ResponseBuilder::new().description(format!(
            "The request line and headers together are longer than {} KiB (a long `q` or \
                 `text` of non-ASCII characters, percent-encoded, can be); the body is empty",
            crate::serve::ServeSettings::default().max_header_bytes / 1024
        ));
        operation
            .responses
            .responses
            .entry("431".to_string())
            .or_insert_with(|| too_long.build().into());
    }
    if has_body {
        answers.push(("400", "The body is not well-formed JSON".into()));
        answers.push((
            "413",
            format!("The body is larger than {} bytes", super::MAX_BODY_BYTES),
        ));
        answers.push((
            "415",
            "The body was not sent as `Content-Type: application/json`".into(),
        ));
        answers.push((
            "422",
            "A field is missing, of the wrong type, unknown or out of bounds; `field` names it"
                .into(),
        ));
    }
    answers.push((
        "503",
        "The database is unreachable or overloaded; try again after `Retry-After` seconds".into(),
    ));
    let responses = &mut operation.responses.responses;
    for (status, description) in answers {
        responses
            .entry(status.to_string())
            .or_insert_with(|| error_answer(&description).into());
    }
}

/// An answer whose body is [`ErrorBody`].
fn error_answer(description: &str) -> utoipa::openapi::Response {
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// A `#[serde(flatten)]` field of type `Option<T>` (a ticket's crash facts) is documented by
/// utoipa as "null or T", which no object is. What the API sends is T's fields, all present or
/// all absent: document them as optional properties.
fn optional_flattened_parts(components: &mut utoipa::openapi::Components) {
    use utoipa::openapi::schema::{Schema, Type};
    use utoipa::openapi::{RefOr, schema::SchemaType};
    let originals = components.schemas.clone();
    for schema in components.schemas.values_mut() {
        let RefOr::T(Schema::AllOf(all_of)) = schema else {
            continue;
        };
        for part in all_of.items.iter_mut() {
            let RefOr::T(Schema::OneOf(one_of)) = part else {
                continue;
            };
            let [RefOr::T(Schema::Object(null)), RefOr::Ref(reference)] = one_of.items.as_slice()
            else {
                continue;
            };
            if null.schema_type != SchemaType::Type(Type::Null) {
                continue;
            }
            let name = reference
                .ref_location
                .rsplit('/')
                .next()
                .unwrap_or_default();
            let Some(RefOr::T(Schema::Object(fields))) = originals.get(name) else {
                continue;
            };
            let mut optional = fields.clone();
            optional.required.clear();
            optional.description = Some(format!(
                "{} Present, all together, only where it applies.",
                reference.description
            ));
            *part = RefOr::T(Schema::Object(optional));
        }
    }
}

// What `app::fields::checked_text` accepts, as ECMA-262 patterns: surrounding white space
// (Unicode's, as `str::trim` removes it) is trimmed away, and what remains holds no control
// characters but tab and line breaks.
macro_rules! white {
    () => {
        r"[\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    };
}
/// Any character but the control characters a text may not hold.
macro_rules! inner {
    () => {
        r"[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]"
    };
}
/// Any character that is neither white space nor a control character.
macro_rules! solid {
    () => {
        r"[^\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    };
}
/// A character of an email address: neither `@`, white space nor a control character.
macro_rules! address {
    () => {
        r"[^@\u0000-\u0020\u007F-\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]"
    };
}
const TEXT: &str = concat!(
    "^",
    white!(),
    "*(?:",
    solid!(),
    "(?:",
    inner!(),
    "*",
    solid!(),
    ")?)?",
    white!(),
    "*$"
);
const REQUIRED_TEXT: &str = concat!(
    "^",
    white!(),
    "*",
    solid!(),
    "(?:",
    inner!(),
    "*",
    solid!(),
    ")?",
    white!(),
    "*$"
);
const EMAIL: &str = concat!(
    "^",
    white!(),
    "*",
    address!(),
    "+@",
    address!(),
    "+",
    white!(),
    "*$"
);
const EMAIL_OR_EMPTY: &str = concat!(
    "^",
    white!(),
    "*(?:",
    address!(),
    "+@",
    address!(),
    "+)?",
    white!(),
    "*$"
);
const PHONE_OR_EMPTY: &str = concat!(
    "^",
    white!(),
    r"*(?:[-+()./x 0-9]*[0-9][-+()./x 0-9]*)?",
    white!(),
    "*$"
);
const TIME_OR_EMPTY: &str = concat!(
    "^",
    white!(),
    r"*(?:[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2}))?",
    white!(),
    "*$"
);
const NOT_BLANK: &str = concat!(
    "[^",
    r"\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000",
    "]"
);

/// The pattern of a request's string field: by its name for the few fields with a shape of
/// their own, else the checked text's (every other bounded string of a request is one).
fn pattern_for(field: &str, required: bool, bounded: bool) -> Option<&'static str> {
    Some(match field {
        "occurred_at" => TIME_OR_EMPTY,
        "email" if required => EMAIL,
        "email" | "assignee" => EMAIL_OR_EMPTY,
        "phone" => PHONE_OR_EMPTY,
        "password" | "new_password" => NOT_BLANK,
        "current_password" => return None,
        _ if !bounded => return None,
        _ if required => REQUIRED_TEXT,
        _ => TEXT,
    })
}

/// Adds [`pattern_for`] to the string fields of every schema a request body uses.
fn request_patterns(document: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ArrayItems, Schema, SchemaType, Type};
    let reference_name = |schema: &RefOr<Schema>| match schema {
        RefOr::Ref(reference) => reference
            .ref_location
            .rsplit('/')
            .next()
            .map(str::to_string),
        RefOr::T(Schema::Array(array)) => match &array.items {
            ArrayItems::RefOrSchema(item) => match item.as_ref() {
                RefOr::Ref(reference) => reference
                    .ref_location
                    .rsplit('/')
                    .next()
                    .map(str::to_string),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    let mut names: Vec<String> = document
        .paths
        .paths
        .values_mut()
        .flat_map(operations)
        .filter_map(|(_, operation)| operation.request_body.as_ref())
        .filter_map(|body| body.content.get("application/json"))
        .filter_map(|content| content.schema.as_ref().and_then(reference_name))
        .collect();
    let Some(components) = document.components.as_mut() else {
        return;
    };
    // The schemas the request schemas hold (a customer's contacts and properties).
    let mut index = 0;
    while index < names.len() {
        if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get(&names[index]) {
            for property in object.properties.values() {
                if let Some(name) = reference_name(property)
                    && !names.contains(&name)
                {
                    names.push(name);
                }
            }
        }
        index += 1;
    }
    for name in names {
        let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(&name) else {
            continue;
        };
        for (field, property) in object.properties.iter_mut() {
            let RefOr::T(Schema::Object(string)) = property else {
                continue;
            };
            let is_string = match &string.schema_type {
                SchemaType::Type(kind) => *kind == Type::String,
                SchemaType::Array(kinds) => kinds.contains(&Type::String),
                SchemaType::AnyValue => false,
            };
            if !is_string || string.pattern.is_some() {
                continue;
            }
            let required = string.min_length.is_some_and(|length| length > 0);
            string.pattern =
                pattern_for(field, required, string.max_length.is_some()).map(str::to_string);
        }
    }
}

/// The values the list filters accept, from the model's own lists: each filter takes one of
/// them, the empty string for "any", and where it says so `all` (or, for a search's statuses,
/// several apart by commas). A value with white space around it is accepted too.
fn filter_values(document: &mut utoipa::openapi::OpenApi) {
    use app::model::{ArticleStatus, Channel, Status, Urgency};
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    fn names<T: std::fmt::Display>(all: &[T]) -> Vec<String> {
        all.iter().map(ToString::to_string).collect()
    }
    let with = |extra: &[&str], values: Vec<String>| -> Vec<String> {
        extra
            .iter()
            .map(|value| value.to_string())
            .chain(values)
            .collect()
    };
    let one_of = |values: Vec<String>| {
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(values))
                .build(),
        ))
    };
    let status_list = {
        let words = with(&["open", "any"], names(Status::ALL)).join("|");
        let white = white!();
        let item = format!("{white}*(?:{words})?{white}*");
        RefOr::T(Schema::Object(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(format!("^{item}(?:,{item})*$")))
                .build(),
        ))
    };
    let me_or_email = RefOr::T(Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(concat!(
                "^",
                white!(),
                "*(?:me|",
                address!(),
                "+@",
                address!(),
                "+)?",
                white!(),
                "*$"
            )))
            .build(),
    ));
    let filters = [
        (
            "/api/v1/tickets",
            "status",
            one_of(with(&["", "open", "all"], names(Status::ALL))),
        ),
        (
            "/api/v1/tickets",
            "urgency",
            one_of(with(&["", "all"], names(Urgency::ALL))),
        ),
        (
            "/api/v1/tickets",
            "channel",
            one_of(with(&["", "all"], names(Channel::ALL))),
        ),
        (
            "/api/v1/articles",
            "status",
            one_of(with(&[""], names(ArticleStatus::ALL))),
        ),
        (
            "/api/v1/search",
            "scope",
            one_of(with(&["", "all", "tickets", "articles"], Vec::new())),
        ),
        ("/api/v1/search", "status", status_list),
        ("/api/v1/tickets", "assignee", me_or_email),
    ];
    for (path, name, schema) in filters {
        let parameter = document
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.get.as_mut())
            .and_then(|operation| operation.parameters.as_mut())
            .and_then(|parameters| {
                parameters
                    .iter_mut()
                    .find(|parameter| parameter.name == name)
            });
        if let Some(parameter) = parameter {
            parameter.schema = Some(schema);
        }
    }
}

/// Rules over more than one field of a request, which field attributes cannot say: a ticket
/// names its customer, by name or by record; a timeline entry is of a kind people write.
fn request_rules(document: &mut utoipa::openapi::OpenApi) {
    use app::model::EntryKind;
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
    let Some(components) = document.components.as_mut() else {
        return;
    };
    if let Some(RefOr::T(Schema::Object(ticket))) = components.schemas.get_mut("NewTicket") {
        let by_record = ObjectBuilder::new()
            .required("customer_id")
            .property(
                "customer_id",
                ObjectBuilder::new().schema_type(Type::Integer),
            )
            .build();
        let by_name = ObjectBuilder::new()
            .required("customer")
            .property(
                "customer",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(REQUIRED_TEXT)),
            )
            .build();
        let either = utoipa::openapi::schema::AnyOfBuilder::new()
            .item(by_record)
            .item(by_name)
            .build();
        let mut whole = utoipa::openapi::schema::AllOfBuilder::new()
            .item(Schema::Object(ticket.clone()))
            .item(Schema::AnyOf(either))
            .build();
        whole.description = ticket.description.take();
        components
            .schemas
            .insert("NewTicket".to_string(), RefOr::T(Schema::AllOf(whole)));
    }
    if let Some(RefOr::T(Schema::Object(entry))) = components.schemas.get_mut("NewEntry") {
        let manual: Vec<String> = EntryKind::ALL
            .iter()
            .filter(|kind| kind.is_manual())
            .map(ToString::to_string)
            .collect();
        entry.properties.insert(
            "kind".to_string(),
            RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(manual))
                    .build(),
            )),
        );
    }
}
