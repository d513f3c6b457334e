//! The signed-in agent's account: their password, and their personal API tokens (create, with the
//! secret shown once; list; revoke).

use crate::api::{ChangePassword, CreateToken, RevokeToken, my_tokens};
use crate::components::{ErrorNotice, error_message};
use crate::format::timestamp;
use crate::model::Role;
use leptos::prelude::*;

/// The account page.
#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let changed = move || {
        change.value().get().map(|result| match result {
            Ok(()) => view! { <p class="notice" role="status">"Password changed. Your other sessions have ended."</p> }.into_any(),
            Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
        })
    };
    view! {
        <section class="account">
            <h1>"Your account"</h1>
            <h2>"Password"</h2>
            <ActionForm action=change attr:class="change-password">
                <label>
                    "Current password"
                    <input name="current_password" type="password" required autocomplete="current-password" />
                </label>
                <label>
                    "New password"
                    <input name="new_password" type="password" required minlength=crate::accounts::MIN_PASSWORD_CHARS autocomplete="new-password" />
                </label>
                <button type="submit">"Change password"</button>
            </ActionForm>
            {changed}
            <Tokens />
        </section>
    }
}

/// The agent's API tokens.
#[component]
fn Tokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| my_tokens(),
    );
    let created = move || {
        create.value().get().map(|result| match result {
            Ok(created) => view! {
                <div class="new-secret" role="status">
                    <p>"Your new token “" {created.token.name} "”. Copy it now: it is shown only once."</p>
                    <code class="secret">{created.secret}</code>
                </div>
            }
            .into_any(),
            Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
        })
    };
    view! {
        <section class="tokens">
            <h2>"API tokens"</h2>
            <p class="hint">"Send a token as " <code>"Authorization: Bearer <token>"</code> " to the REST API. A token can do at most what its role allows, and never more than you."</p>
            <ActionForm action=create attr:class="new-token">
                <label>"Name" <input name="name" required placeholder="What it is for" /></label>
                <label>
                    "Role"
                    <select name="role">
                        {Role::ALL
                            .iter()
                            .map(|role| view! { <option value=role.as_str() selected=*role == Role::Viewer>{role.as_str()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <button type="submit" class="primary">"Create token"</button>
            </ActionForm>
            {created}
            <Transition fallback=|| view! { <p class="empty">"Loading tokens…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(tokens) if tokens.is_empty() => view! { <p class="empty">"You have no tokens."</p> }.into_any(),
                        Ok(tokens) => view! {
                            <table class="token-list">
                                <thead><tr><th>"Name"</th><th>"Role"</th><th>"Created"</th><th></th></tr></thead>
                                <tbody>
                                    {tokens
                                        .into_iter()
                                        .map(|token| view! {
                                            <tr>
                                                <td>{token.name}</td>
                                                <td>{token.role.as_str()}</td>
                                                <td class="time">{timestamp(token.created_at)}</td>
                                                <td>
                                                    <ActionForm action=revoke attr:class="inline">
                                                        <input type="hidden" name="id" value=token.id />
                                                        <button type="submit">"Revoke"</button>
                                                    </ActionForm>
                                                </td>
                                            </tr>
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                    }
                })}
            </Transition>
            {move || revoke.value().get().and_then(|result| result.err()).map(|error| view! { <ErrorNotice message=error_message(&error) /> })}
        </section>
    }
}
