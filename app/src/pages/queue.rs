//! The queue: open work, most urgent and longest waiting first, with filters.

use crate::api::queue_page;
use crate::components::{ErrorNotice, StatusBadge, UrgencyBadge, error_message};
use crate::format::timestamp;
use crate::model::{Channel, Status, TicketPage, Urgency};
use leptos::prelude::*;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

/// Percent-encodes a query-string value.
pub(crate) fn encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

/// The queue page.
#[component]
pub fn QueuePage() -> impl IntoView {
    let query = use_query_map();
    let param =
        move |name: &'static str| query.with(|map| map.get(name).filter(|value| !value.is_empty()));
    let page = Resource::new(
        move || {
            (
                param("status"),
                param("urgency"),
                param("q"),
                param("assignee"),
                param("channel"),
                param("cursor"),
            )
        },
        |(status, urgency, q, assignee, channel, cursor)| {
            queue_page(status, urgency, q, assignee, channel, cursor)
        },
    );
    let selected_channel = move || param("channel").unwrap_or_default();
    let mine = move || param("assignee").as_deref() == Some("me");
    let selected_status = move || param("status").unwrap_or_else(|| "open".to_string());
    let selected_urgency = move || param("urgency").unwrap_or_default();

    view! {
        <section class="queue">
            <Form method="GET" action="" attr:class="filters" attr:aria-label="Filter the queue">
                <label>
                    "Status "
                    <select name="status" on:change=submit_form>
                        <option value="open" selected=move || selected_status() == "open">"Open"</option>
                        <option value="all" selected=move || selected_status() == "all">"All"</option>
                        {Status::ALL
                            .iter()
                            .map(|status| {
                                let value = status.as_str();
                                view! {
                                    <option value=value selected=move || selected_status() == value>
                                        {status.label()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Urgency "
                    <select name="urgency" on:change=submit_form>
                        <option value="" selected=move || selected_urgency().is_empty()>"Any"</option>
                        {Urgency::ALL
                            .iter()
                            .map(|urgency| {
                                let value = urgency.as_str();
                                view! {
                                    <option value=value selected=move || selected_urgency() == value>
                                        {value}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Channel "
                    <select name="channel" on:change=submit_form>
                        <option value="" selected=move || selected_channel().is_empty()>"Any"</option>
                        {Channel::ALL
                            .iter()
                            .map(|channel| {
                                let value = channel.as_str();
                                view! {
                                    <option value=value selected=move || selected_channel() == value>
                                        {value}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <input
                    type="search"
                    name="q"
                    placeholder="Search words in title, description, customer"
                    aria-label="Search"
                    accesskey="s"
                    prop:value=move || param("q").unwrap_or_default()
                />
                <label class="mine">
                    <input
                        type="checkbox"
                        name="assignee"
                        value="me"
                        prop:checked=mine
                        on:change=submit_form
                    />
                    " Mine"
                </label>
                <button type="submit">"Filter"</button>
            </Form>
            <Transition fallback=|| view! { <p class="empty">"Loading the queue…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => {
                            let filters = QueueFilters {
                                status: selected_status(),
                                urgency: selected_urgency(),
                                q: param("q").unwrap_or_default(),
                                assignee: param("assignee").unwrap_or_default(),
                                channel: selected_channel(),
                            };
                            view! { <QueueTable page filters /> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Submits the filter form when a select changes, so filtering is one keystroke.
fn submit_form(event: leptos::ev::Event) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(form) = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlElement>().ok())
            .and_then(|element| element.closest("form").ok().flatten())
            .and_then(|form| form.dyn_into::<web_sys::HtmlFormElement>().ok())
        {
            let _ = form.request_submit();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = event;
}

/// The filters a page was listed with, carried into the next page's link.
#[derive(Clone)]
struct QueueFilters {
    status: String,
    urgency: String,
    q: String,
    assignee: String,
    channel: String,
}

#[component]
fn QueueTable(page: TicketPage, filters: QueueFilters) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <p class="empty">"Nothing in the queue matches."</p> }.into_any();
    }
    let next = page.next_cursor.map(|cursor| {
        format!(
            "/?status={}&urgency={}&q={}&assignee={}&channel={}&cursor={}",
            encode(&filters.status),
            encode(&filters.urgency),
            encode(&filters.q),
            encode(&filters.assignee),
            encode(&filters.channel),
            encode(&cursor)
        )
    });
    view! {
        <table class="tickets">
            <thead>
                <tr>
                    <th>"Ref"</th>
                    <th>"Urgency"</th>
                    <th>"Title"</th>
                    <th>"Customer"</th>
                    <th>"Status"</th>
                    <th>"Assignee"</th>
                    <th>"Entered"</th>
                </tr>
            </thead>
            <tbody>
                {page
                    .items
                    .into_iter()
                    .map(|ticket| {
                        let href = format!("/tickets/{}", ticket.reference);
                        view! {
                            <tr class=format!("urgency-row-{}", ticket.urgency.as_str())>
                                <td class="reference">
                                    <A href=href.clone()>{ticket.reference.to_string()}</A>
                                </td>
                                <td>
                                    <UrgencyBadge urgency=ticket.urgency />
                                </td>
                                <td class="title">
                                    <A href=href>{ticket.title}</A>
                                </td>
                                <td>{ticket.customer}</td>
                                <td>
                                    <StatusBadge status=ticket.status />
                                </td>
                                <td>{ticket.assignee.unwrap_or_default()}</td>
                                <td class="time">{timestamp(ticket.created_at)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
        {next.map(|href| view! { <A href=href attr:class="button next-page">"Next page →"</A> })}
    }
    .into_any()
}
