//! Projects: the applications that report crashes, and the DSN each one's reporter posts to.

use crate::api::{CreateProject, list_projects, signed_in_agent};
use crate::components::{ErrorNotice, error_message};
use crate::format::timestamp;
use crate::model::Role;
use leptos::prelude::*;

/// The projects page.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    let projects = Resource::new(move || create.version().get(), |_| list_projects());
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
                                <thead><tr><th>"Id"</th><th>"Name"</th><th>"DSN"</th><th>"Created"</th></tr></thead>
                                <tbody>
                                    {projects
                                        .into_iter()
                                        .map(|project| view! {
                                            <tr>
                                                <td>{project.id}</td>
                                                <td>{project.name}</td>
                                                <td>
                                                    <code class="dsn">{project.dsn.clone()}</code>
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
            {move || create.value().get().and_then(|result| result.err()).map(|error| view! { <ErrorNotice message=error_message(&error) /> })}
        </section>
    }
}
