//! Found tickets and articles as the search page and the suggestion panels show them, with the
//! matched words marked, and the "Apply this fix" a ticket page offers on a suggested article.

use crate::search::{Fragment, HitKind, SearchHit, Suggestions};
use leptos::prelude::*;
use leptos_router::components::A;

/// The text of a fix attempt that applies a suggested article, set by the suggestion panel on a
/// ticket page (which provides it).
#[derive(Clone, Copy)]
pub struct ApplyFix(pub RwSignal<Option<String>>);

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
pub fn Hit(hit: SearchHit) -> impl IntoView {
    let kind = match hit.kind {
        HitKind::Ticket => "ticket",
        HitKind::Article => "article",
    };
    // On a ticket an agent works, an article's fix can be applied: a fix attempt naming it.
    let apply = use_context::<ApplyFix>()
        .filter(|_| hit.kind == HitKind::Article)
        .map(|ApplyFix(applied)| {
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
