//! The knowledge base's articles: `/api/v1/articles` and the article a ticket prefills.

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, ApiQuery, Caller};
use app::articles::{Article, ArticlePage, ArticlePatch, ArticleVersion, NewArticle};
use app::ids::ArticleId;
use app::model::ArticleStatus;
use app::service::HelpDeskError;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

fn bad_query(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message.into())
}

/// A listing's or search's field errors are about its query parameters: 400, not 422.
pub(super) fn query_error(error: HelpDeskError) -> ApiError {
    match error {
        HelpDeskError::Invalid(field) => ApiError::from(field).with_status(StatusCode::BAD_REQUEST),
        other => ApiError::from(other),
    }
}

fn article_id(text: &str) -> Result<ArticleId, ApiError> {
    text.parse::<ArticleId>()
        .map_err(|error| HelpDeskError::from(error).into())
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
#[utoipa::path(get, operation_id = "list_articles", path = "/articles", tag = "articles",
    params(
        ("status" = Option<String>, Query, description = "`draft` or `published` (default: both)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Page size, 1 to 100 (default 20)"),
    ),
    responses(
        (status = 200, description = "A page of articles", body = ArticlePage),
        (status = 400, description = "A parameter is invalid", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<ApiState>,
    Caller(caller): Caller,
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
        .articles
        .articles(&caller, status, cursor, limit)
        .await
        .map_err(query_error)?;
    Ok(Json(page))
}

/// Writes an article (agents and admins); a draft unless `status` is `published`.
#[utoipa::path(post, operation_id = "create_article", path = "/articles", tag = "articles", request_body = NewArticle,
    responses(
        (status = 201, description = "The article", body = Article),
        (status = 422, description = "A field is invalid; `field` names it (`tickets[0]`)", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiJson(request): ApiJson<NewArticle>,
) -> Result<(StatusCode, Json<Article>), ApiError> {
    let article = state
        .articles
        .create_article(&caller, request.parse()?)
        .await?;
    Ok((StatusCode::CREATED, Json(article)))
}

/// One article; `symptoms` and `resolution` are Markdown.
#[utoipa::path(get, operation_id = "get_article", path = "/articles/{id}", tag = "articles",
    params(("id" = u64, Path, description = "The article's id")),
    responses(
        (status = 200, description = "The article", body = Article),
        (status = 404, description = "No such article", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Article>, ApiError> {
    Ok(Json(
        state.articles.article(&caller, article_id(&id)?).await?,
    ))
}

/// Changes the fields present (agents and admins), made from `revision`: a change from an
/// older revision than the article's is refused with 409, so nobody's edit is lost.
#[utoipa::path(patch, operation_id = "update_article", path = "/articles/{id}", tag = "articles",
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
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ArticlePatch>,
) -> Result<Json<Article>, ApiError> {
    Ok(Json(
        state
            .articles
            .update_article(&caller, article_id(&id)?, patch)
            .await?,
    ))
}

/// Every version of an article, newest first.
#[utoipa::path(get, operation_id = "article_history", path = "/articles/{id}/history", tag = "articles",
    params(("id" = u64, Path, description = "The article's id")),
    responses(
        (status = 200, description = "Its versions, newest first", body = Vec<ArticleVersion>),
        (status = 404, description = "No such article", body = ErrorBody),
    ))]
pub async fn history(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<ArticleVersion>>, ApiError> {
    Ok(Json(
        state
            .articles
            .article_history(&caller, article_id(&id)?)
            .await?,
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
    Caller(caller): Caller,
    Path(reference): Path<String>,
) -> Result<Json<NewArticle>, ApiError> {
    let reference = super::tickets::reference(&reference)?;
    Ok(Json(
        state
            .articles
            .article_from_ticket(&caller, reference)
            .await?,
    ))
}
