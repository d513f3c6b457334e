//! The schema is applied by versioned migrations, once, and survives reopening.

use server::storage::{DatabaseSettings, MIGRATIONS, Store};

fn on_disk(path: &std::path::Path) -> DatabaseSettings {
    DatabaseSettings {
        url: format!("surrealkv://{}", path.display()),
        credentials: None,
        namespace: "test".into(),
        database: "test".into(),
    }
}

#[tokio::test]
async fn a_new_database_is_brought_to_the_newest_schema_version() {
    let settings = DatabaseSettings {
        url: "mem://".into(),
        credentials: None,
        namespace: "t".into(),
        database: "t".into(),
    };
    let store = Store::open(&settings).await.unwrap();
    let newest = MIGRATIONS
        .iter()
        .map(|migration| migration.version)
        .max()
        .unwrap();
    assert_eq!(store.schema_version().await.unwrap(), newest);
}

#[tokio::test]
async fn migration_versions_are_unique_and_increasing() {
    let versions: Vec<u32> = MIGRATIONS
        .iter()
        .map(|migration| migration.version)
        .collect();
    let mut sorted = versions.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(versions, sorted);
    assert_eq!(versions.first(), Some(&1));
}

#[tokio::test]
async fn reopening_a_data_directory_keeps_its_version_and_data() {
    use app::requests::NewTicket;
    use app::service::HelpDesk;
    let directory = tempfile::tempdir().unwrap();
    let reference = {
        let store = Store::open(&on_disk(directory.path())).await.unwrap();
        let draft = NewTicket {
            title: "Kept".into(),
            customer: "Disk".into(),
            ..NewTicket::default()
        }
        .parse(app::model::Channel::Api, "test")
        .unwrap();
        store.create_ticket(draft).await.unwrap().reference
    };
    // The embedded engine releases the directory once the last handle is dropped, which the
    // ticket writer task does shortly after the store; wait for that rather than guess a delay.
    let mut attempts = 0;
    let store = loop {
        match Store::open(&on_disk(directory.path())).await {
            Ok(store) => break store,
            Err(error) if attempts < 100 => {
                attempts += 1;
                let _ = error;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(error) => panic!("the data directory did not reopen: {error}"),
        }
    };
    assert_eq!(
        store.schema_version().await.unwrap(),
        MIGRATIONS.last().unwrap().version
    );
    assert_eq!(store.ticket(reference).await.unwrap().ticket.title, "Kept");
}
