//! `/articles/:id`: one article, rendered, with its tickets and history.

use crate::api::{article_history, load_article, signed_in_agent};
use crate::articles::RenderedArticle;
use crate::components::{ErrorNotice, error_message};
use crate::format::timestamp;
use crate::model::Role;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// `/articles/:id`: the article, rendered, with its tickets and history.
#[component]
pub fn ArticlePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|map| map.get("id").unwrap_or_default());
    let article = Resource::new(id, load_article);
    let history = Resource::new(id, article_history);
    let agent = Resource::new(|| (), |_| signed_in_agent());
    view! {
        <Transition fallback=|| view! { <p class="empty">"Loading the article…"</p> }>
            {move || Suspend::new(async move {
                let may_edit = agent.await.ok().flatten().is_some_and(|agent| agent.role.allows(Role::Agent));
                match article.await {
                    Ok(rendered) => {
                        let versions = history.await.unwrap_or_default();
                        view! { <ArticleView rendered may_edit versions /> }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ArticleView(
    rendered: RenderedArticle,
    may_edit: bool,
    versions: Vec<crate::articles::ArticleVersion>,
) -> impl IntoView {
    let article = rendered.article;
    view! {
        <article class="article">
            <header>
                <p class="reference">{format!("KB-{}", article.id)}</p>
                <h1>{article.title.clone()}</h1>
                <span class=format!("badge status-{}", article.status)>{article.status.as_str()}</span>
                {may_edit.then(|| view! {
                    <a class="button" href=format!("/articles/{}/edit", article.id)>"Edit"</a>
                })}
            </header>
            <dl class="details">
                <dt>"Tags"</dt>
                <dd class="tags">{if article.tags.is_empty() { "none".to_string() } else { article.tags.join(", ") }}</dd>
                <dt>"Tickets"</dt>
                <dd class="article-tickets">
                    {if article.tickets.is_empty() {
                        "none".into_any()
                    } else {
                        article.tickets.clone().into_iter().enumerate().map(|(index, reference)| view! {
                            {(index > 0).then_some(", ")}
                            <A href=format!("/tickets/{reference}")>{reference.to_string()}</A>
                        }).collect_view().into_any()
                    }}
                </dd>
                <dt>"Written by"</dt>
                <dd>{article.author.clone()} " · " {timestamp(article.created_at)}</dd>
                <dt>"Last changed"</dt>
                <dd>{article.updated_by.clone()} " · " {timestamp(article.updated_at)} {format!(" · revision {}", article.revision)}</dd>
            </dl>
            <h2>"Symptoms"</h2>
            <div class="markdown symptoms" inner_html=rendered.symptoms_html></div>
            <h2>"Resolution"</h2>
            <div class="markdown resolution" inner_html=rendered.resolution_html></div>
            <details class="history">
                <summary>{format!("History ({} versions)", versions.len())}</summary>
                <ol>
                    {versions.into_iter().map(|version| view! {
                        <li>
                            {format!("Revision {} · {} · {} · {}", version.revision, version.author, timestamp(version.created_at), version.status)}
                            <details>
                                <summary>{version.title.clone()}</summary>
                                <pre class="source">{version.symptoms}</pre>
                                <pre class="source">{version.resolution}</pre>
                            </details>
                        </li>
                    }).collect_view()}
                </ol>
            </details>
        </article>
    }
}
