//! Personal API tokens: create (the secret is shown once), list and revoke.

use crate::api::{CreateToken, RevokeToken, my_tokens};
use crate::components::{ErrorNotice, error_message};
use crate::format::timestamp;
use crate::model::Role;
use leptos::prelude::*;

/// The tokens page.
#[component]
pub fn TokensPage() -> impl IntoView {
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
            <h1>"API tokens"</h1>
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
