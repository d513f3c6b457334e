//! How times and labels are shown, identically on the server and in the browser.

use time::OffsetDateTime;
use time::macros::format_description;

/// A timestamp as agents read it: `2026-11-28 09:30 UTC`.
pub fn timestamp(moment: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    moment
        .to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_else(|_| moment.to_string())
}

/// The value for an `<input type="datetime-local" step="1">` (UTC, to the second).
pub fn datetime_local(moment: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    moment
        .to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// Turns a `datetime-local` value (`2026-11-28T09:30`, read as UTC) into RFC 3339; other text is
/// passed on unchanged for the usual checking.
pub fn normalize_local_time(text: &str) -> String {
    let text = text.trim();
    let is_local = |length: usize| {
        text.len() == length
            && text.as_bytes().get(10) == Some(&b'T')
            && !text.ends_with('Z')
            && !text[10..].contains(['+', '-'])
    };
    if is_local(16) {
        format!("{text}:00Z")
    } else if is_local(19) {
        format!("{text}Z")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn local_form_times_become_rfc3339_in_utc() {
        assert_eq!(
            normalize_local_time("2026-11-28T09:30"),
            "2026-11-28T09:30:00Z"
        );
        assert_eq!(
            normalize_local_time("2026-11-28T09:30:15"),
            "2026-11-28T09:30:15Z"
        );
        assert_eq!(
            normalize_local_time("2026-11-28T09:30:00+01:00"),
            "2026-11-28T09:30:00+01:00"
        );
        assert_eq!(normalize_local_time("yesterday"), "yesterday");
    }

    #[test]
    fn timestamps_read_in_utc() {
        assert_eq!(
            timestamp(datetime!(2026-11-28 10:30 +01:00)),
            "2026-11-28 09:30 UTC"
        );
        assert_eq!(
            datetime_local(datetime!(2026-11-28 09:30:15 UTC)),
            "2026-11-28T09:30:15"
        );
    }
}
