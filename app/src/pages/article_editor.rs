//! `/articles/new` and `/articles/:id/edit`: the article editor, new (prefilled from a ticket
//! when one is named) or from the revision being edited.

use crate::api::{SaveArticle, article_draft, load_article};
use crate::articles::{Article, NewArticle};
use crate::components::{ErrorNotice, error_message};
use crate::model::ArticleStatus;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/articles/new?from=TCK-1`: a new article, prefilled from the ticket when one is named.
#[component]
pub fn NewArticlePage() -> impl IntoView {
    let query = use_query_map();
    let from = move || query.with(|map| map.get("from").unwrap_or_default());
    let draft = Resource::new(from, article_draft);
    view! {
        <Transition fallback=|| view! { <p class="empty">"Preparing the article…"</p> }>
            {move || Suspend::new(async move {
                match draft.await {
                    Ok(draft) => view! { <ArticleEditor draft id=None revision=None /> }.into_any(),
                    Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `/articles/:id/edit`.
#[component]
pub fn EditArticlePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|map| map.get("id").unwrap_or_default());
    let article = Resource::new(id, load_article);
    view! {
        <Transition fallback=|| view! { <p class="empty">"Loading the article…"</p> }>
            {move || Suspend::new(async move {
                match article.await {
                    Ok(rendered) => {
                        let article: Article = rendered.article;
                        let draft = NewArticle {
                            title: article.title.clone(),
                            symptoms: article.symptoms.clone(),
                            resolution: article.resolution.clone(),
                            tags: article.tags.clone(),
                            tickets: article.tickets.iter().map(|reference| reference.to_string()).collect(),
                            status: Some(article.status),
                        };
                        view! { <ArticleEditor draft id=Some(article.id) revision=Some(article.revision) /> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ArticleEditor(draft: NewArticle, id: Option<u64>, revision: Option<u64>) -> impl IntoView {
    let save = ServerAction::<SaveArticle>::new();
    let failure = move || {
        save.value()
            .get()
            .and_then(|result| result.err())
            .map(|error| view! { <ErrorNotice message=error_message(&error) /> })
    };
    let status = draft.status.unwrap_or(ArticleStatus::Draft);
    let heading = if id.is_some() {
        "Edit article"
    } else {
        "New article"
    };
    view! {
        <section class="article-editor">
            <h1>{heading}</h1>
            <p class="hint">"Symptoms and resolution are Markdown: **bold**, `code`, lists, links, tables."</p>
            <ActionForm action=save attr:class="stacked">
                <input type="hidden" name="id" value=id.map(|id| id.to_string()).unwrap_or_default() />
                <input type="hidden" name="revision" value=revision.map(|revision| revision.to_string()).unwrap_or_default() />
                <label>"Title" <input name="title" required maxlength="200" value=draft.title /></label>
                <label>"Symptoms" <textarea name="symptoms" rows="6">{draft.symptoms}</textarea></label>
                <label>"Resolution" <textarea name="resolution" rows="10">{draft.resolution}</textarea></label>
                <label>"Tags (comma-separated)" <input name="tags" value=draft.tags.join(", ") /></label>
                <label>"Tickets (comma-separated)" <input name="tickets" value=draft.tickets.join(", ") /></label>
                <label>
                    "Status"
                    <select name="status">
                        <option value="published" selected=status == ArticleStatus::Published>"Published: offered in suggestions"</option>
                        <option value="draft" selected=status == ArticleStatus::Draft>"Draft"</option>
                    </select>
                </label>
                <button type="submit" class="primary" disabled=move || save.pending().get()>"Save article"</button>
            </ActionForm>
            {failure}
        </section>
    }
}
