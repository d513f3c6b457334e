//! Server functions for the knowledge base's articles.

#[cfg(feature = "ssr")]
use super::backend;
use leptos::prelude::*;

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
    use crate::fields::FieldError;
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
