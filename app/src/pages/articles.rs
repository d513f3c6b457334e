//! `/articles`: the knowledge base's articles, published and drafts, newest first.

use crate::api::{list_articles, signed_in_agent};
use crate::components::{ErrorNotice, error_message};
use crate::format::timestamp;
use crate::model::Role;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

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
