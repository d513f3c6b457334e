//! The help desk's shared vocabulary: tickets, timeline entries and the requests that change them.
//!
//! These are the wire types of both the REST API and the server functions. Storage records live in
//! the `server` crate and are converted at its boundary.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use time::OffsetDateTime;

/// The prefix of every human-readable ticket reference (`TCK-42`).
pub const REFERENCE_PREFIX: &str = "TCK-";

/// The longest title a ticket may have, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest free text (description, note, resolution), in characters.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// The longest short field (customer, environment summary, author), in characters.
pub const MAX_SHORT_CHARS: usize = 500;

/// Declares a string-valued enum with its wire names, parsing and display in one place.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
        // Every wire name is the variant's name in snake case: utoipa cannot read the per-variant
        // names this macro passes, and documented the Rust names without this. The OpenAPI test
        // in server/tests/tickets_api.rs holds the document to `as_str`.
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$variant_meta])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name of this value.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(UnknownValue {
                        kind: stringify!($name),
                        value: text.chars().take(40).collect(),
                        expected: &[$($wire),+],
                    }),
                }
            }
        }
    };
}

/// A string that is not one of an enum's wire names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}; expected one of: {}", expected.join(", "))]
pub struct UnknownValue {
    /// The type that was being parsed.
    pub kind: &'static str,
    /// The offending text (truncated).
    pub value: String,
    /// The accepted wire names.
    pub expected: &'static [&'static str],
}

wire_enum! {
    /// How urgent a ticket is; the queue puts critical first.
    Urgency {
        Critical = "critical",
        High = "high",
        Medium = "medium",
        Low = "low",
        None = "none",
    }
}

impl Urgency {
    /// The position in the queue: 0 for critical, 4 for none.
    pub fn rank(self) -> u8 {
        match self {
            Urgency::Critical => 0,
            Urgency::High => 1,
            Urgency::Medium => 2,
            Urgency::Low => 3,
            Urgency::None => 4,
        }
    }
}

wire_enum! {
    /// Where a ticket is in its workflow.
    Status {
        New = "new",
        Verified = "verified",
        Invalid = "invalid",
        InProgress = "in_progress",
        WaitingOnCustomer = "waiting_on_customer",
        Resolved = "resolved",
        Closed = "closed",
    }
}

impl Status {
    /// Whether the ticket still needs work and so belongs in the queue.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::New | Status::Verified | Status::InProgress | Status::WaitingOnCustomer
        )
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::Verified => "Verified",
            Status::Invalid => "Invalid",
            Status::InProgress => "In progress",
            Status::WaitingOnCustomer => "Waiting on customer",
            Status::Resolved => "Resolved",
            Status::Closed => "Closed",
        }
    }
}

wire_enum! {
    /// What an agent (or one of their API tokens) may do.
    Role {
        /// Manages agents and settings, and works tickets.
        Admin = "admin",
        /// Works tickets.
        Agent = "agent",
        /// Reads only.
        Viewer = "viewer",
    }
}

impl Role {
    /// Whether this role includes everything `required` may do.
    pub fn allows(self, required: Role) -> bool {
        self.level() >= required.level()
    }

    /// The lower of two roles: what a token of `self` owned by a `other` may do.
    pub fn min(self, other: Role) -> Role {
        if self.level() <= other.level() {
            self
        } else {
            other
        }
    }

    fn level(self) -> u8 {
        match self {
            Role::Viewer => 0,
            Role::Agent => 1,
            Role::Admin => 2,
        }
    }
}

wire_enum! {
    /// How the problem reached the help desk.
    Channel {
        Phone = "phone",
        Email = "email",
        Web = "web",
        Api = "api",
        /// Filed by an application's crash reporter.
        Crash = "crash",
    }
}

wire_enum! {
    /// Whether the person who reported the problem is an employee or a customer.
    Scope {
        Internal = "internal",
        External = "external",
    }
}

wire_enum! {
    /// What a timeline entry records.
    EntryKind {
        /// The ticket was entered.
        Created = "created",
        /// A note by an agent.
        Note = "note",
        /// A contact with the customer (call, email).
        Contact = "contact",
        /// An attempt to fix the problem, with its outcome.
        Attempt = "attempt",
        /// The status changed.
        StatusChange = "status_change",
        /// The urgency changed.
        UrgencyChange = "urgency_change",
        /// The assignee changed.
        AssigneeChange = "assignee_change",
        /// Other fields were edited.
        Edit = "edit",
        /// A resolved or closed crash ticket was reopened by a new report of its crash.
        Regressed = "regressed",
    }
}

impl EntryKind {
    /// Whether a person may add this kind of entry directly (the others are the audit trail).
    pub fn is_manual(self) -> bool {
        matches!(
            self,
            EntryKind::Note | EntryKind::Contact | EntryKind::Attempt
        )
    }
}

wire_enum! {
    /// Whether a knowledge-base article is shown to agents' searches and suggestions yet.
    ArticleStatus {
        /// Being written; found only by its id and in the list of drafts.
        Draft = "draft",
        /// Found by search and offered as a suggestion.
        Published = "published",
    }
}

wire_enum! {
    /// How a fix attempt turned out.
    Outcome {
        Worked = "worked",
        Partly = "partly",
        Failed = "failed",
    }
}

/// A human-readable ticket reference such as `TCK-42`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketRef(u64);

impl TicketRef {
    /// The reference of the ticket with this sequence number (1-based).
    pub fn from_number(number: u64) -> Option<TicketRef> {
        (number > 0).then_some(TicketRef(number))
    }

    /// The sequence number behind the reference.
    pub fn number(self) -> u64 {
        self.0
    }
}

impl fmt::Display for TicketRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{REFERENCE_PREFIX}{}", self.0)
    }
}

/// Text that is not a ticket reference.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a ticket reference; expected the form TCK-123")]
pub struct InvalidReference(pub String);

impl FromStr for TicketRef {
    type Err = InvalidReference;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = || InvalidReference(text.chars().take(40).collect());
        let digits = text
            .strip_prefix(REFERENCE_PREFIX)
            .or_else(|| text.strip_prefix("tck-"))
            .ok_or_else(invalid)?;
        if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let number: u64 = digits.parse().map_err(|_| invalid())?;
        TicketRef::from_number(number).ok_or_else(invalid)
    }
}

impl Serialize for TicketRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for TicketRef {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A ticket as the API and the dashboard show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Ticket {
    /// The unique reference, e.g. `TCK-42`.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "TCK-42"))]
    pub reference: TicketRef,
    /// A one-line summary.
    pub title: String,
    /// The problem in detail.
    pub description: String,
    /// How urgent it is.
    pub urgency: Urgency,
    /// Where it is in the workflow.
    pub status: Status,
    /// How it reached the help desk.
    pub channel: Channel,
    /// The customer or employee who reported it.
    pub customer: String,
    /// The customer record it is filed for, if an agent linked one (see `/api/v1/customers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<u64>,
    /// Internal (employee) or external (customer).
    pub scope: Scope,
    /// The reporter's environment: system, versions, configuration.
    pub environment: String,
    /// When the problem occurred.
    #[serde(with = "time::serde::rfc3339::option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>, format = DateTime))]
    pub occurred_at: Option<OffsetDateTime>,
    /// How the problem occurred: what the reporter was doing.
    pub manner: String,
    /// The agent working on it, if any.
    pub assignee: Option<String>,
    /// How it was resolved, once it is.
    pub resolution: Option<String>,
    /// The release that contains the fix, if the resolution named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_in_release: Option<String>,
    /// When it was entered.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
    /// When it last changed.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub updated_at: OffsetDateTime,
    /// What the crash reporter knows, for a ticket with channel `crash`.
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub crash: Option<CrashFacts>,
}

/// The crash-report side of a crash ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CrashFacts {
    /// The id of the project that reported it.
    pub project: u64,
    /// The problem's fingerprint: every report with it counts on this ticket.
    pub fingerprint: String,
    /// How many reports arrived, exactly.
    pub occurrences: u64,
    /// When the first report arrived.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub first_seen: OffsetDateTime,
    /// When the latest report arrived.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub last_seen: OffsetDateTime,
    /// The releases that reported it, in the order first seen: the most recent
    /// [`MAX_CRASH_RELEASES`].
    pub releases: Vec<String>,
    /// The environments that reported it, likewise at most [`MAX_CRASH_RELEASES`].
    pub environments: Vec<String>,
    /// How many releases reported it that `releases` no longer lists.
    #[serde(default)]
    pub releases_omitted: u64,
    /// How many environments reported it that `environments` no longer lists.
    #[serde(default)]
    pub environments_omitted: u64,
    /// How many distinct users (by email, id, user name or address) its reports named, exactly.
    #[serde(default)]
    pub affected_users: u64,
    /// The customers its reports named (the reporter's `customer`, a `customer` tag), as sent;
    /// at most [`MAX_CRASH_CUSTOMERS`].
    #[serde(default)]
    pub customers: Vec<String>,
}

/// The most releases, and the most environments, a crash ticket lists (the most recently first
/// seen); a ticket's record must never outgrow what one transaction may write.
pub const MAX_CRASH_RELEASES: usize = 50;

/// The most customer names a crash ticket keeps.
pub const MAX_CRASH_CUSTOMERS: usize = 100;

/// One entry of a ticket's timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Entry {
    /// What the entry records.
    pub kind: EntryKind,
    /// Who wrote it or made the change.
    pub author: String,
    /// The text of a note, contact or attempt; a summary for audit entries.
    pub body: String,
    /// For attempts: how it turned out.
    pub outcome: Option<Outcome>,
    /// For changes: the value before.
    pub from: Option<String>,
    /// For changes: the value after.
    pub to: Option<String>,
    /// When it happened.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = DateTime))]
    pub created_at: OffsetDateTime,
}

/// A ticket with its whole timeline, oldest entry first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketDetail {
    /// The ticket.
    #[serde(flatten)]
    pub ticket: Ticket,
    /// Its timeline.
    pub entries: Vec<Entry>,
}

/// One page of the queue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TicketPage {
    /// Tickets in queue order: most urgent first, then oldest first.
    pub items: Vec<Ticket>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Serde names every value as `as_str` does (the snake-case rule the OpenAPI document reads).
    fn serialises_as_its_wire_name<T: Serialize + Copy + fmt::Display>(all: &[T]) {
        for value in all {
            assert_eq!(
                serde_json::to_value(value).unwrap(),
                serde_json::Value::String(value.to_string())
            );
        }
    }

    #[test]
    fn every_value_travels_by_its_wire_name() {
        serialises_as_its_wire_name(Urgency::ALL);
        serialises_as_its_wire_name(Status::ALL);
        serialises_as_its_wire_name(Role::ALL);
        serialises_as_its_wire_name(Channel::ALL);
        serialises_as_its_wire_name(Scope::ALL);
        serialises_as_its_wire_name(EntryKind::ALL);
        serialises_as_its_wire_name(ArticleStatus::ALL);
        serialises_as_its_wire_name(Outcome::ALL);
    }

    #[test]
    fn references_round_trip_and_reject_anything_else() {
        let reference: TicketRef = "TCK-42".parse().unwrap();
        assert_eq!(reference.number(), 42);
        assert_eq!(reference.to_string(), "TCK-42");
        assert_eq!("tck-7".parse::<TicketRef>().unwrap().to_string(), "TCK-7");
        for text in [
            "",
            "TCK-",
            "TCK-0",
            "TCK--1",
            "TCK-1a",
            "42",
            "TCK-9999999999999999",
            "TCK-١٢",
        ] {
            assert!(text.parse::<TicketRef>().is_err(), "{text:?}");
        }
    }

    #[test]
    fn enums_use_their_wire_names_everywhere() {
        for urgency in Urgency::ALL {
            assert_eq!(urgency.as_str().parse::<Urgency>(), Ok(*urgency));
            assert_eq!(serde_json::to_value(urgency).unwrap(), urgency.as_str());
        }
        assert_eq!(
            serde_json::to_value(Status::WaitingOnCustomer).unwrap(),
            "waiting_on_customer"
        );
        let error = "urgent".parse::<Urgency>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "`urgent` is not a valid Urgency; expected one of: critical, high, medium, low, none"
        );
    }

    #[test]
    fn urgency_ranks_put_critical_first() {
        let ranks: Vec<u8> = Urgency::ALL.iter().map(|urgency| urgency.rank()).collect();
        assert_eq!(ranks, [0, 1, 2, 3, 4]);
    }
}
