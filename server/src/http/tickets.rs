//! The `/api/v1/tickets` resource.

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery, SignedIn};
use app::model::{Channel, Entry, Ticket, TicketDetail, TicketPage, TicketRef};
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
#[utoipa::path(post, path = "/tickets", tag = "tickets", request_body = NewTicket, responses(
    (status = 201, description = "The ticket, with its new reference", body = Ticket),
    (status = 400, description = "Malformed JSON", body = ErrorBody),
    (status = 413, description = "Body too large", body = ErrorBody),
    (status = 422, description = "A field is missing or invalid", body = ErrorBody),
))]
pub async fn create(
    State(state): State<ApiState>,
    SignedIn(caller): SignedIn,
    ApiJson(request): ApiJson<NewTicket>,
) -> Result<(StatusCode, Json<Ticket>), ApiError> {
    let draft = request.parse(Channel::Api, &caller.author())?;
    let ticket = state.help_desk.create_ticket(draft).await?;
    Ok((StatusCode::CREATED, Json(ticket)))
}

/// Lists tickets in queue order: most urgent first, then oldest first.
#[utoipa::path(get, path = "/tickets", tag = "tickets", params(
    ("status" = Option<String>, Query, description = "`open` (default), `all`, or one status"),
    ("urgency" = Option<String>, Query, description = "Only this urgency"),
    ("q" = Option<String>, Query, description = "Words that must all appear (whole words, any case) in title, description or customer"),
    ("assignee" = Option<String>, Query, description = "`me`, or an agent's email: only tickets assigned to them"),
    ("channel" = Option<String>, Query, description = "Only this channel; `crash` for tickets filed by crash reports"),
    ("limit" = Option<u32>, Query, description = "Page size, 1 to 200 (default 50)"),
    ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
), responses(
    (status = 200, description = "One page of the queue", body = TicketPage),
    (status = 400, description = "A parameter is invalid", body = ErrorBody),
))]
pub async fn list(
    State(state): State<ApiState>,
    SignedIn(caller): SignedIn,
    ApiQuery(query): ApiQuery<RawQueueQuery>,
) -> Result<Json<TicketPage>, ApiError> {
    let query = query
        .parse(&caller.email)
        .map_err(|error| ApiError::from(error).with_status(StatusCode::BAD_REQUEST))?;
    Ok(Json(state.help_desk.queue(query).await?))
}

/// One ticket with its timeline.
#[utoipa::path(get, path = "/tickets/{reference}", tag = "tickets",
    params(("reference" = String, Path, description = "e.g. TCK-42")),
    responses(
        (status = 200, description = "The ticket and its timeline", body = TicketDetail),
        (status = 404, description = "No such ticket", body = ErrorBody),
    ))]
pub async fn show(
    State(state): State<ApiState>,
    Path(text): Path<String>,
) -> Result<Json<TicketDetail>, ApiError> {
    Ok(Json(state.help_desk.ticket(reference(&text)?).await?))
}

/// Edits fields; urgency and assignee changes go on the timeline.
#[utoipa::path(patch, path = "/tickets/{reference}", tag = "tickets", request_body = TicketPatch,
    params(("reference" = String, Path, description = "e.g. TCK-42")),
    responses(
        (status = 200, description = "The changed ticket", body = Ticket),
        (status = 404, description = "No such ticket", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<ApiState>,
    SignedIn(caller): SignedIn,
    Path(text): Path<String>,
    ApiJson(patch): ApiJson<TicketPatch>,
) -> Result<Json<Ticket>, ApiError> {
    let reference = reference(&text)?;
    let patch = patch.parse(&caller.author())?;
    Ok(Json(state.help_desk.update_ticket(reference, patch).await?))
}

/// Adds a note, customer contact or fix attempt to the timeline.
#[utoipa::path(post, path = "/tickets/{reference}/entries", tag = "tickets", request_body = NewEntry,
    params(("reference" = String, Path, description = "e.g. TCK-42")),
    responses(
        (status = 201, description = "The new entry", body = Entry),
        (status = 404, description = "No such ticket", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    ))]
pub async fn add_entry(
    State(state): State<ApiState>,
    SignedIn(caller): SignedIn,
    Path(text): Path<String>,
    ApiJson(entry): ApiJson<NewEntry>,
) -> Result<(StatusCode, Json<Entry>), ApiError> {
    let reference = reference(&text)?;
    let entry = entry.parse(&caller.author())?;
    Ok((
        StatusCode::CREATED,
        Json(state.help_desk.add_entry(reference, entry).await?),
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
    SignedIn(caller): SignedIn,
    Path(text): Path<String>,
    ApiJson(request): ApiJson<TransitionRequest>,
) -> Result<Json<Ticket>, ApiError> {
    let reference = reference(&text)?;
    let transition = request.parse(&caller.author())?;
    Ok(Json(
        state.help_desk.transition(reference, transition).await?,
    ))
}

/// One stored crash report of a ticket.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CrashEventView {
    /// Its place among the ticket's reports, from 1.
    pub sequence: u64,
    /// The client's event id.
    pub event_id: String,
    /// When it arrived (RFC 3339).
    pub received_at: String,
    /// The event as the client sent it.
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
}

/// A page of stored events.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CrashEventPage {
    /// Oldest first.
    pub items: Vec<CrashEventView>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Paging parameters of the events endpoint.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    cursor: Option<String>,
    limit: Option<String>,
}

/// The stored events of a crash ticket (the first 100 of each; counts are always exact).
#[utoipa::path(get, path = "/tickets/{reference}/events", tag = "tickets",
    params(
        ("reference" = String, Path, description = "e.g. TCK-42"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "A page of events", body = CrashEventPage),
        (status = 400, description = "A parameter is invalid", body = super::error::ErrorBody),
        (status = 404, description = "No such ticket", body = super::error::ErrorBody),
    ))]
pub async fn events(
    State(state): State<ApiState>,
    Path(reference): Path<String>,
    super::extract::ApiQuery(query): super::extract::ApiQuery<EventsQuery>,
) -> Result<Json<CrashEventPage>, ApiError> {
    let reference = self::reference(&reference)?;
    let bad = |field: &str, message: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("`{field}` {message}"),
        )
    };
    let limit = super::extract::page_limit(query.limit.as_deref())?;
    let after = match query.cursor.as_deref() {
        None | Some("") => 0,
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| bad("cursor", "is not a cursor this server gave out"))?,
    };
    let mut stored = state
        .help_desk
        .crash_events(reference, after, limit + 1)
        .await?;
    let next_cursor = if stored.len() > limit {
        stored.truncate(limit);
        stored.last().map(|event| event.sequence.to_string())
    } else {
        None
    };
    let items = stored
        .into_iter()
        .map(|event| CrashEventView {
            sequence: event.sequence,
            event_id: event.event_id,
            received_at: event.received_at,
            event: event.event,
        })
        .collect();
    Ok(Json(CrashEventPage { items, next_cursor }))
}

/// Reports of a crash ticket within one hour.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct HourView {
    /// The hour's start, RFC 3339 (UTC).
    pub start: String,
    /// Reports received within it.
    pub count: u64,
}

/// A crash ticket's reports per hour.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct OccurrencesView {
    /// Oldest first; hours without reports are left out. Empty for tickets that are not crashes.
    pub hours: Vec<HourView>,
}

/// Parameters of the occurrences endpoint.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OccurrencesQuery {
    days: Option<String>,
}

/// The reports of a crash ticket per hour, over the last `days` days.
#[utoipa::path(get, path = "/tickets/{reference}/occurrences", tag = "tickets",
    params(
        ("reference" = String, Path, description = "e.g. TCK-42"),
        ("days" = Option<u32>, Query, description = "How many days back, 1 to 90 (default 30)"),
    ),
    responses(
        (status = 200, description = "Reports per hour", body = OccurrencesView),
        (status = 400, description = "A parameter is invalid", body = super::error::ErrorBody),
        (status = 404, description = "No such ticket", body = super::error::ErrorBody),
    ))]
pub async fn occurrences(
    State(state): State<ApiState>,
    Path(reference): Path<String>,
    super::extract::ApiQuery(query): super::extract::ApiQuery<OccurrencesQuery>,
) -> Result<Json<OccurrencesView>, ApiError> {
    let reference = self::reference(&reference)?;
    let days = match query.days.as_deref() {
        None | Some("") => 30,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|days| (1..=90).contains(days))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "`days` must be a number from 1 to 90",
                )
            })?,
    };
    let current_hour = time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .div_euclid(3_600);
    let history = state
        .help_desk
        .crash_occurrences(reference, current_hour - days * 24 + 1)
        .await?;
    let hours = history
        .hours
        .into_iter()
        .map(|hour| HourView {
            start: time::OffsetDateTime::from_unix_timestamp(hour.hour * 3_600)
                .ok()
                .and_then(|start| {
                    start
                        .format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .unwrap_or_default(),
            count: hour.count,
        })
        .collect();
    Ok(Json(OccurrencesView { hours }))
}
