//! The sign-in page.

use crate::api::SignIn;
use crate::components::{ErrorNotice, error_message};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Email and password; after signing in, the agent lands where they were going.
#[component]
pub fn LoginPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let next = move || {
        query
            .with(|map| map.get("next"))
            .unwrap_or_else(|| "/".to_string())
    };
    let error = move || {
        sign_in
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|error| view! { <ErrorNotice message=error_message(&error) /> })
    };
    view! {
        <section class="login">
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
        </section>
    }
}
