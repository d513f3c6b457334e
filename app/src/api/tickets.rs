//! Server functions for tickets: the queue, one ticket, entering and working tickets.

#[cfg(feature = "ssr")]
use super::backend;
use crate::model::{Entry, Ticket, TicketDetail, TicketPage};
use leptos::prelude::*;

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
    .parse(caller.email())
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
    use crate::fields::FieldError;
    use crate::model::Channel;
    use crate::requests::NewTicket;
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
        .create_ticket(&backend::caller(), draft, None)
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
    use crate::fields::FieldError;
    use crate::requests::NewEntry;
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
        .add_entry(&backend::caller(), reference, entry, None)
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
    use crate::fields::FieldError;
    use crate::requests::TransitionRequest;
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
