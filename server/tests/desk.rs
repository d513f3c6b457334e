//! The desk called directly, as every surface calls it: each operation refuses a stranger, a
//! project's key and a role below its own, whatever surface the call came through, and admits
//! the role it needs.

use app::accounts::{AgentPrincipal, Credential, Principal};
use app::articles::{ArticlePatch, NewArticle};
use app::customers::{CustomerPatch, NewCustomer};
use app::ids::{ArticleId, CustomerId, ProjectId};
use app::model::{Channel, Role};
use app::model::{EntryKind, Outcome, Status, Urgency};
use app::requests::{NewEntry, NewTicket, RawQueueQuery, TicketPatch, TransitionRequest};
use app::search::{SearchQuery, SearchScope};
use app::service::{
    AccountService, ArticleService, CrashService, CustomerService, HelpDeskError, ProjectService,
    SearchService, TicketService,
};
use server::desk::Desk;
use server::storage::{DatabaseSettings, Store};

async fn desk() -> Desk {
    Desk::new(store().await, "https://desk.example")
}

async fn store() -> Store {
    Store::open(&DatabaseSettings {
        url: "mem://".into(),
        credentials: None,
        namespace: "test".into(),
        database: "test".into(),
        embedded_memory: Default::default(),
        migration_batch: server::storage::DEFAULT_MIGRATION_BATCH,
    })
    .await
    .expect("the in-memory database opens")
}

fn agent(role: Role) -> Principal {
    Principal::Agent(AgentPrincipal {
        agent_id: format!("{role}-id"),
        email: format!("{role}@example.com"),
        name: format!("A {role}"),
        role,
        credential: Credential::Session { id: "s".into() },
    })
}

/// Who must be refused an operation that needs `role`, and how: strangers must sign in, the
/// others are forbidden.
fn refused_callers(role: Role) -> Vec<(Principal, &'static str)> {
    let mut callers = vec![
        (Principal::Stranger, "unauthenticated"),
        (Principal::Project(ProjectId::new(1).unwrap()), "forbidden"),
    ];
    for lower in [Role::Viewer, Role::Agent] {
        if !lower.allows(role) {
            callers.push((agent(lower), "forbidden"));
        }
    }
    callers
}

fn kind<T: std::fmt::Debug>(result: Result<T, HelpDeskError>) -> &'static str {
    match result {
        Err(HelpDeskError::Unauthenticated(_)) => "unauthenticated",
        Err(HelpDeskError::Forbidden(_)) => "forbidden",
        Err(HelpDeskError::Missing { .. }) => "missing",
        Err(HelpDeskError::Conflict(_)) => "conflict",
        Err(HelpDeskError::Invalid(_)) => "invalid",
        Err(other) => panic!("unexpected error: {other:?}"),
        Ok(value) => panic!("admitted: {value:?}"),
    }
}

fn acme() -> app::customers::CustomerDraft {
    NewCustomer {
        name: "Acme Corporation".into(),
        ..NewCustomer::default()
    }
    .parse()
    .expect("a valid customer")
}

#[tokio::test]
async fn customers_are_read_by_viewers_and_changed_by_agents_only() {
    let desk = desk().await;
    let created = desk
        .create_customer(&agent(Role::Agent), acme())
        .await
        .expect("an agent creates a customer");
    let id = CustomerId::new(created.id).unwrap();
    let patch = || CustomerPatch {
        notes: Some("Pays late".into()),
        ..CustomerPatch::default()
    };
    for (caller, expected) in refused_callers(Role::Agent) {
        assert_eq!(
            kind(desk.create_customer(&caller, acme()).await),
            expected,
            "create as {caller:?}"
        );
        assert_eq!(
            kind(desk.update_customer(&caller, id, patch()).await),
            expected,
            "update as {caller:?}"
        );
    }
    for (caller, expected) in refused_callers(Role::Viewer) {
        assert_eq!(kind(desk.customer(&caller, id).await), expected);
        assert_eq!(kind(desk.customer_tickets(&caller, id).await), expected);
        assert_eq!(
            kind(desk.customers(&caller, None, None, 10).await),
            expected
        );
    }
    let viewer = agent(Role::Viewer);
    assert_eq!(
        desk.customer(&viewer, id).await.unwrap().name,
        "Acme Corporation"
    );
    assert!(
        desk.customer_tickets(&viewer, id)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let page = desk
        .customers(&viewer, Some("acm"), None, 10)
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    let changed = desk
        .update_customer(&agent(Role::Admin), id, patch())
        .await
        .expect("an admin is an agent too");
    assert_eq!(changed.notes, "Pays late");
    let unknown = CustomerId::new(999).unwrap();
    assert_eq!(kind(desk.customer(&viewer, unknown).await), "missing");
    assert_eq!(
        kind(
            desk.update_customer(&agent(Role::Agent), unknown, patch())
                .await
        ),
        "missing"
    );
}

#[tokio::test]
async fn projects_are_listed_for_viewers_and_created_by_admins_only() {
    let desk = desk().await;
    for (caller, expected) in refused_callers(Role::Admin) {
        assert_eq!(
            kind(desk.create_project(&caller, "Shop".into()).await),
            expected,
            "create as {caller:?}"
        );
    }
    for (caller, expected) in refused_callers(Role::Viewer) {
        assert_eq!(kind(desk.projects(&caller).await), expected);
    }
    let project = desk
        .create_project(&agent(Role::Admin), "Shop".into())
        .await
        .expect("an admin creates a project");
    assert!(
        project.dsn.starts_with("https://")
            && project
                .dsn
                .ends_with(&format!("@desk.example/{}", project.id)),
        "the DSN names the public URL and the project: {}",
        project.dsn
    );
    let listed = desk.projects(&agent(Role::Viewer)).await.unwrap();
    assert_eq!(listed, vec![project]);
}

fn ticket_draft(title: &str, description: &str) -> app::requests::TicketDraft {
    NewTicket {
        title: title.into(),
        description: description.into(),
        customer: "Acme".into(),
        environment: "Windows 11".into(),
        occurred_at: Some("2026-11-30T09:00:00Z".into()),
        manner: "On every print job".into(),
        ..NewTicket::default()
    }
    .parse(Channel::Phone)
    .expect("a valid ticket")
}

/// A ticket entered by an agent.
async fn file(desk: &Desk, title: &str, description: &str) -> app::model::Ticket {
    desk.create_ticket(&agent(Role::Agent), ticket_draft(title, description), None)
        .await
        .expect("an agent enters a ticket")
}

fn article(title: &str, tickets: Vec<String>) -> app::articles::ArticleDraft {
    NewArticle {
        title: title.into(),
        symptoms: "The printer prints blank pages".into(),
        resolution: "Replace the toner cartridge".into(),
        tickets,
        ..NewArticle::default()
    }
    .parse()
    .expect("a valid article")
}

#[tokio::test]
async fn articles_are_read_by_viewers_and_written_by_agents_from_the_revision_they_read() {
    let desk = desk().await;
    let ticket = file(&desk, "Blank pages", "Every page comes out blank").await;
    let writer = agent(Role::Agent);
    let created = desk
        .create_article(
            &writer,
            article("Blank pages", vec![ticket.reference.to_string()]),
        )
        .await
        .expect("an agent writes an article");
    assert_eq!(
        created.author, "A agent",
        "the author is the caller, not the request"
    );
    let id = ArticleId::new(created.id).unwrap();
    let patch = |revision| ArticlePatch {
        revision,
        title: Some("Blank pages from the printer".into()),
        ..ArticlePatch::default()
    };
    for (caller, expected) in refused_callers(Role::Agent) {
        assert_eq!(
            kind(
                desk.create_article(&caller, article("Other", Vec::new()))
                    .await
            ),
            expected
        );
        assert_eq!(
            kind(desk.update_article(&caller, id, patch(1)).await),
            expected
        );
    }
    for (caller, expected) in refused_callers(Role::Viewer) {
        assert_eq!(kind(desk.article(&caller, id).await), expected);
        assert_eq!(kind(desk.article_history(&caller, id).await), expected);
        assert_eq!(kind(desk.articles(&caller, None, None, 10).await), expected);
        assert_eq!(
            kind(desk.article_from_ticket(&caller, ticket.reference).await),
            expected
        );
    }
    let viewer = agent(Role::Viewer);
    assert_eq!(
        desk.article(&viewer, id).await.unwrap().title,
        "Blank pages"
    );
    assert_eq!(
        desk.articles(&viewer, None, None, 10)
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    let prefilled = desk
        .article_from_ticket(&viewer, ticket.reference)
        .await
        .unwrap();
    assert_eq!(prefilled.tickets, vec![ticket.reference.to_string()]);
    let changed = desk.update_article(&writer, id, patch(1)).await.unwrap();
    assert_eq!(changed.revision, 2);
    assert_eq!(
        kind(desk.update_article(&writer, id, patch(1)).await),
        "conflict",
        "an edit made from an older revision would undo someone's change"
    );
    assert_eq!(desk.article_history(&viewer, id).await.unwrap().len(), 2);
    assert_eq!(
        kind(
            desk.create_article(&writer, article("Ghost", vec!["TCK-999".into()]))
                .await
        ),
        "invalid",
        "an article names tickets that exist"
    );
}

#[tokio::test]
async fn search_and_suggestions_are_for_viewers_and_up() {
    let desk = desk().await;
    let ticket = file(
        &desk,
        "Scanner not detected",
        "The scanner is not found over USB",
    )
    .await;
    let query = || SearchQuery::parse("scanner", SearchScope::All, Vec::new(), 0, 20).unwrap();
    for (caller, expected) in refused_callers(Role::Viewer) {
        assert_eq!(kind(desk.search(&caller, query()).await), expected);
        assert_eq!(kind(desk.suggestions(&caller, "scanner").await), expected);
        assert_eq!(
            kind(desk.ticket_suggestions(&caller, ticket.reference).await),
            expected
        );
    }
    let viewer = agent(Role::Viewer);
    let found = desk.search(&viewer, query()).await.unwrap();
    assert_eq!(found.items.len(), 1, "{found:?}");
    desk.suggestions(&viewer, "scanner").await.unwrap();
    desk.ticket_suggestions(&viewer, ticket.reference)
        .await
        .unwrap();
}

#[tokio::test]
async fn tickets_are_read_by_viewers_and_worked_by_agents_in_their_own_name() {
    let desk = desk().await;
    let ticket = file(&desk, "Printer offline", "Nothing prints").await;
    let reference = ticket.reference;
    let patch = || {
        TicketPatch {
            urgency: Some(Urgency::High),
            ..TicketPatch::default()
        }
        .parse()
        .unwrap()
    };
    let entry = || {
        NewEntry {
            kind: EntryKind::Attempt,
            body: "Restarted the spooler".into(),
            outcome: Some(Outcome::Failed),
        }
        .parse()
        .unwrap()
    };
    let transition = || {
        TransitionRequest {
            to: Status::Verified,
            resolution: None,
            release: None,
        }
        .parse()
        .unwrap()
    };
    let queue = || RawQueueQuery::default().parse("").unwrap();
    for (caller, expected) in refused_callers(Role::Agent) {
        assert_eq!(
            kind(
                desk.create_ticket(&caller, ticket_draft("Other", ""), None)
                    .await
            ),
            expected
        );
        assert_eq!(
            kind(desk.update_ticket(&caller, reference, patch()).await),
            expected
        );
        assert_eq!(
            kind(desk.add_entry(&caller, reference, entry(), None).await),
            expected
        );
        assert_eq!(
            kind(desk.transition(&caller, reference, transition()).await),
            expected
        );
    }
    for (caller, expected) in refused_callers(Role::Viewer) {
        assert_eq!(kind(desk.ticket(&caller, reference).await), expected);
        assert_eq!(kind(desk.queue(&caller, queue()).await), expected);
        assert_eq!(
            kind(desk.crash_events(&caller, reference, 0, 10).await),
            expected
        );
        assert_eq!(
            kind(desk.latest_crash_event(&caller, reference).await),
            expected
        );
        assert_eq!(
            kind(desk.crash_occurrences(&caller, reference, 0).await),
            expected
        );
    }
    let worker = agent(Role::Agent);
    desk.update_ticket(&worker, reference, patch())
        .await
        .unwrap();
    desk.add_entry(&worker, reference, entry(), None)
        .await
        .unwrap();
    desk.transition(&worker, reference, transition())
        .await
        .unwrap();
    let viewer = agent(Role::Viewer);
    let detail = desk.ticket(&viewer, reference).await.unwrap();
    assert_eq!(detail.ticket.status, Status::Verified);
    assert_eq!(detail.ticket.urgency, Urgency::High);
    let authors: Vec<&str> = detail
        .entries
        .iter()
        .map(|entry| entry.author.as_str())
        .collect();
    assert_eq!(
        authors, ["A agent"; 4],
        "created, urgency, attempt and status change, each in the caller's name"
    );
    assert_eq!(desk.queue(&viewer, queue()).await.unwrap().items.len(), 1);
    assert!(
        desk.crash_events(&viewer, reference, 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let unknown = app::model::TicketRef::from_number(999).unwrap();
    assert!(matches!(
        desk.ticket(&viewer, unknown).await,
        Err(HelpDeskError::NotFound(_))
    ));
}

#[tokio::test]
async fn a_ticket_filed_for_a_customer_record_without_a_name_takes_the_records() {
    let desk = desk().await;
    let customer = desk
        .create_customer(&agent(Role::Agent), acme())
        .await
        .unwrap();
    let draft = NewTicket {
        title: "Invoices missing".into(),
        customer_id: Some(customer.id),
        ..NewTicket::default()
    }
    .parse(Channel::Api)
    .expect("the customer may be left out for a record");
    let ticket = desk
        .create_ticket(&agent(Role::Agent), draft, None)
        .await
        .unwrap();
    assert_eq!(ticket.customer, "Acme Corporation");
    assert_eq!(ticket.customer_id, Some(customer.id));
    let unknown = NewTicket {
        title: "Invoices missing".into(),
        customer_id: Some(customer.id + 1),
        ..NewTicket::default()
    }
    .parse(Channel::Api)
    .unwrap();
    let refused = desk.create_ticket(&agent(Role::Agent), unknown, None).await;
    assert!(
        matches!(&refused, Err(HelpDeskError::Invalid(error)) if error.field == "customer_id"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn agents_are_managed_by_admins_and_tokens_by_their_owners_only() {
    use app::accounts::{AgentPatch, NewAgent, NewToken};
    use server::auth::service::{AuthService, AuthSettings};
    let accounts = AuthService::new(store().await, AuthSettings::default());
    let admin_agent = accounts
        .create_agent_from_console(
            NewAgent {
                email: "root@example.com".into(),
                name: "Root".into(),
                role: Some(Role::Admin),
                password: "a long enough password".into(),
            }
            .parse()
            .unwrap(),
        )
        .await
        .expect("the console creates the first admin");
    // The callers below act as the admin's sessions would, with their own roles.
    let as_role = |role: Role| {
        Principal::Agent(AgentPrincipal {
            agent_id: admin_agent.id.clone(),
            email: admin_agent.email.clone(),
            name: admin_agent.name.clone(),
            role,
            credential: Credential::Session { id: "s".into() },
        })
    };
    let new_agent = |email: &str| {
        NewAgent {
            email: email.into(),
            name: "Someone".into(),
            role: None,
            password: "a long enough password".into(),
        }
        .parse()
        .unwrap()
    };
    let deactivate = || {
        AgentPatch {
            active: Some(false),
            ..AgentPatch::default()
        }
        .parse()
        .unwrap()
    };
    let token = |role| {
        NewToken {
            name: "ci".into(),
            role,
        }
        .parse()
        .unwrap()
    };
    for (caller, expected) in refused_callers(Role::Admin) {
        assert_eq!(
            kind(
                accounts
                    .create_agent(&caller, new_agent("x@example.com"))
                    .await
            ),
            expected
        );
        assert_eq!(
            kind(
                accounts
                    .update_agent(&caller, &admin_agent.id, deactivate())
                    .await
            ),
            expected
        );
    }
    for (caller, expected) in refused_callers(Role::Agent) {
        assert_eq!(kind(accounts.agents(&caller).await), expected);
    }
    for (caller, expected) in refused_callers(Role::Viewer) {
        assert_eq!(kind(accounts.tokens(&caller).await), expected);
        assert_eq!(
            kind(accounts.create_token(&caller, token(None)).await),
            expected
        );
        assert_eq!(kind(accounts.revoke_token(&caller, "t").await), expected);
        assert_eq!(
            kind(
                accounts
                    .change_password(&caller, "a", "b", [127, 0, 0, 1].into())
                    .await
            ),
            expected
        );
    }
    let viewer = as_role(Role::Viewer);
    assert_eq!(
        kind(
            accounts
                .create_token(&viewer, token(Some(Role::Agent)))
                .await
        ),
        "invalid",
        "a token never outranks its owner"
    );
    let created = accounts.create_token(&viewer, token(None)).await.unwrap();
    assert_eq!(created.token.role, Role::Viewer);
    // With a token instead of a session, not even an admin creates tokens.
    let admin_by_token = Principal::Agent(AgentPrincipal {
        agent_id: admin_agent.id.clone(),
        email: admin_agent.email.clone(),
        name: admin_agent.name.clone(),
        role: Role::Admin,
        credential: Credential::Token {
            id: "t".into(),
            name: "test".into(),
        },
    });
    assert_eq!(
        kind(accounts.create_token(&admin_by_token, token(None)).await),
        "forbidden",
        "a token creates no tokens"
    );
    assert_eq!(accounts.tokens(&viewer).await.unwrap().len(), 1);
    let admin = as_role(Role::Admin);
    accounts
        .create_agent(&admin, new_agent("new@example.com"))
        .await
        .expect("an admin creates an agent");
    assert_eq!(
        kind(
            accounts
                .create_agent(&admin, new_agent("new@example.com"))
                .await
        ),
        "conflict",
        "an email names one agent"
    );
    assert_eq!(
        kind(
            accounts
                .update_agent(&admin, &admin_agent.id, deactivate())
                .await
        ),
        "conflict",
        "the last active admin stays"
    );
    assert_eq!(
        kind(accounts.update_agent(&admin, "nobody", deactivate()).await),
        "missing"
    );
    assert_eq!(
        accounts.agents(&as_role(Role::Agent)).await.unwrap().len(),
        2
    );
}

#[tokio::test]
async fn only_a_project_presenting_its_own_key_files_crash_reports() {
    use server::desk::IntakeRefusal;
    let desk = desk().await;
    let project = desk
        .create_project(&agent(Role::Admin), "Shop".into())
        .await
        .unwrap();
    let id = ProjectId::new(project.id).unwrap();
    let key = project
        .dsn
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .map(|(key, _)| key.to_string())
        .expect("the DSN carries the key");
    assert_eq!(
        desk.project_caller(id, None).await.unwrap(),
        Err(IntakeRefusal::NoKey)
    );
    assert_eq!(
        desk.project_caller(id, Some("0123456789abcdef"))
            .await
            .unwrap(),
        Err(IntakeRefusal::WrongKey)
    );
    let other = ProjectId::new(project.id + 1).unwrap();
    assert_eq!(
        desk.project_caller(other, Some(&key)).await.unwrap(),
        Err(IntakeRefusal::WrongKey),
        "a key opens its own project only"
    );
    let caller = desk
        .project_caller(id, Some(&key))
        .await
        .unwrap()
        .expect("the project's own key");
    assert_eq!(caller, Principal::Project(id));
    let payload = br#"{"event_id":"a1b2c3d4e5f60718293a4b5c6d7e8f90","exception":{"values":[{"type":"PanicError","value":"index out of range"}]}}"#;
    let event = app::crash::CrashEvent::from_json(payload).unwrap();
    for stranger in [Principal::Stranger, agent(Role::Admin)] {
        assert_eq!(
            kind(desk.file_crash(&stranger, &event, payload, None).await),
            "forbidden",
            "crash reports are filed with a project's key, not by {stranger:?}"
        );
    }
    let event_id = desk
        .file_crash(&caller, &event, payload, None)
        .await
        .unwrap();
    assert_eq!(event_id, "a1b2c3d4e5f60718293a4b5c6d7e8f90");
    let queue = desk
        .queue(
            &agent(Role::Viewer),
            RawQueueQuery {
                channel: Some("crash".into()),
                ..RawQueueQuery::default()
            }
            .parse("")
            .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(queue.items.len(), 1, "one ticket for the problem");
    assert_eq!(queue.items[0].customer, "Project Shop");
}
