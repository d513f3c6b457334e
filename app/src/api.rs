//! Server functions: the dashboard's calls into the help desk.
//!
//! Each takes flat, form-encoded arguments so that every form also works before the wasm bundle
//! has loaded (a plain HTML form post); the checking happens in `requests`, as for the REST API.

// The server macro generates one public struct per function, whose fields mirror the arguments;
// a form with many fields is a function with many arguments.
#![allow(missing_docs, clippy::too_many_arguments)]

use crate::model::{Entry, Ticket, TicketDetail, TicketPage};
use leptos::prelude::*;

/// The author name the dashboard uses until agents sign in.
pub const DASHBOARD_AUTHOR: &str = "agent";

#[cfg(feature = "ssr")]
mod backend {
    use crate::model::TicketRef;
    use crate::service::{HelpDeskError, SharedHelpDesk};
    use leptos::prelude::*;

    pub fn help_desk() -> Result<SharedHelpDesk, ServerFnError> {
        use_context::<SharedHelpDesk>()
            .ok_or_else(|| ServerFnError::new("the help desk is not available in this context"))
    }

    /// The error for the dashboard, with the HTTP status a REST client would get.
    pub fn failure(error: impl Into<HelpDeskError>) -> ServerFnError {
        use crate::workflow::WorkflowError;
        use http::StatusCode;
        let error = error.into();
        let status = match &error {
            HelpDeskError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HelpDeskError::NotFound(_) => StatusCode::NOT_FOUND,
            HelpDeskError::Workflow(WorkflowError::IllegalTransition { .. }) => {
                StatusCode::CONFLICT
            }
            HelpDeskError::Workflow(_) => StatusCode::UNPROCESSABLE_ENTITY,
            HelpDeskError::Storage(source) => {
                tracing::error!(error = %source, "server function failed on storage");
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
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
    cursor: Option<String>,
) -> Result<TicketPage, ServerFnError> {
    use crate::requests::RawQueueQuery;
    let query = RawQueueQuery {
        status,
        urgency,
        q,
        limit: None,
        cursor,
    }
    .parse()
    .map_err(backend::failure)?;
    backend::help_desk()?
        .queue(query)
        .await
        .map_err(backend::failure)
}

/// A ticket with its timeline.
#[server(prefix = "/rpc", endpoint = "load_ticket")]
pub async fn load_ticket(reference: String) -> Result<TicketDetail, ServerFnError> {
    let reference = backend::reference(&reference)?;
    backend::help_desk()?
        .ticket(reference)
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
    scope: Option<String>,
    environment: Option<String>,
    occurred_at: Option<String>,
    manner: Option<String>,
) -> Result<Ticket, ServerFnError> {
    use crate::model::Channel;
    use crate::requests::NewTicket;
    let request = NewTicket {
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
        author: None,
    };
    let draft = request
        .parse(Channel::Phone, DASHBOARD_AUTHOR)
        .map_err(backend::failure)?;
    let ticket = backend::help_desk()?
        .create_ticket(draft)
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
        author: None,
    }
    .parse(DASHBOARD_AUTHOR)
    .map_err(backend::failure)?;
    backend::help_desk()?
        .add_entry(reference, entry)
        .await
        .map_err(backend::failure)
}

/// Moves a ticket through the workflow.
#[server(prefix = "/rpc", endpoint = "change_status")]
pub async fn change_status(
    reference: String,
    to: String,
    resolution: Option<String>,
) -> Result<Ticket, ServerFnError> {
    use crate::requests::{FieldError, TransitionRequest};
    let reference = backend::reference(&reference)?;
    let to = to.parse().map_err(|error: crate::model::UnknownValue| {
        backend::failure(FieldError::new("to", error.to_string()))
    })?;
    let transition = TransitionRequest {
        to,
        resolution,
        author: None,
    }
    .parse(DASHBOARD_AUTHOR)
    .map_err(backend::failure)?;
    backend::help_desk()?
        .transition(reference, transition)
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
    .parse(DASHBOARD_AUTHOR)
    .map_err(backend::failure)?;
    backend::help_desk()?
        .update_ticket(reference, patch)
        .await
        .map_err(backend::failure)
}
