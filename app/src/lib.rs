//! The help desk's web app: the shared model, the workflow rules, the server functions and the
//! Leptos dashboard. Built with `ssr` into the server and with `hydrate` into the wasm bundle.

// The dashboard's view types nest deeply; the compiler needs more room to lay them out.
#![recursion_limit = "256"]

pub mod accounts;
pub mod api;
pub mod articles;
pub mod components;
pub mod crash;
pub mod customers;
pub mod fields;
pub mod format;
pub mod ids;
#[cfg(feature = "ssr")]
pub mod markdown;
pub mod model;
pub mod pages;
pub mod projects;
pub mod queue;
pub mod requests;
pub mod search;
#[cfg(feature = "ssr")]
pub mod security;
#[cfg(feature = "ssr")]
pub mod service;
pub mod workflow;

use crate::api::{SignOut, signed_in_agent};
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    security::set_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The dashboard: the queue, the new-ticket form, the ticket page, and the account pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/helpdesk.css" />
        <Title text="Help desk" />
        <Router>
            <TopBar />
            <main>
                <Routes fallback=|| view! { <p class="empty">"This page does not exist."</p> }>
                    // Pages are rendered whole on the server (async mode) so they work as plain
                    // HTML before, or without, the wasm bundle.
                    <Route path=path!("/") view=pages::queue::QueuePage ssr=SsrMode::Async />
                    <Route path=path!("/tickets/new") view=pages::new_ticket::NewTicketPage ssr=SsrMode::Async />
                    <Route path=path!("/tickets/:reference") view=pages::ticket::TicketPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/agents") view=pages::agents::AgentsPage ssr=SsrMode::Async />
                    <Route path=path!("/account") view=pages::account::AccountPage ssr=SsrMode::Async />
                    <Route path=path!("/projects") view=pages::projects::ProjectsPage ssr=SsrMode::Async />
                    <Route path=path!("/customers") view=pages::customers::CustomersPage ssr=SsrMode::Async />
                    <Route path=path!("/customers/:id") view=pages::customers::CustomerPage ssr=SsrMode::Async />
                    <Route path=path!("/search") view=pages::search::SearchPage ssr=SsrMode::Async />
                    <Route path=path!("/articles") view=pages::articles::ArticlesPage ssr=SsrMode::Async />
                    <Route path=path!("/articles/new") view=pages::article_editor::NewArticlePage ssr=SsrMode::Async />
                    <Route path=path!("/articles/:id") view=pages::article::ArticlePage ssr=SsrMode::Async />
                    <Route path=path!("/articles/:id/edit") view=pages::article_editor::EditArticlePage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}

/// The bar on every page; asks who is signed in again on every navigation, so signing in or out
/// shows at once.
#[component]
fn TopBar() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let agent = Resource::new(move || location.pathname.get(), |_| signed_in_agent());
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"Help desk"</A>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    agent.await.ok().flatten().map(|agent| view! { <AgentMenu agent /> })
                })}
            </Transition>
        </header>
    }
}

/// The navigation of a signed-in agent: the pages their role opens, who they are, sign out.
#[component]
fn AgentMenu(agent: accounts::CurrentAgent) -> impl IntoView {
    use crate::model::Role;
    let sign_out = ServerAction::<SignOut>::new();
    let role = agent.role;
    // The queue and "Mine" share a path; which one is current depends on the query.
    let location = leptos_router::hooks::use_location();
    let on_queue = move || location.pathname.with(|path| path == "/");
    let mine = move || {
        location
            .query
            .with(|query| query.get("assignee").as_deref() == Some("me"))
    };
    view! {
        <nav>
            <a href="/" accesskey="q" aria-current=move || (on_queue() && !mine()).then_some("page")>
                "Queue"
            </a>
            <a href="/?assignee=me" accesskey="m" aria-current=move || (on_queue() && mine()).then_some("page")>
                "Mine"
            </a>
            <A href="/customers" attr:accesskey="c">"Customers"</A>
            <A href="/articles" attr:accesskey="k">"Knowledge"</A>
            <A href="/search" attr:accesskey="f">"Search"</A>
            <A href="/projects">"Projects"</A>
            {role.allows(Role::Admin).then(|| view! { <A href="/agents">"Agents"</A> })}
            <A href="/account">"Account"</A>
            {role.allows(Role::Agent).then(|| view! {
                <A href="/tickets/new" attr:accesskey="n" attr:class="button primary">"New ticket"</A>
            })}
            <span class="who" title=agent.email.clone()>{agent.name.clone()} " · " {role.as_str()}</span>
            <ActionForm action=sign_out attr:class="inline sign-out">
                <button type="submit">"Sign out"</button>
            </ActionForm>
        </nav>
    }
}

/// The wasm entry point: takes over the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Tells people and browser tests that the page is now interactive.
    if let Some(body) = web_sys::window()
        .and_then(|window| window.document())
        .and_then(|document| document.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
