//! The help desk's operations, one narrow trait per resource, implemented by the server's desk.
//!
//! Server functions and the REST API both call through these traits with the caller's
//! [`Principal`], so the dashboard and integrations share one set of rules, who may do what is
//! decided in one place, and `app` never names a database type.

use crate::accounts::{
    Agent, AgentDraft, AgentPrincipal, ApiToken, CheckedAgentPatch, CreatedToken, Principal,
    TokenDraft,
};
use crate::fields::FieldError;
use crate::ids::{ArticleId, CustomerId};
use crate::model::Role;
use crate::model::{Entry, Ticket, TicketDetail, TicketPage, TicketRef};
use crate::requests::{CheckedPatch, EntryDraft, QueueQuery, TicketDraft, TransitionDraft};
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
    /// The request carries no valid credentials, or the email and password do not match.
    #[error("{0}")]
    Unauthenticated(&'static str),
    /// The principal's role does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// No agent or token has this identifier (or it is not the caller's).
    #[error("no {kind} {id} exists")]
    Missing {
        /// `agent` or `token`.
        kind: &'static str,
        /// The identifier asked for.
        id: String,
    },
    /// The change clashes with existing data (a taken email, the last admin).
    #[error("{0}")]
    Conflict(String),
    /// An `Idempotency-Key` already answered a different request within the time it is kept.
    #[error("this Idempotency-Key was used for a different request in the last 24 hours")]
    KeyReused,
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts; try again in {retry_after_seconds} s")]
    Throttled {
        /// When to try again.
        retry_after_seconds: u64,
    },
    /// The database is unreachable or overloaded: trying again later may succeed. The detail
    /// is for the log, not for the user.
    #[error("the database is unavailable; try again in {UNAVAILABLE_RETRY_SECONDS} s")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The server failed in a way that trying again would not mend. The detail is for the log.
    #[error("the server failed to do this; the failure was logged")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// A client's `Idempotency-Key` for one request, with a fingerprint of what the request asks:
/// a retry with the same key and the same request gets the first answer; the same key with
/// another request is refused ([`HelpDeskError::KeyReused`]). Keys are the caller's own (one
/// agent's keys never meet another's) and kept for [`RequestKey::KEPT_HOURS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestKey {
    key: String,
    fingerprint: String,
}

impl RequestKey {
    /// The header that carries it.
    pub const HEADER: &'static str = "Idempotency-Key";
    /// The longest key accepted, in characters.
    pub const MAX_CHARS: usize = 255;
    /// How long an answer is kept for a retry.
    pub const KEPT_HOURS: i64 = 24;

    /// A key as sent: 1 to [`RequestKey::MAX_CHARS`] visible ASCII characters (a UUID, say).
    /// `fingerprint` identifies the request (its operation, target and body), however the surface
    /// computes it, as long as equal requests get equal fingerprints.
    pub fn new(key: &str, fingerprint: String) -> Result<RequestKey, FieldError> {
        if key.is_empty()
            || key.len() > Self::MAX_CHARS
            || !key.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(FieldError::new(
                Self::HEADER,
                format!(
                    "must be 1 to {} visible ASCII characters, such as a UUID",
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(RequestKey {
            key: key.to_string(),
            fingerprint,
        })
    }

    /// The key as the client sent it.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// What identifies the request it was sent with.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

/// How long a client is told to wait before trying again when the database is unavailable.
pub const UNAVAILABLE_RETRY_SECONDS: u64 = 5;

/// How a desk error is answered over HTTP, by the REST API and by server functions alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// A stable, machine-readable code such as `invalid_field` or `illegal_transition`.
    pub code: &'static str,
}

impl HelpDeskError {
    /// The one mapping of desk errors to HTTP statuses and codes.
    pub fn answer(&self) -> Answer {
        let (status, code) = match self {
            HelpDeskError::Invalid(_) => (422, "invalid_field"),
            HelpDeskError::NotFound(_) | HelpDeskError::Missing { .. } => (404, "not_found"),
            HelpDeskError::Workflow(WorkflowError::IllegalTransition { .. }) => {
                (409, "illegal_transition")
            }
            HelpDeskError::Workflow(WorkflowError::MissingResolution) => {
                (422, "missing_resolution")
            }
            HelpDeskError::Workflow(WorkflowError::NotVerifiable { .. }) => (422, "not_verifiable"),
            HelpDeskError::Unauthenticated(_) => (401, "unauthenticated"),
            HelpDeskError::Forbidden(_) => (403, "forbidden"),
            HelpDeskError::Conflict(_) => (409, "conflict"),
            HelpDeskError::KeyReused => (422, "idempotency_key_reused"),
            HelpDeskError::Throttled { .. } => (429, "throttled"),
            HelpDeskError::Unavailable(_) => (503, "storage_unavailable"),
            HelpDeskError::Storage(_) => (500, "internal_error"),
        };
        Answer { status, code }
    }

    /// Seconds after which trying again may succeed, for the `Retry-After` header.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            HelpDeskError::Throttled {
                retry_after_seconds,
            } => Some(*retry_after_seconds),
            HelpDeskError::Unavailable(_) => Some(UNAVAILABLE_RETRY_SECONDS),
            _ => None,
        }
    }

    /// The request field at fault, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            HelpDeskError::Invalid(error) => Some(&error.field),
            HelpDeskError::Workflow(WorkflowError::MissingResolution) => Some("resolution"),
            HelpDeskError::KeyReused => Some(RequestKey::HEADER),
            _ => None,
        }
    }
}

impl Principal {
    /// The agent behind the request, when their role is at least `role`. A stranger is told to
    /// sign in; a project's key and a lower role are forbidden.
    pub fn require(&self, role: Role) -> Result<&AgentPrincipal, HelpDeskError> {
        match self {
            Principal::Stranger => Err(HelpDeskError::Unauthenticated("sign in first")),
            Principal::Project(_) => Err(HelpDeskError::Forbidden(
                "a project's key files crash reports and nothing else".into(),
            )),
            Principal::Agent(agent) if agent.role.allows(role) => Ok(agent),
            Principal::Agent(agent) => Err(HelpDeskError::Forbidden(format!(
                "this needs the {role} role; you have {}",
                agent.role
            ))),
        }
    }
}

impl From<crate::ids::NotAnId> for HelpDeskError {
    fn from(error: crate::ids::NotAnId) -> Self {
        HelpDeskError::Missing {
            kind: error.kind,
            id: error.text,
        }
    }
}

/// Projects: the applications that report crashes, and their DSNs.
#[async_trait::async_trait]
pub trait ProjectService: Send + Sync + 'static {
    /// Creates a project with a fresh public key (admins); `name` is checked.
    async fn create_project(
        &self,
        caller: &Principal,
        name: String,
    ) -> Result<crate::projects::Project, HelpDeskError>;
    /// Every project, oldest first (viewers).
    async fn projects(
        &self,
        caller: &Principal,
    ) -> Result<Vec<crate::projects::Project>, HelpDeskError>;
    /// Gives a project a new key (admins); the old one keeps working for `grace_hours`.
    async fn rotate_project_key(
        &self,
        caller: &Principal,
        project: crate::ids::ProjectId,
        grace_hours: u32,
    ) -> Result<crate::projects::Project, HelpDeskError>;
    /// Renames, disables or enables a project (admins).
    async fn update_project(
        &self,
        caller: &Principal,
        project: crate::ids::ProjectId,
        patch: crate::projects::CheckedProjectPatch,
    ) -> Result<crate::projects::Project, HelpDeskError>;
}

/// Customers: the organisations that call, their contacts and their tickets.
#[async_trait::async_trait]
pub trait CustomerService: Send + Sync + 'static {
    /// Creates a customer (agents).
    async fn create_customer(
        &self,
        caller: &Principal,
        draft: crate::customers::CustomerDraft,
    ) -> Result<crate::customers::Customer, HelpDeskError>;
    /// A customer (viewers).
    async fn customer(
        &self,
        caller: &Principal,
        id: CustomerId,
    ) -> Result<crate::customers::Customer, HelpDeskError>;
    /// Changes the fields a patch names (agents).
    async fn update_customer(
        &self,
        caller: &Principal,
        id: CustomerId,
        patch: crate::customers::CustomerPatch,
    ) -> Result<crate::customers::Customer, HelpDeskError>;
    /// A customer's tickets, open first (at most [`crate::customers::CUSTOMER_TICKETS_LIMIT`];
    /// viewers).
    async fn customer_tickets(
        &self,
        caller: &Principal,
        id: CustomerId,
    ) -> Result<crate::customers::CustomerTickets, HelpDeskError>;
    /// A page of customers by name after `cursor`, only those matching `query` when given
    /// (viewers).
    async fn customers(
        &self,
        caller: &Principal,
        query: Option<&str>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<crate::customers::CustomerPage, HelpDeskError>;
}

/// The knowledge base's articles: written from what worked, reviewed, published.
#[async_trait::async_trait]
pub trait ArticleService: Send + Sync + 'static {
    /// Creates an article written by the caller (agents).
    async fn create_article(
        &self,
        caller: &Principal,
        draft: crate::articles::ArticleDraft,
    ) -> Result<crate::articles::Article, HelpDeskError>;
    /// An article (viewers).
    async fn article(
        &self,
        caller: &Principal,
        id: ArticleId,
    ) -> Result<crate::articles::Article, HelpDeskError>;
    /// Applies a patch made from `patch.revision` (agents); a newer revision refuses it
    /// (`Conflict`).
    async fn update_article(
        &self,
        caller: &Principal,
        id: ArticleId,
        patch: crate::articles::ArticlePatch,
    ) -> Result<crate::articles::Article, HelpDeskError>;
    /// Articles newest first, after `cursor`, only with `status` when given (viewers).
    async fn articles(
        &self,
        caller: &Principal,
        status: Option<crate::model::ArticleStatus>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<crate::articles::ArticlePage, HelpDeskError>;
    /// Every version of an article, newest first (viewers).
    async fn article_history(
        &self,
        caller: &Principal,
        id: ArticleId,
    ) -> Result<Vec<crate::articles::ArticleVersion>, HelpDeskError>;
    /// An article prefilled from a ticket: its problem, the attempts that failed, the one that
    /// worked and the resolution; not stored (viewers).
    async fn article_from_ticket(
        &self,
        caller: &Principal,
        reference: TicketRef,
    ) -> Result<crate::articles::NewArticle, HelpDeskError>;
}

/// Full-text search and the suggestions for a problem.
#[async_trait::async_trait]
pub trait SearchService: Send + Sync + 'static {
    /// A page of results across tickets, timelines and articles (viewers).
    async fn search(
        &self,
        caller: &Principal,
        query: crate::search::SearchQuery,
    ) -> Result<crate::search::SearchResults, HelpDeskError>;
    /// Resolved tickets and articles about a problem described by `text`, a ticket being
    /// entered (viewers).
    async fn suggestions(
        &self,
        caller: &Principal,
        text: &str,
    ) -> Result<crate::search::Suggestions, HelpDeskError>;
    /// Resolved tickets and articles about an existing ticket's problem (viewers).
    async fn ticket_suggestions(
        &self,
        caller: &Principal,
        reference: TicketRef,
    ) -> Result<crate::search::Suggestions, HelpDeskError>;
}

/// Tickets: entering them, the queue, and everything that happens on their timeline.
#[async_trait::async_trait]
pub trait TicketService: Send + Sync + 'static {
    /// Enters a new ticket with the next reference, written by the caller (agents). With a
    /// request key, a retry gets the ticket the first request created.
    async fn create_ticket(
        &self,
        caller: &Principal,
        draft: TicketDraft,
        once: Option<RequestKey>,
    ) -> Result<Ticket, HelpDeskError>;
    /// One ticket with its timeline (viewers).
    async fn ticket(
        &self,
        caller: &Principal,
        reference: TicketRef,
    ) -> Result<TicketDetail, HelpDeskError>;
    /// One page of the queue (viewers).
    async fn queue(
        &self,
        caller: &Principal,
        query: QueueQuery,
    ) -> Result<TicketPage, HelpDeskError>;
    /// Edits fields; urgency and assignee changes go on the timeline (agents).
    async fn update_ticket(
        &self,
        caller: &Principal,
        reference: TicketRef,
        patch: CheckedPatch,
    ) -> Result<Ticket, HelpDeskError>;
    /// Adds a note, contact or fix attempt (agents). With a request key, a retry gets the
    /// entry the first request added.
    async fn add_entry(
        &self,
        caller: &Principal,
        reference: TicketRef,
        entry: EntryDraft,
        once: Option<RequestKey>,
    ) -> Result<Entry, HelpDeskError>;
    /// Moves the ticket through the workflow (agents).
    async fn transition(
        &self,
        caller: &Principal,
        reference: TicketRef,
        transition: TransitionDraft,
    ) -> Result<Ticket, HelpDeskError>;
}

/// What crash reports left on their tickets.
#[async_trait::async_trait]
pub trait CrashService: Send + Sync + 'static {
    /// A crash ticket's stored reports after `after` (a sequence number), oldest first
    /// (viewers).
    async fn crash_events(
        &self,
        caller: &Principal,
        reference: TicketRef,
        after: u64,
        limit: usize,
    ) -> Result<Vec<crate::crash::StoredCrashEvent>, HelpDeskError>;
    /// The most recent stored report of a crash ticket, if any (viewers).
    async fn latest_crash_event(
        &self,
        caller: &Principal,
        reference: TicketRef,
    ) -> Result<Option<crate::crash::StoredCrashEvent>, HelpDeskError>;
    /// A crash ticket's reports per hour since `since_hour` (hours since the epoch), and the
    /// current hour; empty for other tickets (viewers).
    async fn crash_occurrences(
        &self,
        caller: &Principal,
        reference: TicketRef,
        since_hour: i64,
    ) -> Result<crate::crash::OccurrenceHistory, HelpDeskError>;
}

/// Whether the help desk can serve: the readiness probe, open to anyone.
#[async_trait::async_trait]
pub trait Readiness: Send + Sync + 'static {
    /// Whether the database answers.
    async fn ready(&self) -> Result<(), HelpDeskError>;
}

/// The tickets service, as the server puts it into the Leptos context.
pub type SharedTickets = Arc<dyn TicketService>;
/// The crash service, shared the same way.
pub type SharedCrashes = Arc<dyn CrashService>;
/// The projects service, shared the same way.
pub type SharedProjects = Arc<dyn ProjectService>;
/// The customers service, shared the same way.
pub type SharedCustomers = Arc<dyn CustomerService>;
/// The articles service, shared the same way.
pub type SharedArticles = Arc<dyn ArticleService>;
/// The search service, shared the same way.
pub type SharedSearch = Arc<dyn SearchService>;

/// A signed-in dashboard session.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// Who signed in.
    pub principal: AgentPrincipal,
    /// The `Set-Cookie` header value that carries the session.
    pub set_cookie: String,
}

/// Agents, sign-in and API tokens.
#[async_trait::async_trait]
pub trait AccountService: Send + Sync + 'static {
    /// Checks an email and password and opens a session. Every failure looks the same, and
    /// takes as long, whether or not the email exists; repeated failures are throttled.
    async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: std::net::IpAddr,
    ) -> Result<SignedIn, HelpDeskError>;
    /// Whether the help desk has no agents yet, so the first admin may be set up.
    async fn first_run(&self) -> Result<bool, HelpDeskError>;
    /// Creates the first admin and signs them in; only while there are no agents, only for a
    /// request from this machine (loopback), and only with the one-time setup code the server
    /// printed when it started.
    async fn set_up_first_admin(
        &self,
        draft: AgentDraft,
        setup_code: &str,
        client: crate::accounts::ClientAddress,
    ) -> Result<SignedIn, HelpDeskError>;
    /// Ends the caller's session; returns the `Set-Cookie` value that clears the cookie.
    async fn sign_out(&self, caller: &Principal) -> Result<String, HelpDeskError>;
    /// Changes the caller's own password, given the current one; their other sessions end.
    async fn change_password(
        &self,
        caller: &Principal,
        current: &str,
        new: &str,
        client: std::net::IpAddr,
    ) -> Result<(), HelpDeskError>;
    /// Every agent, by name (agents, to assign tickets).
    async fn agents(&self, caller: &Principal) -> Result<Vec<Agent>, HelpDeskError>;
    /// Creates an agent (admins).
    async fn create_agent(
        &self,
        caller: &Principal,
        draft: AgentDraft,
    ) -> Result<Agent, HelpDeskError>;
    /// Changes an agent's name, role, password or activity (admins); at least one active
    /// admin remains.
    async fn update_agent(
        &self,
        caller: &Principal,
        id: &str,
        patch: CheckedAgentPatch,
    ) -> Result<Agent, HelpDeskError>;
    /// The caller's own API tokens that are not revoked.
    async fn tokens(&self, caller: &Principal) -> Result<Vec<ApiToken>, HelpDeskError>;
    /// Creates an API token for the caller, with a role no higher than their own.
    async fn create_token(
        &self,
        caller: &Principal,
        draft: TokenDraft,
    ) -> Result<CreatedToken, HelpDeskError>;
    /// Revokes one of the caller's tokens.
    async fn revoke_token(&self, caller: &Principal, id: &str) -> Result<(), HelpDeskError>;
}

/// The shared accounts handle that the server puts into the Leptos context.
pub type SharedAccounts = Arc<dyn AccountService>;
