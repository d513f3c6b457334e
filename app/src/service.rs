//! The help desk's operations as one trait, implemented by the server over its database.
//!
//! Server functions and the REST API both call through this trait, so the dashboard and
//! integrations share one set of rules, and `app` never names a database type.

use crate::model::{Entry, Ticket, TicketDetail, TicketPage, TicketRef};
use crate::requests::{
    CheckedPatch, EntryDraft, FieldError, QueueQuery, TicketDraft, TransitionDraft,
};
use crate::workflow::WorkflowError;
use std::sync::Arc;

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum HelpDeskError {
    /// The request was malformed.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// No ticket has this reference.
    #[error("no ticket {0} exists")]
    NotFound(TicketRef),
    /// The workflow does not allow the change.
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// The database failed; the detail is for the log, not for the user.
    #[error("the database is unavailable; try again")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The help desk, as the server implements it.
#[async_trait::async_trait]
pub trait HelpDesk: Send + Sync + 'static {
    /// Enters a new ticket with the next reference.
    async fn create_ticket(&self, draft: TicketDraft) -> Result<Ticket, HelpDeskError>;
    /// One ticket with its timeline.
    async fn ticket(&self, reference: TicketRef) -> Result<TicketDetail, HelpDeskError>;
    /// One page of the queue.
    async fn queue(&self, query: QueueQuery) -> Result<TicketPage, HelpDeskError>;
    /// Edits fields; urgency and assignee changes go on the timeline.
    async fn update_ticket(
        &self,
        reference: TicketRef,
        patch: CheckedPatch,
    ) -> Result<Ticket, HelpDeskError>;
    /// Adds a note, contact or fix attempt.
    async fn add_entry(
        &self,
        reference: TicketRef,
        entry: EntryDraft,
    ) -> Result<Entry, HelpDeskError>;
    /// Moves the ticket through the workflow.
    async fn transition(
        &self,
        reference: TicketRef,
        transition: TransitionDraft,
    ) -> Result<Ticket, HelpDeskError>;
    /// Whether the database answers.
    async fn ready(&self) -> Result<(), HelpDeskError>;
}

/// The shared handle that the server puts into the Leptos context.
pub type SharedHelpDesk = Arc<dyn HelpDesk>;
