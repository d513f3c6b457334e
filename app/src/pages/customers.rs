//! Customers: a list that narrows as someone types, a form for a new caller, and one customer's
//! contacts and environment.

use crate::api::{
    CreateCustomer, customer_tickets, load_customer, search_customers, signed_in_agent,
};
use crate::components::{ErrorNotice, error_message};
use crate::components::{StatusBadge, UrgencyBadge};
use crate::customers::{Customer, CustomerTickets};
use crate::format::timestamp;
use crate::model::Role;
use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::components::{A, Form};
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

/// Who to reach at a customer, in one line: `Grace Hopper (grace@navy.example, +1 555 010 4477)`.
fn contact_line(customer: &Customer) -> String {
    customer
        .contacts
        .iter()
        .map(|contact| {
            let reach: Vec<&str> = [contact.email.as_deref(), contact.phone.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            if reach.is_empty() {
                contact.name.clone()
            } else {
                format!("{} ({})", contact.name, reach.join(", "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The customers page.
#[component]
pub fn CustomersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|map| map.get("q").unwrap_or_default());
    let create = ServerAction::<CreateCustomer>::new();
    let customers = Resource::new(
        move || (q(), create.version().get()),
        |(q, _)| search_customers(q, String::new()),
    );
    let agent = Resource::new(|| (), |_| signed_in_agent());
    // Narrow the list as someone types (the form also works as a plain GET before hydration).
    let navigate = use_navigate();
    let narrow = move |event: leptos::ev::Event| {
        let typed = event_target_value(&event);
        navigate(
            &format!("/customers?q={}", super::queue::encode(&typed)),
            NavigateOptions {
                replace: true,
                ..NavigateOptions::default()
            },
        );
    };
    view! {
        <section class="customers">
            <h1>"Customers"</h1>
            <Form method="GET" action="/customers" attr:class="customer-search">
                <input
                    type="search"
                    name="q"
                    aria-label="Find a customer"
                    placeholder="Name, contact, email or phone"
                    prop:value=q
                    on:input=narrow
                />
            </Form>
            <Transition fallback=|| view! { <p class="empty">"Loading customers…"</p> }>
                {move || Suspend::new(async move {
                    match customers.await {
                        Ok(page) if page.items.is_empty() => view! { <p class="empty">"No customer matches."</p> }.into_any(),
                        Ok(page) => view! {
                            <table class="customer-list">
                                <thead><tr><th>"Name"</th><th>"Contacts"</th><th>"Environment"</th></tr></thead>
                                <tbody>
                                    {page.items.into_iter().map(|customer| {
                                        let contacts = contact_line(&customer);
                                        view! {
                                            <tr>
                                                <td><A href=format!("/customers/{}", customer.id)>{customer.name.clone()}</A></td>
                                                <td>{contacts}</td>
                                                <td class="text">{customer.environment.clone()}</td>
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let may_create = agent.await.ok().flatten().is_some_and(|agent| agent.role.allows(Role::Agent));
                    may_create.then(|| view! { <NewCustomerForm create /> })
                })}
            </Transition>
        </section>
    }
}

#[component]
fn NewCustomerForm(create: ServerAction<CreateCustomer>) -> impl IntoView {
    let failure = move || {
        create
            .value()
            .get()
            .and_then(|result| result.err())
            .map(|error| view! { <ErrorNotice message=error_message(&error) /> })
    };
    view! {
        <section class="new-customer">
            <h2>"New customer"</h2>
            <ActionForm action=create attr:class="stacked">
                <label>"Name" <input name="name" required maxlength="200" /></label>
                <label>"Contact" <input name="contact_name" maxlength="200" /></label>
                <label>"Email" <input name="contact_email" type="email" maxlength="254" /></label>
                <label>"Phone" <input name="contact_phone" type="tel" maxlength="40" /></label>
                <label>"Environment" <textarea name="environment" rows="2"></textarea></label>
                <label>"Notes" <textarea name="notes" rows="2"></textarea></label>
                <button type="submit" class="primary">"Create customer"</button>
            </ActionForm>
            {failure}
        </section>
    }
}

/// One customer: contacts, environment and notes.
#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|map| map.get("id").unwrap_or_default());
    let customer = Resource::new(id, load_customer);
    let tickets = Resource::new(id, customer_tickets);
    view! {
        <Transition fallback=|| view! { <p class="empty">"Loading the customer…"</p> }>
            {move || Suspend::new(async move {
                match customer.await {
                    Ok(customer) => view! {
                        <CustomerView customer />
                        <section class="customer-tickets">
                            <h2>"Tickets"</h2>
                            {match tickets.await {
                                Ok(tickets) => view! { <TicketList tickets /> }.into_any(),
                                Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                            }}
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A customer's tickets, open first.
#[component]
fn TicketList(tickets: CustomerTickets) -> impl IntoView {
    if tickets.items.is_empty() {
        return view! { <p class="empty">"No tickets yet."</p> }.into_any();
    }
    view! {
        <table class="ticket-list">
            <thead>
                <tr><th>"Ref"</th><th>"Urgency"</th><th>"Title"</th><th>"Status"</th><th>"Channel"</th><th>"Entered"</th></tr>
            </thead>
            <tbody>
                {tickets.items.into_iter().map(|ticket| {
                    let href = format!("/tickets/{}", ticket.reference);
                    view! {
                        <tr class=format!("urgency-row-{}", ticket.urgency.as_str())>
                            <td class="reference"><A href=href.clone()>{ticket.reference.to_string()}</A></td>
                            <td><UrgencyBadge urgency=ticket.urgency /></td>
                            <td class="title"><A href=href>{ticket.title}</A></td>
                            <td><StatusBadge status=ticket.status /></td>
                            <td>{ticket.channel.as_str()}</td>
                            <td>{timestamp(ticket.created_at)}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        {tickets.truncated.then(|| view! {
            <p class="more">"Only the first 200 are listed."</p>
        })}
    }
    .into_any()
}

#[component]
fn CustomerView(customer: Customer) -> impl IntoView {
    view! {
        <section class="customer">
            <h1>{customer.name.clone()}</h1>
            <dl class="details">
                <dt>"Customer since"</dt>
                <dd>{timestamp(customer.created_at)}</dd>
                <dt>"Environment"</dt>
                <dd class="text environment">{if customer.environment.is_empty() { "not recorded".to_string() } else { customer.environment.clone() }}</dd>
                {customer.properties.iter().map(|property| view! {
                    <dt>{property.key.clone()}</dt>
                    <dd class="property">{property.value.clone()}</dd>
                }).collect_view()}
                <dt>"Notes"</dt>
                <dd class="text">{if customer.notes.is_empty() { "none".to_string() } else { customer.notes.clone() }}</dd>
            </dl>
            <h2>"Contacts"</h2>
            {if customer.contacts.is_empty() {
                view! { <p class="empty">"No contacts yet."</p> }.into_any()
            } else {
                view! {
                    <table class="contacts">
                        <thead><tr><th>"Name"</th><th>"Email"</th><th>"Phone"</th></tr></thead>
                        <tbody>
                            {customer.contacts.iter().map(|contact| view! {
                                <tr>
                                    <td>{contact.name.clone()}</td>
                                    <td>{contact.email.clone().unwrap_or_default()}</td>
                                    <td>{contact.phone.clone().unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
