//! The crash-report writer: one task that stores concurrent reports together.
//!
//! Every report is queued here. The writer takes all that are waiting (up to [`MAX_BATCH`]), reads
//! in one query the problems, tickets and receipts they concern, and stores the whole batch in one
//! transaction: one commit (one fsync on disk) for the batch, and one update per ticket however
//! many of its reports the batch holds. Each report is acknowledged only after that commit.
//!
//! A report is stored once per event id: its receipt, `crash_receipt:[project, event_id]`, is
//! written in the same transaction, so a client that sends a report again (because the answer
//! to the first send was lost) gets the same answer without a second count.
//!
//! A batch that conflicts with another writer (an agent editing one of its tickets, another
//! server storing the same new problem) is read and planned again. A batch that fails otherwise
//! is stored report by report, so one bad report does not fail the others.

use super::crashes::{CrashOutcome, CrashReport, KEPT_EVENTS_PER_TICKET, SpikeRule};
use super::records::{decode, format_time, parse_time};
use super::{MAX_ATTEMPTS, StorageError, Store, back_off, is_conflict, transaction_outcome};
use app::model::{Status, TicketRef, Urgency};
use app::queue::{NUMBER_OFFSET, queue_key, queue_key_prefix};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

/// The most reports one transaction stores.
const MAX_BATCH: usize = 256;

const READ_STATE: &str = r#"
LET $groups = (SELECT record::id(id) AS key, ticket_number FROM array::map($group_keys, |$key| type::record('crash_group', $key)) WHERE id != NONE);
SELECT record::id(id) AS key, ticket_number FROM array::map($receipt_keys, |$key| type::record('crash_receipt', $key)) WHERE id != NONE;
SELECT number, status, urgency, resolved_in_release, revision, entry_count, <string>created_at AS created_at FROM array::map($groups.ticket_number, |$number| type::record('ticket', $number));
RETURN $groups;
"#;

const STORE_BATCH: &str = r#"
BEGIN TRANSACTION;
FOR $group IN $known {
    LET $updated = IF $group.reopen {
        (UPDATE type::record('ticket', $group.number) SET
            status = 'verified',
            queue_key = $group.queue_key,
            resolution = NONE,
            resolved_in_release = NONE,
            revision = revision + 1,
            entry_count = entry_count + 1,
            updated_at = <datetime>$now,
            occurrences = (occurrences OR 0) + $group.count,
            last_seen = <datetime>$now,
            releases = array::union(releases OR [], $group.releases),
            environments = array::union(environments OR [], $group.environments),
            spike_window_count = IF spike_window_start = NONE OR spike_window_start < <datetime>$window_floor THEN $group.count ELSE (spike_window_count OR 0) + $group.count END,
            spike_window_start = IF spike_window_start = NONE OR spike_window_start < <datetime>$window_floor THEN <datetime>$now ELSE spike_window_start END
            WHERE revision = $group.revision RETURN AFTER)
    } ELSE {
        (UPDATE type::record('ticket', $group.number) SET
            occurrences = (occurrences OR 0) + $group.count,
            last_seen = <datetime>$now,
            releases = array::union(releases OR [], $group.releases),
            environments = array::union(environments OR [], $group.environments),
            spike_window_count = IF spike_window_start = NONE OR spike_window_start < <datetime>$window_floor THEN $group.count ELSE (spike_window_count OR 0) + $group.count END,
            spike_window_start = IF spike_window_start = NONE OR spike_window_start < <datetime>$window_floor THEN <datetime>$now ELSE spike_window_start END
            RETURN AFTER)
    };
    IF array::len($updated) = 0 { THROW 'stale revision: the ticket changed since it was read' };
    IF $group.reopen {
        CREATE type::record('entry', [$group.number, $group.position]) CONTENT {
            ticket_number: $group.number,
            position: $group.position,
            kind: 'regressed',
            author: 'crash reporter',
            body: $group.body,
            change_from: $group.from,
            change_to: 'verified',
            created_at: <datetime>$now
        };
    };
    FOR $report IN $group.reports {
        LET $sequence = $updated[0].occurrences - $group.count + $report.offset;
        IF $sequence <= $kept {
            CREATE type::record('crash_event', [$group.number, $sequence]) CONTENT {
                ticket_number: $group.number,
                sequence: $sequence,
                event_id: $report.event_id,
                received_at: <datetime>$now,
                payload: $report.payload
            };
        };
        CREATE type::record('crash_receipt', [$report.project, $report.event_id]) CONTENT {
            ticket_number: $group.number,
            received_at: <datetime>$now
        };
    };
    UPSERT type::record('crash_hour', [$group.number, $hour]) SET
        ticket_number = $group.number, hour = $hour, count = (count OR 0) + $group.count;
};
FOR $group IN $fresh {
    LET $number = (UPSERT ONLY sequence:ticket SET value = (value OR 0) + 1 RETURN VALUE value);
    CREATE type::record('crash_group', [$group.project, $group.fingerprint]) SET ticket_number = $number;
    CREATE type::record('ticket', $number) CONTENT {
        number: $number,
        reference: string::concat('TCK-', <string>$number),
        title: $group.title,
        description: $group.description,
        urgency: $group.urgency,
        status: 'new',
        channel: 'crash',
        customer: $group.customer,
        scope: 'internal',
        environment: $group.environment,
        occurred_at: <datetime>$now,
        manner: 'reported automatically by the application',
        queue_key: string::concat($group.queue_prefix, <string>($number + $number_offset)),
        search_words: $group.search_words,
        revision: 1,
        entry_count: 1,
        created_at: <datetime>$now,
        updated_at: <datetime>$now,
        project: $group.project,
        fingerprint: $group.fingerprint,
        occurrences: $group.count,
        first_seen: <datetime>$now,
        last_seen: <datetime>$now,
        releases: $group.releases,
        environments: $group.environments,
        spike_window_start: <datetime>$now,
        spike_window_count: $group.count
    };
    CREATE type::record('entry', [$number, 0]) CONTENT {
        ticket_number: $number,
        position: 0,
        kind: 'created',
        author: 'crash reporter',
        body: $group.summary,
        created_at: <datetime>$now
    };
    FOR $report IN $group.reports {
        IF $report.offset <= $kept {
            CREATE type::record('crash_event', [$number, $report.offset]) CONTENT {
                ticket_number: $number,
                sequence: $report.offset,
                event_id: $report.event_id,
                received_at: <datetime>$now,
                payload: $report.payload
            };
        };
        CREATE type::record('crash_receipt', [$report.project, $report.event_id]) CONTENT {
            ticket_number: $number,
            received_at: <datetime>$now
        };
    };
    UPSERT type::record('crash_hour', [$number, $hour]) SET
        ticket_number = $number, hour = $hour, count = (count OR 0) + $group.count;
};
RETURN {
    created: (SELECT record::id(id) AS key, ticket_number FROM array::map($fresh_keys, |$key| type::record('crash_group', $key)) WHERE id != NONE),
    windows: (SELECT number, spike_window_count FROM array::map($known_numbers, |$number| type::record('ticket', $number)))
};
COMMIT TRANSACTION;
"#;

/// One queued report.
struct Job {
    report: CrashReport,
    spike: SpikeRule,
    reply: oneshot::Sender<Result<CrashOutcome, StorageError>>,
}

/// The sending side of the writer's queue.
#[derive(Clone)]
pub(crate) struct IngestorHandle {
    jobs: mpsc::Sender<Job>,
}

impl IngestorHandle {
    /// Queues a report and waits until it is committed.
    pub async fn record(
        &self,
        report: CrashReport,
        spike: SpikeRule,
    ) -> Result<CrashOutcome, StorageError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                report,
                spike,
                reply,
            })
            .await
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> StorageError {
    StorageError::Corrupt("the crash-report writer has stopped".into())
}

/// Starts the writer task over a store (one without a writer of its own).
pub(crate) fn spawn(store: Store) -> IngestorHandle {
    let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
    tokio::spawn(run(store, queue));
    IngestorHandle { jobs }
}

async fn run(store: Store, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if queue.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let jobs = std::mem::take(&mut batch);
        store_jobs(&store, jobs).await;
    }
}

/// Stores a batch and answers each report; raises the tickets a spike made critical.
async fn store_jobs(store: &Store, jobs: Vec<Job>) {
    let spike = jobs[0].spike;
    let reports: Vec<&CrashReport> = jobs.iter().map(|job| &job.report).collect();
    match store_with_retries(store, &reports, spike).await {
        Ok(stored) => {
            for (job, outcome) in jobs.into_iter().zip(stored.outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
            raise(store, stored.spiked, spike).await;
        }
        Err(error) if jobs.len() > 1 => {
            tracing::warn!(%error, size = jobs.len(), "storing a batch of crash reports failed; storing them one by one");
            for job in jobs {
                let result = store_with_retries(store, &[&job.report], job.spike).await;
                let _ = job
                    .reply
                    .send(result.map_err(StorageError::from).map(|stored| {
                        let outcome = stored.outcomes[0];
                        tokio::spawn({
                            let store = store.clone();
                            async move { raise(&store, stored.spiked, spike).await }
                        });
                        outcome
                    }));
            }
        }
        Err(error) => {
            for job in jobs {
                let _ = job.reply.send(Err(StorageError::from(error.clone())));
            }
        }
    }
}

async fn raise(store: &Store, tickets: Vec<TicketRef>, spike: SpikeRule) {
    for reference in tickets {
        if let Err(error) = store.raise_for_spike(reference, spike).await {
            tracing::warn!(%error, %reference, "could not make a spiking crash ticket critical");
        }
    }
}

/// What a stored batch did.
struct Stored {
    /// One per report, in order.
    outcomes: Vec<CrashOutcome>,
    /// The tickets whose reports just reached the spike threshold.
    spiked: Vec<TicketRef>,
}

async fn store_with_retries(
    store: &Store,
    reports: &[&CrashReport],
    spike: SpikeRule,
) -> Result<Stored, surrealdb::Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = match read_state(store, reports).await {
            Ok(state) => store_once(store, reports, &state, spike).await,
            Err(error) => Err(error),
        };
        match result {
            Ok(stored) => return Ok(stored),
            Err(error)
                if (is_conflict(&error)
                    || error.message().contains("already exists")
                    || error.message().contains("stale revision"))
                    && attempt < MAX_ATTEMPTS =>
            {
                back_off(attempt).await
            }
            Err(error) => return Err(error),
        }
    }
}

/// A problem and its ticket, as read before planning.
#[derive(Deserialize)]
struct KnownGroup {
    key: (i64, String),
    ticket_number: i64,
}

#[derive(Deserialize)]
struct Receipt {
    key: (i64, String),
    ticket_number: i64,
}

#[derive(Deserialize)]
struct TicketState {
    number: u64,
    status: Status,
    urgency: Urgency,
    resolved_in_release: Option<String>,
    revision: u64,
    entry_count: u64,
    created_at: String,
}

/// What the database knows of a batch's problems, tickets and event ids.
struct State {
    groups: HashMap<(u64, String), u64>,
    receipts: HashMap<(u64, String), u64>,
    tickets: HashMap<u64, TicketState>,
}

fn corrupt(error: StorageError) -> surrealdb::Error {
    surrealdb::Error::internal(error.to_string())
}

async fn read_state(store: &Store, reports: &[&CrashReport]) -> Result<State, surrealdb::Error> {
    let group_keys: Vec<(i64, &str)> = reports
        .iter()
        .map(|report| (report.project as i64, report.fingerprint.as_str()))
        .collect();
    let receipt_keys: Vec<(i64, &str)> = reports
        .iter()
        .map(|report| (report.project as i64, report.event_id.as_str()))
        .collect();
    let mut response = store
        .db()
        .query(READ_STATE)
        .bind(("group_keys", json!(group_keys)))
        .bind(("receipt_keys", json!(receipt_keys)))
        .await?
        .check()?;
    let receipts: Vec<Value> = response.take(1)?;
    let tickets: Vec<Value> = response.take(2)?;
    let groups: Vec<Value> = response.take(3)?;
    let groups: Vec<KnownGroup> = decode(groups).map_err(corrupt)?;
    let receipts: Vec<Receipt> = decode(receipts).map_err(corrupt)?;
    let tickets: Vec<TicketState> = decode(tickets).map_err(corrupt)?;
    Ok(State {
        groups: groups
            .into_iter()
            .map(|group| ((group.key.0 as u64, group.key.1), group.ticket_number as u64))
            .collect(),
        receipts: receipts
            .into_iter()
            .map(|receipt| {
                (
                    (receipt.key.0 as u64, receipt.key.1),
                    receipt.ticket_number as u64,
                )
            })
            .collect(),
        tickets: tickets
            .into_iter()
            .map(|ticket| (ticket.number, ticket))
            .collect(),
    })
}

/// A report as bound into the batch query.
#[derive(Serialize)]
struct BoundReport<'a> {
    project: i64,
    event_id: &'a str,
    payload: &'a str,
    /// Its place among the batch's reports of the same problem, from 1.
    offset: u64,
}

/// Where each report of the batch goes.
#[derive(Clone, Copy)]
enum Destination {
    /// Already stored (its event id has a receipt, or came earlier in this batch).
    Stored { ticket_number: u64 },
    /// The problem with this index among the batch's known problems.
    Known(usize),
    /// The problem with this index among the batch's new problems; `first` created it.
    Fresh { index: usize, first: bool },
}

fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut seen = Vec::new();
    for value in values {
        if !seen.contains(&value) {
            seen.push(value);
        }
    }
    seen
}

async fn store_once(
    store: &Store,
    reports: &[&CrashReport],
    state: &State,
    spike: SpikeRule,
) -> Result<Stored, surrealdb::Error> {
    let now = OffsetDateTime::now_utc();
    let window = time::Duration::try_from(spike.window).unwrap_or(time::Duration::MINUTE);
    let mut destinations = Vec::with_capacity(reports.len());
    let mut seen_in_batch: HashMap<(u64, &str), usize> = HashMap::new();
    // Problems, in order of first appearance, with the reports of each.
    let mut known: Vec<(u64, Vec<&CrashReport>)> = Vec::new();
    let mut fresh: Vec<((u64, &str), Vec<&CrashReport>)> = Vec::new();
    for (position, report) in reports.iter().enumerate() {
        let receipt = (report.project, report.event_id.clone());
        if let Some(ticket_number) = state.receipts.get(&receipt) {
            destinations.push(Destination::Stored {
                ticket_number: *ticket_number,
            });
            continue;
        }
        if let Some(earlier) = seen_in_batch.get(&(report.project, report.event_id.as_str())) {
            // The same report twice in one batch: stored once, with the first's answer.
            let again = match destinations[*earlier] {
                Destination::Fresh { index, .. } => Destination::Fresh {
                    index,
                    first: false,
                },
                other => other,
            };
            destinations.push(again);
            continue;
        }
        seen_in_batch.insert((report.project, report.event_id.as_str()), position);
        let group = (report.project, report.fingerprint.clone());
        match state.groups.get(&group) {
            Some(number) => {
                let index = match known.iter().position(|(known, _)| known == number) {
                    Some(index) => index,
                    None => {
                        known.push((*number, Vec::new()));
                        known.len() - 1
                    }
                };
                known[index].1.push(report);
                destinations.push(Destination::Known(index));
            }
            None => {
                let key = (report.project, report.fingerprint.as_str());
                let (index, first) = match fresh.iter().position(|(fresh, _)| *fresh == key) {
                    Some(index) => (index, false),
                    None => {
                        fresh.push((key, Vec::new()));
                        (fresh.len() - 1, true)
                    }
                };
                fresh[index].1.push(report);
                destinations.push(Destination::Fresh { index, first });
            }
        }
    }
    // A stored report that came again is answered from its receipt; when the whole batch is such,
    // nothing is written.
    if known.is_empty() && fresh.is_empty() {
        return finish(destinations, &[], &HashMap::new(), Vec::new());
    }

    let bound_reports = |reports: &[&CrashReport]| -> Vec<Value> {
        reports
            .iter()
            .enumerate()
            .map(|(index, report)| {
                json!(BoundReport {
                    project: report.project as i64,
                    event_id: &report.event_id,
                    payload: &report.payload,
                    offset: index as u64 + 1,
                })
            })
            .collect()
    };
    let releases = |reports: &[&CrashReport]| {
        distinct(reports.iter().filter_map(|report| report.release.clone()))
    };
    let environments = |reports: &[&CrashReport]| {
        distinct(reports.iter().filter_map(|report| report.deployment.clone()))
    };

    let mut bound_known = Vec::with_capacity(known.len());
    for (number, group_reports) in &known {
        let ticket = state.tickets.get(number).ok_or_else(|| {
            surrealdb::Error::internal(format!("crash ticket {number} has no record"))
        })?;
        let reopening = reopening_report(ticket, group_reports);
        let mut group = json!({
            "number": *number as i64,
            "count": group_reports.len() as i64,
            "reopen": reopening.is_some(),
            "releases": releases(group_reports),
            "environments": environments(group_reports),
            "reports": bound_reports(group_reports),
        });
        if let Some(report) = reopening {
            let created_at = parse_time(&ticket.created_at).map_err(corrupt)?;
            let was = ticket.status.label().to_lowercase();
            group["revision"] = json!(ticket.revision as i64);
            group["position"] = json!(ticket.entry_count as i64);
            group["queue_key"] = json!(queue_key(
                Status::Verified,
                ticket.urgency,
                created_at,
                *number
            ));
            group["from"] = json!(ticket.status.as_str());
            group["body"] = json!(match &report.release {
                Some(release) => {
                    format!("The crash came back in release {release} after the ticket was {was}")
                }
                None => format!("The crash came back after the ticket was {was}"),
            });
        }
        bound_known.push(group);
    }
    let bound_fresh: Vec<Value> = fresh
        .iter()
        .map(|((project, fingerprint), group_reports)| {
            let first = group_reports[0];
            json!({
                "project": *project as i64,
                "fingerprint": fingerprint,
                "count": group_reports.len() as i64,
                "title": first.title,
                "description": first.description,
                "customer": first.customer,
                "environment": first.environment,
                "urgency": first.urgency,
                "queue_prefix": queue_key_prefix(Status::New, first.urgency, now),
                "search_words": app::search::ticket_words(&first.title, &first.description, &first.customer),
                "releases": releases(group_reports),
                "environments": environments(group_reports),
                "summary": format!("Reported by a crash of project {project}"),
                "reports": bound_reports(group_reports),
            })
        })
        .collect();
    let fresh_keys: Vec<(i64, &str)> = fresh
        .iter()
        .map(|((project, fingerprint), _)| (*project as i64, *fingerprint))
        .collect();
    let known_numbers: Vec<i64> = known.iter().map(|(number, _)| *number as i64).collect();

    let mut response = store
        .db()
        .query(STORE_BATCH)
        .bind(("known", Value::Array(bound_known)))
        .bind(("fresh", Value::Array(bound_fresh)))
        .bind(("fresh_keys", json!(fresh_keys)))
        .bind(("known_numbers", json!(known_numbers)))
        .bind(("now", format_time(now)))
        .bind(("window_floor", format_time(now - window)))
        .bind(("hour", now.unix_timestamp().div_euclid(3_600)))
        .bind(("kept", KEPT_EVENTS_PER_TICKET as i64))
        .bind(("number_offset", NUMBER_OFFSET as i64))
        .await
        .and_then(transaction_outcome)?;
    let index = super::returned_statement(&response);
    let returned: Option<Value> = response.take(index)?;
    let returned = returned.unwrap_or(Value::Null);
    let created: Vec<KnownGroup> =
        decode(array(&returned["created"])).map_err(corrupt)?;
    let created: HashMap<(u64, String), u64> = created
        .into_iter()
        .map(|group| ((group.key.0 as u64, group.key.1), group.ticket_number as u64))
        .collect();
    let fresh_numbers: Vec<u64> = fresh
        .iter()
        .map(|((project, fingerprint), _)| {
            created
                .get(&(*project, fingerprint.to_string()))
                .copied()
                .ok_or_else(|| surrealdb::Error::internal("a new crash problem has no ticket".into()))
        })
        .collect::<Result<_, _>>()?;

    // The spike threshold is crossed by this batch when the window held fewer reports before it.
    let mut spiked = Vec::new();
    if spike.reports > 0 {
        let windows: HashMap<i64, i64> = array(&returned["windows"])
            .iter()
            .filter_map(|row| Some((row["number"].as_i64()?, row["spike_window_count"].as_i64()?)))
            .collect();
        for (number, group_reports) in &known {
            let after = windows.get(&(*number as i64)).copied().unwrap_or(0).max(0) as u64;
            let before = after.saturating_sub(group_reports.len() as u64);
            if before < spike.reports && after >= spike.reports {
                spiked.extend(TicketRef::from_number(*number));
            }
        }
        for ((_, group_reports), number) in fresh.iter().zip(&fresh_numbers) {
            if group_reports.len() as u64 >= spike.reports {
                spiked.extend(TicketRef::from_number(*number));
            }
        }
    }
    let known_numbers: Vec<u64> = known.iter().map(|(number, _)| *number).collect();
    finish(destinations, &known_numbers, &fresh_numbers.iter().copied().enumerate().collect(), spiked)
}

fn array(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

fn finish(
    destinations: Vec<Destination>,
    known_numbers: &[u64],
    fresh_numbers: &HashMap<usize, u64>,
    spiked: Vec<TicketRef>,
) -> Result<Stored, surrealdb::Error> {
    let outcomes = destinations
        .into_iter()
        .map(|destination| {
            let (number, created) = match destination {
                Destination::Stored { ticket_number } => (Some(ticket_number), false),
                Destination::Known(index) => (known_numbers.get(index).copied(), false),
                Destination::Fresh { index, first } => (fresh_numbers.get(&index).copied(), first),
            };
            let reference = number.and_then(TicketRef::from_number).ok_or_else(|| {
                surrealdb::Error::internal(format!("crash ticket number {number:?}"))
            })?;
            Ok(CrashOutcome { reference, created })
        })
        .collect::<Result<_, surrealdb::Error>>()?;
    Ok(Stored { outcomes, spiked })
}

/// The report that reopens a resolved or closed ticket: the first that is not from a release
/// older than the one the ticket was resolved in (such a report is the old bug, only counted).
fn reopening_report<'a>(
    ticket: &TicketState,
    reports: &[&'a CrashReport],
) -> Option<&'a CrashReport> {
    if !matches!(ticket.status, Status::Resolved | Status::Closed) {
        return None;
    }
    reports.iter().copied().find(|report| {
        match (&ticket.resolved_in_release, &report.release) {
            (Some(fixed), Some(release)) => !crate::ingest::release::is_older(release, fixed),
            _ => true,
        }
    })
}
