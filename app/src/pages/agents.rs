//! Agents, for admins: create, change role, deactivate and reactivate.

use crate::api::{CreateAgent, UpdateAgent, list_agents};
use crate::components::{ErrorNotice, error_message};
use crate::model::Role;
use leptos::prelude::*;

/// The agents page.
#[component]
pub fn AgentsPage() -> impl IntoView {
    let create = ServerAction::<CreateAgent>::new();
    let update = ServerAction::<UpdateAgent>::new();
    let agents = Resource::new(
        move || (create.version().get(), update.version().get()),
        |_| list_agents(),
    );
    let failure = move || {
        create
            .value()
            .get()
            .and_then(|result| result.err())
            .or_else(|| update.value().get().and_then(|result| result.err()))
            .map(|error| view! { <ErrorNotice message=error_message(&error) /> })
    };
    view! {
        <section class="agents">
            <h1>"Agents"</h1>
            <Transition fallback=|| view! { <p class="empty">"Loading agents…"</p> }>
                {move || Suspend::new(async move {
                    match agents.await {
                        Ok(agents) => view! {
                            <table class="agent-list">
                                <thead>
                                    <tr><th>"Name"</th><th>"Email"</th><th>"Role"</th><th>"Status"</th><th></th></tr>
                                </thead>
                                <tbody>
                                    {agents
                                        .into_iter()
                                        .map(|agent| {
                                            let (id_role, id_active) = (agent.id.clone(), agent.id.clone());
                                            let current = agent.role;
                                            view! {
                                                <tr class:inactive=!agent.active>
                                                    <td>{agent.name}</td>
                                                    <td>{agent.email}</td>
                                                    <td>
                                                        <ActionForm action=update attr:class="inline">
                                                            <input type="hidden" name="id" value=id_role />
                                                            <select name="role" aria-label="Role">
                                                                {Role::ALL
                                                                    .iter()
                                                                    .map(|role| view! {
                                                                        <option value=role.as_str() selected=*role == current>{role.as_str()}</option>
                                                                    })
                                                                    .collect_view()}
                                                            </select>
                                                            <button type="submit">"Set role"</button>
                                                        </ActionForm>
                                                    </td>
                                                    <td>{if agent.active { "active" } else { "deactivated" }}</td>
                                                    <td>
                                                        <ActionForm action=update attr:class="inline">
                                                            <input type="hidden" name="id" value=id_active />
                                                            <input type="hidden" name="active" value=if agent.active { "false" } else { "true" } />
                                                            <button type="submit">{if agent.active { "Deactivate" } else { "Reactivate" }}</button>
                                                        </ActionForm>
                                                    </td>
                                                </tr>
                                            }
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
            <h2>"New agent"</h2>
            <ActionForm action=create attr:class="new-agent">
                <label>"Name" <input name="name" required /></label>
                <label>"Email" <input name="email" type="email" required autocomplete="off" /></label>
                <label>
                    "Role"
                    <select name="role">
                        {Role::ALL
                            .iter()
                            .map(|role| view! { <option value=role.as_str() selected=*role == Role::Agent>{role.as_str()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "First password"
                    <input name="password" type="password" required minlength=crate::accounts::MIN_PASSWORD_CHARS autocomplete="new-password" />
                </label>
                <button type="submit" class="primary">"Create agent"</button>
            </ActionForm>
            {failure}
        </section>
    }
}
