//! The ticket writer: one task that allocates references and commits tickets in batches.
//!
//! Every concurrent create request is queued here; the writer takes all that are waiting (up to
//! [`MAX_BATCH`]), reserves that many reference numbers with one increment of the sequence record,
//! and hands the batch to a commit task that creates all of its tickets in one transaction (one
//! fsync on disk). Up to [`MAX_COMMITS_IN_FLIGHT`] batches commit at once, so the next batch
//! gathers, and uses the other core, while one is being written. Batches never conflict with each
//! other, as each writes only its own tickets; the hot sequence record is written once per batch.
//!
//! References are never reused. A number is lost (a gap, never a duplicate) only when a ticket
//! that reserved it fails to commit. Several servers sharing one database still get distinct
//! references: their increments of the sequence record conflict and are retried.

use super::database::Database;
use super::records::format_time;
use super::request_keys::{BoundKey, KEEP_ANSWER, KeyedRequest};
use super::{MAX_ATTEMPTS, StorageError, back_off, is_conflict, transaction_outcome};
use app::model::{Status, Ticket, TicketRef};
use app::queue::queue_key;
use app::requests::TicketDraft;
use serde::Serialize;
use std::sync::Arc;
use time::OffsetDateTime;
use tokio::sync::{Semaphore, mpsc, oneshot};

/// The most tickets one transaction creates.
const MAX_BATCH: usize = 128;

/// How many batches may be committing at the same time.
const MAX_COMMITS_IN_FLIGHT: usize = 4;

const RESERVE_NUMBERS: &str = "UPSERT ONLY type::record('sequence', $sequence) SET value = (value OR 0) + $count RETURN VALUE value";

const CREATE_BATCH: &str = r#"
BEGIN TRANSACTION;
FOR $draft IN $drafts {
    CREATE type::record('ticket', $draft.number) CONTENT {
        number: $draft.number,
        reference: $draft.reference,
        title: $draft.title,
        description: $draft.description,
        urgency: $draft.urgency,
        status: 'new',
        channel: $draft.channel,
        customer: $draft.customer,
        customer_id: $draft.customer_id,
        scope: $draft.scope,
        environment: $draft.environment,
        occurred_at: IF $draft.occurred_at THEN <datetime>$draft.occurred_at ELSE NONE END,
        manner: $draft.manner,
        queue_key: $draft.queue_key,
        search_words: $draft.search_words,
        revision: 1,
        entry_count: 1,
        created_at: <datetime>$draft.created_at,
        updated_at: <datetime>$draft.created_at
    };
    CREATE type::record('entry', [$draft.number, 0]) CONTENT {
        ticket_number: $draft.number,
        position: 0,
        kind: 'created',
        author: $draft.author,
        body: $draft.summary,
        created_at: <datetime>$draft.created_at
    };
    LET $once = $draft.once;
    LET $now = $draft.created_at;
    {KEEP_ANSWER}
};
COMMIT TRANSACTION;
"#;

/// One queued create request.
struct Job {
    draft: TicketDraft,
    /// Who entered it.
    author: String,
    /// The request's idempotency key, whose answer is kept with the ticket.
    once: Option<KeyedRequest>,
    reply: oneshot::Sender<Result<Ticket, StorageError>>,
}

/// The sending side of the writer's queue.
#[derive(Clone)]
pub struct CreatorHandle {
    jobs: mpsc::Sender<Job>,
}

impl CreatorHandle {
    /// Queues a ticket entered by `author` for creation and waits until it is committed; with
    /// `once`, the ticket is kept as that key's answer in the same transaction.
    pub async fn create(
        &self,
        draft: TicketDraft,
        author: String,
        once: Option<KeyedRequest>,
    ) -> Result<Ticket, StorageError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                draft,
                author,
                once,
                reply,
            })
            .await
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> StorageError {
    StorageError::Stopped("the ticket writer has stopped".into())
}

/// Starts the writer task.
pub fn spawn(db: Database) -> CreatorHandle {
    let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
    tokio::spawn(run(db, queue));
    CreatorHandle { jobs }
}

async fn run(db: Database, mut queue: mpsc::Receiver<Job>) {
    let commits = Arc::new(Semaphore::new(MAX_COMMITS_IN_FLIGHT));
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        // Wait for room first, so that requests keep gathering into the next batch meanwhile.
        let Ok(permit) = commits.clone().acquire_owned().await else {
            return;
        };
        if queue.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let jobs = std::mem::take(&mut batch);
        let last = match reserve_numbers(&db, "ticket", jobs.len()).await {
            Ok(last) => last,
            Err(error) => {
                for job in jobs {
                    let _ = job.reply.send(Err(StorageError::from(error.clone())));
                }
                continue;
            }
        };
        let first = last - jobs.len() as u64;
        let numbered: Vec<(u64, Job)> = (first + 1..).zip(jobs).collect();
        let db = db.clone();
        tokio::spawn(async move {
            commit(&db, numbered).await;
            drop(permit);
        });
    }
}

/// Reserves `count` numbers of the sequence `sequence:<name>` (`ticket`, `customer`, …) and
/// returns the last of them. Numbers are never reused: one whose record fails to be created
/// leaves a gap.
pub(super) async fn reserve_numbers(
    db: &Database,
    sequence: &'static str,
    count: usize,
) -> Result<u64, surrealdb::Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = db
            .query(RESERVE_NUMBERS)
            .bind(("sequence", sequence))
            .bind(("count", count as i64))
            .await
            .and_then(|mut response| response.take::<Option<i64>>(0));
        match result {
            Ok(Some(last)) if last >= count as i64 => return Ok(last as u64),
            Ok(other) => {
                return Err(surrealdb::Error::internal(format!(
                    "the {sequence} sequence answered {other:?}"
                )));
            }
            Err(error) if is_conflict(&error) && attempt < MAX_ATTEMPTS => back_off(attempt).await,
            Err(error) => return Err(error),
        }
    }
}

/// Creates a batch of numbered tickets and answers each request.
async fn commit(db: &Database, jobs: Vec<(u64, Job)>) {
    let created_at = OffsetDateTime::now_utc();
    let jobs: Vec<(Job, Result<Ticket, StorageError>)> = jobs
        .into_iter()
        .map(|(number, job)| {
            let ticket = created(number, &job.draft, created_at);
            (job, ticket)
        })
        .collect();
    let result = {
        let drafts: Vec<Numbered> = jobs
            .iter()
            .filter_map(|(job, ticket)| Some(Numbered::new(job, ticket.as_ref().ok()?)))
            .collect();
        create_batch(db, &drafts, created_at).await
    };
    match result {
        Ok(()) => {
            for (job, ticket) in jobs {
                let _ = job.reply.send(ticket);
            }
        }
        Err(error) if jobs.len() > 1 => {
            // One bad draft must not fail the others: create them one by one.
            tracing::warn!(%error, size = jobs.len(), "batch create failed; creating one by one");
            for (job, ticket) in jobs {
                let result = match &ticket {
                    Ok(created) => create_batch(db, &[Numbered::new(&job, created)], created_at)
                        .await
                        .map_err(StorageError::from),
                    Err(_) => Ok(()),
                };
                let _ = job.reply.send(result.and(ticket));
            }
        }
        Err(error) => {
            for (job, _) in jobs {
                let _ = job.reply.send(Err(StorageError::from(error.clone())));
            }
        }
    }
}

/// A queued draft with the ticket it becomes once committed.
struct Numbered<'a> {
    job: &'a Job,
    ticket: &'a Ticket,
}

impl<'a> Numbered<'a> {
    fn new(job: &'a Job, ticket: &'a Ticket) -> Numbered<'a> {
        Numbered { job, ticket }
    }
}

/// A draft as bound into the batch query.
#[derive(Serialize)]
struct BoundDraft<'a> {
    number: u64,
    reference: String,
    title: &'a str,
    description: &'a str,
    urgency: &'static str,
    channel: &'static str,
    customer: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer_id: Option<u64>,
    scope: &'static str,
    environment: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    occurred_at: Option<String>,
    manner: &'a str,
    queue_key: String,
    created_at: String,
    author: &'a str,
    summary: String,
    search_words: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    once: Option<BoundKey<'a>>,
}

async fn create_batch(
    db: &Database,
    drafts: &[Numbered<'_>],
    created_at: OffsetDateTime,
) -> Result<(), surrealdb::Error> {
    let bound: Vec<BoundDraft> = drafts
        .iter()
        .map(|Numbered { job, ticket }| (job, ticket, &job.draft))
        .map(|(job, ticket, draft)| BoundDraft {
            number: ticket.reference.number(),
            reference: ticket.reference.to_string(),
            title: &draft.title,
            description: &draft.description,
            urgency: draft.urgency.as_str(),
            channel: draft.channel.as_str(),
            customer: &draft.customer,
            customer_id: draft.customer_id.map(u64::from),
            scope: draft.scope.as_str(),
            environment: &draft.environment,
            occurred_at: draft.occurred_at.map(format_time),
            manner: &draft.manner,
            queue_key: queue_key(
                Status::New,
                draft.urgency,
                created_at,
                ticket.reference.number(),
            ),
            created_at: format_time(created_at),
            author: &job.author,
            summary: format!("Reported by {} via {}", draft.customer, draft.channel),
            search_words: app::search::ticket_words(
                &draft.title,
                &draft.description,
                &draft.customer,
            ),
            once: job
                .once
                .as_ref()
                .map(|once| once.bound(serde_json::to_string(ticket).unwrap_or_default())),
        })
        .collect();
    let drafts = serde_json::to_value(&bound).unwrap_or_default();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = db
            .query(CREATE_BATCH.replace("{KEEP_ANSWER}", KEEP_ANSWER))
            .bind(("drafts", drafts.clone()))
            .await
            .and_then(transaction_outcome);
        match result {
            Ok(_) => return Ok(()),
            Err(error) if is_conflict(&error) && attempt < MAX_ATTEMPTS => back_off(attempt).await,
            Err(error) => return Err(error),
        }
    }
}

/// The ticket a draft becomes once committed.
fn created(
    number: u64,
    draft: &TicketDraft,
    created_at: OffsetDateTime,
) -> Result<Ticket, StorageError> {
    let reference = TicketRef::from_number(number)
        .ok_or_else(|| StorageError::Corrupt(format!("sequence gave number {number}")))?;
    Ok(Ticket {
        reference,
        title: draft.title.clone(),
        description: draft.description.clone(),
        urgency: draft.urgency,
        status: Status::New,
        channel: draft.channel,
        customer: draft.customer.clone(),
        customer_id: draft.customer_id.map(u64::from),
        scope: draft.scope,
        environment: draft.environment.clone(),
        occurred_at: draft.occurred_at,
        manner: draft.manner.clone(),
        assignee: None,
        resolution: None,
        resolved_in_release: None,
        created_at,
        updated_at: created_at,
        crash: None,
    })
}
