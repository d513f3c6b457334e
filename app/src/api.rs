//! Server functions: the dashboard's calls into the help desk.
//!
//! Each takes flat, form-encoded arguments so that every form also works before the wasm bundle
//! has loaded (a plain HTML form post); the checking happens in `requests`, as for the REST API.

// The server macro generates one public struct per function, whose fields mirror the arguments;
// a form with many fields is a function with many arguments.
#![allow(missing_docs, clippy::too_many_arguments)]

use crate::accounts::{Agent, ApiToken, CreatedToken, CurrentAgent};
use crate::model::{Entry, Ticket, TicketDetail, TicketPage};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod backend {
    use crate::model::TicketRef;
    use crate::service::HelpDeskError;
    use leptos::prelude::*;

    /// The tickets service.
    pub fn tickets() -> Result<crate::service::SharedTickets, ServerFnError> {
        use_context::<crate::service::SharedTickets>()
            .ok_or_else(|| ServerFnError::new("tickets are not available in this context"))
    }

    /// The crash service.
    pub fn crashes() -> Result<crate::service::SharedCrashes, ServerFnError> {
        use_context::<crate::service::SharedCrashes>()
            .ok_or_else(|| ServerFnError::new("crashes are not available in this context"))
    }

    /// The email `me` stands for in a query: the signed-in agent's; nobody's for others.
    pub fn email_of(caller: &crate::accounts::Principal) -> String {
        match caller {
            crate::accounts::Principal::Agent(agent) => agent.email.clone(),
            _ => String::new(),
        }
    }

    pub fn accounts() -> Result<crate::service::SharedAccounts, ServerFnError> {
        use_context::<crate::service::SharedAccounts>()
            .ok_or_else(|| ServerFnError::new("accounts are not available in this context"))
    }

    /// The caller as the server's guard resolved them; a stranger when nobody signed in.
    pub fn caller() -> crate::accounts::Principal {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .extensions
                    .get::<crate::accounts::Principal>()
                    .cloned()
            })
            .unwrap_or(crate::accounts::Principal::Stranger)
    }

    /// The signed-in agent, if any.
    pub fn signed_in() -> Option<crate::accounts::AgentPrincipal> {
        match caller() {
            crate::accounts::Principal::Agent(agent) => Some(agent),
            _ => None,
        }
    }

    /// The projects service.
    pub fn projects() -> Result<crate::service::SharedProjects, ServerFnError> {
        use_context::<crate::service::SharedProjects>()
            .ok_or_else(|| ServerFnError::new("projects are not available in this context"))
    }

    /// The articles service.
    pub fn articles() -> Result<crate::service::SharedArticles, ServerFnError> {
        use_context::<crate::service::SharedArticles>()
            .ok_or_else(|| ServerFnError::new("articles are not available in this context"))
    }

    /// The search service.
    pub fn search() -> Result<crate::service::SharedSearch, ServerFnError> {
        use_context::<crate::service::SharedSearch>()
            .ok_or_else(|| ServerFnError::new("search is not available in this context"))
    }

    /// The customers service.
    pub fn customers() -> Result<crate::service::SharedCustomers, ServerFnError> {
        use_context::<crate::service::SharedCustomers>()
            .ok_or_else(|| ServerFnError::new("customers are not available in this context"))
    }

    /// The address the request came from; unknown counts as a remote, forwarded one.
    pub fn client_address() -> crate::accounts::ClientAddress {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .extensions
                    .get::<crate::accounts::ClientAddress>()
                    .copied()
            })
            .unwrap_or(crate::accounts::ClientAddress {
                ip: std::net::IpAddr::from([0, 0, 0, 0]),
                forwarded: true,
            })
    }

    /// Adds a `Set-Cookie` header to the response.
    pub fn set_cookie(value: &str) {
        if let (Some(response), Ok(cookie)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(value),
        ) {
            response.append_header(http::header::SET_COOKIE, cookie);
        }
    }

    /// Where to go after signing in: a path on this site, never elsewhere.
    pub fn local_path(next: Option<String>) -> String {
        next.filter(|path| path.starts_with('/') && !path.starts_with("//") && !path.contains('\\'))
            .unwrap_or_else(|| "/".to_string())
    }

    /// The error for the dashboard, with the HTTP status a REST client would get
    /// ([`HelpDeskError::answer`], the one mapping).
    pub fn failure(error: impl Into<HelpDeskError>) -> ServerFnError {
        let error = error.into();
        match &error {
            HelpDeskError::Throttled {
                retry_after_seconds,
            } => {
                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                    response
                        .insert_header(http::header::RETRY_AFTER, (*retry_after_seconds).into());
                }
            }
            HelpDeskError::Storage(source) => {
                tracing::error!(error = %source, "server function failed on storage");
            }
            _ => {}
        }
        let status = http::StatusCode::from_u16(error.answer().status)
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        respond(status, error.to_string())
    }

    /// Sets the response status (unless the call is a plain form post, which must redirect back
    /// to the page) and makes the error the dashboard shows.
    pub fn respond(status: http::StatusCode, message: String) -> ServerFnError {
        use leptos_axum::ResponseOptions;
        let plain_form_post = use_context::<http::request::Parts>().is_some_and(|parts| {
            parts.method == http::Method::POST
                && parts
                    .headers
                    .get(http::header::ACCEPT)
                    .and_then(|accept| accept.to_str().ok())
                    .is_some_and(|accept| accept.contains("text/html"))
        });
        if let (Some(response), false) = (use_context::<ResponseOptions>(), plain_form_post) {
            response.set_status(status);
        }
        ServerFnError::new(message)
    }

    /// A malformed reference names no ticket: 404, like an unknown one.
    pub fn reference(text: &str) -> Result<TicketRef, ServerFnError> {
        text.parse()
            .map_err(|error: crate::model::InvalidReference| {
                respond(http::StatusCode::NOT_FOUND, error.to_string())
            })
    }

    /// A customer id from a path or form; a malformed one names no customer.
    pub fn customer_id(text: &str) -> Result<crate::ids::CustomerId, ServerFnError> {
        text.parse().map_err(failure)
    }

    /// An article id from a path or form; a malformed one names no article.
    pub fn article_id(text: &str) -> Result<crate::ids::ArticleId, ServerFnError> {
        text.parse().map_err(failure)
    }

    /// Empty strings from forms mean "not given".
    pub fn given(value: Option<String>) -> Option<String> {
        value.filter(|text| !text.trim().is_empty())
    }

    pub fn parse_enum<T: std::str::FromStr<Err = crate::model::UnknownValue>>(
        field: &str,
        value: Option<String>,
    ) -> Result<Option<T>, ServerFnError> {
        given(value)
            .map(|text| text.parse::<T>())
            .transpose()
            .map_err(|error| failure(crate::requests::FieldError::new(field, error.to_string())))
    }
}

/// One page of the queue with the dashboard's filters.
#[server(prefix = "/rpc", endpoint = "queue_page")]
pub async fn queue_page(
    status: Option<String>,
    urgency: Option<String>,
    q: Option<String>,
    assignee: Option<String>,
    channel: Option<String>,
    cursor: Option<String>,
) -> Result<TicketPage, ServerFnError> {
    use crate::requests::RawQueueQuery;
    let caller = backend::caller();
    let query = RawQueueQuery {
        status,
        urgency,
        q,
        assignee,
        channel,
        limit: None,
        cursor,
    }
    .parse(&backend::email_of(&caller))
    .map_err(backend::failure)?;
    backend::tickets()?
        .queue(&caller, query)
        .await
        .map_err(backend::failure)
}

/// A ticket with its timeline.
#[server(prefix = "/rpc", endpoint = "load_ticket")]
pub async fn load_ticket(reference: String) -> Result<TicketDetail, ServerFnError> {
    let reference = backend::reference(&reference)?;
    backend::tickets()?
        .ticket(&backend::caller(), reference)
        .await
        .map_err(backend::failure)
}

/// Enters a ticket, then shows it.
#[server(prefix = "/rpc", endpoint = "create_ticket")]
pub async fn create_ticket(
    title: String,
    description: Option<String>,
    urgency: Option<String>,
    channel: Option<String>,
    customer: String,
    customer_id: Option<String>,
    scope: Option<String>,
    environment: Option<String>,
    occurred_at: Option<String>,
    manner: Option<String>,
) -> Result<Ticket, ServerFnError> {
    use crate::model::Channel;
    use crate::requests::{FieldError, NewTicket};
    let customer_id = backend::given(customer_id)
        .map(|text| {
            text.parse::<crate::ids::CustomerId>()
                .map(crate::ids::CustomerId::number)
                .map_err(|_| FieldError::new("customer_id", "is not a customer id"))
        })
        .transpose()
        .map_err(backend::failure)?;
    let request = NewTicket {
        customer_id,
        title,
        description: description.unwrap_or_default(),
        urgency: backend::parse_enum("urgency", urgency)?,
        channel: backend::parse_enum("channel", channel)?,
        customer,
        scope: backend::parse_enum("scope", scope)?,
        environment: environment.unwrap_or_default(),
        occurred_at: backend::given(occurred_at)
            .map(|text| crate::format::normalize_local_time(&text)),
        manner: manner.unwrap_or_default(),
    };
    let draft = request.parse(Channel::Phone).map_err(backend::failure)?;
    let ticket = backend::tickets()?
        .create_ticket(&backend::caller(), draft)
        .await
        .map_err(backend::failure)?;
    leptos_axum::redirect(&format!("/tickets/{}", ticket.reference));
    Ok(ticket)
}

/// Adds a note, customer contact or fix attempt.
#[server(prefix = "/rpc", endpoint = "add_entry")]
pub async fn add_entry(
    reference: String,
    kind: String,
    body: String,
    outcome: Option<String>,
) -> Result<Entry, ServerFnError> {
    use crate::requests::{FieldError, NewEntry};
    let reference = backend::reference(&reference)?;
    let kind = kind.parse().map_err(|error: crate::model::UnknownValue| {
        backend::failure(FieldError::new("kind", error.to_string()))
    })?;
    // The dashboard's form always carries an outcome field; it only means something for attempts.
    let outcome = if kind == crate::model::EntryKind::Attempt {
        backend::parse_enum("outcome", outcome)?
    } else {
        None
    };
    let entry = NewEntry {
        kind,
        body,
        outcome,
    }
    .parse()
    .map_err(backend::failure)?;
    backend::tickets()?
        .add_entry(&backend::caller(), reference, entry)
        .await
        .map_err(backend::failure)
}

/// Moves a ticket through the workflow.
#[server(prefix = "/rpc", endpoint = "change_status")]
pub async fn change_status(
    reference: String,
    to: String,
    resolution: Option<String>,
    release: Option<String>,
) -> Result<Ticket, ServerFnError> {
    use crate::requests::{FieldError, TransitionRequest};
    let reference = backend::reference(&reference)?;
    let to = to.parse().map_err(|error: crate::model::UnknownValue| {
        backend::failure(FieldError::new("to", error.to_string()))
    })?;
    let transition = TransitionRequest {
        to,
        resolution,
        release: backend::given(release),
    }
    .parse()
    .map_err(backend::failure)?;
    backend::tickets()?
        .transition(&backend::caller(), reference, transition)
        .await
        .map_err(backend::failure)
}

/// Edits a ticket's urgency, assignee or occurrence details.
#[server(prefix = "/rpc", endpoint = "update_ticket")]
pub async fn update_ticket(
    reference: String,
    urgency: Option<String>,
    assignee: Option<String>,
    environment: Option<String>,
    occurred_at: Option<String>,
    manner: Option<String>,
) -> Result<Ticket, ServerFnError> {
    use crate::requests::TicketPatch;
    let reference = backend::reference(&reference)?;
    // The details form always sends all three fields; an empty one clears it.
    let patch = TicketPatch {
        urgency: backend::parse_enum("urgency", urgency)?,
        assignee,
        environment,
        occurred_at: occurred_at.map(|text| crate::format::normalize_local_time(&text)),
        manner,
        ..TicketPatch::default()
    }
    .parse()
    .map_err(backend::failure)?;
    backend::tickets()?
        .update_ticket(&backend::caller(), reference, patch)
        .await
        .map_err(backend::failure)
}

/// Signs in with email and password, then goes to `next` (a path on this site).
#[server(prefix = "/rpc", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<CurrentAgent, ServerFnError> {
    let signed_in = backend::accounts()?
        .sign_in(&email, &password, backend::client_address().ip)
        .await
        .map_err(backend::failure)?;
    backend::set_cookie(&signed_in.set_cookie);
    leptos_axum::redirect(&backend::local_path(next));
    Ok(signed_in.principal.current())
}

/// Whether the help desk has no agents yet (the sign-in page then offers to set up an admin).
#[server(prefix = "/rpc", endpoint = "first_run")]
pub async fn first_run() -> Result<bool, ServerFnError> {
    backend::accounts()?
        .first_run()
        .await
        .map_err(backend::failure)
}

/// Creates the first admin (only from this machine, only while there are no agents), signs
/// them in and opens the queue.
#[server(prefix = "/rpc", endpoint = "set_up_first_admin")]
pub async fn set_up_first_admin(
    email: String,
    name: String,
    password: String,
) -> Result<CurrentAgent, ServerFnError> {
    use crate::accounts::NewAgent;
    let draft = NewAgent {
        email,
        name,
        role: Some(crate::model::Role::Admin),
        password,
    }
    .parse()
    .map_err(backend::failure)?;
    let signed_in = backend::accounts()?
        .set_up_first_admin(draft, backend::client_address())
        .await
        .map_err(backend::failure)?;
    backend::set_cookie(&signed_in.set_cookie);
    leptos_axum::redirect("/");
    Ok(signed_in.principal.current())
}

/// Ends the session and goes to the sign-in page.
#[server(prefix = "/rpc", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ServerFnError> {
    if backend::signed_in().is_some() {
        let clear = backend::accounts()?
            .sign_out(&backend::caller())
            .await
            .map_err(backend::failure)?;
        if let (Some(response), Ok(cookie)) = (
            use_context::<leptos_axum::ResponseOptions>(),
            http::HeaderValue::from_str(&clear),
        ) {
            response.append_header(http::header::SET_COOKIE, cookie);
        }
    }
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in agent, if any.
#[server(prefix = "/rpc", endpoint = "signed_in_agent")]
pub async fn signed_in_agent() -> Result<Option<CurrentAgent>, ServerFnError> {
    Ok(backend::signed_in().map(|principal| principal.current()))
}

/// Every agent (to assign tickets, and for admins to manage).
#[server(prefix = "/rpc", endpoint = "list_agents")]
pub async fn list_agents() -> Result<Vec<Agent>, ServerFnError> {
    backend::accounts()?
        .agents(&backend::caller())
        .await
        .map_err(backend::failure)
}

/// Creates an agent (admins).
#[server(prefix = "/rpc", endpoint = "create_agent")]
pub async fn create_agent(
    email: String,
    name: String,
    role: Option<String>,
    password: String,
) -> Result<Agent, ServerFnError> {
    use crate::accounts::NewAgent;
    let draft = NewAgent {
        email,
        name,
        role: backend::parse_enum("role", role)?,
        password,
    }
    .parse()
    .map_err(backend::failure)?;
    backend::accounts()?
        .create_agent(&backend::caller(), draft)
        .await
        .map_err(backend::failure)
}

/// Changes an agent's role or activity (admins).
#[server(prefix = "/rpc", endpoint = "update_agent")]
pub async fn update_agent(
    id: String,
    role: Option<String>,
    active: Option<String>,
) -> Result<Agent, ServerFnError> {
    use crate::accounts::AgentPatch;
    use crate::requests::FieldError;
    let active = match backend::given(active).as_deref() {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(_) => {
            return Err(backend::failure(FieldError::new(
                "active",
                "must be true or false",
            )));
        }
    };
    let patch = AgentPatch {
        role: backend::parse_enum("role", role)?,
        active,
        ..AgentPatch::default()
    }
    .parse()
    .map_err(backend::failure)?;
    backend::accounts()?
        .update_agent(&backend::caller(), &id, patch)
        .await
        .map_err(backend::failure)
}

/// The caller's API tokens.
#[server(prefix = "/rpc", endpoint = "my_tokens")]
pub async fn my_tokens() -> Result<Vec<ApiToken>, ServerFnError> {
    backend::accounts()?
        .tokens(&backend::caller())
        .await
        .map_err(backend::failure)
}

/// Creates an API token for the caller; the secret is shown once.
#[server(prefix = "/rpc", endpoint = "create_token")]
pub async fn create_token(
    name: String,
    role: Option<String>,
) -> Result<CreatedToken, ServerFnError> {
    use crate::accounts::NewToken;
    let draft = NewToken {
        name,
        role: backend::parse_enum("role", role)?,
    }
    .parse()
    .map_err(backend::failure)?;
    backend::accounts()?
        .create_token(&backend::caller(), draft)
        .await
        .map_err(backend::failure)
}

/// Revokes one of the caller's API tokens.
#[server(prefix = "/rpc", endpoint = "revoke_token")]
pub async fn revoke_token(id: String) -> Result<(), ServerFnError> {
    backend::accounts()?
        .revoke_token(&backend::caller(), &id)
        .await
        .map_err(backend::failure)
}

/// Changes the caller's own password; their other sessions end.
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ServerFnError> {
    backend::accounts()?
        .change_password(
            &backend::caller(),
            &current_password,
            &new_password,
            backend::client_address().ip,
        )
        .await
        .map_err(backend::failure)
}

/// Every project with its DSN.
#[server(prefix = "/rpc", endpoint = "list_projects")]
pub async fn list_projects() -> Result<Vec<crate::projects::Project>, ServerFnError> {
    backend::projects()?
        .projects(&backend::caller())
        .await
        .map_err(backend::failure)
}

/// Creates a project (admins).
#[server(prefix = "/rpc", endpoint = "create_project")]
pub async fn create_project(name: String) -> Result<crate::projects::Project, ServerFnError> {
    use crate::projects::NewProject;
    let name = NewProject { name }.parse().map_err(backend::failure)?;
    backend::projects()?
        .create_project(&backend::caller(), name)
        .await
        .map_err(backend::failure)
}

/// A page of customers by name; `q` finds them as someone types.
#[server(prefix = "/rpc", endpoint = "search_customers")]
pub async fn search_customers(
    q: String,
    cursor: String,
) -> Result<crate::customers::CustomerPage, ServerFnError> {
    let query = Some(q.as_str()).filter(|query| !query.trim().is_empty());
    let cursor = Some(cursor.as_str()).filter(|cursor| !cursor.is_empty());
    backend::customers()?
        .customers(&backend::caller(), query, cursor, 50)
        .await
        .map_err(backend::failure)
}

/// One customer.
#[server(prefix = "/rpc", endpoint = "load_customer")]
pub async fn load_customer(id: String) -> Result<crate::customers::Customer, ServerFnError> {
    backend::customers()?
        .customer(&backend::caller(), backend::customer_id(&id)?)
        .await
        .map_err(backend::failure)
}

/// A customer's tickets, open first.
#[server(prefix = "/rpc", endpoint = "customer_tickets")]
pub async fn customer_tickets(
    id: String,
) -> Result<crate::customers::CustomerTickets, ServerFnError> {
    backend::customers()?
        .customer_tickets(&backend::caller(), backend::customer_id(&id)?)
        .await
        .map_err(backend::failure)
}

/// Creates a customer with its first contact (agents); more contacts and key/values through the
/// API.
#[server(prefix = "/rpc", endpoint = "create_customer")]
pub async fn create_customer(
    name: String,
    contact_name: String,
    contact_email: String,
    contact_phone: String,
    environment: String,
    notes: String,
) -> Result<crate::customers::Customer, ServerFnError> {
    use crate::customers::{Contact, NewCustomer};
    let contacts = if contact_name.trim().is_empty()
        && contact_email.trim().is_empty()
        && contact_phone.trim().is_empty()
    {
        Vec::new()
    } else {
        vec![Contact {
            name: contact_name,
            email: Some(contact_email),
            phone: Some(contact_phone),
        }]
    };
    let draft = NewCustomer {
        name,
        notes,
        contacts,
        environment,
        properties: Vec::new(),
    }
    .parse()
    .map_err(backend::failure)?;
    let customer = backend::customers()?
        .create_customer(&backend::caller(), draft)
        .await
        .map_err(backend::failure)?;
    leptos_axum::redirect(&format!("/customers/{}", customer.id));
    Ok(customer)
}

/// A crash ticket's reports per hour over the charted days.
#[server(prefix = "/rpc", endpoint = "crash_occurrences")]
pub async fn crash_occurrences(
    reference: String,
) -> Result<crate::crash::OccurrenceHistory, ServerFnError> {
    let reference = backend::reference(&reference)?;
    let since = time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .div_euclid(3_600)
        - crate::crash::CHARTED_DAYS * 24;
    backend::crashes()?
        .crash_occurrences(&backend::caller(), reference, since)
        .await
        .map_err(backend::failure)
}

/// The most recent stored report of a crash ticket.
#[server(prefix = "/rpc", endpoint = "latest_crash_event")]
pub async fn latest_crash_event(
    reference: String,
) -> Result<Option<crate::crash::StoredCrashEvent>, ServerFnError> {
    let reference = backend::reference(&reference)?;
    backend::crashes()?
        .latest_crash_event(&backend::caller(), reference)
        .await
        .map_err(backend::failure)
}

/// Full-text search across tickets, timelines and published articles; `scope` is `all`,
/// `tickets` or `articles`.
#[server(prefix = "/rpc", endpoint = "search_knowledge")]
pub async fn search_knowledge(
    q: String,
    scope: String,
    status: String,
    cursor: String,
) -> Result<crate::search::SearchResults, ServerFnError> {
    use crate::requests::FieldError;
    use crate::search::{SearchQuery, SearchScope, parse_statuses};
    let scope = SearchScope::parse(&scope).map_err(backend::failure)?;
    let offset = if cursor.is_empty() {
        0
    } else {
        cursor
            .parse()
            .map_err(|_| backend::failure(FieldError::new("cursor", "is not a cursor")))?
    };
    let statuses = parse_statuses(&status).map_err(backend::failure)?;
    let query = SearchQuery::parse(&q, scope, statuses, offset, 20).map_err(backend::failure)?;
    backend::search()?
        .search(&backend::caller(), query)
        .await
        .map_err(backend::failure)
}

/// What helped before with a problem described in words (a ticket being entered).
#[server(prefix = "/rpc", endpoint = "suggest_for_text")]
pub async fn suggest_for_text(text: String) -> Result<crate::search::Suggestions, ServerFnError> {
    let text: String = text.chars().take(crate::model::MAX_TEXT_CHARS).collect();
    backend::search()?
        .suggestions(&backend::caller(), &text)
        .await
        .map_err(backend::failure)
}

/// What helped before with a ticket's problem.
#[server(prefix = "/rpc", endpoint = "suggest_for_ticket")]
pub async fn suggest_for_ticket(
    reference: String,
) -> Result<crate::search::Suggestions, ServerFnError> {
    let reference = backend::reference(&reference)?;
    backend::search()?
        .ticket_suggestions(&backend::caller(), reference)
        .await
        .map_err(backend::failure)
}

/// One article, with its Markdown rendered (safely) on the server.
#[server(prefix = "/rpc", endpoint = "load_article")]
pub async fn load_article(id: String) -> Result<crate::articles::RenderedArticle, ServerFnError> {
    let article = backend::articles()?
        .article(&backend::caller(), backend::article_id(&id)?)
        .await
        .map_err(backend::failure)?;
    Ok(crate::articles::RenderedArticle {
        symptoms_html: crate::markdown::to_safe_html(&article.symptoms),
        resolution_html: crate::markdown::to_safe_html(&article.resolution),
        article,
    })
}

/// Every version of an article, newest first.
#[server(prefix = "/rpc", endpoint = "article_history")]
pub async fn article_history(
    id: String,
) -> Result<Vec<crate::articles::ArticleVersion>, ServerFnError> {
    backend::articles()?
        .article_history(&backend::caller(), backend::article_id(&id)?)
        .await
        .map_err(backend::failure)
}

/// Articles newest first; `status` is `draft`, `published` or empty for both.
#[server(prefix = "/rpc", endpoint = "list_articles")]
pub async fn list_articles(
    status: String,
    cursor: String,
) -> Result<crate::articles::ArticlePage, ServerFnError> {
    let status = if status.is_empty() {
        None
    } else {
        backend::parse_enum("status", Some(status))?
    };
    let cursor = Some(cursor.as_str()).filter(|cursor| !cursor.is_empty());
    backend::articles()?
        .articles(&backend::caller(), status, cursor, 50)
        .await
        .map_err(backend::failure)
}

/// The form's starting point: an article prefilled from a ticket (`from`), or an empty one.
#[server(prefix = "/rpc", endpoint = "article_draft")]
pub async fn article_draft(from: String) -> Result<crate::articles::NewArticle, ServerFnError> {
    // An empty form holds nothing to protect; a prefilled one is the desk's to allow.
    if from.trim().is_empty() {
        return Ok(crate::articles::NewArticle::default());
    }
    let reference = backend::reference(from.trim())?;
    backend::articles()?
        .article_from_ticket(&backend::caller(), reference)
        .await
        .map_err(backend::failure)
}

/// Creates an article, or (with `id` and the `revision` it was edited from) changes one; then
/// shows it. Tags and tickets are comma-separated.
#[server(prefix = "/rpc", endpoint = "save_article")]
#[allow(clippy::too_many_arguments)]
pub async fn save_article(
    id: Option<String>,
    revision: Option<String>,
    title: String,
    symptoms: String,
    resolution: String,
    tags: String,
    tickets: String,
    status: String,
) -> Result<crate::articles::Article, ServerFnError> {
    use crate::articles::{ArticlePatch, NewArticle};
    use crate::requests::FieldError;
    let caller = backend::caller();
    let list = |text: &str| -> Vec<String> {
        text.split(',')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(str::to_string)
            .collect()
    };
    let status = backend::parse_enum("status", Some(status))?;
    let articles = backend::articles()?;
    let article = match backend::given(id) {
        None => {
            let draft = NewArticle {
                title,
                symptoms,
                resolution,
                tags: list(&tags),
                tickets: list(&tickets),
                status,
            }
            .parse()
            .map_err(backend::failure)?;
            articles
                .create_article(&caller, draft)
                .await
                .map_err(backend::failure)?
        }
        Some(id) => {
            let revision = backend::given(revision)
                .and_then(|text| text.trim().parse::<u64>().ok())
                .ok_or_else(|| backend::failure(FieldError::new("revision", "is required")))?;
            let patch = ArticlePatch {
                revision,
                title: Some(title),
                symptoms: Some(symptoms),
                resolution: Some(resolution),
                tags: Some(list(&tags)),
                tickets: Some(list(&tickets)),
                status,
            };
            articles
                .update_article(&caller, backend::article_id(&id)?, patch)
                .await
                .map_err(backend::failure)?
        }
    };
    leptos_axum::redirect(&format!("/articles/{}", article.id));
    Ok(article)
}

/// Records a new caller as a customer from the new-ticket form, without leaving it (agents).
#[server(prefix = "/rpc", endpoint = "record_caller")]
pub async fn record_caller(
    name: String,
    contact_name: String,
    contact_email: String,
    contact_phone: String,
) -> Result<crate::customers::Customer, ServerFnError> {
    use crate::customers::{Contact, NewCustomer};
    let given = |text: String| Some(text).filter(|text| !text.trim().is_empty());
    let contacts = if contact_name.trim().is_empty() {
        Vec::new()
    } else {
        vec![Contact {
            name: contact_name,
            email: given(contact_email),
            phone: given(contact_phone),
        }]
    };
    let draft = NewCustomer {
        name,
        contacts,
        ..NewCustomer::default()
    }
    .parse()
    .map_err(backend::failure)?;
    backend::customers()?
        .create_customer(&backend::caller(), draft)
        .await
        .map_err(backend::failure)
}
