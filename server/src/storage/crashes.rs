//! Crash reports in SurrealDB: one ticket per problem, an exact count of its reports, and a
//! bounded number of stored events.
//!
//! The group of a problem is the record `crash_group:[project, fingerprint]`, whose id makes it
//! unique: of two servers that see a new problem at the same moment, one creates the group and
//! its ticket, and the other's transaction fails and is retried as an occurrence of the ticket
//! that now exists. Reports are stored by the crash-report writer (`ingestor.rs`), in shared
//! transactions committed before any of their reports is acknowledged.

use super::records::format_time;
use super::{MAX_ATTEMPTS, StorageError, Store, back_off, is_conflict, transaction_outcome};
use app::model::{TicketRef, Urgency};
use serde::Serialize;
use time::OffsetDateTime;

/// How many full events are kept per ticket; counts are exact whatever this is.
pub const KEPT_EVENTS_PER_TICKET: u64 = 100;

/// A report, ready to be stored.
#[derive(Clone, Debug, Serialize)]
pub struct CrashReport {
    /// The project that sent it.
    pub project: u64,
    /// Its problem.
    pub fingerprint: String,
    /// The client's event id.
    pub event_id: String,
    /// For a new ticket: its title.
    pub title: String,
    /// For a new ticket: what the report says, in words.
    pub description: String,
    /// For a new ticket: the reporting project or the affected user.
    pub customer: String,
    /// For a new ticket: the release, environment and platform.
    pub environment: String,
    /// For a new ticket: its urgency.
    pub urgency: Urgency,
    /// The release that reported it, if any.
    pub release: Option<String>,
    /// The environment that reported it, if any.
    pub deployment: Option<String>,
    /// The user it names (email, id, user name or address), if any.
    pub user: Option<String>,
    /// The customer it names (its `customer` tag), as [`app::customers::identity_key`] has it.
    pub customer_key: Option<String>,
    /// The event as received (JSON), kept for inspection.
    pub payload: String,
    /// Whether this report reopens its problem's ticket, resolved in a release (the second
    /// argument), given the release it came from (the first) and when the project's releases
    /// were first known (the third): the desk's rule, applied by the writer to the ticket as its
    /// batch reads it.
    #[serde(skip)]
    pub reopens: ReopenRule,
}

/// When a project's releases were first known (first reported, or first named as a fix), by
/// name: those its batch concerns.
pub type ReleaseTimes = std::collections::HashMap<String, OffsetDateTime>;

/// See [`CrashReport::reopens`].
pub type ReopenRule =
    fn(report_release: Option<&str>, fixed_in: Option<&str>, known_since: &ReleaseTimes) -> bool;

/// What storing a report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrashOutcome {
    /// The problem's ticket.
    pub reference: TicketRef,
    /// Whether this report created it.
    pub created: bool,
}

const SPIKE: &str = r#"
BEGIN TRANSACTION;
LET $updated = (UPDATE type::record('ticket', $number) SET
    urgency = 'critical',
    queue_key = $queue_key,
    revision = revision + 1,
    entry_count = entry_count + 1,
    updated_at = <datetime>$now
    WHERE revision = $revision RETURN AFTER);
IF array::len($updated) = 0 { THROW 'stale revision: the ticket changed since it was read' };
CREATE type::record('entry', [$number, $position]) CONTENT {
    ticket_number: $number,
    position: $position,
    kind: 'urgency_change',
    author: 'crash reporter',
    body: $body,
    change_from: $from,
    change_to: 'critical',
    created_at: <datetime>$now
};
COMMIT TRANSACTION;
"#;

/// When a burst of reports makes a problem critical: `reports` within `window` (0 reports: never).
#[derive(Clone, Copy, Debug)]
pub struct SpikeRule {
    /// How many reports.
    pub reports: u64,
    /// Within how long.
    pub window: std::time::Duration,
}

impl Store {
    /// Stores one report: a new ticket for a new problem, an occurrence of its ticket otherwise,
    /// and a regression (the ticket back to verified, said on its timeline) when that ticket was
    /// resolved or closed. A report whose event id was stored before is not counted again.
    /// Concurrent reports are stored together by the crash-report writer (`ingestor.rs`).
    pub async fn record_crash(
        &self,
        report: CrashReport,
        spike: SpikeRule,
    ) -> Result<CrashOutcome, StorageError> {
        match &self.ingestor {
            Some(ingestor) => ingestor.record(report, spike).await,
            None => Err(StorageError::Corrupt(
                "this store has no crash-report writer".into(),
            )),
        }
    }

    /// Makes a ticket critical after a spike of reports, saying so on its timeline (once: a
    /// ticket that is already critical stays as it is).
    pub(crate) async fn raise_for_spike(
        &self,
        reference: TicketRef,
        spike: SpikeRule,
    ) -> Result<(), surrealdb::Error> {
        let internal = |error: String| surrealdb::Error::internal(error);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let ticket = self
                .load_ticket(reference)
                .await
                .map_err(|error| internal(error.to_string()))?
                .ok_or_else(|| internal(format!("{reference} does not exist")))?;
            if ticket.urgency == Urgency::Critical {
                return Ok(());
            }
            let created_at = super::records::parse_time(&ticket.created_at)
                .map_err(|error| internal(error.to_string()))?;
            let minutes = spike.window.as_secs().div_ceil(60);
            let result = self
                .db()
                .query(SPIKE)
                .bind(("number", reference.number() as i64))
                .bind(("revision", ticket.revision as i64))
                .bind(("position", ticket.entry_count as i64))
                .bind((
                    "queue_key",
                    app::queue::queue_key(
                        ticket.status,
                        Urgency::Critical,
                        created_at,
                        reference.number(),
                    ),
                ))
                .bind(("from", ticket.urgency.as_str()))
                .bind((
                    "body",
                    format!(
                        "A spike: {} reports within {minutes} minutes",
                        spike.reports
                    ),
                ))
                .bind(("now", format_time(OffsetDateTime::now_utc())))
                .await
                .and_then(transaction_outcome);
            match result {
                Ok(_) => return Ok(()),
                Err(error)
                    if (is_conflict(&error) || error.message().contains("stale revision"))
                        && attempt < MAX_ATTEMPTS =>
                {
                    back_off(attempt).await
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// A project, read from the database at most once per [`PROJECT_KEY_TTL`] (crash reports
    /// present its key with every request).
    pub async fn recent_project(
        &self,
        project: u64,
    ) -> Result<Option<super::ProjectRecord>, StorageError> {
        self.project_read_within(project, PROJECT_KEY_TTL).await
    }

    /// A project as read from the database at most `max_age` ago (a key another server just
    /// replaced is then found without waiting out [`PROJECT_KEY_TTL`]).
    pub async fn project_read_within(
        &self,
        project: u64,
        max_age: std::time::Duration,
    ) -> Result<Option<super::ProjectRecord>, StorageError> {
        if let Some(known) = self.project_keys.get(project, max_age) {
            return Ok(known);
        }
        let mut response = self
            .db()
            .query(format!(
                "SELECT {} FROM type::record('project', $number)",
                super::projects::PROJECT_FIELDS
            ))
            .bind(("number", project as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        let record = super::records::decode::<super::ProjectRecord>(rows)?.pop();
        self.project_keys.put(project, record.clone());
        Ok(record)
    }
}

/// How long a project's key is trusted from memory before it is read again.
pub const PROJECT_KEY_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// How long a project that does not exist is remembered as missing, so that reports sent to it
/// (a deleted project's SDKs, someone guessing numbers) cost no database read each.
pub const UNKNOWN_PROJECT_TTL: std::time::Duration = std::time::Duration::from_secs(5);

type Remembered<T> = std::collections::HashMap<u64, (std::time::Instant, T)>;

/// Projects read recently, by number, and numbers recently found to name no project (kept
/// apart, so that guessed numbers never push out real projects).
#[derive(Clone, Default)]
pub(crate) struct ProjectKeyCache(
    std::sync::Arc<std::sync::Mutex<(Remembered<super::ProjectRecord>, Remembered<()>)>>,
);

impl ProjectKeyCache {
    /// At most this many projects, and as many missing numbers, are remembered; past it, that
    /// memory starts over.
    const CAPACITY: usize = 10_000;

    /// `Some(record)` for a remembered project, `Some(None)` for a number remembered to name
    /// none, `None` when it must be read.
    fn get(
        &self,
        project: u64,
        max_age: std::time::Duration,
    ) -> Option<Option<super::ProjectRecord>> {
        let cache = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (known, missing) = &*cache;
        if let Some((_, record)) = known
            .get(&project)
            .filter(|(read_at, _)| read_at.elapsed() < max_age.min(PROJECT_KEY_TTL))
        {
            return Some(Some(record.clone()));
        }
        missing
            .get(&project)
            .filter(|(read_at, _)| read_at.elapsed() < max_age.min(UNKNOWN_PROJECT_TTL))
            .map(|_| None)
    }

    fn put(&self, project: u64, record: Option<super::ProjectRecord>) {
        let mut cache = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (known, missing) = &mut *cache;
        let now = std::time::Instant::now();
        match record {
            Some(record) => {
                if known.len() >= Self::CAPACITY {
                    known.clear();
                }
                missing.remove(&project);
                known.insert(project, (now, record));
            }
            None => {
                if missing.len() >= Self::CAPACITY {
                    missing.clear();
                }
                missing.insert(project, (now, ()));
            }
        }
    }

    /// Forgets what is remembered of a project (it was just created or changed here).
    pub(crate) fn forget(&self, project: u64) {
        let mut cache = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        cache.0.remove(&project);
        cache.1.remove(&project);
    }
}

/// One stored event, as read back.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct StoredEvent {
    /// Its place among the ticket's reports, from 1.
    pub sequence: u64,
    /// The client's event id.
    pub event_id: String,
    /// When it arrived.
    pub received_at: String,
    /// The event as received.
    pub payload: String,
}

/// How many receipts one transaction removes.
const RECEIPT_BATCH: i64 = 1_000;

impl Store {
    /// Removes the receipts of reports received before `before`, a bounded batch per
    /// transaction; answers how many. A report sent again after its receipt went is counted
    /// again.
    pub async fn remove_receipts_before(
        &self,
        before: OffsetDateTime,
    ) -> Result<u64, StorageError> {
        let mut removed = 0;
        let mut attempt = 0;
        loop {
            let result = self
                .db()
                .query("DELETE (SELECT VALUE id FROM crash_receipt WHERE received_at < <datetime>$before LIMIT $batch) RETURN BEFORE")
                .bind(("before", format_time(before)))
                .bind(("batch", RECEIPT_BATCH))
                .await
                .and_then(|response| response.check());
            let deleted: Vec<serde_json::Value> = match result {
                Ok(mut response) => response.take(0)?,
                Err(error) if is_conflict(&error) && attempt < MAX_ATTEMPTS => {
                    attempt += 1;
                    back_off(attempt).await;
                    continue;
                }
                Err(error) => return Err(error.into()),
            };
            removed += deleted.len() as u64;
            if (deleted.len() as i64) < RECEIPT_BATCH {
                return Ok(removed);
            }
        }
    }
}

impl Store {
    /// A page of a ticket's stored events, oldest first, after `after` (a sequence number).
    pub async fn stored_crash_events(
        &self,
        number: u64,
        after: u64,
        limit: usize,
    ) -> Result<Vec<StoredEvent>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT sequence, event_id, received_at, payload FROM crash_event WHERE ticket_number = $number AND sequence > $after ORDER BY sequence LIMIT $limit")
            .bind(("number", number as i64))
            .bind(("after", after as i64))
            .bind(("limit", limit as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        super::records::decode(rows)
    }
}

impl Store {
    /// The most recent stored event of a ticket.
    pub async fn latest_stored_crash_event(
        &self,
        number: u64,
    ) -> Result<Option<StoredEvent>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT sequence, event_id, received_at, payload FROM crash_event WHERE ticket_number = $number ORDER BY sequence DESC LIMIT 1")
            .bind(("number", number as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        Ok(super::records::decode(rows)?.pop())
    }
}

impl Store {
    /// A ticket's reports per hour from `since_hour` (hours since the epoch) on, oldest first.
    pub async fn crash_hours(
        &self,
        number: u64,
        since_hour: i64,
    ) -> Result<Vec<app::crash::HourCount>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT hour, count FROM crash_hour WHERE ticket_number = $number AND hour >= $since ORDER BY hour")
            .bind(("number", number as i64))
            .bind(("since", since_hour))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        super::records::decode(rows)
    }
}

impl StoredEvent {
    /// The wire form, with the payload parsed (`null` if it no longer parses).
    pub fn into_wire(self) -> app::crash::StoredCrashEvent {
        app::crash::StoredCrashEvent {
            sequence: self.sequence,
            event_id: self.event_id,
            received_at: self.received_at,
            event: serde_json::from_str(&self.payload).unwrap_or(serde_json::Value::Null),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(number: u64) -> super::super::ProjectRecord {
        serde_json::from_value(serde_json::json!({
            "number": number, "name": "Shop", "public_key": "k", "created_at": "2026-12-01T00:00:00Z"
        }))
        .unwrap()
    }

    #[test]
    fn a_number_naming_no_project_is_remembered_apart_until_forgotten() {
        let cache = ProjectKeyCache::default();
        let ttl = PROJECT_KEY_TTL;
        assert!(cache.get(7, ttl).is_none(), "nothing is known at first");
        cache.put(7, None);
        assert_eq!(cache.get(7, ttl).map(|found| found.is_none()), Some(true));
        // A project created here is read afresh.
        cache.forget(7);
        assert!(cache.get(7, ttl).is_none());
        // Guessed numbers never push out real projects.
        cache.put(1, Some(record(1)));
        for guess in 100..100 + ProjectKeyCache::CAPACITY as u64 + 10 {
            cache.put(guess, None);
        }
        assert_eq!(
            cache.get(1, ttl).flatten().map(|found| found.number),
            Some(1)
        );
        // Asked for a fresher read than the one remembered, it must be read again.
        assert!(cache.get(1, std::time::Duration::ZERO).is_none());
    }
}
