//! What crash reports left on a ticket: `/api/v1/tickets/{reference}/events` and
//! `/api/v1/tickets/{reference}/occurrences`.

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiQuery, Caller, page_limit};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

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
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "A page of events", body = CrashEventPage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such ticket", body = ErrorBody),
    ))]
pub async fn events(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(reference): Path<String>,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<CrashEventPage>, ApiError> {
    let reference = super::tickets::reference(&reference)?;
    let bad = |field: &str, message: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            format!("`{field}` {message}"),
        )
    };
    let limit = page_limit(query.limit.as_deref())?;
    let after = match query.cursor.as_deref() {
        None | Some("") => 0,
        Some(text) => text
            .parse::<u64>()
            .map_err(|_| bad("cursor", "is not a cursor this server gave out"))?,
    };
    let mut stored = state
        .crashes
        .crash_events(&caller, reference, after, limit + 1)
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
        ("days" = Option<u32>, Query, minimum = 1, maximum = 90, description = "How many days back, 1 to 90 (default 30)"),
    ),
    responses(
        (status = 200, description = "Reports per hour", body = OccurrencesView),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
        (status = 404, description = "No such ticket", body = ErrorBody),
    ))]
pub async fn occurrences(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(reference): Path<String>,
    ApiQuery(query): ApiQuery<OccurrencesQuery>,
) -> Result<Json<OccurrencesView>, ApiError> {
    let reference = super::tickets::reference(&reference)?;
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
        .crashes
        .crash_occurrences(&caller, reference, current_hour - days * 24 + 1)
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
