//! The help desk's operations over SurrealDB: reading, listing and changing tickets.
//!
//! Changes use optimistic concurrency: a ticket is read with its `revision`, the rules are checked
//! in Rust, and the write (the ticket and its new timeline entries, in one transaction) only
//! applies if the revision is still the same; otherwise the whole step is tried again on the
//! fresh ticket. Two agents acting at once can therefore never lose each other's changes or
//! skip a workflow rule.

use super::records::{EntryRecord, TicketRecord, decode, format_time};
use super::{
    MAX_ATTEMPTS, StorageError, Store, back_off, is_conflict, returned_statement,
    transaction_outcome,
};
use app::model::{Entry, EntryKind, Outcome, Status, Ticket, TicketDetail, TicketPage, TicketRef};
use app::queue::{key_range, order_of_key, queue_key};
use app::requests::{CheckedPatch, EntryDraft, QueueQuery, TicketDraft, TransitionDraft};
use app::service::{HelpDesk, HelpDeskError};
use app::workflow::check_transition;
use serde::Serialize;
use time::OffsetDateTime;

/// A timeline entry about to be written; its position is assigned when the change is applied.
#[derive(Clone, Debug, Serialize)]
struct NewEntryRow {
    position: u64,
    kind: EntryKind,
    body: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<String>,
}

/// A planned change of one ticket: field assignments and the entries that record them.
#[derive(Default)]
struct Change {
    /// SurrealQL assignments naming only fixed fields and bound parameters.
    assignments: Vec<&'static str>,
    values: serde_json::Map<String, serde_json::Value>,
    entries: Vec<NewEntryRow>,
}

impl Change {
    fn set(&mut self, assignment: &'static str, name: &str, value: impl Serialize) {
        self.assignments.push(assignment);
        self.values.insert(
            name.to_string(),
            serde_json::to_value(value).unwrap_or_default(),
        );
    }

    fn record(&mut self, kind: EntryKind, body: String, from: Option<String>, to: Option<String>) {
        self.entries.push(NewEntryRow {
            position: 0,
            kind,
            body,
            outcome: None,
            from,
            to,
        });
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

    /// A ticket's stored record.
    pub(crate) async fn load(&self, reference: TicketRef) -> Result<TicketRecord, HelpDeskError> {
        let mut response = self
            .db()
            .query("SELECT * OMIT search_words, search_text FROM type::record('ticket', $number)")
            .bind(("number", reference.number() as i64))
            .await
            .and_then(|response| response.check())
            .map_err(StorageError::from)?;
        let rows: Vec<serde_json::Value> = response.take(0).map_err(StorageError::from)?;
        decode::<TicketRecord>(rows)?
            .pop()
            .ok_or(HelpDeskError::NotFound(reference))
    }

    /// Reads the ticket, plans a change with `plan`, and writes it if nobody else wrote first.
    async fn change(
        &self,
        reference: TicketRef,
        author: &str,
        plan: impl Fn(&TicketRecord) -> Result<Change, HelpDeskError>,
    ) -> Result<Ticket, HelpDeskError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = self.load(reference).await?;
            let change = plan(&current)?;
            if change.assignments.is_empty() && change.entries.is_empty() {
                return current.into_ticket().map_err(Into::into);
            }
            let mut entries = change.entries;
            for (entry, position) in entries.iter_mut().zip(current.entry_count..) {
                entry.position = position;
            }
            let assignments: String = change
                .assignments
                .iter()
                .map(|assignment| format!("{assignment}, "))
                .collect();
            let query = APPLY_CHANGE.replace("{ASSIGNMENTS}", &assignments);
            let result = self
                .db()
                .query(query)
                .bind(serde_json::Value::Object(change.values))
                .bind(("number", reference.number() as i64))
                .bind(("revision", current.revision as i64))
                .bind(("entry_total", entries.len() as i64))
                .bind((
                    "entries",
                    serde_json::to_value(&entries).unwrap_or_default(),
                ))
                .bind(("author", author.to_string()))
                .bind(("now", format_time(OffsetDateTime::now_utc())))
                .await
                .and_then(transaction_outcome)
                .and_then(|mut response| {
                    let index = returned_statement(&response);
                    response.take::<Option<serde_json::Value>>(index)
                });
            match result {
                Ok(Some(row)) => {
                    let record = decode::<TicketRecord>(vec![row])?.remove(0);
                    return record.into_ticket().map_err(Into::into);
                }
                Ok(None) => return Err(HelpDeskError::NotFound(reference)),
                Err(error)
                    if (is_conflict(&error) || error.message().contains("stale revision"))
                        && attempt < MAX_ATTEMPTS =>
                {
                    tracing::debug!(%error, attempt, %reference, "ticket changed concurrently; trying again");
                    back_off(attempt).await;
                }
                Err(error) => return Err(StorageError::from(error).into()),
            }
        }
    }

    async fn entries(&self, reference: TicketRef) -> Result<Vec<Entry>, StorageError> {
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
}

fn plan_patch(current: &TicketRecord, patch: &CheckedPatch) -> Result<Change, HelpDeskError> {
    let mut change = Change::default();
    let mut edited = Vec::new();
    macro_rules! text_field {
        ($field:ident, $assignment:literal) => {
            if let Some(value) = &patch.$field {
                if *value != current.$field {
                    change.set($assignment, stringify!($field), value);
                    edited.push(stringify!($field));
                }
            }
        };
    }
    text_field!(title, "title = $title");
    text_field!(description, "description = $description");
    text_field!(customer, "customer = $customer");
    text_field!(environment, "environment = $environment");
    text_field!(manner, "manner = $manner");
    if edited
        .iter()
        .any(|field| ["title", "description", "customer"].contains(field))
    {
        let words = app::search::ticket_words(
            patch.title.as_deref().unwrap_or(&current.title),
            patch.description.as_deref().unwrap_or(&current.description),
            patch.customer.as_deref().unwrap_or(&current.customer),
        );
        change.set("search_words = $search_words", "search_words", words);
    }
    if let Some(customer_id) = patch.customer_id
        && customer_id != current.customer_id
    {
        match customer_id {
            Some(id) => change.set("customer_id = $customer_id", "customer_id", id),
            None => change.assignments.push("customer_id = NONE"),
        }
        edited.push("customer record");
    }
    if let Some(scope) = patch.scope.filter(|scope| *scope != current.scope) {
        change.set("scope = $scope", "scope", scope);
        edited.push("scope");
    }
    if let Some(occurred_at) = patch.occurred_at {
        let stored = current
            .occurred_at
            .as_deref()
            .map(super::records::parse_time)
            .transpose()?;
        if stored != occurred_at {
            match occurred_at {
                Some(moment) => change.set(
                    "occurred_at = <datetime>$occurred_at",
                    "occurred_at",
                    format_time(moment),
                ),
                None => change.assignments.push("occurred_at = NONE"),
            }
            edited.push("occurred_at");
        }
    }
    if !edited.is_empty() {
        change.record(
            EntryKind::Edit,
            format!("Edited {}", edited.join(", ")),
            None,
            None,
        );
    }
    if let Some(urgency) = patch.urgency.filter(|urgency| *urgency != current.urgency) {
        let created_at = super::records::parse_time(&current.created_at)?;
        change.set("urgency = $urgency", "urgency", urgency);
        change.set(
            "queue_key = $queue_key",
            "queue_key",
            queue_key(current.status, urgency, created_at, current.number),
        );
        change.record(
            EntryKind::UrgencyChange,
            format!("Urgency changed from {} to {urgency}", current.urgency),
            Some(current.urgency.to_string()),
            Some(urgency.to_string()),
        );
    }
    if let Some(assignee) = &patch.assignee
        && *assignee != current.assignee
    {
        match assignee {
            Some(name) => change.set("assignee = $assignee", "assignee", name),
            None => change.assignments.push("assignee = NONE"),
        }
        let body = match assignee {
            Some(name) => format!("Assigned to {name}"),
            None => "Unassigned".to_string(),
        };
        change.record(
            EntryKind::AssigneeChange,
            body,
            current.assignee.clone(),
            assignee.clone(),
        );
    }
    Ok(change)
}

#[async_trait::async_trait]
impl HelpDesk for Store {
    async fn create_ticket(&self, draft: TicketDraft) -> Result<Ticket, HelpDeskError> {
        self.check_customer_exists(draft.customer_id).await?;
        self.creator.create(draft).await
    }

    async fn ticket(&self, reference: TicketRef) -> Result<TicketDetail, HelpDeskError> {
        let ticket = self.load(reference).await?.into_ticket()?;
        let entries = self.entries(reference).await?;
        Ok(TicketDetail { ticket, entries })
    }

    async fn queue(&self, query: QueueQuery) -> Result<TicketPage, HelpDeskError> {
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
            .and_then(|response| response.check())
            .map_err(StorageError::from)?;
        let mut records = Vec::new();
        for (index, upper) in upper_bounds.iter().enumerate() {
            let rows: Vec<serde_json::Value> = response.take(index).map_err(StorageError::from)?;
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

    async fn update_ticket(
        &self,
        reference: TicketRef,
        patch: CheckedPatch,
    ) -> Result<Ticket, HelpDeskError> {
        if let Some(Some(email)) = &patch.assignee
            && !self.is_active_agent(email).await?
        {
            return Err(app::requests::FieldError::new(
                "assignee",
                format!("{email} is not an active agent"),
            )
            .into());
        }
        if let Some(customer_id) = patch.customer_id {
            self.check_customer_exists(customer_id).await?;
        }
        let author = patch.author.clone();
        self.change(reference, &author, |current| plan_patch(current, &patch))
            .await
    }

    async fn add_entry(
        &self,
        reference: TicketRef,
        draft: EntryDraft,
    ) -> Result<Entry, HelpDeskError> {
        let ticket = self
            .change(reference, &draft.author, |_| {
                let mut change = Change::default();
                change.entries.push(NewEntryRow {
                    position: 0,
                    kind: draft.kind,
                    body: draft.body.clone(),
                    outcome: draft.outcome,
                    from: None,
                    to: None,
                });
                Ok(change)
            })
            .await?;
        Ok(Entry {
            kind: draft.kind,
            author: draft.author,
            body: draft.body,
            outcome: draft.outcome,
            from: None,
            to: None,
            created_at: ticket.updated_at,
        })
    }

    async fn transition(
        &self,
        reference: TicketRef,
        draft: TransitionDraft,
    ) -> Result<Ticket, HelpDeskError> {
        self.change(reference, &draft.author, |current| {
            let ticket = current.clone().into_ticket()?;
            check_transition(&ticket, draft.to, draft.resolution.as_deref())?;
            let mut change = Change::default();
            change.set("status = $status", "status", draft.to);
            let created_at = super::records::parse_time(&current.created_at)?;
            change.set(
                "queue_key = $queue_key",
                "queue_key",
                queue_key(draft.to, current.urgency, created_at, current.number),
            );
            let body = match (draft.to, &draft.resolution) {
                (Status::Resolved, Some(resolution)) => {
                    change.set("resolution = $resolution", "resolution", resolution);
                    match &draft.release {
                        Some(release) => {
                            change.set(
                                "resolved_in_release = $resolved_in_release",
                                "resolved_in_release",
                                release,
                            );
                            format!("{resolution} (fixed in {release})")
                        }
                        None => {
                            change.assignments.push("resolved_in_release = NONE");
                            resolution.clone()
                        }
                    }
                }
                (_, note) => {
                    if matches!(ticket.status, Status::Resolved | Status::Closed)
                        && draft.to != Status::Closed
                    {
                        change.assignments.push("resolution = NONE");
                        change.assignments.push("resolved_in_release = NONE");
                    }
                    note.clone().unwrap_or_default()
                }
            };
            change.record(
                EntryKind::StatusChange,
                body,
                Some(ticket.status.to_string()),
                Some(draft.to.to_string()),
            );
            Ok(change)
        })
        .await
    }

    async fn crash_events(
        &self,
        reference: TicketRef,
        after: u64,
        limit: usize,
    ) -> Result<Vec<app::crash::StoredCrashEvent>, HelpDeskError> {
        self.load(reference).await?;
        Ok(self
            .stored_crash_events(reference.number(), after, limit)
            .await?
            .into_iter()
            .map(super::StoredEvent::into_wire)
            .collect())
    }

    async fn latest_crash_event(
        &self,
        reference: TicketRef,
    ) -> Result<Option<app::crash::StoredCrashEvent>, HelpDeskError> {
        self.load(reference).await?;
        Ok(self
            .latest_stored_crash_event(reference.number())
            .await?
            .map(super::StoredEvent::into_wire))
    }

    async fn crash_occurrences(
        &self,
        reference: TicketRef,
        since_hour: i64,
    ) -> Result<app::crash::OccurrenceHistory, HelpDeskError> {
        self.load(reference).await?;
        let current_hour = time::OffsetDateTime::now_utc()
            .unix_timestamp()
            .div_euclid(3_600);
        Ok(app::crash::OccurrenceHistory {
            current_hour,
            hours: self.crash_hours(reference.number(), since_hour).await?,
        })
    }

    async fn ready(&self) -> Result<(), HelpDeskError> {
        self.db()
            .query("RETURN 1")
            .await
            .and_then(|response| response.check())
            .map_err(StorageError::from)?;
        Ok(())
    }
}
