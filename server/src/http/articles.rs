//! The knowledge base: `/api/v1/articles`, `/api/v1/search` and the suggestions for a problem.

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery, SignedIn};
use app::articles::{Article, ArticlePage, ArticlePatch, ArticleVersion, NewArticle};
use app::model::ArticleStatus;
use app::search::{SearchQuery, SearchResults, SearchScope, Suggestions};
use app::service::HelpDeskError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message.into())
}

/// A listing's or search's field errors are about its query parameters: 400, not 422.
fn query_error(error: HelpDeskError) -> ApiError {
    match error {
        HelpDeskError::Invalid(field) => ApiError::from(field).with_status(StatusCode::BAD_REQUEST),
        other => ApiError::from(other),
    }
}

fn article_id(text: &str) -> Result<u64, ApiError> {
    text.parse::<u64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no article {} exists",
                text.chars().take(40).collect::<String>()
            ))
        })
}

/// Paging and filter of the article list.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleQuery {
    status: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

/// Articles, newest first.
#[utoipa::path(get, path = "/articles", tag = "articles",
    params(
        ("status" = Option<String>, Query, description = "`draft` or `published` (default: both)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "A page of articles", body = ArticlePage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<ArticleQuery>,
) -> Result<Json<ArticlePage>, ApiError> {
    let limit = super::extract::page_limit(query.limit.as_deref())?;
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(text) => Some(
            text.parse::<ArticleStatus>()
                .map_err(|error| bad_query(format!("`status`: {error}")))?,
        ),
    };
    let cursor = query.cursor.as_deref().filter(|cursor| !cursor.is_empty());
    let page = state
        .help_desk
        .articles(status, cursor, limit)
        .await
        .map_err(query_error)?;
    Ok(Json(page))
}

/// Writes an article (agents and admins); a draft unless `status` is `published`.
#[utoipa::path(post, path = "/articles", tag = "articles", request_body = NewArticle,
    responses(
        (status = 201, description = "The article", body = Article),
        (status = 422, description = "A field is invalid; `field` names it (`tickets[0]`)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<ApiState>,
    SignedIn(caller): SignedIn,
    ApiJson(request): ApiJson<NewArticle>,
) -> Result<(StatusCode, Json<Article>), ApiError> {
    let article = state
        .help_desk
        .create_article(request.parse()?, &caller.author())
        .await?;
    tracing::info!(actor = %caller.email, article = article.id, "article created");
    Ok((StatusCode::CREATED, Json(article)))
}

/// One article; `symptoms` and `resolution` are Markdown.
#[utoipa::path(get, path = "/articles/{id}", tag = "articles",
    params(("id" = u64, Path, description = "The article's id")),
    responses(
        (status = 200, description = "The article", body = Article),
        (status = 404, description = "No such article", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Article>, ApiError> {
    Ok(Json(state.help_desk.article(article_id(&id)?).await?))
}

/// Changes the fields present (agents and admins), made from `revision`: a change from an
/// older revision than the article's is refused with 409, so nobody's edit is lost.
#[utoipa::path(patch, path = "/articles/{id}", tag = "articles",
    params(("id" = u64, Path, description = "The article's id")),
    request_body = ArticlePatch,
    responses(
        (status = 200, description = "The article as it is now", body = Article),
        (status = 404, description = "No such article", body = ErrorBody),
        (status = 409, description = "The article changed since `revision`", body = ErrorBody),
        (status = 422, description = "A field is invalid, or none is given", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<ApiState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ArticlePatch>,
) -> Result<Json<Article>, ApiError> {
    let article = state
        .help_desk
        .update_article(article_id(&id)?, patch, &caller.author())
        .await?;
    tracing::info!(actor = %caller.email, article = article.id, revision = article.revision, "article changed");
    Ok(Json(article))
}

/// Every version of an article, newest first.
#[utoipa::path(get, path = "/articles/{id}/history", tag = "articles",
    params(("id" = u64, Path, description = "The article's id")),
    responses(
        (status = 200, description = "Its versions, newest first", body = Vec<ArticleVersion>),
        (status = 404, description = "No such article", body = ErrorBody),
    ))]
pub async fn history(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<ArticleVersion>>, ApiError> {
    Ok(Json(
        state.help_desk.article_history(article_id(&id)?).await?,
    ))
}

/// An article prefilled from a ticket, to publish its resolution: post it (changed or not) to
/// `/api/v1/articles`.
#[utoipa::path(get, path = "/tickets/{reference}/article-draft", tag = "articles",
    params(("reference" = String, Path, description = "A ticket reference such as `TCK-42`")),
    responses(
        (status = 200, description = "The prefilled article (not stored)", body = NewArticle),
        (status = 404, description = "No such ticket", body = ErrorBody),
    ))]
pub async fn draft_from_ticket(
    State(state): State<ApiState>,
    Path(reference): Path<String>,
) -> Result<Json<NewArticle>, ApiError> {
    let reference = super::tickets::reference(&reference)?;
    Ok(Json(state.help_desk.article_from_ticket(reference).await?))
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
    Path(reference): Path<String>,
) -> Result<Json<Suggestions>, ApiError> {
    let reference = super::tickets::reference(&reference)?;
    Ok(Json(state.help_desk.ticket_suggestions(reference).await?))
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
    params(("text" = String, Query, description = "The problem, in words (title and description)")),
    responses(
        (status = 200, description = "Articles and resolved tickets, best first", body = Suggestions),
        (status = 400, description = "`text` is missing or too long", body = ErrorBody),
    ))]
pub async fn suggestions(
    State(state): State<ApiState>,
    ApiQuery(query): ApiQuery<SuggestionQuery>,
) -> Result<Json<Suggestions>, ApiError> {
    let text = query.text.unwrap_or_default();
    if text.chars().count() > app::model::MAX_TEXT_CHARS {
        return Err(bad_query("`text` is too long"));
    }
    Ok(Json(state.help_desk.suggestions(&text).await?))
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
        ("limit" = Option<u32>, Query, description = "Page size, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "Results, best first", body = SearchResults),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn search(
    State(state): State<ApiState>,
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
        state.help_desk.search(query).await.map_err(query_error)?,
    ))
}
