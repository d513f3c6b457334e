//! The crash-report writer: one task that stores concurrent reports together.
//!
//! Every report is queued here. A writer takes all that are waiting (up to [`MAX_BATCH`]) and
//! stores the whole batch in one transaction: one commit (one fsync on disk) for the batch, and
//! one update per ticket however many of its reports the batch holds. Each report is
//! acknowledged only after that commit.
//!
//! A report is stored once per event id: its receipt, `crash_receipt:[project, event_id]`, is
//! written in the same transaction, so a client that sends a report again (because the answer
//! to the first send was lost) gets the same answer without a second count.
//!
//! A batch that conflicts with another writer (an agent editing one of its tickets, another
//! server storing the same new problem) is read and planned again. A batch that fails otherwise
//! is stored report by report, so one bad report does not fail the others.
//!
//! Two writers work side by side ([`LANES`]); a problem always goes to the same one, so their
//! batches never update the same ticket. Each writer remembers the ticket of every problem it has
//! stored, so a batch of known problems is stored with one query and no read: the query itself
//! checks that the tickets are still open and the event ids new, and a batch for which either is
//! wrong fails, is read, and is planned again (`batch.rs`). New tickets take numbers reserved
//! beforehand, as the ticket writer's do.

mod batch;
mod queries;

use super::crashes::{CrashOutcome, CrashReport, SpikeRule};
use super::{MAX_ATTEMPTS, StorageError, Store, back_off, is_conflict};
use app::model::{Status, TicketRef, Urgency};
use batch::{State, TicketState, read_state, store_once};
use std::collections::HashMap;
use tokio::sync::{mpsc, oneshot};

/// The most reports one transaction stores.
const MAX_BATCH: usize = 256;

/// How many writers store batches side by side. (Measured with the ingestion benchmark on two
/// cores: two beat one and three.)
const LANES: usize = 2;

/// The most bytes of reports (their payloads) that one writer holds, queued or being stored;
/// a report past it waits for room before it is queued.
const MAX_QUEUED_BYTES: usize = 32 << 20;

/// The most bytes of reports one transaction stores (within the embedded database's smallest
/// write buffer, the largest transaction it accepts).
const MAX_BATCH_BYTES: usize = 4 << 20;

/// One queued report, holding its share of the writer's byte budget until it is answered.
struct Job {
    report: CrashReport,
    spike: SpikeRule,
    reply: oneshot::Sender<Result<CrashOutcome, StorageError>>,
    _room: tokio::sync::OwnedSemaphorePermit,
}

/// One writer's queue and the room left in it, in KiB.
#[derive(Clone)]
struct Lane {
    jobs: mpsc::Sender<Job>,
    room: std::sync::Arc<tokio::sync::Semaphore>,
}

/// The sending side of the writer's queue.
#[derive(Clone)]
pub(crate) struct IngestorHandle {
    lanes: Vec<Lane>,
}

/// What a report takes of a writer's budget, in KiB (at least one, at most the whole budget).
fn kib_of(report: &CrashReport) -> u32 {
    let bytes = report.payload.len() + report.description.len() + report.customer.len();
    (bytes / 1024 + 1).min(MAX_QUEUED_BYTES / 1024) as u32
}

impl IngestorHandle {
    /// Queues a report and waits until it is committed.
    pub async fn record(
        &self,
        report: CrashReport,
        spike: SpikeRule,
    ) -> Result<CrashOutcome, StorageError> {
        let (reply, answer) = oneshot::channel();
        let lane = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            (report.project, &report.fingerprint).hash(&mut hasher);
            hasher.finish() as usize % self.lanes.len()
        };
        let lane = &self.lanes[lane];
        let room = lane
            .room
            .clone()
            .acquire_many_owned(kib_of(&report))
            .await
            .map_err(|_| writer_gone())?;
        lane.jobs
            .send(Job {
                report,
                spike,
                reply,
                _room: room,
            })
            .await
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> StorageError {
    StorageError::Stopped("the crash-report writer has stopped".into())
}

/// Starts the writer task over a store (one without a writer of its own).
pub(crate) fn spawn(store: Store) -> IngestorHandle {
    let lanes = (0..LANES)
        .map(|_| {
            let (jobs, queue) = mpsc::channel(MAX_BATCH);
            tokio::spawn(run(store.clone(), queue));
            Lane {
                jobs,
                room: std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_QUEUED_BYTES / 1024)),
            }
        })
        .collect();
    IngestorHandle { lanes }
}

async fn run(store: Store, mut queue: mpsc::Receiver<Job>) {
    let mut memory = Memory::default();
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        if queue.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        for jobs in by_size(std::mem::take(&mut batch)) {
            store_jobs(&store, jobs, &mut memory).await;
        }
    }
}

/// The jobs in order, in batches of at most [`MAX_BATCH_BYTES`] of reports (a report larger
/// than that is a batch of its own).
fn by_size(jobs: Vec<Job>) -> Vec<Vec<Job>> {
    let mut batches: Vec<Vec<Job>> = Vec::new();
    let mut bytes = 0;
    for job in jobs {
        let size = kib_of(&job.report) as usize * 1024;
        match batches.last_mut() {
            Some(batch) if bytes + size <= MAX_BATCH_BYTES => {
                bytes += size;
                batch.push(job);
            }
            _ => {
                bytes = size;
                batches.push(vec![job]);
            }
        }
    }
    batches
}

/// Stores a batch and answers each report; raises the tickets a spike made critical.
async fn store_jobs(store: &Store, jobs: Vec<Job>, memory: &mut Memory) {
    let spike = jobs[0].spike;
    let reports: Vec<&CrashReport> = jobs.iter().map(|job| &job.report).collect();
    match store_with_retries(store, &reports, spike, memory).await {
        Ok(stored) => {
            for (job, outcome) in jobs.into_iter().zip(stored.outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
            raise(store, stored.spiked, spike).await;
        }
        Err(error) if jobs.len() > 1 => {
            tracing::warn!(%error, size = jobs.len(), "storing a batch of crash reports failed; storing them one by one");
            for job in jobs {
                let result = store_with_retries(store, &[&job.report], job.spike, memory).await;
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
pub(super) struct Stored {
    /// One per report, in order.
    pub(super) outcomes: Vec<CrashOutcome>,
    /// The tickets whose reports just reached the spike threshold.
    pub(super) spiked: Vec<TicketRef>,
    /// The tickets of the new problems, by (project, fingerprint).
    pub(super) created: HashMap<(u64, String), u64>,
    /// How many reports the batch's tickets have now.
    pub(super) occurrences: HashMap<u64, u64>,
    /// The (ticket, user) pairs of the batch, all recorded now.
    pub(super) users_seen: Vec<(u64, String)>,
    /// The (project, release) pairs the batch recorded as known.
    pub(super) releases_recorded: Vec<(u64, String)>,
    /// The hour of the batch and its tickets, each with a count for that hour now.
    pub(super) hours_seen: (i64, Vec<u64>),
}

/// An hour (since the epoch) and the tickets known to have a count for it.
pub(super) type KnownHours = (i64, std::collections::HashSet<u64>);

/// What a writer remembers of the problems it stored, so that most batches need no read: the
/// ticket of each problem (which never changes) and roughly how many reports each ticket has.
#[derive(Default)]
struct Memory {
    tickets: HashMap<(u64, String), u64>,
    occurrences: HashMap<u64, u64>,
    /// (ticket, user) pairs known to be recorded; a pair is never removed from the database, so
    /// one remembered here needs no check.
    users: std::collections::HashSet<(u64, String)>,
    /// The bytes the remembered users' names take.
    user_bytes: usize,
    /// (project, release) pairs known to be recorded (never removed from the database), so
    /// that a batch naming only these writes no release.
    releases: std::collections::HashSet<(u64, String)>,
    /// The tickets known to have a count for the current hour, so that a batch adds to it
    /// without trying to insert it first.
    hours: KnownHours,
}

impl Memory {
    /// Past this many problems, or (ticket, user) pairs, the memory starts over.
    const CAPACITY: usize = 100_000;
    /// Past this many bytes of users' names, the memory of users starts over (names are
    /// bounded, `app::crash::MAX_LABEL_CHARS`, but a client chooses them).
    const USER_BYTES: usize = 8 << 20;

    fn remember_users(&mut self, pairs: &[(u64, String)]) {
        let bytes: usize = pairs.iter().map(|(_, user)| user.len()).sum();
        if self.users.len() + pairs.len() > Self::CAPACITY
            || self.user_bytes + bytes > Self::USER_BYTES
        {
            self.users.clear();
            self.user_bytes = 0;
        }
        for pair in pairs {
            let length = pair.1.len();
            if self.users.insert(pair.clone()) {
                self.user_bytes += length;
            }
        }
    }

    fn learn(&mut self, project: u64, fingerprint: String, ticket: u64) {
        if self.tickets.len() >= Self::CAPACITY {
            self.tickets.clear();
            self.occurrences.clear();
        }
        self.tickets.insert((project, fingerprint), ticket);
    }

    /// The state of a batch whose problems are all known, assuming that their tickets are open
    /// and that no report was stored before. The batch's query checks both, and fails (to be
    /// retried with a read) when either is wrong.
    fn assumed_state(&self, reports: &[&CrashReport]) -> Option<State> {
        let mut state = State {
            groups: HashMap::new(),
            receipts: HashMap::new(),
            tickets: HashMap::new(),
            release_times: HashMap::new(),
        };
        for report in reports {
            let key = (report.project, report.fingerprint.clone());
            let number = *self.tickets.get(&key)?;
            state.groups.insert(key, number);
            state.tickets.entry(number).or_insert_with(|| TicketState {
                number,
                status: Status::New,
                urgency: Urgency::Medium,
                resolved_in_release: None,
                occurrences: self.occurrences.get(&number).copied().unwrap_or(0),
                revision: 0,
                entry_count: 0,
                created_at: String::new(),
            });
        }
        Some(state)
    }
}

async fn store_with_retries(
    store: &Store,
    reports: &[&CrashReport],
    spike: SpikeRule,
    memory: &mut Memory,
) -> Result<Stored, surrealdb::Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let state = match memory.assumed_state(reports).filter(|_| attempt == 1) {
            Some(state) => Ok(state),
            None => read_state(store, reports).await,
        };
        let result = match state {
            Ok(state) => {
                for ((project, fingerprint), number) in &state.groups {
                    memory.learn(*project, fingerprint.clone(), *number);
                }
                // A retry assumes no count exists: the one assumed may be what failed.
                let no_hours = KnownHours::default();
                let hours = if attempt == 1 {
                    &memory.hours
                } else {
                    &no_hours
                };
                store_once(
                    store,
                    reports,
                    &state,
                    spike,
                    &memory.users,
                    hours,
                    &memory.releases,
                )
                .await
            }
            Err(error) => Err(error),
        };
        match result {
            Ok(stored) => {
                for (key, number) in &stored.created {
                    memory.learn(key.0, key.1.clone(), *number);
                }
                memory.occurrences.extend(stored.occurrences.iter());
                memory.remember_users(&stored.users_seen);
                if memory.releases.len() + stored.releases_recorded.len() > Memory::CAPACITY {
                    memory.releases.clear();
                }
                memory
                    .releases
                    .extend(stored.releases_recorded.iter().cloned());
                let (hour, tickets) = &stored.hours_seen;
                if !tickets.is_empty() {
                    if memory.hours.0 != *hour || memory.hours.1.len() > Memory::CAPACITY {
                        memory.hours = (*hour, Default::default());
                    }
                    memory.hours.1.extend(tickets.iter().copied());
                }
                return Ok(stored);
            }
            Err(error)
                if (is_conflict(&error)
                    || error.message().contains("already exists")
                    || error.message().contains("stale revision"))
                    && attempt < MAX_ATTEMPTS =>
            {
                // A first attempt from memory that guessed wrong is read again at once.
                if attempt > 1 {
                    back_off(attempt).await
                }
            }
            Err(error) => return Err(error),
        }
    }
}
