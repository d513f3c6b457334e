//! Tickets: entering them, the queue, and the workflow on their timeline. Viewers read them;
//! agents enter and work them, and every change is written in the caller's name.
//!
//! A change is planned here from the ticket as it was read, and storage writes it only over the
//! revision it was planned from; when someone changed the ticket meanwhile, it is read and planned
//! again. Two agents acting at once therefore never lose each other's changes or skip a rule of
//! the workflow.

use super::Desk;
use super::customers::{check_customer_exists, load as load_customer};
use super::request_keys::keyed;
use crate::storage::{
    ChangeOutcome, MAX_ATTEMPTS, NewTimelineEntry, Store, TicketChange, TicketRecord, back_off,
    parse_time,
};
use app::accounts::Principal;
use app::fields::FieldError;
use app::model::{Entry, EntryKind, Role, Status, Ticket, TicketDetail, TicketPage, TicketRef};
use app::requests::{CheckedPatch, EntryDraft, QueueQuery, TicketDraft, TransitionDraft};
use app::service::{HelpDeskError, RequestKey, TicketService};
use app::workflow::check_transition;

/// A ticket's stored record, or the error that names the missing one.
pub(super) async fn load(
    store: &Store,
    reference: TicketRef,
) -> Result<TicketRecord, HelpDeskError> {
    store
        .load_ticket(reference)
        .await?
        .ok_or(HelpDeskError::NotFound(reference))
}

impl Desk {
    /// Reads the ticket, plans a change with `plan`, and has it written if nobody else wrote
    /// first; otherwise plans again on the fresh ticket.
    async fn change(
        &self,
        reference: TicketRef,
        author: &str,
        plan: impl Fn(&TicketRecord) -> Result<TicketChange, HelpDeskError>,
    ) -> Result<Ticket, HelpDeskError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let current = load(self.store(), reference).await?;
            let change = plan(&current)?;
            if change.is_empty() {
                return Ok(current.into_ticket()?);
            }
            match self.store().apply_change(&current, author, &change).await? {
                ChangeOutcome::Applied(record) => return Ok(record.into_ticket()?),
                ChangeOutcome::Gone => return Err(HelpDeskError::NotFound(reference)),
                ChangeOutcome::Stale if attempt < MAX_ATTEMPTS => {
                    tracing::debug!(attempt, %reference, "ticket changed concurrently; planning again");
                    back_off(attempt).await;
                }
                ChangeOutcome::Stale => {
                    return Err(HelpDeskError::Storage(
                        format!("{reference} kept changing while the change was written").into(),
                    ));
                }
            }
        }
    }
}

/// The change a patch makes to a ticket as it is: only what differs, each recorded on the
/// timeline (the edited fields together, then urgency, then the assignee).
fn plan_patch(current: &TicketRecord, patch: &CheckedPatch) -> Result<TicketChange, HelpDeskError> {
    let mut change = TicketChange::default();
    let mut edited = Vec::new();
    let differs =
        |new: &Option<String>, old: &String| new.as_ref().filter(|new| *new != old).cloned();
    for (name, new, old, field) in [
        ("title", &patch.title, &current.title, &mut change.title),
        (
            "description",
            &patch.description,
            &current.description,
            &mut change.description,
        ),
        (
            "customer",
            &patch.customer,
            &current.customer,
            &mut change.customer,
        ),
        (
            "environment",
            &patch.environment,
            &current.environment,
            &mut change.environment,
        ),
        ("manner", &patch.manner, &current.manner, &mut change.manner),
    ] {
        if let Some(value) = differs(new, old) {
            *field = Some(value);
            edited.push(name);
        }
    }
    if let Some(customer_id) = patch.customer_id {
        let customer_id = customer_id.map(u64::from);
        if customer_id != current.customer_id {
            change.customer_id = Some(customer_id);
            edited.push("customer record");
        }
    }
    if let Some(scope) = patch.scope.filter(|scope| *scope != current.scope) {
        change.scope = Some(scope);
        edited.push("scope");
    }
    if let Some(occurred_at) = patch.occurred_at {
        let stored = current.occurred_at.as_deref().map(parse_time).transpose()?;
        if stored != occurred_at {
            change.occurred_at = Some(occurred_at);
            edited.push("occurred_at");
        }
    }
    if !edited.is_empty() {
        change.entries.push(NewTimelineEntry {
            kind: EntryKind::Edit,
            body: format!("Edited {}", edited.join(", ")),
            outcome: None,
            from: None,
            to: None,
        });
    }
    if let Some(urgency) = patch.urgency.filter(|urgency| *urgency != current.urgency) {
        change.urgency = Some(urgency);
        change.entries.push(NewTimelineEntry {
            kind: EntryKind::UrgencyChange,
            body: format!("Urgency changed from {} to {urgency}", current.urgency),
            outcome: None,
            from: Some(current.urgency.to_string()),
            to: Some(urgency.to_string()),
        });
    }
    if let Some(assignee) = &patch.assignee
        && *assignee != current.assignee
    {
        change.assignee = Some(assignee.clone());
        change.entries.push(NewTimelineEntry {
            kind: EntryKind::AssigneeChange,
            body: match assignee {
                Some(name) => format!("Assigned to {name}"),
                None => "Unassigned".to_string(),
            },
            outcome: None,
            from: current.assignee.clone(),
            to: assignee.clone(),
        });
    }
    Ok(change)
}

/// The change a transition makes, if the workflow allows it: the new status, the resolution
/// (kept while a resolved ticket closes, dropped when it reopens) and the status-change entry.
fn plan_transition(
    current: &TicketRecord,
    transition: &TransitionDraft,
) -> Result<TicketChange, HelpDeskError> {
    let ticket = current.clone().into_ticket()?;
    check_transition(&ticket, transition.to, transition.resolution.as_deref())?;
    let mut change = TicketChange {
        status: Some(transition.to),
        ..TicketChange::default()
    };
    let body = match (transition.to, &transition.resolution) {
        (Status::Resolved, Some(resolution)) => {
            change.resolution = Some(Some(resolution.clone()));
            change.resolved_in_release = Some(transition.release.clone());
            // A crash ticket's fix release is known to its project from now on, if not before:
            // releases without version numbers are ordered by when they were first known.
            change.release_known = current.project.zip(transition.release.clone());
            match &transition.release {
                Some(release) => format!("{resolution} (fixed in {release})"),
                None => resolution.clone(),
            }
        }
        (_, note) => {
            if matches!(ticket.status, Status::Resolved | Status::Closed)
                && transition.to != Status::Closed
            {
                change.resolution = Some(None);
                change.resolved_in_release = Some(None);
            }
            note.clone().unwrap_or_default()
        }
    };
    change.entries.push(NewTimelineEntry {
        kind: EntryKind::StatusChange,
        body,
        outcome: None,
        from: Some(ticket.status.to_string()),
        to: Some(transition.to.to_string()),
    });
    Ok(change)
}

#[async_trait::async_trait]
impl TicketService for Desk {
    async fn create_ticket(
        &self,
        caller: &Principal,
        mut draft: TicketDraft,
        once: Option<RequestKey>,
    ) -> Result<Ticket, HelpDeskError> {
        let agent = caller.require(Role::Agent)?;
        let once = keyed(agent, once);
        if let Some(ticket) = self.kept_answer(once.as_ref()).await? {
            return Ok(ticket);
        }
        if let Some(id) = draft.customer_id {
            let customer = load_customer(self.store(), id)
                .await
                .map_err(|error| match error {
                    HelpDeskError::Missing { .. } => {
                        FieldError::new("customer_id", format!("no customer {id} exists")).into()
                    }
                    other => other,
                })?;
            // A ticket filed for a customer record without a name takes the record's.
            if draft.customer.is_empty() {
                draft.customer = customer.name;
            }
        }
        match self
            .store()
            .insert_ticket(draft, agent.author(), once.clone())
            .await
        {
            Ok(ticket) => Ok(ticket),
            Err(error) => self.answered_meanwhile(once.as_ref(), error.into()).await,
        }
    }

    async fn ticket(
        &self,
        caller: &Principal,
        reference: TicketRef,
    ) -> Result<TicketDetail, HelpDeskError> {
        caller.require(Role::Viewer)?;
        let ticket = load(self.store(), reference).await?.into_ticket()?;
        let entries = self.store().entries(reference).await?;
        Ok(TicketDetail { ticket, entries })
    }

    async fn queue(
        &self,
        caller: &Principal,
        query: QueueQuery,
    ) -> Result<TicketPage, HelpDeskError> {
        caller.require(Role::Viewer)?;
        Ok(self.store().queue_page(&query).await?)
    }

    async fn update_ticket(
        &self,
        caller: &Principal,
        reference: TicketRef,
        patch: CheckedPatch,
    ) -> Result<Ticket, HelpDeskError> {
        let agent = caller.require(Role::Agent)?;
        if patch == CheckedPatch::default() {
            // `{}` changes nothing: the ticket as it is, nothing written.
            return Ok(self.ticket(caller, reference).await?.ticket);
        }
        if let Some(Some(email)) = &patch.assignee
            && !self.store().is_active_agent(email).await?
        {
            return Err(
                FieldError::new("assignee", format!("{email} is not an active agent")).into(),
            );
        }
        if let Some(customer_id) = patch.customer_id {
            check_customer_exists(self.store(), customer_id).await?;
        }
        self.change(reference, &agent.author(), |current| {
            plan_patch(current, &patch)
        })
        .await
    }

    async fn add_entry(
        &self,
        caller: &Principal,
        reference: TicketRef,
        draft: EntryDraft,
        once: Option<RequestKey>,
    ) -> Result<Entry, HelpDeskError> {
        let agent = caller.require(Role::Agent)?;
        let author = agent.author();
        let once = keyed(agent, once);
        if let Some(entry) = self.kept_answer(once.as_ref()).await? {
            return Ok(entry);
        }
        let changed = self
            .change(reference, &author, |_| {
                Ok(TicketChange {
                    entries: vec![NewTimelineEntry {
                        kind: draft.kind,
                        body: draft.body.clone(),
                        outcome: draft.outcome,
                        from: None,
                        to: None,
                    }],
                    once: once.clone(),
                    ..TicketChange::default()
                })
            })
            .await;
        let ticket = match changed {
            Ok(ticket) => ticket,
            Err(error) => return self.answered_meanwhile(once.as_ref(), error).await,
        };
        Ok(Entry {
            kind: draft.kind,
            author,
            body: draft.body,
            outcome: draft.outcome,
            from: None,
            to: None,
            created_at: ticket.updated_at,
        })
    }

    async fn transition(
        &self,
        caller: &Principal,
        reference: TicketRef,
        transition: TransitionDraft,
    ) -> Result<Ticket, HelpDeskError> {
        let agent = caller.require(Role::Agent)?;
        self.change(reference, &agent.author(), |current| {
            plan_transition(current, &transition)
        })
        .await
    }
}
