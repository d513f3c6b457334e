//! The new-ticket form, laid out for an agent who has a caller on the line.

use crate::api::{CreateTicket, record_caller, search_customers, suggest_for_text};
use crate::components::{ErrorNotice, error_message};
use crate::customers::Customer;
use crate::model::{Channel, Scope, Urgency};
use leptos::prelude::*;

/// The new-ticket page.
#[component]
pub fn NewTicketPage() -> impl IntoView {
    let create = ServerAction::<CreateTicket>::new();
    let error = move || {
        create
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|error| view! { <ErrorNotice message=error_message(&error) /> })
    };
    // The customer field finds known customers as the agent types; picking one fills the field
    // and, when it is still empty, the environment.
    let customer = RwSignal::new(String::new());
    let environment = RwSignal::new(String::new());
    let picked = RwSignal::new(false);
    // The customer record the ticket is filed for: the one picked, until the field is edited.
    let linked = RwSignal::new(None::<(u64, String)>);
    let matches = Resource::new(
        move || customer.get(),
        |typed| async move {
            if typed.trim().chars().count() < 2 {
                return Vec::new();
            }
            search_customers(typed, String::new())
                .await
                .map(|page| page.items.into_iter().take(5).collect())
                .unwrap_or_default()
        },
    );
    // What helped before with a problem like the one being typed.
    let title = RwSignal::new(String::new());
    let description = RwSignal::new(String::new());
    let suggestions = Resource::new(
        move || format!("{} {}", title.get(), description.get()),
        |text| async move {
            if text.trim().chars().count() < 3 {
                return None;
            }
            suggest_for_text(text).await.ok()
        },
    );
    let pick = move |chosen: Customer| {
        customer.set(caller_line(&chosen));
        if environment.get_untracked().trim().is_empty() {
            environment.set(environment_text(&chosen));
        }
        picked.set(true);
        linked.set(Some((chosen.id, chosen.name.clone())));
    };
    // A caller who is not a customer yet is recorded without leaving the form (the fields have
    // no names, so they are not part of the ticket).
    let new_name = RwSignal::new(String::new());
    let new_contact = RwSignal::new(String::new());
    let new_email = RwSignal::new(String::new());
    let new_phone = RwSignal::new(String::new());
    let record = Action::new(|fields: &(String, String, String, String)| {
        let (name, contact, email, phone) = fields.clone();
        async move { record_caller(name, contact, email, phone).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(recorded)) = record.value().get() {
            pick(recorded);
        }
    });
    let record_error = move || {
        record
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|error| view! { <ErrorNotice message=error_message(&error) /> })
    };
    let input = |signal: RwSignal<String>| move |event| signal.set(event_target_value(&event));
    view! {
        <section class="new-ticket">
            <h1>"New ticket"</h1>
            <ActionForm action=create>
                <div class="grid">
                    <label class="wide">
                        "Customer or employee"
                        <input
                            name="customer"
                            required
                            autofocus
                            autocomplete="off"
                            placeholder="Name, company, phone or email"
                            prop:value=customer
                            on:input=move |event| {
                                picked.set(false);
                                linked.set(None);
                                customer.set(event_target_value(&event));
                            }
                        />
                        <input
                            type="hidden"
                            name="customer_id"
                            prop:value=move || linked.get().map(|(id, _)| id.to_string()).unwrap_or_default()
                        />
                    </label>
                    <details class="new-caller wide">
                        <summary>"A new caller? Record them as a customer"</summary>
                        <div class="row">
                            <input aria-label="New customer's name" placeholder="Organisation or person" prop:value=new_name on:input=input(new_name) />
                            <input aria-label="Contact name" placeholder="Contact" prop:value=new_contact on:input=input(new_contact) />
                            <input aria-label="Contact email" type="email" placeholder="Email" prop:value=new_email on:input=input(new_email) />
                            <input aria-label="Contact phone" type="tel" placeholder="Phone" prop:value=new_phone on:input=input(new_phone) />
                            <button
                                type="button"
                                disabled=move || record.pending().get()
                                on:click=move |_| {
                                    record.dispatch((new_name.get(), new_contact.get(), new_email.get(), new_phone.get()));
                                }
                            >
                                "Record customer"
                            </button>
                        </div>
                        {record_error}
                    </details>
                    {move || linked.get().map(|(id, name)| view! {
                        <p class="linked-customer wide">
                            "Filed for customer "
                            <a href=format!("/customers/{id}") target="_blank">{name}</a>
                        </p>
                    })}
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            let found: Vec<Customer> = matches.await;
                            (!picked.get() && !found.is_empty()).then(|| view! {
                                <ul class="customer-suggestions wide" aria-label="Known customers">
                                    {found.into_iter().map(|known| {
                                        let label = format!("{} · {}", known.name, caller_line(&known));
                                        view! {
                                            <li>
                                                <button type="button" on:click=move |_| pick(known.clone())>{label}</button>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            })
                        })}
                    </Transition>
                    <label>
                        "Reported by"
                        <select name="scope">
                            {Scope::ALL
                                .iter()
                                .map(|scope| view! {
                                    <option value=scope.as_str() selected=*scope == Scope::External>
                                        {match scope { Scope::External => "a customer (external)", Scope::Internal => "an employee (internal)" }}
                                    </option>
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <label>
                        "Channel"
                        <select name="channel">
                            {Channel::ALL
                                .iter()
                                .filter(|channel| **channel != Channel::Crash)
                                .map(|channel| view! {
                                    <option value=channel.as_str() selected=*channel == Channel::Phone>{channel.as_str()}</option>
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <label>
                        "Urgency"
                        <select name="urgency">
                            {Urgency::ALL
                                .iter()
                                .map(|urgency| view! {
                                    <option value=urgency.as_str() selected=*urgency == Urgency::Medium>{urgency.as_str()}</option>
                                })
                                .collect_view()}
                        </select>
                    </label>
                    <label class="wide">
                        "Title"
                        <input
                            name="title"
                            required
                            maxlength="200"
                            placeholder="One line: what is wrong"
                            on:input=move |event| title.set(event_target_value(&event))
                        />
                    </label>
                    <label class="wide">
                        "Description"
                        <textarea
                            name="description"
                            rows="5"
                            placeholder="What the caller says, in detail"
                            on:input=move |event| description.set(event_target_value(&event))
                        ></textarea>
                    </label>
                    <label class="wide">
                        "Environment"
                        <textarea
                            name="environment"
                            rows="2"
                            placeholder="System, versions, configuration"
                            prop:value=environment
                            on:input=move |event| environment.set(event_target_value(&event))
                        ></textarea>
                    </label>
                    <label>
                        "When it happened (UTC)"
                        <input name="occurred_at" type="datetime-local" />
                    </label>
                    <label class="wide">
                        "How it happened"
                        <textarea name="manner" rows="2" placeholder="What the caller was doing when it occurred"></textarea>
                    </label>
                </div>
                {error}
                <button type="submit" class="primary" disabled=move || create.pending().get()>
                    "Enter ticket"
                </button>
            </ActionForm>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    suggestions.await.map(|suggestions| view! {
                        <crate::components::hits::SuggestionPanel suggestions />
                    })
                })}
            </Transition>
        </section>
    }
}

/// How a picked customer fills the customer field: `Grace Hopper, Navy Payroll` (the first
/// contact and the organisation), or the organisation alone.
fn caller_line(customer: &Customer) -> String {
    match customer.contacts.first() {
        Some(contact) => format!("{}, {}", contact.name, customer.name),
        None => customer.name.clone(),
    }
}

/// How a picked customer fills the environment: its text, then its key/values one per line.
fn environment_text(customer: &Customer) -> String {
    let mut lines: Vec<String> = Vec::new();
    if !customer.environment.is_empty() {
        lines.push(customer.environment.clone());
    }
    lines.extend(
        customer
            .properties
            .iter()
            .map(|property| format!("{}: {}", property.key, property.value)),
    );
    lines.join("\n")
}
