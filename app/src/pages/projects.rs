//! Projects: the applications that report crashes, and the DSN each one's reporter posts to;
//! admins replace a project's key and disable or enable it.

use crate::api::{
    CreateProject, ReplaceProjectKey, SetProjectActive, list_projects, signed_in_agent,
};
use crate::components::{ErrorNotice, error_message};
use crate::format::timestamp;
use crate::model::Role;
use leptos::prelude::*;

/// The projects page.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    let replace_key = ServerAction::<ReplaceProjectKey>::new();
    let set_active = ServerAction::<SetProjectActive>::new();
    let projects = Resource::new(
        move || {
            (
                create.version().get(),
                replace_key.version().get(),
                set_active.version().get(),
            )
        },
        |_| list_projects(),
    );
    let agent = Resource::new(|| (), |_| signed_in_agent());
    view! {
        <section class="projects">
            <h1>"Projects"</h1>
            <p class="hint">
                "A project is an application that files its own tickets when it crashes. Its DSN is all a reporter needs; the key in it can only submit crash reports."
            </p>
            <Transition fallback=|| view! { <p class="empty">"Loading projects…"</p> }>
                {move || Suspend::new(async move {
                    let admin = agent.await.ok().flatten().is_some_and(|agent| agent.role.allows(Role::Admin));
                    let list = match projects.await {
                        Ok(projects) if projects.is_empty() => view! { <p class="empty">"No projects yet."</p> }.into_any(),
                        Ok(projects) => view! {
                            <table class="project-list">
                                <thead><tr><th>"Id"</th><th>"Name"</th><th>"DSN"</th><th>"Created"</th>{admin.then(|| view! { <th>"Key and reports"</th> })}</tr></thead>
                                <tbody>
                                    {projects
                                        .into_iter()
                                        .map(|project| view! {
                                            <tr class:disabled=!project.active>
                                                <td>{project.id}</td>
                                                <td>
                                                    {project.name.clone()}
                                                    {(!project.active).then(|| view! { <span class="badge status-closed">"disabled: reports refused"</span> })}
                                                </td>
                                                <td>
                                                    <code class="dsn">{project.dsn.clone()}</code>
                                                    {project.previous_dsn.clone().map(|previous| view! {
                                                        <p class="hint previous-dsn">
                                                            "The previous DSN works until "
                                                            {project.previous_key_expires_at.map(timestamp)}
                                                            ": " <code>{previous}</code>
                                                        </p>
                                                    })}
                                                    <details class="snippets">
                                                        <summary>"Set up reporting (reporter crate or any Sentry SDK)"</summary>
                                                        {crate::projects::sdk_snippets(&project.dsn)
                                                            .into_iter()
                                                            .map(|(language, code)| view! {
                                                                <p class="language">{language}</p>
                                                                <pre><code>{code}</code></pre>
                                                            })
                                                            .collect_view()}
                                                    </details>
                                                </td>
                                                <td class="time">{timestamp(project.created_at)}</td>
                                                {admin.then(|| view! {
                                                    <td class="project-admin">
                                                        <ActionForm action=replace_key attr:class="replace-key">
                                                            <input type="hidden" name="id" value=project.id.to_string() />
                                                            <label>
                                                                "Old key works for"
                                                                <select name="grace_hours">
                                                                    <option value="0">"no longer (it leaked)"</option>
                                                                    <option value="1">"1 hour"</option>
                                                                    <option value="24" selected>"24 hours"</option>
                                                                    <option value="168">"7 days"</option>
                                                                    <option value="720">"30 days"</option>
                                                                </select>
                                                            </label>
                                                            <button type="submit">"Replace key"</button>
                                                        </ActionForm>
                                                        <ActionForm action=set_active attr:class="set-active">
                                                            <input type="hidden" name="id" value=project.id.to_string() />
                                                            <input type="hidden" name="active" value=(!project.active).to_string() />
                                                            <button type="submit">{if project.active { "Disable" } else { "Enable" }}</button>
                                                        </ActionForm>
                                                    </td>
                                                })}
                                            </tr>
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                    };
                    let form = admin.then(|| view! {
                        <ActionForm action=create attr:class="new-project">
                            <label>"Name" <input name="name" required placeholder="e.g. Shop backend" /></label>
                            <button type="submit" class="primary">"Create project"</button>
                        </ActionForm>
                    });
                    view! { {list} {form} }
                })}
            </Transition>
            {move || {
                [
                    create.value().get().and_then(|result| result.err()),
                    replace_key.value().get().and_then(|result| result.err()),
                    set_active.value().get().and_then(|result| result.err()),
                ]
                .into_iter()
                .flatten()
                .map(|error| view! { <ErrorNotice message=error_message(&error) /> })
                .collect_view()
            }}
        </section>
    }
}
