//! The crash side of a crash ticket: the latest report's error chain, stack trace (the
//! application's frames first-class, library frames folded away), tags and breadcrumbs.

use crate::api::latest_crash_event;
use crate::components::{ErrorNotice, error_message};
use crate::crash::{CrashEvent, Frame};
use leptos::prelude::*;

/// The latest stored report of a crash ticket.
#[component]
pub fn CrashReport(reference: String) -> impl IntoView {
    let event = Resource::new(move || reference.clone(), latest_crash_event);
    view! {
        <section class="crash-report">
            <h2>"Latest crash report"</h2>
            <Transition fallback=|| view! { <p class="empty">"Loading the report…"</p> }>
                {move || Suspend::new(async move {
                    match event.await {
                        Ok(Some(stored)) => match CrashEvent::from_value(&stored.event) {
                            Ok(report) => view! { <ReportView report received_at=stored.received_at /> }.into_any(),
                            Err(error) => view! { <ErrorNotice message=error.to_string() /> }.into_any(),
                        },
                        Ok(None) => view! { <p class="empty">"No report is stored."</p> }.into_any(),
                        Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn frame_line(frame: &Frame) -> String {
    let function = frame.function.clone().unwrap_or_else(|| "?".to_string());
    match (&frame.filename, frame.lineno) {
        (Some(file), Some(line)) => format!("{function}  {file}:{line}"),
        (Some(file), None) => format!("{function}  {file}"),
        _ => function,
    }
}

/// When the server received a report, as every time is shown (`2026-11-28 15:55 UTC`); the stored
/// text itself if it does not parse.
fn received_time(stored: &str) -> String {
    time::OffsetDateTime::parse(stored, &time::format_description::well_known::Rfc3339)
        .map(crate::format::timestamp)
        .unwrap_or_else(|_| stored.to_string())
}

#[component]
fn ReportView(report: CrashEvent, received_at: String) -> impl IntoView {
    // The chain as people read it: the error first, then what caused it.
    let chain: Vec<String> = report
        .exceptions
        .iter()
        .rev()
        .map(|exception| format!("{}: {}", exception.kind, exception.value))
        .collect();
    let message = report
        .message
        .as_ref()
        .map(|message| message.formatted.clone());
    // The crash site first; runs of library frames folded into one line each.
    let mut groups: Vec<(bool, Vec<String>)> = Vec::new();
    if let Some(exception) = report.primary_exception() {
        for frame in exception.frames.iter().rev() {
            let in_app = frame.in_app != Some(false);
            match groups.last_mut() {
                Some((group_in_app, lines)) if *group_in_app == in_app && !in_app => {
                    lines.push(frame_line(frame))
                }
                _ => groups.push((in_app, vec![frame_line(frame)])),
            }
        }
    }
    let facts: Vec<(&'static str, String)> = [
        ("Received", Some(received_time(&received_at))),
        ("Release", report.release.clone()),
        ("Environment", report.environment.clone()),
        ("Platform", report.platform.clone()),
        ("User", report.user.clone()),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|value| (label, value)))
    .collect();
    view! {
        <ol class="error-chain">
            {chain.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}
            {message.map(|message| view! { <li>{message}</li> })}
        </ol>
        {(!groups.is_empty()).then(|| view! {
            <ol class="stack-trace">
                {groups
                    .into_iter()
                    .map(|(in_app, lines)| {
                        if in_app {
                            lines.into_iter().map(|line| view! { <li class="frame in-app">{line}</li> }.into_any()).collect_view().into_any()
                        } else {
                            let count = lines.len();
                            view! {
                                <li class="frame library">
                                    <details>
                                        <summary>{format!("{count} library frame{}", if count == 1 { "" } else { "s" })}</summary>
                                        <ol>{lines.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ol>
                                    </details>
                                </li>
                            }
                            .into_any()
                        }
                    })
                    .collect_view()}
            </ol>
        })}
        <dl class="crash-facts">
            {facts.into_iter().map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
            {report.tags.into_iter().map(|(key, value)| view! { <dt class="tag">{key}</dt><dd>{value}</dd> }).collect_view()}
        </dl>
        {(!report.breadcrumbs.is_empty()).then(|| view! {
            <h3>"Breadcrumbs"</h3>
            <ol class="breadcrumbs">
                {report
                    .breadcrumbs
                    .into_iter()
                    .map(|crumb| view! {
                        <li>
                            <span class="category">{crumb.category.unwrap_or_default()}</span>
                            " "
                            <span class="message">{crumb.message.unwrap_or_default()}</span>
                        </li>
                    })
                    .collect_view()}
            </ol>
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::received_time;

    #[test]
    fn received_times_read_like_every_other_time() {
        assert_eq!(
            received_time("2026-11-28T15:55:35.089537150Z"),
            "2026-11-28 15:55 UTC"
        );
        assert_eq!(received_time("yesterday"), "yesterday");
    }
}
