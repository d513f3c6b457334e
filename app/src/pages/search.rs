//! `/search`: one search box over tickets, their timelines and articles.

use crate::api::search_knowledge;
use crate::components::hits::Hit;
use crate::components::{ErrorNotice, error_message};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

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
