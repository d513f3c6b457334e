//! The queue order: most urgent first, then oldest first, then by reference.
//!
//! Each ticket stores a `queue_key` string whose byte order is the queue order, so that the
//! database can page through the queue by comparing keys. The key is also the page cursor.

use crate::model::Urgency;
use time::OffsetDateTime;

/// Added to the ticket number so that every number has the same width in the key.
pub const NUMBER_OFFSET: u64 = 1_000_000_000_000;

const RANK_DIGITS: usize = 1;
const MICROS_DIGITS: usize = 17;
const NUMBER_DIGITS: usize = 13;

/// The part of the key known before the ticket has a number: urgency rank and creation time.
pub fn queue_key_prefix(urgency: Urgency, created_at: OffsetDateTime) -> String {
    let micros = (created_at.unix_timestamp_nanos() / 1_000).max(0);
    format!("{}{micros:0width$}", urgency.rank(), width = MICROS_DIGITS)
}

/// The full key of a ticket.
pub fn queue_key(urgency: Urgency, created_at: OffsetDateTime, number: u64) -> String {
    format!("{}{}", queue_key_prefix(urgency, created_at), NUMBER_OFFSET + number)
}

/// Whether text has the shape of a queue key, so it can be used as a cursor.
pub fn is_valid_cursor(cursor: &str) -> bool {
    cursor.len() == RANK_DIGITS + MICROS_DIGITS + NUMBER_DIGITS
        && cursor.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn keys_sort_by_urgency_then_age_then_number() {
        let early = datetime!(2026-01-01 08:00 UTC);
        let late = datetime!(2026-06-01 08:00 UTC);
        let mut keys = vec![
            (queue_key(Urgency::Low, early, 1), "low early"),
            (queue_key(Urgency::Critical, late, 2), "critical late"),
            (queue_key(Urgency::Critical, early, 30), "critical early 30"),
            (queue_key(Urgency::Critical, early, 4), "critical early 4"),
            (queue_key(Urgency::None, early, 5), "none early"),
        ];
        keys.sort();
        let order: Vec<_> = keys.iter().map(|(_, name)| *name).collect();
        assert_eq!(
            order,
            ["critical early 4", "critical early 30", "critical late", "low early", "none early"]
        );
    }

    #[test]
    fn every_key_is_a_valid_cursor_and_other_text_is_not() {
        let key = queue_key(Urgency::High, datetime!(2026-11-28 09:30 UTC), 987_654);
        assert!(is_valid_cursor(&key));
        assert!(!is_valid_cursor(""));
        assert!(!is_valid_cursor("' OR 1=1 --"));
        assert!(!is_valid_cursor(&key[1..]));
    }
}
