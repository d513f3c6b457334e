//! Small pieces shared by the pages.

pub mod hits;

use crate::model::{Status, Urgency};
use leptos::prelude::*;

/// The urgency as a coloured badge, readable at a glance.
#[component]
pub fn UrgencyBadge(urgency: Urgency) -> impl IntoView {
    view! { <span class=format!("badge urgency-{}", urgency.as_str())>{urgency.as_str()}</span> }
}

/// The status as a badge.
#[component]
pub fn StatusBadge(status: Status) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str())>{status.label()}</span> }
}

/// An error from a server call, shown to the agent.
#[component]
pub fn ErrorNotice(message: String) -> impl IntoView {
    view! { <p class="error" role="alert">{message}</p> }
}

/// The message of a failed server call without the framework's prefix.
pub fn error_message(error: &ServerFnError) -> String {
    match error {
        ServerFnError::ServerError(message) => message.clone(),
        other => other.to_string(),
    }
}
