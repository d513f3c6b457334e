//! The ticket page: details, timeline, and every action an agent takes on a ticket.

use crate::api::{AddEntry, ChangeStatus, UpdateTicket, load_ticket, signed_in_agent};
use crate::components::hits::ApplyFix;
use crate::components::{ErrorNotice, StatusBadge, UrgencyBadge, error_message};
use crate::format::{datetime_local, timestamp};
use crate::model::{Entry, EntryKind, Outcome, Role, Status, Ticket, TicketDetail, Urgency};
use crate::workflow::{allowed_transitions, missing_for_verification};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The ticket page.
#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let reference = move || params.with(|map| map.get("reference").unwrap_or_default());
    let add_entry = ServerAction::<AddEntry>::new();
    let change_status = ServerAction::<ChangeStatus>::new();
    let update = ServerAction::<UpdateTicket>::new();
    // The ticket is reloaded after every successful action; a refused one leaves the forms (and
    // what the agent typed into them) as they are, with the error shown.
    let refreshes = RwSignal::new(0u64);
    let refresh_after = move |succeeded: bool| {
        if succeeded {
            refreshes.update(|count| *count += 1);
        }
    };
    Effect::new(move |_| refresh_after(matches!(add_entry.value().get(), Some(Ok(_)))));
    Effect::new(move |_| refresh_after(matches!(change_status.value().get(), Some(Ok(_)))));
    Effect::new(move |_| refresh_after(matches!(update.value().get(), Some(Ok(_)))));
    let detail = Resource::new(
        move || (reference(), refreshes.get()),
        |(reference, _)| load_ticket(reference),
    );
    let actions = Actions {
        add_entry,
        change_status,
        update,
    };
    // Viewers read the ticket without the forms they could not use (the server refuses them too).
    let agent = Resource::new(|| (), |_| signed_in_agent());

    view! {
        <Transition fallback=|| view! { <p class="empty">"Loading the ticket…"</p> }>
            {move || Suspend::new(async move {
                let can_work = agent
                    .await
                    .ok()
                    .flatten()
                    .is_some_and(|agent| agent.role.allows(Role::Agent));
                match detail.await {
                    Ok(detail) => view! { <TicketView detail actions can_work /> }.into_any(),
                    Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The actions of the page, shared by its parts.
#[derive(Clone, Copy)]
struct Actions {
    add_entry: ServerAction<AddEntry>,
    change_status: ServerAction<ChangeStatus>,
    update: ServerAction<UpdateTicket>,
}

/// The error of the last call of an action, if it failed.
fn action_error<T, S>(value: S) -> impl Fn() -> Option<AnyView> + Send + Sync + 'static
where
    T: 'static,
    S: Get<Value = Option<Result<T, ServerFnError>>> + Send + Sync + 'static,
{
    move || {
        value
            .get()
            .and_then(|result| result.err())
            .map(|error| view! { <ErrorNotice message=error_message(&error) /> }.into_any())
    }
}

#[component]
fn TicketView(detail: TicketDetail, actions: Actions, can_work: bool) -> impl IntoView {
    let TicketDetail { ticket, entries } = detail;
    let reference = ticket.reference.to_string();
    if can_work {
        provide_context(ApplyFix(RwSignal::new(None)));
    }
    view! {
        <article class="ticket" data-reference=reference.clone()>
            <header class="ticket-header">
                <span class="reference">{reference.clone()}</span>
                <h1>{ticket.title.clone()}</h1>
                <div class="badges">
                    <UrgencyBadge urgency=ticket.urgency />
                    <StatusBadge status=ticket.status />
                </div>
            </header>
            <div class="ticket-body">
                <div class="ticket-main">
                    <Details ticket=ticket.clone() />
                    {ticket.crash.is_some().then(|| view! {
                        <super::occurrence_chart::OccurrenceChart reference=reference.clone() />
                        <super::crash_report::CrashReport reference=reference.clone() />
                    })}
                    {can_work.then(|| view! { <EntryForm reference=reference.clone() actions /> })}
                    <Timeline entries />
                </div>
                <aside class="ticket-actions">
                    {can_work.then(|| view! {
                        <StatusActions ticket=ticket.clone() actions />
                    })}
                    {(can_work && matches!(ticket.status, Status::Resolved | Status::Closed)).then(|| view! {
                        <section class="publish">
                            <h2>"Share the fix"</h2>
                            <a class="button primary" href=format!("/articles/new?from={reference}")>"Publish as an article"</a>
                        </section>
                    })}
                    {ticket.status.is_open().then(|| view! { <TicketSuggestions reference=reference.clone() /> })}
                    {can_work.then(|| view! { <FieldActions ticket actions /> })}
                </aside>
            </div>
        </article>
    }
    .into_any()
}

/// What helped before with this ticket's problem.
#[component]
fn TicketSuggestions(reference: String) -> impl IntoView {
    let suggestions = Resource::new(move || reference.clone(), crate::api::suggest_for_ticket);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                suggestions.await.ok().map(|suggestions| view! {
                    <crate::components::hits::SuggestionPanel suggestions />
                })
            })}
        </Transition>
    }
}

#[component]
fn Details(ticket: Ticket) -> impl IntoView {
    let occurred = ticket
        .occurred_at
        .map(timestamp)
        .unwrap_or_else(|| "not recorded".to_string());
    let or_missing = |text: String| {
        if text.is_empty() {
            "not recorded".to_string()
        } else {
            text
        }
    };
    view! {
        <dl class="details">
            <dt>"Customer"</dt>
            <dd>
                {match ticket.customer_id {
                    Some(id) => view! { <a class="customer-link" href=format!("/customers/{id}")>{ticket.customer}</a> }.into_any(),
                    None => ticket.customer.into_view().into_any(),
                }}
                " · " {ticket.scope.as_str()}
            </dd>
            <dt>"Channel"</dt>
            <dd>{ticket.channel.as_str()}</dd>
            <dt>"Entered"</dt>
            <dd>{timestamp(ticket.created_at)}</dd>
            <dt>"Assignee"</dt>
            <dd>{ticket.assignee.unwrap_or_else(|| "unassigned".to_string())}</dd>
            <dt>"Description"</dt>
            <dd class="text">{or_missing(ticket.description)}</dd>
            <dt>"Environment"</dt>
            <dd class="text">{or_missing(ticket.environment)}</dd>
            <dt>"Occurred"</dt>
            <dd>{occurred}</dd>
            <dt>"How"</dt>
            <dd class="text">{or_missing(ticket.manner)}</dd>
            {ticket.resolution.map(|resolution| view! {
                <dt>"Resolution"</dt>
                <dd class="text resolution">{resolution}</dd>
            })}
            {ticket.resolved_in_release.map(|release| view! {
                <dt>"Fixed in"</dt>
                <dd>{release}</dd>
            })}
            {ticket.crash.map(|crash| view! {
                <dt>"Occurrences"</dt>
                <dd class="occurrences">{crash.occurrences}</dd>
                <dt>"Affected users"</dt>
                <dd class="affected-users">{crash.affected_users}</dd>
                <dt>"First seen"</dt>
                <dd>{timestamp(crash.first_seen)}</dd>
                <dt>"Last seen"</dt>
                <dd>{timestamp(crash.last_seen)}</dd>
                {(!crash.customers.is_empty()).then(|| view! {
                    <dt>"Customers"</dt>
                    <dd class="crash-customers">
                        {crash.customers.into_iter().enumerate().map(|(index, name)| view! {
                            {(index > 0).then_some(", ")}
                            <a href=format!("/customers?q={}", super::queue::encode(&name))>{name.clone()}</a>
                        }).collect_view()}
                    </dd>
                })}
                <dt>"Releases"</dt>
                <dd>{listed(&crash.releases, crash.releases_omitted)}</dd>
                <dt>"Environments"</dt>
                <dd>{listed(&crash.environments, crash.environments_omitted)}</dd>
                <dt>"Project"</dt>
                <dd><a href="/projects">{format!("#{}", crash.project)}</a></dd>
            })}
        </dl>
    }
}

#[component]
fn EntryForm(reference: String, actions: Actions) -> impl IntoView {
    let form = NodeRef::<leptos::html::Form>::new();
    let kind = RwSignal::new(EntryKind::Note);
    let body = RwSignal::new(String::new());
    // After an entry is added the form is emptied for the next one.
    Effect::new(move |_| {
        if matches!(actions.add_entry.value().get(), Some(Ok(_))) {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
            kind.set(EntryKind::Note);
            body.set(String::new());
        }
    });
    // "Apply this fix" on a suggested article starts a fix attempt that names it.
    if let Some(ApplyFix(applied)) = use_context::<ApplyFix>() {
        Effect::new(move |_| {
            if let Some(text) = applied.get() {
                kind.set(EntryKind::Attempt);
                body.set(text);
            }
        });
    }
    view! {
        <section class="entry-form">
            <h2>"Add to the timeline"</h2>
            <ActionForm action=actions.add_entry node_ref=form>
                <input type="hidden" name="reference" value=reference />
                <div class="row">
                    <select
                        name="kind"
                        aria-label="Entry kind"
                        prop:value=move || kind.get().as_str()
                        on:change=move |event| {
                            if let Ok(value) = event_target_value(&event).parse() {
                                kind.set(value);
                            }
                        }
                    >
                        <option value="note">"Note"</option>
                        <option value="contact">"Customer contact"</option>
                        <option value="attempt">"Fix attempt"</option>
                    </select>
                    <select
                        name="outcome"
                        aria-label="Outcome"
                        title="The outcome of a fix attempt"
                        class:inactive=move || kind.get() != EntryKind::Attempt
                    >
                        <option value="">"Outcome (attempts only)"</option>
                        {Outcome::ALL
                            .iter()
                            .map(|outcome| view! { <option value=outcome.as_str()>{outcome.as_str()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <textarea
                    name="body"
                    rows="3"
                    required
                    placeholder="What was said, tried or found"
                    prop:value=body
                    on:input=move |event| body.set(event_target_value(&event))
                ></textarea>
                {action_error(actions.add_entry.value())}
                <button type="submit" disabled=move || actions.add_entry.pending().get()>"Add"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn Timeline(entries: Vec<Entry>) -> impl IntoView {
    view! {
        <section class="timeline">
            <h2>"Timeline"</h2>
            <ol>
                {entries
                    .into_iter()
                    .rev()
                    .map(|entry| {
                        let outcome = entry.outcome.map(|outcome| view! {
                            <span class=format!("badge outcome-{}", outcome.as_str())>{outcome.as_str()}</span>
                        });
                        let change = matches!(entry.kind, EntryKind::StatusChange | EntryKind::UrgencyChange | EntryKind::Regressed)
                            .then(|| {
                                let label = |value: Option<String>| {
                                    value
                                        .map(|text| text.parse::<Status>().map(|status| status.label().to_string()).unwrap_or(text))
                                        .unwrap_or_else(|| "—".to_string())
                                };
                                view! { <span class="change">{label(entry.from.clone())} " → " {label(entry.to.clone())}</span> }
                            });
                        let body = (!entry.body.is_empty()).then(|| view! { <p class="text">{entry.body.clone()}</p> });
                        view! {
                            <li class=format!("entry entry-{}", entry.kind.as_str())>
                                <div class="entry-meta">
                                    <span class="entry-kind">{entry_label(entry.kind)}</span>
                                    {outcome}
                                    <span class="author">{entry.author}</span>
                                    <time>{timestamp(entry.created_at)}</time>
                                </div>
                                {change}
                                {body}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

fn entry_label(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Created => "Entered",
        EntryKind::Note => "Note",
        EntryKind::Contact => "Customer contact",
        EntryKind::Attempt => "Fix attempt",
        EntryKind::StatusChange => "Status",
        EntryKind::UrgencyChange => "Urgency",
        EntryKind::AssigneeChange => "Assignee",
        EntryKind::Edit => "Edited",
        EntryKind::Regressed => "Regressed",
    }
}

fn missing_label(field: &str) -> &'static str {
    match field {
        "environment" => "the environment",
        "occurred_at" => "when it happened",
        "manner" => "how it happened",
        _ => "other details",
    }
}

fn transition_label(from: Status, to: Status) -> &'static str {
    match (from, to) {
        (_, Status::Verified) if matches!(from, Status::Resolved | Status::Closed) => "Reopen",
        (_, Status::InProgress) if matches!(from, Status::Resolved | Status::Closed) => {
            "Reopen and work"
        }
        (_, Status::Verified) => "Verify",
        (_, Status::Invalid) => "Not a real problem",
        (Status::WaitingOnCustomer, Status::InProgress) => "Customer answered",
        (_, Status::InProgress) => "Start work",
        (_, Status::WaitingOnCustomer) => "Wait on customer",
        (_, Status::Closed) => "Close",
        (Status::Invalid, Status::New) => "Reconsider",
        (_, Status::New) => "Back to new",
        (_, Status::Resolved) => "Resolve",
    }
}

#[component]
fn StatusActions(ticket: Ticket, actions: Actions) -> impl IntoView {
    let reference = ticket.reference.to_string();
    let missing = if ticket.status == Status::New {
        missing_for_verification(&ticket)
    } else {
        Vec::new()
    };
    let buttons = allowed_transitions(ticket.status)
        .iter()
        .filter(|to| **to != Status::Resolved)
        .map(|&to| {
            let label = transition_label(ticket.status, to);
            let reference = reference.clone();
            view! {
                <ActionForm action=actions.change_status>
                    <input type="hidden" name="reference" value=reference />
                    <input type="hidden" name="to" value=to.as_str() />
                    <button type="submit" data-to=to.as_str() disabled=move || actions.change_status.pending().get()>
                        {label}
                    </button>
                </ActionForm>
            }
        })
        .collect_view();
    let resolve = allowed_transitions(ticket.status).contains(&Status::Resolved).then(|| view! {
        <ActionForm action=actions.change_status attr:class="resolve">
            <input type="hidden" name="reference" value=reference />
            <input type="hidden" name="to" value="resolved" />
            <textarea name="resolution" rows="3" required placeholder="What fixed it"></textarea>
            <input name="release" placeholder="Fixed in release (optional)" aria-label="Fixed in release" />
            <button type="submit" class="primary" data-to="resolved">"Resolve"</button>
        </ActionForm>
    });
    view! {
        <section class="status-actions">
            <h2>"Workflow"</h2>
            {(!missing.is_empty()).then(|| view! {
                <p class="hint">"To verify, record: " {missing.iter().map(|field| missing_label(field)).collect::<Vec<_>>().join(", ")}</p>
            })}
            <div class="buttons">{buttons}</div>
            {resolve}
            {action_error(actions.change_status.value())}
        </section>
    }
}

#[component]
fn FieldActions(ticket: Ticket, actions: Actions) -> impl IntoView {
    let (reference_urgency, reference_assignee, reference_details) = (
        ticket.reference.to_string(),
        ticket.reference.to_string(),
        ticket.reference.to_string(),
    );
    let current = ticket.urgency;
    view! {
        <section class="field-actions">
            <h2>"Details"</h2>
            <ActionForm action=actions.update>
                <input type="hidden" name="reference" value=reference_urgency />
                <label>
                    "Urgency"
                    <select name="urgency">
                        {Urgency::ALL
                            .iter()
                            .map(|urgency| view! {
                                <option value=urgency.as_str() selected=*urgency == current>{urgency.as_str()}</option>
                            })
                            .collect_view()}
                    </select>
                </label>
                <button type="submit">"Set urgency"</button>
            </ActionForm>
            <ActionForm action=actions.update>
                <input type="hidden" name="reference" value=reference_assignee />
                <label>
                    "Assignee"
                    <input name="assignee" type="email" value=ticket.assignee.clone().unwrap_or_default() placeholder="Agent's email; empty unassigns" />
                </label>
                <button type="submit">"Assign"</button>
            </ActionForm>
            <ActionForm action=actions.update attr:class="occurrence">
                <input type="hidden" name="reference" value=reference_details />
                <label>
                    "Environment"
                    <textarea name="environment" rows="2">{ticket.environment.clone()}</textarea>
                </label>
                <label>
                    "When it happened (UTC)"
                    <input name="occurred_at" type="datetime-local" step="1" value=ticket.occurred_at.map(datetime_local).unwrap_or_default() />
                </label>
                <label>
                    "How it happened"
                    <textarea name="manner" rows="2">{ticket.manner.clone()}</textarea>
                </label>
                <button type="submit">"Save details"</button>
            </ActionForm>
            {action_error(actions.update.value())}
        </section>
    }
}

/// Names reported to a crash ticket, and how many older ones it no longer lists.
fn listed(names: &[String], omitted: u64) -> String {
    match (names.is_empty(), omitted) {
        (true, 0) => "none reported".to_string(),
        (_, 0) => names.join(", "),
        (_, omitted) => format!("{} and {omitted} earlier", names.join(", ")),
    }
}
