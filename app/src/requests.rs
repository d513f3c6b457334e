//! Requests that change tickets, as clients send them, and their parsing into checked values.
//!
//! Parsing happens once, here, at the edge: the storage layer only ever sees checked values.

use crate::fields::{FieldError, checked_text, checked_time};
use crate::ids::CustomerId;
use crate::model::{
    Channel, EntryKind, MAX_SHORT_CHARS, MAX_TEXT_CHARS, MAX_TITLE_CHARS, Outcome, Scope, Status,
    Urgency,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Deserializes a field that may be present as `null`: absent is `None`, `null` is `Some(None)`.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// A new ticket as a client sends it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// A one-line summary (required).
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub title: String,
    /// The problem in detail.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub description: String,
    /// Defaults to `medium`.
    pub urgency: Option<Urgency>,
    /// Defaults to `api` over the REST API and `phone` in the dashboard.
    pub channel: Option<Channel>,
    /// The customer or employee who reported it; required unless `customer_id` is given, whose
    /// name it then takes.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 500))]
    pub customer: String,
    /// The customer record to file it for (it must exist).
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(minimum = 1, exclusive_maximum = 1e19))]
    pub customer_id: Option<u64>,
    /// Defaults to `external`.
    pub scope: Option<Scope>,
    /// The reporter's environment.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub environment: String,
    /// When the problem occurred (RFC 3339).
    pub occurred_at: Option<String>,
    /// How the problem occurred.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub manner: String,
}

/// A new ticket after its fields were checked.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketDraft {
    /// Trimmed, non-empty title.
    pub title: String,
    /// Trimmed description.
    pub description: String,
    /// Urgency.
    pub urgency: Urgency,
    /// Channel.
    pub channel: Channel,
    /// Trimmed customer; empty only when `customer_id` is given, whose name the desk fills in.
    pub customer: String,
    /// The customer record it is filed for.
    pub customer_id: Option<CustomerId>,
    /// Scope.
    pub scope: Scope,
    /// Environment.
    pub environment: String,
    /// When it occurred.
    pub occurred_at: Option<OffsetDateTime>,
    /// How it occurred.
    pub manner: String,
}

/// A customer id from a client's JSON: 0 names no customer.
fn checked_customer_id(id: u64) -> Result<CustomerId, FieldError> {
    CustomerId::new(id)
        .ok_or_else(|| FieldError::new("customer_id", format!("no customer {id} exists")))
}

impl NewTicket {
    /// Checks every field; the default channel depends on the client (`api` or `dashboard`).
    /// Who entered it is not among them: the desk writes the caller's name.
    pub fn parse(self, default_channel: Channel) -> Result<TicketDraft, FieldError> {
        if self.channel == Some(Channel::Crash) {
            return Err(FieldError::new(
                "channel",
                "crash tickets are filed by crash reports, not by hand",
            ));
        }
        Ok(TicketDraft {
            title: checked_text("title", &self.title, MAX_TITLE_CHARS, true)?,
            description: checked_text("description", &self.description, MAX_TEXT_CHARS, false)?,
            urgency: self.urgency.unwrap_or(Urgency::Medium),
            channel: self.channel.unwrap_or(default_channel),
            customer: checked_text(
                "customer",
                &self.customer,
                MAX_SHORT_CHARS,
                self.customer_id.is_none(),
            )?,
            customer_id: self.customer_id.map(checked_customer_id).transpose()?,
            scope: self.scope.unwrap_or(Scope::External),
            environment: checked_text("environment", &self.environment, MAX_TEXT_CHARS, false)?,
            occurred_at: checked_time("occurred_at", self.occurred_at.as_deref())?,
            manner: checked_text("manner", &self.manner, MAX_TEXT_CHARS, false)?,
        })
    }
}

/// Changes to a ticket's fields; absent fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TicketPatch {
    /// New title.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 200))]
    pub title: Option<String>,
    /// New description.
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub description: Option<String>,
    /// New urgency (recorded on the timeline).
    pub urgency: Option<Urgency>,
    /// New customer.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 500))]
    pub customer: Option<String>,
    /// The customer record to file it for (it must exist); `null` unlinks it.
    #[serde(default, deserialize_with = "present")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<u64>, minimum = 1, exclusive_maximum = 1e19))]
    pub customer_id: Option<Option<u64>>,
    /// New scope.
    pub scope: Option<Scope>,
    /// New environment.
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub environment: Option<String>,
    /// New time of occurrence (RFC 3339); an empty string clears it.
    pub occurred_at: Option<String>,
    /// New manner of occurrence.
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub manner: Option<String>,
    /// The email of the agent to assign; an empty string unassigns (recorded on the timeline).
    #[cfg_attr(feature = "ssr", schema(max_length = 254))]
    pub assignee: Option<String>,
}

/// A checked patch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckedPatch {
    /// New title.
    pub title: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New urgency.
    pub urgency: Option<Urgency>,
    /// New customer.
    pub customer: Option<String>,
    /// New customer record; `Some(None)` unlinks it.
    pub customer_id: Option<Option<CustomerId>>,
    /// New scope.
    pub scope: Option<Scope>,
    /// New environment.
    pub environment: Option<String>,
    /// New time of occurrence; `Some(None)` clears it.
    pub occurred_at: Option<Option<OffsetDateTime>>,
    /// New manner.
    pub manner: Option<String>,
    /// `Some(None)` unassigns.
    pub assignee: Option<Option<String>>,
}

impl TicketPatch {
    /// Checks every present field. A patch without any (`{}`, or only `null`s where `null` means
    /// "unchanged") changes nothing.
    pub fn parse(self) -> Result<CheckedPatch, FieldError> {
        let text = |field: &str, value: Option<String>, max: usize, required: bool| {
            value
                .map(|value| checked_text(field, &value, max, required))
                .transpose()
        };
        let assignee = match self.assignee {
            None => None,
            Some(email) if email.trim().is_empty() => Some(None),
            Some(email) => Some(Some(
                crate::fields::checked_email(&email)
                    .map_err(|error| FieldError::new("assignee", error.message))?,
            )),
        };
        let occurred_at = match self.occurred_at.as_deref() {
            None => None,
            Some(text) => Some(checked_time("occurred_at", Some(text))?),
        };
        let patch = CheckedPatch {
            title: text("title", self.title, MAX_TITLE_CHARS, true)?,
            description: text("description", self.description, MAX_TEXT_CHARS, false)?,
            urgency: self.urgency,
            customer: text("customer", self.customer, MAX_SHORT_CHARS, true)?,
            customer_id: self
                .customer_id
                .map(|id| id.map(checked_customer_id).transpose())
                .transpose()?,
            scope: self.scope,
            environment: text("environment", self.environment, MAX_TEXT_CHARS, false)?,
            occurred_at,
            manner: text("manner", self.manner, MAX_TEXT_CHARS, false)?,
            assignee,
        };
        Ok(patch)
    }
}

/// A note, customer contact or fix attempt for the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEntry {
    /// `note`, `contact` or `attempt`.
    pub kind: EntryKind,
    /// What was said or tried.
    #[cfg_attr(feature = "ssr", schema(min_length = 1, max_length = 20000))]
    pub body: String,
    /// Required for attempts: `worked`, `partly` or `failed`.
    pub outcome: Option<Outcome>,
}

/// A checked timeline entry.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryDraft {
    /// Note, contact or attempt.
    pub kind: EntryKind,
    /// Non-empty text.
    pub body: String,
    /// Present exactly for attempts.
    pub outcome: Option<Outcome>,
}

impl NewEntry {
    /// Checks the entry: only manual kinds, and an outcome exactly for attempts.
    pub fn parse(self) -> Result<EntryDraft, FieldError> {
        if !self.kind.is_manual() {
            return Err(FieldError::new(
                "kind",
                format!(
                    "`{}` entries are written by the system; use note, contact or attempt",
                    self.kind
                ),
            ));
        }
        let outcome = match (self.kind, self.outcome) {
            (EntryKind::Attempt, None) => {
                return Err(FieldError::new(
                    "outcome",
                    "is required for an attempt: worked, partly or failed",
                ));
            }
            (EntryKind::Attempt, outcome) => outcome,
            (_, Some(_)) => {
                return Err(FieldError::new("outcome", "only attempts have an outcome"));
            }
            (_, None) => None,
        };
        Ok(EntryDraft {
            kind: self.kind,
            body: checked_text("body", &self.body, MAX_TEXT_CHARS, true)?,
            outcome,
        })
    }
}

/// A request to move a ticket to another status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TransitionRequest {
    /// The status to move to.
    pub to: Status,
    /// Required when moving to `resolved`.
    #[cfg_attr(feature = "ssr", schema(max_length = 20000))]
    pub resolution: Option<String>,
    /// When moving to `resolved`, optionally: the release that contains the fix. A crash report
    /// from an older release then counts on the ticket without reopening it.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(max_length = 500))]
    pub release: Option<String>,
}

/// A checked transition request.
#[derive(Clone, Debug, PartialEq)]
pub struct TransitionDraft {
    /// Target status.
    pub to: Status,
    /// Trimmed resolution text, if any was given.
    pub resolution: Option<String>,
    /// The release with the fix, for a resolution.
    pub release: Option<String>,
}

impl TransitionRequest {
    /// Checks the text fields; the workflow rules are checked against the ticket later.
    pub fn parse(self) -> Result<TransitionDraft, FieldError> {
        let resolution = self
            .resolution
            .map(|text| checked_text("resolution", &text, MAX_TEXT_CHARS, false))
            .transpose()?
            .filter(|text| !text.is_empty());
        let release = self
            .release
            .map(|text| checked_text("release", &text, MAX_SHORT_CHARS, false))
            .transpose()?
            .filter(|text| !text.is_empty());
        if release.is_some() && self.to != Status::Resolved {
            return Err(FieldError::new(
                "release",
                "only a resolution names a release",
            ));
        }
        Ok(TransitionDraft {
            to: self.to,
            resolution,
            release,
        })
    }
}

/// Which statuses a queue listing shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum StatusFilter {
    /// Every status that still needs work.
    #[default]
    Open,
    /// Every ticket.
    All,
    /// One status.
    Only(Status),
}

impl StatusFilter {
    /// Parses `open`, `all` or a status name; empty means open.
    pub fn parse(text: Option<&str>) -> Result<StatusFilter, FieldError> {
        match text.map(str::trim).unwrap_or("") {
            "" | "open" => Ok(StatusFilter::Open),
            "all" => Ok(StatusFilter::All),
            other => other.parse().map(StatusFilter::Only).map_err(
                |error: crate::model::UnknownValue| {
                    FieldError::new("status", format!("{error}, open or all"))
                },
            ),
        }
    }

    /// The statuses this filter admits.
    pub fn statuses(self) -> Vec<Status> {
        match self {
            StatusFilter::Open => Status::ALL
                .iter()
                .copied()
                .filter(|status| status.is_open())
                .collect(),
            StatusFilter::All => Status::ALL.to_vec(),
            StatusFilter::Only(status) => vec![status],
        }
    }
}

/// The default and largest page sizes of a queue listing.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// The largest page a client may ask for.
pub const MAX_PAGE_SIZE: usize = 200;

/// A checked queue query.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct QueueQuery {
    /// Which statuses.
    pub status: StatusFilter,
    /// Only this urgency.
    pub urgency: Option<Urgency>,
    /// Words that must all be among a ticket's words (see [`crate::search`]); empty for any.
    pub words: Vec<String>,
    /// Only tickets assigned to the agent with this email.
    pub assignee: Option<String>,
    /// Only tickets that came in by this channel (`crash` for crash reports).
    pub channel: Option<Channel>,
    /// Page size, 1 to [`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// Continue after this cursor.
    pub cursor: Option<String>,
}

/// A queue query as it arrives in a query string; every field is text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RawQueueQuery {
    /// `open` (default), `all` or a status.
    pub status: Option<String>,
    /// An urgency, or empty for all.
    pub urgency: Option<String>,
    /// Words to find in title, description or customer.
    pub q: Option<String>,
    /// `me`, or an agent's email: only tickets assigned to them.
    pub assignee: Option<String>,
    /// A channel, or empty for all.
    pub channel: Option<String>,
    /// Page size.
    pub limit: Option<String>,
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

impl RawQueueQuery {
    /// Checks every parameter; `assignee=me` means the agent with the email `me`.
    pub fn parse(self, me: &str) -> Result<QueueQuery, FieldError> {
        let assignee = match self.assignee.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("me") => Some(me.to_string()),
            Some(email) => Some(
                crate::fields::checked_email(email)
                    .map_err(|error| FieldError::new("assignee", error.message))?,
            ),
        };
        let urgency = match self.urgency.as_deref().map(str::trim) {
            None | Some("") | Some("all") => None,
            Some(text) => Some(text.parse().map_err(|error: crate::model::UnknownValue| {
                FieldError::new("urgency", error.to_string())
            })?),
        };
        let channel = match self.channel.as_deref().map(str::trim) {
            None | Some("") | Some("all") => None,
            Some(text) => Some(text.parse().map_err(|error: crate::model::UnknownValue| {
                FieldError::new("channel", error.to_string())
            })?),
        };
        let limit = match self.limit.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_PAGE_SIZE,
            Some(text) => match text.parse::<usize>() {
                Ok(limit) if (1..=MAX_PAGE_SIZE).contains(&limit) => limit,
                _ => {
                    return Err(FieldError::new(
                        "limit",
                        format!("must be a number from 1 to {MAX_PAGE_SIZE}"),
                    ));
                }
            },
        };
        let text = checked_text("q", self.q.as_deref().unwrap_or(""), MAX_SHORT_CHARS, false)?;
        let words = if text.is_empty() {
            Vec::new()
        } else {
            crate::search::query_words(&text)?
        };
        let cursor = match self.cursor.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(cursor) if crate::queue::is_valid_cursor(cursor) => Some(cursor.to_string()),
            Some(_) => {
                return Err(FieldError::new(
                    "cursor",
                    "is not a cursor this server gave out",
                ));
            }
        };
        Ok(QueueQuery {
            status: StatusFilter::parse(self.status.as_deref())?,
            urgency,
            words,
            assignee,
            channel,
            limit,
            cursor,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn minimal() -> NewTicket {
        NewTicket {
            title: "Printer offline".into(),
            customer: "Ada".into(),
            ..NewTicket::default()
        }
    }

    #[test]
    fn a_minimal_ticket_gets_the_client_defaults() {
        let draft = minimal().parse(Channel::Phone).unwrap();
        assert_eq!(draft.urgency, Urgency::Medium);
        assert_eq!(draft.channel, Channel::Phone);
        assert_eq!(draft.scope, Scope::External);
        assert_eq!(draft.occurred_at, None);
    }

    #[test]
    fn text_is_trimmed_and_checked() {
        let mut request = minimal();
        request.title = "  Printer offline \n".into();
        assert_eq!(
            request.parse(Channel::Api).unwrap().title,
            "Printer offline"
        );

        let mut request = minimal();
        request.customer = "Ada\u{0}".into();
        assert_eq!(request.parse(Channel::Api).unwrap_err().field, "customer");

        let mut request = minimal();
        request.description = "é".repeat(MAX_TEXT_CHARS + 1);
        let error = request.parse(Channel::Api).unwrap_err();
        assert_eq!(error.field, "description");
        assert!(error.message.contains("20000"), "{error}");
    }

    #[test]
    fn the_customer_may_be_left_out_only_for_a_customer_record() {
        let mut request = minimal();
        request.customer = "  ".into();
        assert_eq!(
            request.clone().parse(Channel::Api).unwrap_err().field,
            "customer"
        );
        request.customer_id = Some(3);
        let draft = request.clone().parse(Channel::Api).unwrap();
        assert_eq!(
            (draft.customer.as_str(), draft.customer_id),
            ("", CustomerId::new(3))
        );
        request.customer_id = Some(0);
        assert_eq!(
            request.parse(Channel::Api).unwrap_err().field,
            "customer_id"
        );
    }

    #[test]
    fn times_are_rfc3339_and_normalised_to_utc() {
        let mut request = minimal();
        request.occurred_at = Some("2026-11-28T10:00:00+01:00".into());
        let draft = request.parse(Channel::Api).unwrap();
        assert_eq!(draft.occurred_at.unwrap().offset(), time::UtcOffset::UTC);
        assert_eq!(draft.occurred_at.unwrap().hour(), 9);
        let mut request = minimal();
        request.occurred_at = Some("28/11/2026".into());
        assert_eq!(
            request.parse(Channel::Api).unwrap_err().field,
            "occurred_at"
        );
    }

    #[test]
    fn attempts_need_an_outcome_and_only_attempts_have_one() {
        let entry = |kind, outcome| NewEntry {
            kind,
            body: "Rebooted".into(),
            outcome,
        };
        assert!(
            entry(EntryKind::Attempt, Some(Outcome::Failed))
                .parse()
                .is_ok()
        );
        assert_eq!(
            entry(EntryKind::Attempt, None).parse().unwrap_err().field,
            "outcome"
        );
        assert_eq!(
            entry(EntryKind::Note, Some(Outcome::Worked))
                .parse()
                .unwrap_err()
                .field,
            "outcome"
        );
        assert_eq!(
            entry(EntryKind::Edit, None).parse().unwrap_err().field,
            "kind"
        );
    }

    #[test]
    fn an_empty_patch_changes_nothing_and_an_empty_assignee_unassigns() {
        assert_eq!(
            TicketPatch::default().parse().unwrap(),
            CheckedPatch::default()
        );
        let patch = TicketPatch {
            assignee: Some("  ".into()),
            ..TicketPatch::default()
        }
        .parse()
        .unwrap();
        assert_eq!(patch.assignee, Some(None));
    }

    #[test]
    fn queue_queries_are_checked_field_by_field() {
        let query = RawQueueQuery {
            q: Some(" Printer tray-2 ".into()),
            ..RawQueueQuery::default()
        }
        .parse("ada@example.com")
        .unwrap();
        assert_eq!(query.words, ["printer", "tray", "2"]);
        assert_eq!(query.limit, DEFAULT_PAGE_SIZE);
        assert_eq!(query.status, StatusFilter::Open);
        let bad = RawQueueQuery {
            status: Some("asleep".into()),
            ..RawQueueQuery::default()
        }
        .parse("ada@example.com")
        .unwrap_err();
        assert_eq!(bad.field, "status");
        assert!(
            StatusFilter::Open
                .statuses()
                .iter()
                .all(|status| status.is_open())
        );
        assert_eq!(StatusFilter::All.statuses().len(), Status::ALL.len());
    }

    #[test]
    fn a_search_needs_words_and_no_more_than_the_limit() {
        let parse = |q: &str| {
            RawQueueQuery {
                q: Some(q.into()),
                ..RawQueueQuery::default()
            }
            .parse("ada@example.com")
        };
        assert_eq!(parse("  ").unwrap().words, Vec::<String>::new());
        assert_eq!(parse("?!").unwrap_err().field, "q");
        assert_eq!(parse("a b c d e f g h i").unwrap_err().field, "q");
        assert_eq!(parse("a b c d e f g h").unwrap().words.len(), 8);
    }
}
