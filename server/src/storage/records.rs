//! Stored records as they come back from SurrealDB, and their conversion to the wire types.

use super::StorageError;
use app::model::{
    Channel, CrashFacts, Entry, EntryKind, Outcome, Scope, Status, Ticket, TicketRef, Urgency,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A row of the `ticket` table.
#[derive(Clone, Debug, Deserialize)]
pub struct TicketRecord {
    pub number: u64,
    pub title: String,
    pub description: String,
    pub urgency: Urgency,
    pub status: Status,
    pub channel: Channel,
    pub customer: String,
    #[serde(default)]
    pub customer_id: Option<u64>,
    pub scope: Scope,
    pub environment: String,
    #[serde(default)]
    pub occurred_at: Option<String>,
    pub manner: String,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub resolution: Option<String>,
    #[serde(default)]
    pub resolved_in_release: Option<String>,
    pub queue_key: String,
    pub revision: u64,
    pub entry_count: u64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub project: Option<u64>,
    #[serde(default)]
    pub fingerprint: Option<String>,
    #[serde(default)]
    pub occurrences: Option<u64>,
    #[serde(default)]
    pub affected_users: Option<u64>,
    #[serde(default)]
    pub first_seen: Option<String>,
    #[serde(default)]
    pub last_seen: Option<String>,
    #[serde(default)]
    pub releases: Option<Vec<String>>,
    #[serde(default)]
    pub environments: Option<Vec<String>>,
    #[serde(default)]
    pub releases_omitted: Option<u64>,
    #[serde(default)]
    pub environments_omitted: Option<u64>,
    #[serde(default)]
    pub customer_keys: Option<Vec<String>>,
}

/// A row of the `entry` table.
#[derive(Clone, Debug, Deserialize)]
pub struct EntryRecord {
    pub kind: EntryKind,
    pub author: String,
    pub body: String,
    #[serde(default)]
    pub outcome: Option<Outcome>,
    #[serde(default, rename = "change_from")]
    pub from: Option<String>,
    #[serde(default, rename = "change_to")]
    pub to: Option<String>,
    pub created_at: String,
}

/// Parses a datetime as SurrealDB renders it.
pub fn parse_time(text: &str) -> Result<OffsetDateTime, StorageError> {
    OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|error| StorageError::Corrupt(format!("datetime `{text}`: {error}")))
}

/// Formats a datetime for binding (cast with `<datetime>` in the query).
pub fn format_time(moment: OffsetDateTime) -> String {
    moment
        .format(&Rfc3339)
        .unwrap_or_else(|_| moment.to_string())
}

/// Reads query results into records.
pub fn decode<T: DeserializeOwned>(rows: Vec<serde_json::Value>) -> Result<Vec<T>, StorageError> {
    rows.into_iter()
        .map(|row| {
            serde_json::from_value(row).map_err(|error| StorageError::Corrupt(error.to_string()))
        })
        .collect()
}

impl TicketRecord {
    /// The ticket's reference.
    pub fn reference(&self) -> Result<TicketRef, StorageError> {
        TicketRef::from_number(self.number)
            .ok_or_else(|| StorageError::Corrupt(format!("ticket number {}", self.number)))
    }

    /// The wire form.
    pub fn into_ticket(self) -> Result<Ticket, StorageError> {
        let reference = self.reference()?;
        let crash = match (
            self.project,
            self.fingerprint,
            self.first_seen,
            self.last_seen,
        ) {
            (Some(project), Some(fingerprint), Some(first_seen), Some(last_seen)) => {
                Some(CrashFacts {
                    project,
                    fingerprint,
                    occurrences: self.occurrences.unwrap_or(0),
                    first_seen: parse_time(&first_seen)?,
                    last_seen: parse_time(&last_seen)?,
                    releases: self.releases.unwrap_or_default(),
                    environments: self.environments.unwrap_or_default(),
                    releases_omitted: self.releases_omitted.unwrap_or(0),
                    environments_omitted: self.environments_omitted.unwrap_or(0),
                    affected_users: self.affected_users.unwrap_or(0),
                    customers: self.customer_keys.unwrap_or_default(),
                })
            }
            _ => None,
        };
        Ok(Ticket {
            crash,
            reference,
            occurred_at: self.occurred_at.as_deref().map(parse_time).transpose()?,
            created_at: parse_time(&self.created_at)?,
            updated_at: parse_time(&self.updated_at)?,
            title: self.title,
            description: self.description,
            urgency: self.urgency,
            status: self.status,
            channel: self.channel,
            customer: self.customer,
            customer_id: self.customer_id,
            scope: self.scope,
            environment: self.environment,
            manner: self.manner,
            assignee: self.assignee,
            resolution: self.resolution,
            resolved_in_release: self.resolved_in_release,
        })
    }
}

impl EntryRecord {
    /// The wire form.
    pub fn into_entry(self) -> Result<Entry, StorageError> {
        Ok(Entry {
            created_at: parse_time(&self.created_at)?,
            kind: self.kind,
            author: self.author,
            body: self.body,
            outcome: self.outcome,
            from: self.from,
            to: self.to,
        })
    }
}
