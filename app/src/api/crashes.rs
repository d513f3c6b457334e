//! Server functions for what crash reports left on a ticket.

#[cfg(feature = "ssr")]
use super::backend;
use leptos::prelude::*;

/// A crash ticket's reports per hour over the charted days.
#[server(prefix = "/rpc", endpoint = "crash_occurrences")]
pub async fn crash_occurrences(
    reference: String,
) -> Result<crate::crash::OccurrenceHistory, ServerFnError> {
    let reference = backend::reference(&reference)?;
    let since = time::OffsetDateTime::now_utc()
        .unix_timestamp()
        .div_euclid(3_600)
        - crate::crash::CHARTED_DAYS * 24;
    backend::crashes()?
        .crash_occurrences(&backend::caller(), reference, since)
        .await
        .map_err(backend::failure)
}

/// The most recent stored report of a crash ticket.
#[server(prefix = "/rpc", endpoint = "latest_crash_event")]
pub async fn latest_crash_event(
    reference: String,
) -> Result<Option<crate::crash::StoredCrashEvent>, ServerFnError> {
    let reference = backend::reference(&reference)?;
    backend::crashes()?
        .latest_crash_event(&backend::caller(), reference)
        .await
        .map_err(backend::failure)
}
