//! The new-ticket form, laid out for an agent who has a caller on the line.

use crate::api::CreateTicket;
use crate::components::{ErrorNotice, error_message};
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
    view! {
        <section class="new-ticket">
            <h1>"New ticket"</h1>
            <ActionForm action=create>
                <div class="grid">
                    <label class="wide">
                        "Customer or employee"
                        <input name="customer" required autofocus autocomplete="off" placeholder="Name, company, phone or email" />
                    </label>
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
                        <input name="title" required maxlength="200" placeholder="One line: what is wrong" />
                    </label>
                    <label class="wide">
                        "Description"
                        <textarea name="description" rows="5" placeholder="What the caller says, in detail"></textarea>
                    </label>
                    <label class="wide">
                        "Environment"
                        <textarea name="environment" rows="2" placeholder="System, versions, configuration"></textarea>
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
        </section>
    }
}
