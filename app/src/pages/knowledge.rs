//! The knowledge base in the dashboard: one search box over tickets and articles, the
//! suggestion panel shown while a ticket is entered and on every open ticket, and the articles
//! (list, one article with its history, the editor).

use crate::api::{
    SaveArticle, article_draft, article_history, list_articles, load_article, search_knowledge,
    signed_in_agent,
};
use crate::articles::{Article, NewArticle, RenderedArticle};
use crate::components::{ErrorNotice, error_message};
use crate::format::timestamp;
use crate::model::{ArticleStatus, Role};
use crate::search::{Fragment, HitKind, SearchHit, Suggestions};
use leptos::prelude::*;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_params_map, use_query_map};

/// Text with its matched words emphasised (as `<mark>`; the text itself is never markup).
#[component]
pub fn Marked(fragments: Vec<Fragment>) -> impl IntoView {
    fragments
        .into_iter()
        .map(|fragment| {
            if fragment.matched {
                view! { <mark>{fragment.text}</mark> }.into_any()
            } else {
                fragment.text.into_any()
            }
        })
        .collect_view()
}

/// One found ticket or article.
#[component]
fn Hit(hit: SearchHit) -> impl IntoView {
    let kind = match hit.kind {
        HitKind::Ticket => "ticket",
        HitKind::Article => "article",
    };
    // On a ticket an agent works, an article's fix can be applied: a fix attempt naming it.
    let apply = use_context::<super::ticket::ApplyFix>()
        .filter(|_| hit.kind == HitKind::Article)
        .map(|super::ticket::ApplyFix(applied)| {
            let title: String = hit.title.iter().map(|fragment| fragment.text.as_str()).collect();
            let text = format!("Applied {}: {title}", hit.reference);
            view! {
                <button type="button" class="apply" on:click=move |_| applied.set(Some(text.clone()))>
                    "Apply this fix"
                </button>
            }
        });
    view! {
        <li class=format!("hit hit-{kind}")>
            <div class="hit-title">
                <span class="hit-reference">{hit.reference.clone()}</span>
                " "
                <A href=hit.href.clone()><Marked fragments=hit.title /></A>
                " "
                <span class=format!("badge status-{}", hit.status)>{hit.status.replace('_', " ")}</span>
            </div>
            {(!hit.snippet.is_empty()).then(|| view! {
                <p class="hit-snippet"><Marked fragments=hit.snippet /></p>
            })}
            {apply}
        </li>
    }
}

/// "Articles that may help" and "Similar resolved tickets".
#[component]
pub fn SuggestionPanel(suggestions: Suggestions) -> impl IntoView {
    if suggestions.articles.is_empty() && suggestions.tickets.is_empty() {
        return view! {
            <section class="suggestions" aria-label="Suggestions">
                <p class="empty">"No known fix matches yet."</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section class="suggestions" aria-label="Suggestions">
            {(!suggestions.articles.is_empty()).then(|| view! {
                <h2>"Articles that may help"</h2>
                <ul class="hits suggested-articles">
                    {suggestions.articles.into_iter().map(|hit| view! { <Hit hit /> }).collect_view()}
                </ul>
            })}
            {(!suggestions.tickets.is_empty()).then(|| view! {
                <h2>"Similar resolved tickets"</h2>
                <ul class="hits suggested-tickets">
                    {suggestions.tickets.into_iter().map(|hit| view! { <Hit hit /> }).collect_view()}
                </ul>
            })}
        </section>
    }
    .into_any()
}

/// `/search?q=…&scope=…`: tickets, timelines and articles from one box.
#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|map| map.get("q").unwrap_or_default());
    let scope = move || query.with(|map| map.get("scope").unwrap_or_default());
    let status = move || query.with(|map| map.get("status").unwrap_or_default());
    let results = Resource::new(
        move || (q(), scope(), status()),
        |(q, scope, status)| async move {
            if q.trim().is_empty() {
                return Ok(None);
            }
            search_knowledge(q, scope, status, String::new())
                .await
                .map(Some)
        },
    );
    view! {
        <section class="search">
            <h1>"Search"</h1>
            <Form method="GET" action="/search" attr:class="search-form">
                <input type="search" name="q" aria-label="Search tickets and articles" placeholder="Words from the problem or its fix" prop:value=q />
                <select name="scope" aria-label="Look in">
                    <option value="all" selected=move || scope() != "tickets" && scope() != "articles">"Tickets and articles"</option>
                    <option value="tickets" selected=move || scope() == "tickets">"Tickets"</option>
                    <option value="articles" selected=move || scope() == "articles">"Articles"</option>
                </select>
                <select name="status" aria-label="Tickets that are">
                    <option value="any" selected=move || !["open", "resolved,closed"].contains(&status().as_str())>"Open or done"</option>
                    <option value="open" selected=move || status() == "open">"Open"</option>
                    <option value="resolved,closed" selected=move || status() == "resolved,closed">"Resolved or closed"</option>
                </select>
                <button type="submit" class="primary">"Search"</button>
            </Form>
            <Transition fallback=|| view! { <p class="empty">"Searching…"</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(None) => ().into_any(),
                        Ok(Some(results)) if results.items.is_empty() => view! { <p class="empty">"Nothing matches."</p> }.into_any(),
                        Ok(Some(results)) => view! {
                            <ul class="hits search-results">
                                {results.items.into_iter().map(|hit| view! { <Hit hit /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// `/articles`: published articles and drafts, newest first.
#[component]
pub fn ArticlesPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.with(|map| map.get("status").unwrap_or_default());
    let articles = Resource::new(status, |status| list_articles(status, String::new()));
    let agent = Resource::new(|| (), |_| signed_in_agent());
    view! {
        <section class="articles">
            <h1>"Knowledge base"</h1>
            <nav class="filters">
                <a href="/articles" aria-current=move || status().is_empty().then_some("page")>"All"</a>
                <a href="/articles?status=published" aria-current=move || (status() == "published").then_some("page")>"Published"</a>
                <a href="/articles?status=draft" aria-current=move || (status() == "draft").then_some("page")>"Drafts"</a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let may_write = agent.await.ok().flatten().is_some_and(|agent| agent.role.allows(Role::Agent));
                        may_write.then(|| view! { <a class="button primary" href="/articles/new">"Write an article"</a> })
                    })}
                </Transition>
            </nav>
            <Transition fallback=|| view! { <p class="empty">"Loading articles…"</p> }>
                {move || Suspend::new(async move {
                    match articles.await {
                        Ok(page) if page.items.is_empty() => view! { <p class="empty">"No articles yet."</p> }.into_any(),
                        Ok(page) => view! {
                            <table class="article-list">
                                <thead><tr><th>"Id"</th><th>"Title"</th><th>"Tags"</th><th>"Status"</th><th>"Updated"</th></tr></thead>
                                <tbody>
                                    {page.items.into_iter().map(|article| view! {
                                        <tr>
                                            <td class="reference">{format!("KB-{}", article.id)}</td>
                                            <td><A href=format!("/articles/{}", article.id)>{article.title.clone()}</A></td>
                                            <td>{article.tags.join(", ")}</td>
                                            <td><span class=format!("badge status-{}", article.status)>{article.status.as_str()}</span></td>
                                            <td>{timestamp(article.updated_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

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
