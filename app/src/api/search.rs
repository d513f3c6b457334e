//! Server functions for full-text search and the suggestions for a problem.

#[cfg(feature = "ssr")]
use super::backend;
use leptos::prelude::*;

/// Full-text search across tickets, timelines and published articles; `scope` is `all`,
/// `tickets` or `articles`.
#[server(prefix = "/rpc", endpoint = "search_knowledge")]
pub async fn search_knowledge(
    q: String,
    scope: String,
    status: String,
    cursor: String,
) -> Result<crate::search::SearchResults, ServerFnError> {
    use crate::fields::FieldError;
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
