//! The queue order: most urgent first, then oldest first, then by reference.
//!
//! Each ticket stores a `queue_key`: one letter for its status, then a suffix whose byte order is
//! the queue order (urgency rank, creation time in microseconds, ticket number). All tickets of a
//! status therefore form one range of the key index, already sorted; a view over several statuses
//! merges one short range scan per status. The suffix of the last ticket on a page is the cursor.

use crate::model::{Status, Urgency};
use time::OffsetDateTime;

/// Added to the ticket number so that every number has the same width in the key.
pub const NUMBER_OFFSET: u64 = 1_000_000_000_000;

const RANK_DIGITS: usize = 1;
const MICROS_DIGITS: usize = 17;
const NUMBER_DIGITS: usize = 13;

/// The letter that starts the keys of a status.
pub fn status_letter(status: Status) -> char {
    match status {
        Status::New => 'a',
        Status::Verified => 'b',
        Status::Invalid => 'c',
        Status::InProgress => 'd',
        Status::WaitingOnCustomer => 'e',
        Status::Resolved => 'f',
        Status::Closed => 'g',
    }
}

/// The part of the key known before the ticket has a number.
pub fn queue_key_prefix(status: Status, urgency: Urgency, created_at: OffsetDateTime) -> String {
    let micros = (created_at.unix_timestamp_nanos() / 1_000).max(0);
    format!(
        "{}{}{micros:0width$}",
        status_letter(status),
        urgency.rank(),
        width = MICROS_DIGITS
    )
}

/// The full key of a ticket.
pub fn queue_key(
    status: Status,
    urgency: Urgency,
    created_at: OffsetDateTime,
    number: u64,
) -> String {
    format!(
        "{}{}",
        queue_key_prefix(status, urgency, created_at),
        NUMBER_OFFSET + number
    )
}

/// The part of a key that orders the queue across statuses; also the page cursor.
pub fn order_of_key(key: &str) -> &str {
    key.get(1..).unwrap_or("")
}

/// Whether text has the shape of a cursor (a key without its status letter).
pub fn is_valid_cursor(cursor: &str) -> bool {
    cursor.len() == RANK_DIGITS + MICROS_DIGITS + NUMBER_DIGITS
        && cursor.bytes().all(|byte| byte.is_ascii_digit())
}

/// The exclusive key bounds of one status's range in a listing: keys strictly between them.
pub fn key_range(
    status: Status,
    urgency: Option<Urgency>,
    cursor: Option<&str>,
) -> (String, String) {
    let letter = status_letter(status);
    let mut lower = match urgency {
        Some(urgency) => format!("{letter}{}", urgency.rank()),
        None => letter.to_string(),
    };
    if let Some(cursor) = cursor {
        lower = lower.max(format!("{letter}{cursor}"));
    }
    let upper = match urgency {
        Some(urgency) => format!("{letter}{}", urgency.rank() + 1),
        None => format!("{letter}~"),
    };
    (lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn keys_sort_by_urgency_then_age_then_number() {
        let early = datetime!(2026-01-01 08:00 UTC);
        let late = datetime!(2026-06-01 08:00 UTC);
        let key = |urgency, created, number| queue_key(Status::New, urgency, created, number);
        let mut keys = [
            (key(Urgency::Low, early, 1), "low early"),
            (key(Urgency::Critical, late, 2), "critical late"),
            (key(Urgency::Critical, early, 30), "critical early 30"),
            (key(Urgency::Critical, early, 4), "critical early 4"),
            (key(Urgency::None, early, 5), "none early"),
        ];
        keys.sort();
        let order: Vec<_> = keys.iter().map(|(_, name)| *name).collect();
        assert_eq!(
            order,
            [
                "critical early 4",
                "critical early 30",
                "critical late",
                "low early",
                "none early"
            ]
        );
    }

    #[test]
    fn each_status_has_its_own_range_and_the_order_ignores_the_status() {
        let created = datetime!(2026-11-28 09:30 UTC);
        let new = queue_key(Status::New, Urgency::High, created, 7);
        let closed = queue_key(Status::Closed, Urgency::High, created, 7);
        assert_ne!(new, closed);
        assert_eq!(order_of_key(&new), order_of_key(&closed));
        let (lower, upper) = key_range(Status::Closed, None, None);
        assert!(lower < closed && closed < upper);
        let (lower, upper) = key_range(Status::New, None, None);
        assert!(!(lower < closed && closed < upper));
    }

    #[test]
    fn urgency_and_cursor_narrow_the_range() {
        let created = datetime!(2026-11-28 09:30 UTC);
        let high = queue_key(Status::New, Urgency::High, created, 1);
        let low = queue_key(Status::New, Urgency::Low, created, 2);
        let (lower, upper) = key_range(Status::New, Some(Urgency::High), None);
        assert!(lower < high && high < upper);
        assert!(!(lower < low && low < upper));
        let (lower, _) = key_range(Status::New, None, Some(order_of_key(&high)));
        assert!(lower >= high, "the cursor itself is excluded");
        assert!(lower < low);
    }

    #[test]
    fn every_cursor_is_valid_and_other_text_is_not() {
        let key = queue_key(
            Status::Verified,
            Urgency::High,
            datetime!(2026-11-28 09:30 UTC),
            987_654,
        );
        assert!(is_valid_cursor(order_of_key(&key)));
        assert!(!is_valid_cursor(&key));
        assert!(!is_valid_cursor(""));
        assert!(!is_valid_cursor("' OR 1=1 --"));
    }
}
