//! The desk called directly, as every surface calls it: each operation refuses a stranger, a
//! project's key and a role below its own, whatever surface the call came through, and admits
//! the role it needs.

use app::accounts::{AgentPrincipal, Credential, Principal};
use app::customers::{CustomerPatch, NewCustomer};
use app::ids::{CustomerId, ProjectId};
use app::model::Role;
use app::service::{CustomerService, HelpDeskError, ProjectService};
use server::desk::Desk;
use server::storage::{DatabaseSettings, Store};

async fn desk() -> Desk {
    let store = Store::open(&DatabaseSettings {
        url: "mem://".into(),
        credentials: None,
        namespace: "test".into(),
        database: "test".into(),
        embedded_memory: Default::default(),
    })
    .await
    .expect("the in-memory database opens");
    Desk::new(store, "https://desk.example")
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
