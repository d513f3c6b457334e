//! The ticket writer: one task that allocates references and creates tickets in batches.
//!
//! Every concurrent create request is queued here; the writer takes all that are waiting (up to
//! [`MAX_BATCH`]) and creates them in one transaction together with the increment of the reference
//! sequence. References are therefore allocated atomically and without gaps from this server,
//! the hot sequence record is written once per batch instead of once per ticket, and a batch
//! costs one commit (one fsync on disk). Several servers sharing one database still get distinct
//! references: their batches conflict on the sequence record and are retried.

use super::records::format_time;
use super::{
    MAX_ATTEMPTS, StorageError, back_off, is_conflict, returned_statement, transaction_outcome,
};
use app::model::{Status, Ticket, TicketRef};
use app::queue::queue_key_prefix;
use app::requests::TicketDraft;
use app::service::HelpDeskError;
use serde::Serialize;
use surrealdb::Surreal;
use surrealdb::engine::any::Any;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};

/// The most tickets one transaction creates.
const MAX_BATCH: usize = 128;

const CREATE_BATCH: &str = r#"
BEGIN TRANSACTION;
LET $last = (UPSERT ONLY sequence:ticket SET value = (value OR 0) + $count RETURN AFTER).value;
LET $first = $last - $count;
FOR $draft IN $drafts {
    LET $number = $first + $draft.offset;
    CREATE type::record('ticket', $number) CONTENT {
        number: $number,
        reference: string::concat('TCK-', <string>$number),
        title: $draft.title,
        description: $draft.description,
        urgency: $draft.urgency,
        status: 'new',
        channel: $draft.channel,
        customer: $draft.customer,
        scope: $draft.scope,
        environment: $draft.environment,
        occurred_at: IF $draft.occurred_at THEN <datetime>$draft.occurred_at ELSE NONE END,
        manner: $draft.manner,
        queue_key: string::concat($draft.queue_prefix, <string>($number + $number_offset)),
        revision: 1,
        entry_count: 1,
        created_at: <datetime>$draft.created_at,
        updated_at: <datetime>$draft.created_at
    };
    CREATE type::record('entry', [$number, 0]) CONTENT {
        ticket_number: $number,
        position: 0,
        kind: 'created',
        author: $draft.author,
        body: $draft.summary,
        created_at: <datetime>$draft.created_at
    };
};
RETURN $first;
COMMIT TRANSACTION;
"#;

/// One queued create request.
struct Job {
    draft: TicketDraft,
    reply: oneshot::Sender<Result<Ticket, HelpDeskError>>,
}

/// The sending side of the writer's queue.
#[derive(Clone)]
pub struct CreatorHandle {
    jobs: mpsc::Sender<Job>,
}

impl CreatorHandle {
    /// Queues a ticket for creation and waits until it is committed.
    pub async fn create(&self, draft: TicketDraft) -> Result<Ticket, HelpDeskError> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { draft, reply })
            .await
            .map_err(|_| writer_gone())?;
        answer.await.map_err(|_| writer_gone())?
    }
}

fn writer_gone() -> HelpDeskError {
    HelpDeskError::Storage("the ticket writer has stopped".into())
}

/// Starts the writer task.
pub fn spawn(db: Surreal<Any>) -> CreatorHandle {
    let (jobs, queue) = mpsc::channel(4 * MAX_BATCH);
    tokio::spawn(run(db, queue));
    CreatorHandle { jobs }
}

async fn run(db: Surreal<Any>, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        match create_batch(&db, &jobs).await {
            Ok(tickets) => {
                for (job, ticket) in jobs.into_iter().zip(tickets) {
                    let _ = job.reply.send(Ok(ticket));
                }
            }
            Err(error) if jobs.len() > 1 => {
                // One bad draft must not fail the others: create them one by one.
                tracing::warn!(%error, size = jobs.len(), "batch create failed; creating one by one");
                for job in jobs {
                    let result = create_batch(&db, std::slice::from_ref(&job)).await;
                    let _ = job.reply.send(
                        result
                            .map(|mut tickets| tickets.remove(0))
                            .map_err(|error| StorageError::from(error).into()),
                    );
                }
            }
            Err(error) => {
                for job in jobs {
                    let _ = job
                        .reply
                        .send(Err(StorageError::from(error.clone()).into()));
                }
            }
        }
    }
}

/// A draft as bound into the batch query.
#[derive(Serialize)]
struct BoundDraft<'a> {
    offset: u64,
    title: &'a str,
    description: &'a str,
    urgency: &'static str,
    channel: &'static str,
    customer: &'a str,
    scope: &'static str,
    environment: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    occurred_at: Option<String>,
    manner: &'a str,
    queue_prefix: String,
    created_at: String,
    author: &'a str,
    summary: String,
}

async fn create_batch(db: &Surreal<Any>, jobs: &[Job]) -> Result<Vec<Ticket>, surrealdb::Error> {
    let created_at = OffsetDateTime::now_utc();
    let bound: Vec<BoundDraft> = jobs
        .iter()
        .zip(1u64..)
        .map(|(job, offset)| {
            let draft = &job.draft;
            BoundDraft {
                offset,
                title: &draft.title,
                description: &draft.description,
                urgency: draft.urgency.as_str(),
                channel: draft.channel.as_str(),
                customer: &draft.customer,
                scope: draft.scope.as_str(),
                environment: &draft.environment,
                occurred_at: draft.occurred_at.map(format_time),
                manner: &draft.manner,
                queue_prefix: queue_key_prefix(Status::New, draft.urgency, created_at),
                created_at: format_time(created_at),
                author: &draft.author,
                summary: format!("Reported by {} via {}", draft.customer, draft.channel),
            }
        })
        .collect();
    let drafts = serde_json::to_value(&bound).unwrap_or_default();
    let mut attempt = 0;
    let first: i64 = loop {
        attempt += 1;
        let result = db
            .query(CREATE_BATCH)
            .bind(("count", jobs.len() as i64))
            .bind(("drafts", drafts.clone()))
            .bind(("number_offset", app::queue::NUMBER_OFFSET as i64))
            .await
            .and_then(transaction_outcome)
            .and_then(|mut response| {
                let index = returned_statement(&response);
                response.take::<Option<i64>>(index)
            });
        match result {
            Ok(Some(first)) => break first,
            Ok(None) => {
                return Err(surrealdb::Error::internal(
                    "the batch returned no reference".into(),
                ));
            }
            Err(error) if is_conflict(&error) && attempt < MAX_ATTEMPTS => back_off(attempt).await,
            Err(error) => return Err(error),
        }
    };
    jobs.iter()
        .zip(1u64..)
        .map(|(job, offset)| {
            let draft = job.draft.clone();
            let number = u64::try_from(first).unwrap_or(0) + offset;
            let reference = TicketRef::from_number(number).ok_or_else(|| {
                surrealdb::Error::internal(format!("sequence gave number {number}"))
            })?;
            Ok(Ticket {
                reference,
                title: draft.title,
                description: draft.description,
                urgency: draft.urgency,
                status: Status::New,
                channel: draft.channel,
                customer: draft.customer,
                scope: draft.scope,
                environment: draft.environment,
                occurred_at: draft.occurred_at,
                manner: draft.manner,
                assignee: None,
                resolution: None,
                created_at,
                updated_at: created_at,
            })
        })
        .collect()
}
