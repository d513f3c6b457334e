//! The numbered records' identifiers as types, each with the one parser every surface uses.
//!
//! A customer, article or project is numbered from 1. An identifier arrives as text in a REST
//! path, a server function's form or a DSN; [`FromStr`] is the only way from that text to an id:
//! ASCII digits only (no sign, no spaces), not zero, at most 19 digits. Text that is not an id
//! names no record, so surfaces answer it as they answer an unknown id (404), and the message
//! quotes at most 40 characters of it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Text that is not the identifier of any record of a kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no {kind} {text} exists")]
pub struct NotAnId {
    /// `customer`, `article` or `project`.
    pub kind: &'static str,
    /// The text, cut to 40 characters.
    pub text: String,
}

/// The longest identifier accepted, in digits (`u64` holds every 19-digit number).
const MAX_DIGITS: usize = 19;

fn parse_number(kind: &'static str, text: &str) -> Result<u64, NotAnId> {
    let refused = || NotAnId {
        kind,
        text: text.chars().take(40).collect(),
    };
    if text.is_empty() || text.len() > MAX_DIGITS || !text.bytes().all(|byte| byte.is_ascii_digit())
    {
        return Err(refused());
    }
    text.parse::<u64>()
        .ok()
        .filter(|number| *number > 0)
        .ok_or_else(refused)
}

macro_rules! numbered_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "u64", into = "u64")]
        pub struct $name(u64);

        impl $name {
            /// What these records are called in messages.
            pub const KIND: &'static str = $kind;

            /// The id of record `number`; none for 0, which numbers no record.
            pub fn new(number: u64) -> Option<$name> {
                (number > 0).then_some($name(number))
            }

            /// The record's number.
            pub fn number(self) -> u64 {
                self.0
            }
        }

        impl FromStr for $name {
            type Err = NotAnId;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                parse_number($kind, text).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(formatter, "{}", self.0)
            }
        }

        impl TryFrom<u64> for $name {
            type Error = NotAnId;

            fn try_from(number: u64) -> Result<Self, Self::Error> {
                $name::new(number).ok_or(NotAnId {
                    kind: $kind,
                    text: number.to_string(),
                })
            }
        }

        impl From<$name> for u64 {
            fn from(id: $name) -> u64 {
                id.0
            }
        }
    };
}

numbered_id!(
    /// A customer's identifier.
    CustomerId,
    "customer"
);
numbered_id!(
    /// A knowledge-base article's identifier.
    ArticleId,
    "article"
);
numbered_id!(
    /// A project's identifier, as its DSN carries it.
    ProjectId,
    "project"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_digits_only_and_never_zero() {
        assert_eq!("42".parse::<CustomerId>().map(CustomerId::number), Ok(42));
        assert_eq!(
            "0042".parse::<ArticleId>().map(ArticleId::number),
            Ok(42),
            "leading zeros are the same number"
        );
        for text in [
            "", "0", "000", " 1", "1 ", "+1", "-1", "1.0", "1e3", "١", "x",
        ] {
            assert!(text.parse::<CustomerId>().is_err(), "{text:?} is refused");
        }
        assert!("1".repeat(20).parse::<ProjectId>().is_err(), "too long");
        assert_eq!(
            "18446744073709551615"
                .parse::<ProjectId>()
                .map(u64::from)
                .ok(),
            None,
            "20 digits are refused even when they fit"
        );
        assert_eq!(
            "1234567890123456789".parse::<ProjectId>().map(u64::from),
            Ok(1_234_567_890_123_456_789)
        );
    }

    #[test]
    fn a_refusal_names_the_kind_and_quotes_at_most_forty_characters() {
        let error = "x".repeat(100).parse::<CustomerId>().unwrap_err();
        assert_eq!(error.kind, "customer");
        assert_eq!(error.text.chars().count(), 40);
        assert_eq!(
            error.to_string(),
            format!("no customer {} exists", "x".repeat(40))
        );
    }

    #[test]
    fn ids_travel_as_numbers_and_zero_is_refused_on_the_way_in() {
        let id = CustomerId::new(7).expect("an id");
        assert_eq!(serde_json::to_string(&id).unwrap(), "7");
        assert_eq!(serde_json::from_str::<CustomerId>("7").unwrap(), id);
        assert!(serde_json::from_str::<CustomerId>("0").is_err());
        assert_eq!(CustomerId::new(0), None);
    }
}
