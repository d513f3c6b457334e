//! Tickets in SurrealDB: reading them, the queue, and writing a change the desk planned.
//!
//! A change is written with optimistic concurrency: the desk reads a ticket with its `revision`,
//! plans the change from it, and [`Store::apply_change`] writes the ticket and its new timeline
//! entries in one transaction only if the revision is still the same; otherwise it answers
//! [`ChangeOutcome::Stale`] and the desk plans again on the fresh ticket. Storage derives what
//! only indexes need (the queue key, the ticket's words) and knows no rule of the workflow.

use super::records::{EntryRecord, TicketRecord, decode, format_time, parse_time};
use super::request_keys::{KEEP_ANSWER, KeyedRequest};
use super::{StorageError, Store, is_conflict, returned_statement, transaction_outcome};
use app::model::{Entry, EntryKind, Outcome, Scope, Status, TicketPage, TicketRef, Urgency};
use app::queue::{key_range, order_of_key, queue_key};
use app::requests::QueueQuery;
use serde::Serialize;
use time::OffsetDateTime;

/// A timeline entry a change adds.
#[derive(Clone, Debug, PartialEq)]
pub struct NewTimelineEntry {
    /// What kind of entry.
    pub kind: EntryKind,
    /// Its text.
    pub body: String,
    /// For fix attempts.
    pub outcome: Option<Outcome>,
    /// For recorded changes: the value before.
    pub from: Option<String>,
    /// For recorded changes: the value after.
    pub to: Option<String>,
}

/// What a change sets on a ticket; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TicketChange {
    pub title: Option<String>,
    pub description: Option<String>,
    pub customer: Option<String>,
    pub customer_id: Option<Option<u64>>,
    pub scope: Option<Scope>,
    pub environment: Option<String>,
    pub occurred_at: Option<Option<OffsetDateTime>>,
    pub manner: Option<String>,
    pub urgency: Option<Urgency>,
    pub assignee: Option<Option<String>>,
    pub status: Option<Status>,
    pub resolution: Option<Option<String>>,
    pub resolved_in_release: Option<Option<String>>,
    /// A release that becomes known to a project (project, release) unless it was known before:
    /// the release a crash ticket is resolved in.
    pub release_known: Option<(u64, String)>,
    /// The timeline entries that record it, in order.
    pub entries: Vec<NewTimelineEntry>,
    /// The idempotency key of the request that adds the first of `entries`: that entry is kept
    /// as the key's answer, in the same transaction.
    pub once: Option<KeyedRequest>,
}

impl TicketChange {
    /// Whether it would write nothing.
    pub fn is_empty(&self) -> bool {
        *self == TicketChange::default()
    }
}

/// What became of a change.
#[derive(Debug)]
pub enum ChangeOutcome {
    /// Written; the ticket as it is now.
    Applied(Box<TicketRecord>),
    /// Someone changed the ticket since it was read: read it again and plan again.
    Stale,
    /// The ticket does not exist.
    Gone,
}

/// A timeline entry as bound into the query, with its position.
#[derive(Serialize)]
struct BoundEntry<'a> {
    position: u64,
    kind: EntryKind,
    body: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
}

/// SurrealQL assignments (naming only fixed fields and bound parameters) and their values.
#[derive(Default)]
struct Assignments {
    statements: Vec<&'static str>,
    values: serde_json::Map<String, serde_json::Value>,
}

impl Assignments {
    fn set(&mut self, statement: &'static str, name: &str, value: impl Serialize) {
        self.statements.push(statement);
        self.values.insert(
            name.to_string(),
            serde_json::to_value(value).unwrap_or_default(),
        );
    }

    /// Sets a field that may be cleared: `Some(None)` removes it.
    fn set_or_clear<T: Serialize>(
        &mut self,
        statement: &'static str,
        clear: &'static str,
        name: &str,
        value: &Option<Option<T>>,
    ) {
        match value {
            None => {}
            Some(Some(value)) => self.set(statement, name, value),
            Some(None) => self.statements.push(clear),
        }
    }
}

const APPLY_CHANGE: &str = r#"
BEGIN TRANSACTION;
LET $updated = (UPDATE type::record('ticket', $number) SET {ASSIGNMENTS} revision = revision + 1, entry_count = entry_count + $entry_total, updated_at = <datetime>$now WHERE revision = $revision RETURN AFTER);
IF array::len($updated) = 0 { THROW 'stale revision: the ticket changed since it was read' };
FOR $entry IN $entries {
    CREATE type::record('entry', [$number, $entry.position]) CONTENT {
        ticket_number: $number,
        position: $entry.position,
        kind: $entry.kind,
        author: $author,
        body: $entry.body,
        text: IF $entry.kind IN ['note', 'contact', 'attempt'] THEN $entry.body ELSE NONE END,
        outcome: $entry.outcome,
        change_from: $entry.from,
        change_to: $entry.to,
        created_at: <datetime>$now
    };
};
IF $release_known {
    INSERT IGNORE INTO crash_release { id: type::record('crash_release', $release_known), first_seen: <datetime>$now };
};
{KEEP_ANSWER}
RETURN $updated[0];
COMMIT TRANSACTION;
"#;

/// How many tickets holding a word are counted, at most, to judge how rare the word is.
const RARITY_PROBE: i64 = 200;

impl Store {
    /// The query word whose index a search walks: the rarest, so that the walk checking the other
    /// words is short. Counts stop at [`RARITY_PROBE`]; among equally common words the longest
    /// leads, as long words tend to be the rarer ones.
    async fn leading_word(&self, words: &[String]) -> Result<Option<String>, StorageError> {
        if words.len() < 2 {
            return Ok(words.first().cloned());
        }
        let mut statement = String::new();
        for index in 0..words.len() {
            statement.push_str(&format!(
                "RETURN array::len((SELECT VALUE id FROM ticket WITH INDEX ticket_words WHERE search_words CONTAINS $word_{index} LIMIT $probe));\n"
            ));
        }
        let mut query = self.db().query(statement).bind(("probe", RARITY_PROBE));
        for (index, word) in words.iter().enumerate() {
            query = query.bind((format!("word_{index}"), word.clone()));
        }
        let mut response = query.await.and_then(|response| response.check())?;
        let mut rarest: Option<(i64, std::cmp::Reverse<usize>, &String)> = None;
        for (index, word) in words.iter().enumerate() {
            let count: Option<i64> = response.take(index)?;
            let candidate = (
                count.unwrap_or(0),
                std::cmp::Reverse(word.chars().count()),
                word,
            );
            if rarest
                .as_ref()
                .is_none_or(|best| (candidate.0, candidate.1) < (best.0, best.1))
            {
                rarest = Some(candidate);
            }
        }
        Ok(rarest.map(|(_, _, word)| word.clone()))
    }

    /// Creates a ticket entered by `author`, with the next reference (see `creator.rs`); with
    /// `once`, keeps the ticket as that key's answer.
    pub async fn insert_ticket(
        &self,
        draft: app::requests::TicketDraft,
        author: String,
        once: Option<KeyedRequest>,
    ) -> Result<app::model::Ticket, StorageError> {
        self.creator.create(draft, author, once).await
    }

    /// A ticket's stored record, if it exists.
    pub async fn load_ticket(
        &self,
        reference: TicketRef,
    ) -> Result<Option<TicketRecord>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT * OMIT search_words, search_text FROM type::record('ticket', $number)")
            .bind(("number", reference.number() as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        Ok(decode::<TicketRecord>(rows)?.pop())
    }

    /// Writes `change`, made by `author` from `current`, if the ticket is still at `current`'s
    /// revision: its fields, the queue key and words they affect, and its timeline entries, in
    /// one transaction.
    pub async fn apply_change(
        &self,
        current: &TicketRecord,
        author: &str,
        change: &TicketChange,
    ) -> Result<ChangeOutcome, StorageError> {
        let mut assignments = Assignments::default();
        for (statement, name, value) in [
            ("title = $title", "title", &change.title),
            (
                "description = $description",
                "description",
                &change.description,
            ),
            ("customer = $customer", "customer", &change.customer),
            (
                "environment = $environment",
                "environment",
                &change.environment,
            ),
            ("manner = $manner", "manner", &change.manner),
        ] {
            if let Some(value) = value {
                assignments.set(statement, name, value);
            }
        }
        if change.title.is_some() || change.description.is_some() || change.customer.is_some() {
            let words = app::search::ticket_words(
                change.title.as_deref().unwrap_or(&current.title),
                change
                    .description
                    .as_deref()
                    .unwrap_or(&current.description),
                change.customer.as_deref().unwrap_or(&current.customer),
            );
            assignments.set("search_words = $search_words", "search_words", words);
        }
        assignments.set_or_clear(
            "customer_id = $customer_id",
            "customer_id = NONE",
            "customer_id",
            &change.customer_id,
        );
        if let Some(scope) = change.scope {
            assignments.set("scope = $scope", "scope", scope);
        }
        assignments.set_or_clear(
            "occurred_at = <datetime>$occurred_at",
            "occurred_at = NONE",
            "occurred_at",
            &change.occurred_at.map(|moment| moment.map(format_time)),
        );
        if let Some(urgency) = change.urgency {
            assignments.set("urgency = $urgency", "urgency", urgency);
        }
        assignments.set_or_clear(
            "assignee = $assignee",
            "assignee = NONE",
            "assignee",
            &change.assignee,
        );
        if let Some(status) = change.status {
            assignments.set("status = $status", "status", status);
        }
        if change.status.is_some() || change.urgency.is_some() {
            let created_at = parse_time(&current.created_at)?;
            assignments.set(
                "queue_key = $queue_key",
                "queue_key",
                queue_key(
                    change.status.unwrap_or(current.status),
                    change.urgency.unwrap_or(current.urgency),
                    created_at,
                    current.number,
                ),
            );
        }
        assignments.set_or_clear(
            "resolution = $resolution",
            "resolution = NONE",
            "resolution",
            &change.resolution,
        );
        assignments.set_or_clear(
            "resolved_in_release = $resolved_in_release",
            "resolved_in_release = NONE",
            "resolved_in_release",
            &change.resolved_in_release,
        );
        let entries: Vec<BoundEntry> = change
            .entries
            .iter()
            .zip(current.entry_count..)
            .map(|(entry, position)| BoundEntry {
                position,
                kind: entry.kind,
                body: &entry.body,
                outcome: entry.outcome,
                from: entry.from.as_deref(),
                to: entry.to.as_deref(),
            })
            .collect();
        let statements: String = assignments
            .statements
            .iter()
            .map(|statement| format!("{statement}, "))
            .collect();
        let now = OffsetDateTime::now_utc();
        // A keyed request's answer is the first entry it adds, as the timeline shows it.
        let once = match (&change.once, change.entries.first()) {
            (Some(once), Some(entry)) => {
                let answer = Entry {
                    kind: entry.kind,
                    author: author.to_string(),
                    body: entry.body.clone(),
                    outcome: entry.outcome,
                    from: entry.from.clone(),
                    to: entry.to.clone(),
                    created_at: now,
                };
                Some(
                    serde_json::to_value(
                        once.bound(serde_json::to_string(&answer).unwrap_or_default()),
                    )
                    .unwrap_or_default(),
                )
            }
            _ => None,
        };
        let result = self
            .db()
            .query(
                APPLY_CHANGE
                    .replace("{ASSIGNMENTS}", &statements)
                    .replace("{KEEP_ANSWER}", KEEP_ANSWER),
            )
            .bind(serde_json::Value::Object(assignments.values))
            .bind(("number", current.number as i64))
            .bind(("revision", current.revision as i64))
            .bind(("entry_total", entries.len() as i64))
            .bind((
                "entries",
                serde_json::to_value(&entries).unwrap_or_default(),
            ))
            .bind(("author", author.to_string()))
            .bind((
                "release_known",
                change
                    .release_known
                    .as_ref()
                    .map(|(project, release)| serde_json::json!([*project as i64, release])),
            ))
            .bind(("once", once))
            .bind(("now", format_time(now)))
            .await
            .and_then(transaction_outcome)
            .and_then(|mut response| {
                let index = returned_statement(&response);
                response.take::<Option<serde_json::Value>>(index)
            });
        match result {
            Ok(Some(row)) => Ok(ChangeOutcome::Applied(Box::new(
                decode::<TicketRecord>(vec![row])?.remove(0),
            ))),
            Ok(None) => Ok(ChangeOutcome::Gone),
            Err(error) if is_conflict(&error) || error.message().contains("stale revision") => {
                Ok(ChangeOutcome::Stale)
            }
            Err(error) => Err(error.into()),
        }
    }

    /// A ticket's timeline, oldest first.
    pub async fn entries(&self, reference: TicketRef) -> Result<Vec<Entry>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT * FROM entry WHERE ticket_number = $number ORDER BY position")
            .bind(("number", reference.number() as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        decode::<EntryRecord>(rows)?
            .into_iter()
            .map(EntryRecord::into_entry)
            .collect()
    }

    /// One page of the queue.
    pub async fn queue_page(&self, query: &QueueQuery) -> Result<TicketPage, StorageError> {
        // One scan per status, in one round trip, merged here. Without words, a scan walks the
        // (status, queue_key) index; with words, the (word, status, queue_key) index of the
        // leading word, checking the other words on the way. Either way a scan reads the queue in
        // order and stops after one page. The upper bound is applied here, not in the query:
        // SurrealDB 3.3 seeks to a lower bound in a compound index but walks the whole status
        // when given both bounds.
        // An agent's own tickets are few: their (assignee, status, queue_key) index leads, and
        // words are checked on the way.
        let leading_word = match query.assignee {
            Some(_) => None,
            None => self.leading_word(&query.words).await?,
        };
        // The leading index: an agent's own tickets are few, then the rarest word, then the
        // channel, then the plain queue; the other conditions are checked on the way.
        let mut scan = match (&query.assignee, &leading_word, query.channel) {
            (Some(_), _, _) => {
                "FROM ticket WITH INDEX ticket_assignee WHERE assignee = $assignee AND".to_string()
            }
            (None, Some(_), _) => {
                "FROM ticket WITH INDEX ticket_words WHERE search_words CONTAINS $leading_word AND"
                    .to_string()
            }
            (None, None, Some(_)) => {
                "FROM ticket WITH INDEX ticket_channel WHERE channel = $channel AND".to_string()
            }
            (None, None, None) => "FROM ticket WITH INDEX ticket_queue WHERE".to_string(),
        };
        if !query.words.is_empty() {
            scan.push_str(" search_words CONTAINSALL $words AND");
        }
        if query.channel.is_some() && (query.assignee.is_some() || leading_word.is_some()) {
            scan.push_str(" channel = $channel AND");
        }
        let statuses = query.status.statuses();
        let mut statement = String::new();
        let mut parameters = serde_json::Map::new();
        let mut upper_bounds = Vec::with_capacity(statuses.len());
        for (index, status) in statuses.iter().enumerate() {
            let (lower, upper) = key_range(*status, query.urgency, query.cursor.as_deref());
            statement.push_str(&format!(
                "SELECT * OMIT search_words, search_text {scan} status = $status_{index} AND queue_key > $lower_{index} ORDER BY queue_key LIMIT $limit;\n"
            ));
            parameters.insert(format!("status_{index}"), status.as_str().into());
            parameters.insert(format!("lower_{index}"), lower.into());
            upper_bounds.push(upper);
        }
        let mut response = self
            .db()
            .query(statement)
            .bind(serde_json::Value::Object(parameters))
            .bind(("leading_word", leading_word.unwrap_or_default()))
            .bind(("words", query.words.clone()))
            .bind(("assignee", query.assignee.clone().unwrap_or_default()))
            .bind((
                "channel",
                query
                    .channel
                    .map(|channel| channel.as_str())
                    .unwrap_or_default(),
            ))
            .bind(("limit", query.limit as i64 + 1))
            .await
            .and_then(|response| response.check())?;
        let mut records = Vec::new();
        for (index, upper) in upper_bounds.iter().enumerate() {
            let rows: Vec<serde_json::Value> = response.take(index)?;
            records.extend(
                decode::<TicketRecord>(rows)?
                    .into_iter()
                    .filter(|record| record.queue_key < *upper),
            );
        }
        records.sort_by(|left, right| {
            order_of_key(&left.queue_key).cmp(order_of_key(&right.queue_key))
        });
        let next_cursor = if records.len() > query.limit {
            records.truncate(query.limit);
            records
                .last()
                .map(|last| order_of_key(&last.queue_key).to_string())
        } else {
            None
        };
        let items = records
            .into_iter()
            .map(TicketRecord::into_ticket)
            .collect::<Result<_, _>>()?;
        Ok(TicketPage { items, next_cursor })
    }

    /// Whether the database answers.
    pub async fn ready(&self) -> Result<(), StorageError> {
        self.db().query("RETURN 1").await?.check()?;
        Ok(())
    }
}
