//! Full-text search (`/api/v1/search`) and the suggestions for a problem, described in words
//! or by an existing ticket.

use super::ApiState;
use super::articles::query_error;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiQuery, Caller};
use app::search::{SearchQuery, SearchResults, SearchScope, Suggestions};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message.into())
}

/// Resolved tickets and articles about this ticket's problem.
#[utoipa::path(get, path = "/tickets/{reference}/suggestions", tag = "search",
    params(("reference" = String, Path, description = "A ticket reference such as `TCK-42`")),
    responses(
        (status = 200, description = "Articles and resolved tickets, best first", body = Suggestions),
        (status = 404, description = "No such ticket", body = ErrorBody),
    ))]
pub async fn ticket_suggestions(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(reference): Path<String>,
) -> Result<Json<Suggestions>, ApiError> {
    let reference = super::tickets::reference(&reference)?;
    Ok(Json(
        state.search.ticket_suggestions(&caller, reference).await?,
    ))
}

/// What to look for.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestionQuery {
    text: Option<String>,
}

/// Resolved tickets and articles about a problem described in words, such as a ticket being
/// entered.
#[utoipa::path(get, path = "/suggestions", tag = "search",
    params(("text" = String, Query, max_length = 20000, description = "The problem, in words (title and description); required, and may be empty")),
    responses(
        (status = 200, description = "Articles and resolved tickets, best first", body = Suggestions),
        (status = 400, description = "`text` is missing or too long", body = ErrorBody),
    ))]
pub async fn suggestions(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiQuery(query): ApiQuery<SuggestionQuery>,
) -> Result<Json<Suggestions>, ApiError> {
    let Some(text) = query.text else {
        return Err(bad_query("`text` is required: the problem, in words"));
    };
    if text.chars().count() > app::model::MAX_TEXT_CHARS {
        return Err(bad_query("`text` is too long"));
    }
    Ok(Json(state.search.suggestions(&caller, &text).await?))
}

/// What to search for, and where.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchParameters {
    q: Option<String>,
    scope: Option<String>,
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// Full-text search across tickets (title, description, resolution and timeline) and published
/// articles, best first (BM25), with the matched words marked.
#[utoipa::path(get, path = "/search", tag = "search",
    params(
        ("q" = String, Query, description = "Words; any of them matches, more matches rank higher"),
        ("scope" = Option<String>, Query, description = "`all` (default), `tickets` or `articles`"),
        ("status" = Option<String>, Query, description = "Tickets only with these statuses, comma-separated (`resolved,closed`); `open` for every open status"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "Results, best first", body = SearchResults),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn search(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiQuery(query): ApiQuery<SearchParameters>,
) -> Result<Json<SearchResults>, ApiError> {
    let limit = super::extract::page_limit(query.limit.as_deref())?;
    let scope = SearchScope::parse(query.scope.as_deref().unwrap_or(""))
        .map_err(|error| ApiError::from(error).with_status(StatusCode::BAD_REQUEST))?;
    let statuses = app::search::parse_statuses(query.status.as_deref().unwrap_or(""))
        .map_err(|error| ApiError::from(error).with_status(StatusCode::BAD_REQUEST))?;
    let offset = match query.cursor.as_deref() {
        None | Some("") => 0,
        Some(text) => text
            .parse::<usize>()
            .map_err(|_| bad_query("`cursor` is not a cursor this server gave out"))?,
    };
    let query = SearchQuery::parse(
        query.q.as_deref().unwrap_or(""),
        scope,
        statuses,
        offset,
        limit,
    )
    .map_err(|error| ApiError::from(error).with_status(StatusCode::BAD_REQUEST))?;
    Ok(Json(
        state
            .search
            .search(&caller, query)
            .await
            .map_err(query_error)?,
    ))
}
