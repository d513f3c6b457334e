//! The sign-in page; on a help desk without agents, the setting up of the first admin.

use crate::api::{SetUpFirstAdmin, SignIn, first_run};
use crate::components::{ErrorNotice, error_message};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Email and password; after signing in, the agent lands where they were going.
#[component]
pub fn LoginPage() -> impl IntoView {
    let first = Resource::new(|| (), |_| first_run());
    view! {
        <section class="login">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    if first.await.unwrap_or(false) {
                        view! { <FirstAdminForm /> }.into_any()
                    } else {
                        view! { <SignInForm /> }.into_any()
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn SignInForm() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let query = use_query_map();
    // Only a path on this site: the server checks it again before redirecting.
    let next = move || query.with(|map| crate::accounts::local_path(map.get("next").as_deref()));
    let error = move || {
        sign_in
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|error| view! { <ErrorNotice message=error_message(&error) /> })
    };
    view! {
        <h1>"Sign in"</h1>
        <ActionForm action=sign_in>
            <input type="hidden" name="next" prop:value=next />
            <label>
                "Email"
                <input name="email" type="email" required autofocus autocomplete="username" />
            </label>
            <label>
                "Password"
                <input name="password" type="password" required autocomplete="current-password" />
            </label>
            <button type="submit" class="primary">"Sign in"</button>
        </ActionForm>
        {error}
    }
}

#[component]
fn FirstAdminForm() -> impl IntoView {
    let set_up = ServerAction::<SetUpFirstAdmin>::new();
    let query = use_query_map();
    let setup_code = move || query.with(|map| map.get("setup")).unwrap_or_default();
    let error = move || {
        set_up
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|error| view! { <ErrorNotice message=error_message(&error) /> })
    };
    view! {
        <h1>"Set up the first admin"</h1>
        <p class="hint">
            "This help desk has no agents yet. The first admin can be created here from this machine, or with "
            <code>"helpdesk create-admin"</code> "."
        </p>
        <Show when=move || setup_code().is_empty()>
            <p class="hint" role="note">
                "Open the link the server printed when it started: it carries the one-time setup code this form needs."
            </p>
        </Show>
        <ActionForm action=set_up>
            <input type="hidden" name="setup_code" prop:value=setup_code />
            <label>"Name" <input name="name" required autofocus /></label>
            <label>"Email" <input name="email" type="email" required autocomplete="username" /></label>
            <label>
                "Password"
                <input name="password" type="password" required minlength=crate::accounts::MIN_PASSWORD_CHARS autocomplete="new-password" />
            </label>
            <button type="submit" class="primary">"Create admin and sign in"</button>
        </ActionForm>
        {error}
    }
}
