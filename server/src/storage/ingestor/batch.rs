//! One batch of crash reports: what the database knows of it, the plan (which reports count on
//! which ticket, which reopen one, which open a new problem, which were stored before), and the
//! transaction that carries the plan out.

use super::Stored;
use super::queries::{READ_RELEASE_TIMES, READ_STATE, store_batch_query};
use crate::storage::crashes::{
    CrashOutcome, CrashReport, KEPT_EVENTS_PER_TICKET, ReleaseTimes, SpikeRule,
};
use crate::storage::records::{decode, format_time, parse_time};
use crate::storage::{StorageError, Store, transaction_outcome};
use app::model::{Status, TicketRef, Urgency};
use app::queue::{NUMBER_OFFSET, queue_key, queue_key_prefix};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::HashMap;
use surrealdb::types::{RecordId, SurrealValue, Value as DbValue};
use time::OffsetDateTime;

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
pub(super) struct TicketState {
    pub(super) number: u64,
    pub(super) status: Status,
    pub(super) urgency: Urgency,
    pub(super) resolved_in_release: Option<String>,
    #[serde(default)]
    pub(super) occurrences: u64,
    pub(super) revision: u64,
    pub(super) entry_count: u64,
    pub(super) created_at: String,
}

/// What the database knows of a batch's problems, tickets and event ids, and, for the problems
/// whose tickets were resolved in a release, when their project first knew the releases
/// concerned.
pub(super) struct State {
    pub(super) groups: HashMap<(u64, String), u64>,
    pub(super) receipts: HashMap<(u64, String), u64>,
    pub(super) tickets: HashMap<u64, TicketState>,
    pub(super) release_times: HashMap<u64, ReleaseTimes>,
}

#[derive(Deserialize)]
struct KnownRelease {
    key: (i64, String),
    first_seen: String,
}

/// The (project, release) pairs whose first sighting decides whether a report reopens its
/// ticket: for each problem resolved in a release, that release and the batch's releases of it.
fn releases_to_compare(
    reports: &[&CrashReport],
    groups: &HashMap<(u64, String), u64>,
    tickets: &HashMap<u64, TicketState>,
) -> Vec<(i64, String)> {
    let mut pairs = Vec::new();
    for report in reports {
        let Some(ticket) = groups
            .get(&(report.project, report.fingerprint.clone()))
            .and_then(|number| tickets.get(number))
        else {
            continue;
        };
        let Some(fixed) = &ticket.resolved_in_release else {
            continue;
        };
        if !matches!(ticket.status, Status::Resolved | Status::Closed) {
            continue;
        }
        pairs.push((report.project as i64, fixed.clone()));
        if let Some(release) = &report.release {
            pairs.push((report.project as i64, release.clone()));
        }
    }
    app::search::distinct_in_order(pairs)
}

async fn read_release_times(
    store: &Store,
    pairs: Vec<(i64, String)>,
) -> Result<HashMap<u64, ReleaseTimes>, surrealdb::Error> {
    let mut times: HashMap<u64, ReleaseTimes> = HashMap::new();
    if pairs.is_empty() {
        return Ok(times);
    }
    let mut response = store
        .db()
        .query(READ_RELEASE_TIMES)
        .bind(("release_keys", json!(pairs)))
        .await?
        .check()?;
    let rows: Vec<Value> = response.take(0)?;
    for known in decode::<KnownRelease>(rows).map_err(corrupt)? {
        let first_seen = parse_time(&known.first_seen).map_err(corrupt)?;
        times
            .entry(known.key.0 as u64)
            .or_default()
            .insert(known.key.1, first_seen);
    }
    Ok(times)
}

fn corrupt(error: StorageError) -> surrealdb::Error {
    surrealdb::Error::internal(error.to_string())
}

pub(super) async fn read_state(
    store: &Store,
    reports: &[&CrashReport],
) -> Result<State, surrealdb::Error> {
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
    let groups: HashMap<(u64, String), u64> = groups
        .into_iter()
        .map(|group| {
            (
                (group.key.0 as u64, group.key.1),
                group.ticket_number as u64,
            )
        })
        .collect();
    let tickets: HashMap<u64, TicketState> = tickets
        .into_iter()
        .map(|ticket| (ticket.number, ticket))
        .collect();
    let release_times =
        read_release_times(store, releases_to_compare(reports, &groups, &tickets)).await?;
    Ok(State {
        release_times,
        groups,
        receipts: receipts
            .into_iter()
            .map(|receipt| {
                (
                    (receipt.key.0 as u64, receipt.key.1),
                    receipt.ticket_number as u64,
                )
            })
            .collect(),
        tickets,
    })
}

/// A report as bound into the batch query.
#[derive(Serialize)]
struct BoundReport<'a> {
    project: i64,
    event_id: &'a str,
    /// The index of its payload in `$payloads`; absent when the ticket already keeps as many
    /// events as it may. (Payloads are bound apart from the groups, which the query reads often.)
    #[serde(skip_serializing_if = "Option::is_none")]
    payload: Option<usize>,
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

/// The distinct users, releases, customers or environments that a problem's reports name.
fn named(reports: &[&CrashReport], field: impl Fn(&CrashReport) -> Option<&String>) -> Vec<String> {
    app::search::distinct_in_order(reports.iter().filter_map(|report| field(report).cloned()))
}

fn users(reports: &[&CrashReport]) -> Vec<String> {
    named(reports, |report| report.user.as_ref())
}

fn releases(reports: &[&CrashReport]) -> Vec<String> {
    named(reports, |report| report.release.as_ref())
}

fn customers(reports: &[&CrashReport]) -> Vec<String> {
    named(reports, |report| report.customer_key.as_ref())
}

fn environments(reports: &[&CrashReport]) -> Vec<String> {
    named(reports, |report| report.deployment.as_ref())
}

/// A batch's reports sorted by where they go.
struct Routing<'a> {
    /// Where each report goes, in the batch's order.
    destinations: Vec<Destination>,
    /// Known problems, in order of first appearance: a ticket number and its reports.
    known: Vec<(u64, Vec<&'a CrashReport>)>,
    /// New problems, in order of first appearance: `(project, fingerprint)` and its reports.
    fresh: Vec<((u64, &'a str), Vec<&'a CrashReport>)>,
}

/// Sorts the reports: those stored before (a receipt, or earlier in this batch), those of known
/// problems and those of new ones.
fn route<'a>(reports: &[&'a CrashReport], state: &State) -> Routing<'a> {
    let mut routing = Routing {
        destinations: Vec::with_capacity(reports.len()),
        known: Vec::new(),
        fresh: Vec::new(),
    };
    let mut seen_in_batch: HashMap<(u64, &str), usize> = HashMap::new();
    for (position, report) in reports.iter().copied().enumerate() {
        let receipt = (report.project, report.event_id.clone());
        if let Some(ticket_number) = state.receipts.get(&receipt) {
            routing.destinations.push(Destination::Stored {
                ticket_number: *ticket_number,
            });
            continue;
        }
        if let Some(earlier) = seen_in_batch.get(&(report.project, report.event_id.as_str())) {
            // The same report twice in one batch: stored once, with the first's answer.
            let again = match routing.destinations[*earlier] {
                Destination::Fresh { index, .. } => Destination::Fresh {
                    index,
                    first: false,
                },
                other => other,
            };
            routing.destinations.push(again);
            continue;
        }
        seen_in_batch.insert((report.project, report.event_id.as_str()), position);
        let group = (report.project, report.fingerprint.clone());
        match state.groups.get(&group) {
            Some(number) => {
                let index = match routing.known.iter().position(|(known, _)| known == number) {
                    Some(index) => index,
                    None => {
                        routing.known.push((*number, Vec::new()));
                        routing.known.len() - 1
                    }
                };
                routing.known[index].1.push(report);
                routing.destinations.push(Destination::Known(index));
            }
            None => {
                let key = (report.project, report.fingerprint.as_str());
                let (index, first) = match routing.fresh.iter().position(|(fresh, _)| *fresh == key)
                {
                    Some(index) => (index, false),
                    None => {
                        routing.fresh.push((key, Vec::new()));
                        (routing.fresh.len() - 1, true)
                    }
                };
                routing.fresh[index].1.push(report);
                routing
                    .destinations
                    .push(Destination::Fresh { index, first });
            }
        }
    }
    routing
}

/// What the batch writes for its known problems.
struct KnownPlan<'a> {
    /// Reports that count on their open tickets (or on resolved ones, from older releases).
    counted: Counted<'a>,
    /// Tickets that a report reopens, as the batch query binds them.
    reopened: Vec<Value>,
    /// Every (ticket, user) pair, for the writer to remember once stored.
    users_seen: Vec<(u64, String)>,
}

/// Plans the known problems: each either counts on its ticket or reopens it (a regression).
fn plan_known<'a>(
    known: &[(u64, Vec<&'a CrashReport>)],
    state: &State,
    known_users: &std::collections::HashSet<(u64, String)>,
    known_hours: &'a super::KnownHours,
    now: OffsetDateTime,
    payloads: &mut Vec<&'a str>,
) -> Result<KnownPlan<'a>, surrealdb::Error> {
    let mut plan = KnownPlan {
        counted: Counted::new(now, known_hours),
        reopened: Vec::new(),
        users_seen: Vec::new(),
    };
    for (number, group_reports) in known {
        let ticket = state.tickets.get(number).ok_or_else(|| {
            surrealdb::Error::internal(format!("crash ticket {number} has no record"))
        })?;
        let reopening = reopening_report(ticket, group_reports, &state.release_times);
        let mut group = json!({
            "number": *number as i64,
            "count": group_reports.len() as i64,
            // Every report is from before the release that fixed the resolved ticket: counted,
            // and the ticket stays resolved.
            "older_than_fix": reopening.is_none() && matches!(ticket.status, Status::Resolved | Status::Closed),
            "releases": releases(group_reports),
            "environments": environments(group_reports),
            "customers": customers(group_reports),
            // Users this ticket is known to have affected need no check.
            "users": users(group_reports)
                .into_iter()
                .filter(|user| {
                    let pair = (*number, user.clone());
                    let known = known_users.contains(&pair);
                    plan.users_seen.push(pair);
                    !known
                })
                .collect::<Vec<_>>(),
        });
        let Some(report) = reopening else {
            plan.counted
                .add(*number, ticket.occurrences, group, group_reports);
            continue;
        };
        group["reports"] = json!(bind_reports(group_reports, ticket.occurrences, payloads));
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
        plan.reopened.push(group);
    }
    Ok(plan)
}

/// The new problems as the batch query binds them, numbered from `first_number`.
fn bind_fresh<'a>(
    fresh: &[((u64, &'a str), Vec<&'a CrashReport>)],
    first_number: u64,
    now: OffsetDateTime,
    payloads: &mut Vec<&'a str>,
) -> Vec<Value> {
    fresh
        .iter()
        .zip(first_number..)
        .map(|(((project, fingerprint), group_reports), number)| {
            let first = group_reports[0];
            json!({
                "number": number as i64,
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
                "customers": customers(group_reports),
                "users": users(group_reports),
                "summary": format!("Reported by a crash of project {project}"),
                "reports": bind_reports(group_reports, 0, payloads),
            })
        })
        .collect()
}

/// The tickets whose spike threshold this batch crossed: a known problem's window held fewer
/// reports before the batch than after it, or a new problem came with that many at once.
fn spiked_tickets(
    spike: SpikeRule,
    routing: &Routing<'_>,
    fresh_numbers: &[u64],
    counts: &HashMap<u64, (u64, u64)>,
) -> Vec<TicketRef> {
    let mut spiked = Vec::new();
    if spike.reports == 0 {
        return spiked;
    }
    for (number, group_reports) in &routing.known {
        let after = counts.get(number).map(|(_, window)| *window).unwrap_or(0);
        let before = after.saturating_sub(group_reports.len() as u64);
        if before < spike.reports && after >= spike.reports {
            spiked.extend(TicketRef::from_number(*number));
        }
    }
    for ((_, group_reports), number) in routing.fresh.iter().zip(fresh_numbers) {
        if group_reports.len() as u64 >= spike.reports {
            spiked.extend(TicketRef::from_number(*number));
        }
    }
    spiked
}

/// Stores one batch in one transaction: routes its reports, plans them, writes them, and says
/// what became of each and what the writer should now remember.
pub(super) async fn store_once(
    store: &Store,
    reports: &[&CrashReport],
    state: &State,
    spike: SpikeRule,
    known_users: &std::collections::HashSet<(u64, String)>,
    known_hours: &super::KnownHours,
    known_releases: &std::collections::HashSet<(u64, String)>,
) -> Result<Stored, surrealdb::Error> {
    let now = OffsetDateTime::now_utc();
    let window = time::Duration::try_from(spike.window).unwrap_or(time::Duration::MINUTE);
    let routing = route(reports, state);
    // A stored report that came again is answered from its receipt; when the whole batch is such,
    // nothing is written.
    if routing.known.is_empty() && routing.fresh.is_empty() {
        return finish(routing.destinations, &[], &[], Vec::new());
    }
    // Payloads are bound apart from the groups; a report later than the kept number carries none
    // (the query checks the count again, as it may have grown since the read).
    let mut payloads: Vec<&str> = Vec::new();
    let KnownPlan {
        counted,
        reopened,
        mut users_seen,
    } = plan_known(
        &routing.known,
        state,
        known_users,
        known_hours,
        now,
        &mut payloads,
    )?;
    // Numbers for new tickets are reserved beforehand, as the ticket writer does, so that batches
    // of different writers do not all update the sequence record (a number is lost only when its
    // batch fails).
    let fresh_count = routing.fresh.len();
    let first_number = if fresh_count == 0 {
        0
    } else {
        crate::storage::creator::reserve_numbers(store.db(), "ticket", fresh_count).await?
            - fresh_count as u64
            + 1
    };
    let bound_fresh = bind_fresh(&routing.fresh, first_number, now, &mut payloads);

    // Releases this writer recorded before need no write (most batches name none new).
    let new_releases: Vec<(u64, String)> = releases_seen(reports)
        .into_iter()
        .filter(|pair| !known_releases.contains(pair))
        .collect();
    let query = store_batch_query(
        !new_releases.is_empty(),
        !counted.ids.is_empty(),
        !reopened.is_empty(),
        fresh_count > 0,
    );
    let counted_hour = counted.hour;
    let mut response = store
        .db()
        .query(query)
        .bind(("counted", Value::Object(counted.groups)))
        .bind(("counted_ids", counted.ids))
        .bind(("counted_events", counted.events))
        .bind(("counted_receipts", counted.receipts))
        .bind(("counted_hours", counted.hours))
        .bind(("counted_hour_ids", counted.hour_ids))
        .bind(("counted_users", Value::Array(counted.users)))
        .bind(("reopened", Value::Array(reopened)))
        .bind(("fresh", Value::Array(bound_fresh)))
        .bind(("payloads", json!(payloads)))
        .bind(("now", format_time(now)))
        .bind(("window_floor", format_time(now - window)))
        .bind(("hour", now.unix_timestamp().div_euclid(3_600)))
        .bind(("kept", KEPT_EVENTS_PER_TICKET as i64))
        .bind(("max_customers", app::model::MAX_CRASH_CUSTOMERS as i64))
        .bind(("max_releases", app::model::MAX_CRASH_RELEASES as i64))
        .bind(("releases_seen", json!(new_releases)))
        .bind(("number_offset", NUMBER_OFFSET as i64))
        .await
        .and_then(transaction_outcome)?;
    let index = crate::storage::returned_statement(&response);
    let returned: Option<Value> = response.take(index)?;
    let returned = returned.unwrap_or(Value::Null);
    let fresh_numbers: Vec<u64> = (first_number..).take(fresh_count).collect();
    // (occurrences, reports in the spike window) of each known problem's ticket, after the batch.
    let counts: HashMap<u64, (u64, u64)> = array(&returned["windows"])
        .iter()
        .filter_map(|row| {
            let count = |name: &str| row[name].as_i64().unwrap_or(0).max(0) as u64;
            Some((
                row["number"].as_u64()?,
                (count("occurrences"), count("spike_window_count")),
            ))
        })
        .collect();
    let spiked = spiked_tickets(spike, &routing, &fresh_numbers, &counts);

    let mut occurrences: HashMap<u64, u64> = counts
        .iter()
        .map(|(number, (occurrences, _))| (*number, *occurrences))
        .collect();
    let mut created = HashMap::new();
    for (((project, fingerprint), group_reports), number) in
        routing.fresh.iter().zip(&fresh_numbers)
    {
        created.insert((*project, fingerprint.to_string()), *number);
        occurrences.insert(*number, group_reports.len() as u64);
        users_seen.extend(users(group_reports).into_iter().map(|user| (*number, user)));
    }
    let known_numbers: Vec<u64> = routing.known.iter().map(|(number, _)| *number).collect();
    let mut stored = finish(routing.destinations, &known_numbers, &fresh_numbers, spiked)?;
    // Every ticket of the batch has a count for this hour now.
    stored.hours_seen = (
        counted_hour,
        known_numbers
            .iter()
            .chain(&fresh_numbers)
            .copied()
            .collect(),
    );
    stored.users_seen = users_seen;
    stored.releases_recorded = new_releases;
    stored.created = created;
    stored.occurrences = occurrences;
    Ok(stored)
}

/// The reports of known problems that count on their open tickets, as the batch query binds
/// them: the groups by ticket number, and the records to insert, built here.
struct Counted<'a> {
    now: DbValue,
    hour: i64,
    /// The tickets whose count for an hour is known to exist (only this hour's matter).
    known_hours: &'a super::KnownHours,
    /// The counts for this hour to add to (known to exist).
    hour_ids: Vec<DbValue>,
    groups: serde_json::Map<String, Value>,
    ids: Vec<DbValue>,
    events: Vec<DbValue>,
    receipts: Vec<DbValue>,
    hours: Vec<DbValue>,
    /// The groups with users not known to be recorded: their numbers and those users.
    users: Vec<Value>,
}

fn db_record(table: &str, key: Vec<DbValue>) -> DbValue {
    DbValue::RecordId(RecordId::new(table, surrealdb::types::Array::from(key)))
}

fn db_object(fields: Vec<(&str, DbValue)>) -> DbValue {
    DbValue::Object(
        fields
            .into_iter()
            .map(|(name, value)| (name.to_string(), value))
            .collect(),
    )
}

impl<'a> Counted<'a> {
    fn new(now: OffsetDateTime, known_hours: &'a super::KnownHours) -> Counted<'a> {
        let hour = now.unix_timestamp().div_euclid(3_600);
        let now_value =
            surrealdb::types::Datetime::try_from((now.unix_timestamp(), now.nanosecond()))
                .map(DbValue::Datetime)
                .unwrap_or(DbValue::None);
        Counted {
            now: now_value,
            hour,
            known_hours,
            hour_ids: Vec::new(),
            groups: serde_json::Map::new(),
            ids: Vec::new(),
            events: Vec::new(),
            receipts: Vec::new(),
            hours: Vec::new(),
            users: Vec::new(),
        }
    }

    /// Adds the reports of a problem whose ticket (`number`) had `before` reports when read.
    fn add(&mut self, number: u64, before: u64, mut group: Value, reports: &[&CrashReport]) {
        let ticket = number as i64;
        let count = reports.len() as u64;
        group["occurrences_after"] = json!(before + count);
        if group["users"]
            .as_array()
            .is_some_and(|users| !users.is_empty())
        {
            self.users
                .push(json!({ "number": ticket, "users": group["users"].take() }));
        }
        self.groups.insert(number.to_string(), group);
        self.ids
            .push(DbValue::RecordId(RecordId::new("ticket", ticket)));
        for (index, report) in reports.iter().enumerate() {
            let sequence = before + index as u64 + 1;
            if sequence <= KEPT_EVENTS_PER_TICKET {
                self.events.push(db_object(vec![
                    (
                        "id",
                        db_record(
                            "crash_event",
                            vec![ticket.into_value(), (sequence as i64).into_value()],
                        ),
                    ),
                    ("ticket_number", ticket.into_value()),
                    ("sequence", (sequence as i64).into_value()),
                    ("event_id", report.event_id.clone().into_value()),
                    ("received_at", self.now.clone()),
                    ("payload", report.payload.clone().into_value()),
                ]));
            }
            self.receipts.push(db_object(vec![
                (
                    "id",
                    db_record(
                        "crash_receipt",
                        vec![
                            (report.project as i64).into_value(),
                            report.event_id.clone().into_value(),
                        ],
                    ),
                ),
                ("ticket_number", ticket.into_value()),
                ("received_at", self.now.clone()),
            ]));
        }
        let id = db_record(
            "crash_hour",
            vec![ticket.into_value(), self.hour.into_value()],
        );
        if self.known_hours.0 == self.hour && self.known_hours.1.contains(&number) {
            // An update, as inserting over an existing record costs an error.
            self.hour_ids.push(id);
            return;
        }
        self.hours.push(db_object(vec![
            ("id", id),
            ("ticket_number", ticket.into_value()),
            ("hour", self.hour.into_value()),
            ("count", (count as i64).into_value()),
        ]));
    }
}

/// The reports of one problem as the query reads them; their payloads go to `payloads`.
/// `stored_before`: how many reports the ticket had when read; reports past the kept number
/// carry no payload (the query checks the count again, as it may have grown since).
fn bind_reports<'a>(
    reports: &[&'a CrashReport],
    stored_before: u64,
    payloads: &mut Vec<&'a str>,
) -> Vec<Value> {
    reports
        .iter()
        .enumerate()
        .map(|(index, report)| {
            let offset = index as u64 + 1;
            let payload = (stored_before + offset <= KEPT_EVENTS_PER_TICKET).then(|| {
                payloads.push(&report.payload);
                payloads.len() - 1
            });
            json!(BoundReport {
                project: report.project as i64,
                event_id: &report.event_id,
                payload,
                offset,
            })
        })
        .collect()
}

fn array(value: &Value) -> Vec<Value> {
    value.as_array().cloned().unwrap_or_default()
}

fn finish(
    destinations: Vec<Destination>,
    known_numbers: &[u64],
    fresh_numbers: &[u64],
    spiked: Vec<TicketRef>,
) -> Result<Stored, surrealdb::Error> {
    let outcomes = destinations
        .into_iter()
        .map(|destination| {
            let (number, created) = match destination {
                Destination::Stored { ticket_number } => (Some(ticket_number), false),
                Destination::Known(index) => (known_numbers.get(index).copied(), false),
                Destination::Fresh { index, first } => (fresh_numbers.get(index).copied(), first),
            };
            let reference = number.and_then(TicketRef::from_number).ok_or_else(|| {
                surrealdb::Error::internal(format!("crash ticket number {number:?}"))
            })?;
            Ok(CrashOutcome { reference, created })
        })
        .collect::<Result<_, surrealdb::Error>>()?;
    Ok(Stored {
        outcomes,
        spiked,
        created: HashMap::new(),
        occurrences: HashMap::new(),
        users_seen: Vec::new(),
        releases_recorded: Vec::new(),
        hours_seen: (0, Vec::new()),
    })
}

/// The distinct (project, release) pairs a batch's reports name.
fn releases_seen(reports: &[&CrashReport]) -> Vec<(u64, String)> {
    app::search::distinct_in_order(reports.iter().filter_map(|report| {
        report
            .release
            .as_ref()
            .map(|release| (report.project, release.clone()))
    }))
}

/// The report that reopens a resolved or closed ticket: the first that is not from a release
/// older than the one the ticket was resolved in (such a report is the old bug, only counted).
fn reopening_report<'a>(
    ticket: &TicketState,
    reports: &[&'a CrashReport],
    release_times: &HashMap<u64, ReleaseTimes>,
) -> Option<&'a CrashReport> {
    if !matches!(ticket.status, Status::Resolved | Status::Closed) {
        return None;
    }
    let none_known = ReleaseTimes::new();
    reports.iter().copied().find(|report| {
        (report.reopens)(
            report.release.as_deref(),
            ticket.resolved_in_release.as_deref(),
            release_times.get(&report.project).unwrap_or(&none_known),
        )
    })
}
