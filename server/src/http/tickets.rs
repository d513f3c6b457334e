//! The `/api/v1/tickets` resource.

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery, Caller, IdempotencyKey};
use app::model::{Channel, Entry, Ticket, TicketDetail, TicketPage, TicketRef, Urgency};
use app::requests::{NewEntry, NewTicket, RawQueueQuery, TicketPatch, TransitionRequest};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

pub(super) fn reference(text: &str) -> Result<TicketRef, ApiError> {
    text.parse().map_err(|_| {
        ApiError::not_found(format!(
            "no ticket {} exists",
            text.chars().take(40).collect::<String>()
        ))
    })
}

/// Enters a ticket.
///
/// With an `Idempotency-Key`, a retry (same key, same body) within 24 hours gets the ticket the
/// first request created, not a second ticket; the same key with another body is refused.
#[utoipa::path(post, operation_id = "create_ticket", path = "/tickets", tag = "tickets", request_body = NewTicket,
    params(("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$", description = "Any unique value, such as a UUID, that a retry of this request repeats: kept for 24 hours")),
    responses(
    (status = 201, description = "The ticket, with its new reference (or, for a retry with the same `Idempotency-Key`, the ticket the first request created)", body = Ticket),
    (status = 400, description = "Malformed JSON or `Idempotency-Key`", body = ErrorBody),
    (status = 413, description = "Body too large", body = ErrorBody),
    (status = 422, description = "A field is missing or invalid, or the `Idempotency-Key` was sent with another request (`idempotency_key_reused`)", body = ErrorBody),
))]
pub async fn create(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    key: IdempotencyKey,
    ApiJson(request): ApiJson<NewTicket>,
) -> Result<(StatusCode, Json<Ticket>), ApiError> {
    let once = key.for_request("create_ticket", "", &request)?;
    let draft = request.parse(Channel::Api)?;
    let ticket = state.tickets.create_ticket(&caller, draft, once).await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}

/// Lists tickets in queue order: most urgent first, then oldest first.
#[utoipa::path(get, operation_id = "list_tickets", path = "/tickets", tag = "tickets", params(
    ("status" = Option<String>, Query, description = "`open` (default), `all`, or one status"),
    ("urgency" = Option<Urgency>, Query, description = "Only this urgency (empty or `all`: any)"),
    ("q" = Option<String>, Query, max_length = 500, description = "Words that must all appear (whole words, any case) in title, description or customer"),
    ("assignee" = Option<String>, Query, description = "`me`, or an agent's email: only tickets assigned to them"),
    ("channel" = Option<Channel>, Query, description = "Only this channel; `crash` for tickets filed by crash reports (empty or `all`: any)"),
    ("limit" = Option<u32>, Query, minimum = 1, maximum = 200, description = "Page size, 1 to 200 (default 50)"),
    ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
), responses(
    (status = 200, description = "One page of the queue", body = TicketPage),
    (status = 400, description = "A parameter is invalid", body = ErrorBody),
))]
pub async fn list(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiQuery(query): ApiQuery<RawQueueQuery>,
) -> Result<Json<TicketPage>, ApiError> {
    let query = query
        .parse(caller.email())
        .map_err(|error| ApiError::from(error).with_status(StatusCode::BAD_REQUEST))?;
    Ok(Json(state.tickets.queue(&caller, query).await?))
}

/// One ticket with its timeline.
#[utoipa::path(get, operation_id = "get_ticket", path = "/tickets/{reference}", tag = "tickets",
    params(("reference" = String, Path, description = "e.g. TCK-42")),
    responses(
        (status = 200, description = "The ticket and its timeline", body = TicketDetail),
        (status = 404, description = "No such ticket", body = ErrorBody),
    ))]
pub async fn show(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(text): Path<String>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(
        state.tickets.ticket(&caller, reference(&text)?).await?,
    ))
}

/// Edits fields; urgency and assignee changes go on the timeline.
#[utoipa::path(patch, operation_id = "update_ticket", path = "/tickets/{reference}", tag = "tickets", request_body = TicketPatch,
    params(("reference" = String, Path, description = "e.g. TCK-42")),
    responses(
        (status = 200, description = "The changed ticket", body = Ticket),
        (status = 404, description = "No such ticket", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(text): Path<String>,
    ApiJson(patch): ApiJson<TicketPatch>,
) -> Result<Json<Ticket>, ApiError> {
    let reference = reference(&text)?;
    let patch = patch.parse()?;
    Ok(Json(
        state
            .tickets
            .update_ticket(&caller, reference, patch)
            .await?,
    ))
}

/// Adds a note, customer contact or fix attempt to the timeline.
///
/// With an `Idempotency-Key`, a retry (same key, same ticket, same body) within 24 hours gets the
/// entry the first request added, not a second one; the same key with another request is refused.
#[utoipa::path(post, path = "/tickets/{reference}/entries", tag = "tickets", request_body = NewEntry,
    params(("reference" = String, Path, description = "e.g. TCK-42"), ("Idempotency-Key" = Option<String>, Header, min_length = 1, max_length = 255, pattern = "^[!-~]+$", description = "Any unique value, such as a UUID, that a retry of this request repeats: kept for 24 hours")),
    responses(
        (status = 201, description = "The new entry (or, for a retry with the same `Idempotency-Key`, the entry the first request added)", body = Entry),
        (status = 400, description = "Malformed `Idempotency-Key`", body = ErrorBody),
        (status = 404, description = "No such ticket", body = ErrorBody),
        (status = 422, description = "A field is invalid, or the `Idempotency-Key` was sent with another request (`idempotency_key_reused`)", body = ErrorBody),
    ))]
pub async fn add_entry(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(text): Path<String>,
    key: IdempotencyKey,
    ApiJson(entry): ApiJson<NewEntry>,
) -> Result<(StatusCode, Json<Entry>), ApiError> {
    let reference = reference(&text)?;
    let once = key.for_request("add_entry", &reference.to_string(), &entry)?;
    let entry = entry.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .tickets
                .add_entry(&caller, reference, entry, once)
                .await?,
        ),
    ))
}

/// Moves the ticket through the workflow.
#[utoipa::path(post, path = "/tickets/{reference}/transitions", tag = "tickets", request_body = TransitionRequest,
    params(("reference" = String, Path, description = "e.g. TCK-42")),
    responses(
        (status = 200, description = "The ticket in its new status", body = Ticket),
        (status = 404, description = "No such ticket", body = ErrorBody),
        (status = 409, description = "The workflow does not allow this step", body = ErrorBody),
        (status = 422, description = "A resolution or verification detail is missing", body = ErrorBody),
    ))]
pub async fn transition(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(text): Path<String>,
    ApiJson(request): ApiJson<TransitionRequest>,
) -> Result<Json<Ticket>, ApiError> {
    let reference = reference(&text)?;
    let transition = request.parse()?;
    Ok(Json(
        state
            .tickets
            .transition(&caller, reference, transition)
            .await?,
    ))
}
