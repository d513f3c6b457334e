//! A crash ticket's reports over time: a bar per hour for the last day and a bar per day for the
//! last 30 days (SVG, so that the page's style policy needs no inline styles).

use crate::api::crash_occurrences;
use crate::components::{ErrorNotice, error_message};
use crate::crash::CHARTED_DAYS;
use leptos::prelude::*;

/// The charts of a crash ticket's reports.
#[component]
pub fn OccurrenceChart(reference: String) -> impl IntoView {
    let history = Resource::new(move || reference.clone(), crash_occurrences);
    view! {
        <section class="occurrence-chart">
            <h2>"Reports over time"</h2>
            <Transition fallback=|| view! { <p class="empty">"Loading the counts…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(history) => view! {
                            <Bars
                                title="Last 24 hours"
                                counts=history.last_hours(24)
                                unit="hour"
                                first="24 h ago"
                                last="this hour"
                            />
                            <Bars
                                title="Last 30 days"
                                counts=history.last_days(CHARTED_DAYS as usize)
                                unit="day"
                                first="30 days ago"
                                last="today"
                            />
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice message=error_message(&error) /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// What a bar's tooltip says: `3 reports 2 hours ago`.
fn bar_label(count: u64, ago: usize, unit: &str) -> String {
    let reports = if count == 1 { "report" } else { "reports" };
    match ago {
        0 => format!("{count} {reports} this {unit}"),
        1 => format!("{count} {reports} 1 {unit} ago"),
        _ => format!("{count} {reports} {ago} {unit}s ago"),
    }
}

/// One bar chart, oldest bar first.
#[component]
fn Bars(
    title: &'static str,
    counts: Vec<u64>,
    unit: &'static str,
    first: &'static str,
    last: &'static str,
) -> impl IntoView {
    const HEIGHT: u64 = 40;
    const STEP: usize = 10;
    let highest = counts.iter().copied().max().unwrap_or(0).max(1);
    let total: u64 = counts.iter().sum();
    let bars = counts.len();
    let width = bars * STEP;
    let rects = counts
        .into_iter()
        .enumerate()
        .map(|(index, count)| {
            // A bar for every report count above zero is at least one unit tall, so it shows.
            let height = if count == 0 {
                0
            } else {
                (count * HEIGHT).div_ceil(highest)
            };
            view! {
                <rect
                    class=if count == 0 { "bar empty" } else { "bar" }
                    x=(index * STEP + 1).to_string()
                    y=(HEIGHT - height).to_string()
                    width=(STEP - 2).to_string()
                    height=height.max(1).to_string()
                    data-count=count.to_string()
                >
                    <title>{bar_label(count, bars - 1 - index, unit)}</title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <figure class="bars">
            <figcaption>
                {title} " · " <span class="bars-total">{total}</span>
                {if total == 1 { " report" } else { " reports" }}
            </figcaption>
            <svg
                viewBox=format!("0 0 {width} {HEIGHT}")
                preserveAspectRatio="none"
                role="img"
                aria-label=format!("{title}: {total} reports")
            >
                {rects}
            </svg>
            <div class="bars-axis">
                <span>{first}</span>
                <span>{last}</span>
            </div>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_labels_say_how_long_ago() {
        assert_eq!(bar_label(3, 0, "hour"), "3 reports this hour");
        assert_eq!(bar_label(1, 1, "day"), "1 report 1 day ago");
        assert_eq!(bar_label(0, 5, "day"), "0 reports 5 days ago");
    }
}
