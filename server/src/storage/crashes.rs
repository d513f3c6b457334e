//! Crash reports in SurrealDB: one ticket per problem, an exact count of its reports, and a
//! bounded number of stored events.
//!
//! The group of a problem is the record `crash_group:[project, fingerprint]`, whose id makes it
//! unique: of two servers (or tasks) that see a new problem at the same moment, one creates the
//! group and its ticket, and the other's transaction fails and is retried as an occurrence of the
//! ticket that now exists. Every report is one transaction, committed before it is acknowledged.

use super::records::format_time;
use super::{MAX_ATTEMPTS, StorageError, Store, back_off, is_conflict, transaction_outcome};
use app::model::{Status, TicketRef, Urgency};
use app::queue::{NUMBER_OFFSET, queue_key_prefix};
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
    /// The event as received (JSON), kept for inspection.
    pub payload: String,
}

/// What storing a report did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CrashOutcome {
    /// The problem's ticket.
    pub reference: TicketRef,
    /// Whether this report created it.
    pub created: bool,
}

const NEW_PROBLEM: &str = r#"
BEGIN TRANSACTION;
LET $number = (UPSERT ONLY sequence:ticket SET value = (value OR 0) + 1 RETURN VALUE value);
CREATE type::record('crash_group', [$report.project, $report.fingerprint]) SET ticket_number = $number;
CREATE type::record('ticket', $number) CONTENT {
    number: $number,
    reference: string::concat('TCK-', <string>$number),
    title: $report.title,
    description: $report.description,
    urgency: $report.urgency,
    status: 'new',
    channel: 'crash',
    customer: $report.customer,
    scope: 'internal',
    environment: $report.environment,
    occurred_at: <datetime>$now,
    manner: 'reported automatically by the application',
    queue_key: string::concat($queue_prefix, <string>($number + $number_offset)),
    search_words: $search_words,
    revision: 1,
    entry_count: 1,
    created_at: <datetime>$now,
    updated_at: <datetime>$now,
    project: $report.project,
    fingerprint: $report.fingerprint,
    occurrences: 1,
    first_seen: <datetime>$now,
    last_seen: <datetime>$now,
    releases: $releases,
    environments: $environments
};
CREATE type::record('entry', [$number, 0]) CONTENT {
    ticket_number: $number,
    position: 0,
    kind: 'created',
    author: 'crash reporter',
    body: $summary,
    created_at: <datetime>$now
};
CREATE type::record('crash_event', [$number, 1]) CONTENT {
    ticket_number: $number,
    sequence: 1,
    event_id: $report.event_id,
    received_at: <datetime>$now,
    payload: $report.payload
};
RETURN $number;
COMMIT TRANSACTION;
"#;

const NEW_OCCURRENCE: &str = r#"
BEGIN TRANSACTION;
LET $ticket = (UPDATE ONLY type::record('ticket', $number) SET
    occurrences = (occurrences OR 0) + 1,
    last_seen = <datetime>$now,
    releases = array::union(releases OR [], $releases),
    environments = array::union(environments OR [], $environments),
    spike_window_count = IF spike_window_start = NONE OR spike_window_start < <datetime>$window_floor THEN 1 ELSE (spike_window_count OR 0) + 1 END,
    spike_window_start = IF spike_window_start = NONE OR spike_window_start < <datetime>$window_floor THEN <datetime>$now ELSE spike_window_start END
    RETURN AFTER);
IF $ticket.occurrences <= $kept {
    CREATE type::record('crash_event', [$number, $ticket.occurrences]) CONTENT {
        ticket_number: $number,
        sequence: $ticket.occurrences,
        event_id: $report.event_id,
        received_at: <datetime>$now,
        payload: $report.payload
    };
};
RETURN $ticket.spike_window_count;
COMMIT TRANSACTION;
"#;

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

const REGRESSION: &str = r#"
BEGIN TRANSACTION;
LET $updated = (UPDATE type::record('ticket', $number) SET
    status = 'verified',
    queue_key = $queue_key,
    resolution = NONE,
    resolved_in_release = NONE,
    occurrences = (occurrences OR 0) + 1,
    last_seen = <datetime>$now,
    releases = array::union(releases OR [], $releases),
    environments = array::union(environments OR [], $environments),
    revision = revision + 1,
    entry_count = entry_count + 1,
    updated_at = <datetime>$now
    WHERE revision = $revision RETURN AFTER);
IF array::len($updated) = 0 { THROW 'stale revision: the ticket changed since it was read' };
CREATE type::record('entry', [$number, $position]) CONTENT {
    ticket_number: $number,
    position: $position,
    kind: 'regressed',
    author: 'crash reporter',
    body: $body,
    change_from: $from,
    change_to: 'verified',
    created_at: <datetime>$now
};
IF $updated[0].occurrences <= $kept {
    CREATE type::record('crash_event', [$number, $updated[0].occurrences]) CONTENT {
        ticket_number: $number,
        sequence: $updated[0].occurrences,
        event_id: $report.event_id,
        received_at: <datetime>$now,
        payload: $report.payload
    };
};
COMMIT TRANSACTION;
"#;

impl Store {
    /// Stores one report: a new ticket for a new problem, an occurrence of its ticket otherwise,
    /// and a regression (the ticket back to verified, said on its timeline) when that ticket was
    /// resolved or closed.
    pub async fn record_crash(
        &self,
        report: &CrashReport,
        spike: SpikeRule,
    ) -> Result<CrashOutcome, StorageError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = match self
                .crash_ticket(report.project, &report.fingerprint)
                .await?
            {
                Some(number) => self
                    .count_occurrence(number, report, spike)
                    .await
                    .map(|()| (number, false)),
                None => self.open_problem(report).await.map(|number| (number, true)),
            };
            match result {
                Ok((number, created)) => {
                    let reference = TicketRef::from_number(number).ok_or_else(|| {
                        StorageError::Corrupt(format!("crash ticket number {number}"))
                    })?;
                    return Ok(CrashOutcome { reference, created });
                }
                // Another report of the same new problem won the race: count this one on it.
                // A ticket changed between its reading and its regression is read again.
                Err(error)
                    if (is_conflict(&error)
                        || error.message().contains("already exists")
                        || error.message().contains("stale revision"))
                        && attempt < MAX_ATTEMPTS =>
                {
                    back_off(attempt).await
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    async fn crash_ticket(
        &self,
        project: u64,
        fingerprint: &str,
    ) -> Result<Option<u64>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT VALUE ticket_number FROM type::record('crash_group', [$project, $fingerprint])")
            .bind(("project", project as i64))
            .bind(("fingerprint", fingerprint.to_string()))
            .await?
            .check()?;
        let numbers: Vec<i64> = response.take(0)?;
        Ok(numbers.first().map(|number| *number as u64))
    }

    async fn open_problem(&self, report: &CrashReport) -> Result<u64, surrealdb::Error> {
        let now = OffsetDateTime::now_utc();
        let mut response = self
            .db()
            .query(NEW_PROBLEM)
            .bind(("report", serde_json::to_value(report).unwrap_or_default()))
            .bind(("now", format_time(now)))
            .bind((
                "queue_prefix",
                queue_key_prefix(Status::New, report.urgency, now),
            ))
            .bind(("number_offset", NUMBER_OFFSET as i64))
            .bind((
                "search_words",
                app::search::ticket_words(&report.title, &report.description, &report.customer),
            ))
            .bind((
                "releases",
                report.release.iter().cloned().collect::<Vec<_>>(),
            ))
            .bind((
                "environments",
                report.deployment.iter().cloned().collect::<Vec<_>>(),
            ))
            .bind((
                "summary",
                format!("Reported by a crash of project {}", report.project),
            ))
            .await
            .and_then(transaction_outcome)?;
        let index = super::returned_statement(&response);
        let number: Option<i64> = response.take(index)?;
        number
            .map(|number| number as u64)
            .ok_or_else(|| surrealdb::Error::internal("the new crash ticket has no number".into()))
    }

    /// Counts a report on its ticket, reopening the ticket if it was resolved or closed.
    async fn count_occurrence(
        &self,
        number: u64,
        report: &CrashReport,
        spike: SpikeRule,
    ) -> Result<(), surrealdb::Error> {
        let reference = TicketRef::from_number(number)
            .ok_or_else(|| surrealdb::Error::internal(format!("crash ticket number {number}")))?;
        let ticket = self
            .load(reference)
            .await
            .map_err(|error| surrealdb::Error::internal(error.to_string()))?;
        // Resolved in release X: a report from an older release is the old bug, not a
        // regression; it is counted and the ticket stays resolved.
        let from_before_the_fix = match (&ticket.resolved_in_release, &report.release) {
            (Some(fixed), Some(release)) => crate::ingest::release::is_older(release, fixed),
            _ => false,
        };
        if !matches!(ticket.status, Status::Resolved | Status::Closed) || from_before_the_fix {
            let in_window = self.add_occurrence(number, report, spike).await?;
            if spike.reports > 0 && in_window == spike.reports {
                self.raise_for_spike(reference, spike).await?;
            }
            return Ok(());
        }
        let now = OffsetDateTime::now_utc();
        let created_at = super::records::parse_time(&ticket.created_at)
            .map_err(|error| surrealdb::Error::internal(error.to_string()))?;
        let was = ticket.status.label().to_lowercase();
        let body = match &report.release {
            Some(release) => {
                format!("The crash came back in release {release} after the ticket was {was}")
            }
            None => format!("The crash came back after the ticket was {was}"),
        };
        self.db()
            .query(REGRESSION)
            .bind(("number", number as i64))
            .bind(("revision", ticket.revision as i64))
            .bind(("position", ticket.entry_count as i64))
            .bind((
                "queue_key",
                app::queue::queue_key(Status::Verified, ticket.urgency, created_at, number),
            ))
            .bind(("from", ticket.status.as_str()))
            .bind(("body", body))
            .bind(("report", serde_json::to_value(report).unwrap_or_default()))
            .bind(("now", format_time(now)))
            .bind(("kept", KEPT_EVENTS_PER_TICKET as i64))
            .bind((
                "releases",
                report.release.iter().cloned().collect::<Vec<_>>(),
            ))
            .bind((
                "environments",
                report.deployment.iter().cloned().collect::<Vec<_>>(),
            ))
            .await
            .and_then(transaction_outcome)?;
        Ok(())
    }

    /// Makes a ticket critical after a spike of reports, saying so on its timeline (once: a
    /// ticket that is already critical stays as it is).
    async fn raise_for_spike(
        &self,
        reference: TicketRef,
        spike: SpikeRule,
    ) -> Result<(), surrealdb::Error> {
        let internal = |error: String| surrealdb::Error::internal(error);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let ticket = self
                .load(reference)
                .await
                .map_err(|error| internal(error.to_string()))?;
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

    /// Counts a report; answers how many reports the current spike window holds.
    async fn add_occurrence(
        &self,
        number: u64,
        report: &CrashReport,
        spike: SpikeRule,
    ) -> Result<u64, surrealdb::Error> {
        let now = OffsetDateTime::now_utc();
        let window = time::Duration::try_from(spike.window).unwrap_or(time::Duration::MINUTE);
        let mut response = self
            .db()
            .query(NEW_OCCURRENCE)
            .bind(("window_floor", format_time(now - window)))
            .bind(("number", number as i64))
            .bind(("report", serde_json::to_value(report).unwrap_or_default()))
            .bind(("now", format_time(now)))
            .bind(("kept", KEPT_EVENTS_PER_TICKET as i64))
            .bind((
                "releases",
                report.release.iter().cloned().collect::<Vec<_>>(),
            ))
            .bind((
                "environments",
                report.deployment.iter().cloned().collect::<Vec<_>>(),
            ))
            .await
            .and_then(transaction_outcome)?;
        let index = super::returned_statement(&response);
        let in_window: Option<i64> = response.take(index)?;
        Ok(in_window.unwrap_or(0).max(0) as u64)
    }

    /// A project's number, if `public_key` is its key (compared in constant time).
    pub async fn project_with_key(
        &self,
        project: u64,
        public_key: &str,
    ) -> Result<Option<String>, StorageError> {
        use subtle::ConstantTimeEq;
        let mut response = self
            .db()
            .query(
                "SELECT number, name, public_key, created_at FROM type::record('project', $number)",
            )
            .bind(("number", project as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        let Some(record) = super::records::decode::<super::ProjectRecord>(rows)?.pop() else {
            return Ok(None);
        };
        let matches: bool = record
            .public_key
            .as_bytes()
            .ct_eq(public_key.as_bytes())
            .into();
        Ok(matches.then_some(record.name))
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
