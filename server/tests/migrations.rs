//! The schema is applied by versioned migrations, once, and survives reopening.

mod support;

use server::storage::{DatabaseSettings, MIGRATIONS, Store};

fn on_disk(path: &std::path::Path) -> DatabaseSettings {
    DatabaseSettings {
        url: format!("surrealkv://{}", path.display()),
        credentials: None,
        namespace: "test".into(),
        database: "test".into(),
        embedded_memory: Default::default(),
        migration_batch: server::storage::DEFAULT_MIGRATION_BATCH,
    }
}

#[tokio::test]
async fn a_new_database_is_brought_to_the_newest_schema_version() {
    let settings = DatabaseSettings {
        url: "mem://".into(),
        credentials: None,
        namespace: "t".into(),
        database: "t".into(),
        embedded_memory: Default::default(),
        migration_batch: server::storage::DEFAULT_MIGRATION_BATCH,
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
    let directory = tempfile::tempdir().unwrap();
    let reference = {
        let store = Store::open(&on_disk(directory.path())).await.unwrap();
        let draft = NewTicket {
            title: "Kept".into(),
            customer: "Disk".into(),
            ..NewTicket::default()
        }
        .parse(app::model::Channel::Api)
        .unwrap();
        store
            .insert_ticket(draft, "test".into(), None)
            .await
            .unwrap()
            .reference
    };
    let store = reopen(directory.path()).await;
    assert_eq!(
        store.schema_version().await.unwrap(),
        MIGRATIONS.last().unwrap().version
    );
    let kept = store
        .load_ticket(reference)
        .await
        .unwrap()
        .expect("the ticket");
    assert_eq!(kept.title, "Kept");
}

/// The references of the tickets a full-text search for `words` finds, best first.
async fn tickets_found(store: &Store, words: &str) -> Vec<String> {
    let query = app::search::SearchQuery::parse(
        words,
        app::search::SearchScope::Tickets,
        Vec::new(),
        0,
        20,
    )
    .unwrap();
    let found = store.search(&query).await.unwrap();
    found.items.into_iter().map(|hit| hit.reference).collect()
}

/// Opens a data directory that a store dropped a moment ago.
///
/// The embedded engine releases the directory once the last handle is dropped, which the ticket
/// writer task does shortly after the store; this waits for that rather than guessing a delay.
async fn reopen(path: &std::path::Path) -> Store {
    let mut attempts = 0;
    loop {
        match Store::open(&on_disk(path)).await {
            Ok(store) => return store,
            Err(error) if attempts < 100 => {
                attempts += 1;
                let _ = error;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            Err(error) => panic!("the data directory did not reopen: {error}"),
        }
    }
}

/// Writes a data directory as the first release left it (see `support::fill_version_one`).
async fn version_one_directory(path: &std::path::Path, count: u64) {
    let db = surrealdb::engine::any::connect(format!("surrealkv://{}", path.display()))
        .await
        .unwrap();
    db.use_ns("test").use_db("test").await.unwrap();
    support::fill_version_one(&db, count).await;
    drop(db);
    // The embedded engine lets the directory go in a task of its own: wait for it, so that the
    // next process to open the directory finds it free.
    assert!(
        on_disk(path)
            .wait_until_closed(std::time::Duration::from_secs(30))
            .await
    );
}

#[tokio::test]
async fn upgrading_a_version_one_data_directory_makes_its_tickets_searchable() {
    use app::requests::{QueueQuery, StatusFilter};
    let directory = tempfile::tempdir().unwrap();
    version_one_directory(directory.path(), 600).await;
    let store = reopen(directory.path()).await;
    assert_eq!(
        store.schema_version().await.unwrap(),
        MIGRATIONS.last().unwrap().version
    );
    let search = |words: &[&str]| QueueQuery {
        status: StatusFilter::All,
        words: words.iter().map(|word| word.to_string()).collect(),
        limit: 200,
        ..QueueQuery::default()
    };
    // Every batch of the rewrite was reached: the first, a middle and the last ticket.
    let toner = store.queue_page(&search(&["toner"])).await.unwrap();
    assert_eq!(toner.items.len(), 1);
    assert_eq!(toner.items[0].reference.to_string(), "TCK-555");
    for number in ["1", "501", "600"] {
        let page = store.queue_page(&search(&["floor", number])).await.unwrap();
        assert_eq!(page.items.len(), 1, "floor {number}");
        assert_eq!(page.items[0].reference.to_string(), format!("TCK-{number}"));
    }
    let customers = store
        .queue_page(&search(&["old", "customer"]))
        .await
        .unwrap();
    assert_eq!(customers.items.len(), 200);
    assert!(customers.next_cursor.is_some());

    // The full-text index covers the tickets that were there before it.
    assert_eq!(tickets_found(&store, "smudges").await, ["TCK-555"]);
}

/// Version 14 first defined one full-text index per field; a database that applied that form
/// is brought to one index per table over `search_text`, and its tickets become searchable.
#[tokio::test]
async fn a_database_with_the_first_full_text_indexes_is_brought_to_the_current_ones() {
    let directory = tempfile::tempdir().unwrap();
    {
        let db =
            surrealdb::engine::any::connect(format!("surrealkv://{}", directory.path().display()))
                .await
                .unwrap();
        db.use_ns("test").use_db("test").await.unwrap();
        db.query(
            "DEFINE TABLE schema_migration SCHEMAFULL;
             DEFINE FIELD name ON schema_migration TYPE string;
             DEFINE FIELD applied_at ON schema_migration TYPE datetime;",
        )
        .await
        .unwrap()
        .check()
        .unwrap();
        for migration in MIGRATIONS
            .iter()
            .filter(|migration| migration.version <= 14)
        {
            // Version 14 as it first was: no `search_text`, an index on each field.
            let statements = if migration.version == 14 {
                let mut first: String = migration
                    .statements
                    .lines()
                    .filter(|line| !line.contains("search_text"))
                    .map(|line| format!("{line}\n"))
                    .collect();
                for (table, field) in [
                    ("ticket", "title"),
                    ("ticket", "description"),
                    ("ticket", "resolution"),
                    ("article", "title"),
                    ("article", "symptoms"),
                    ("article", "resolution"),
                ] {
                    first.push_str(&format!(
                        "DEFINE INDEX {table}_{field}_text ON {table} FIELDS {field} FULLTEXT ANALYZER knowledge BM25 HIGHLIGHTS;\n"
                    ));
                }
                first
            } else {
                migration.statements.to_string()
            };
            db.query(statements)
                .query("CREATE type::record('schema_migration', $version) SET name = 'old', applied_at = time::now()")
                .bind(("version", i64::from(migration.version)))
                .await
                .unwrap()
                .check()
                .unwrap();
        }
        db.query(
            "UPSERT sequence:ticket SET value = 1;
             CREATE ticket:1 CONTENT {
                 number: 1, reference: 'TCK-1', title: 'Toner smudges', description: 'Grey lines',
                 urgency: 'low', status: 'new', channel: 'phone', customer: 'Old Customer',
                 scope: 'external', environment: '', manner: '', queue_key: 'n',
                 revision: 1, entry_count: 0, created_at: time::now(), updated_at: time::now()
             };",
        )
        .await
        .unwrap()
        .check()
        .unwrap();
    }
    let store = reopen(directory.path()).await;
    assert_eq!(
        store.schema_version().await.unwrap(),
        MIGRATIONS.last().unwrap().version
    );
    assert_eq!(tickets_found(&store, "smudges").await, ["TCK-1"]);
}

/// Runs the real server on a data directory; answers it with its log lines as they come.
fn start_server(
    path: &std::path::Path,
    batch: &str,
) -> (std::process::Child, std::sync::mpsc::Receiver<String>) {
    use std::io::BufRead;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_helpdesk"))
        .args(["--address", &format!("127.0.0.1:{port}"), "--log", "info"])
        .args(["--namespace", "test", "--database", "test"])
        .args(["--migration-batch", batch])
        .arg("--data-dir")
        .arg(path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the server starts");
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if lines.send(without_colours(&line)).is_err() {
                break;
            }
        }
    });
    (child, received)
}

/// A log line without its terminal colour codes (`ESC [ … m`).
fn without_colours(line: &str) -> String {
    let mut plain = String::with_capacity(line.len());
    let mut characters = line.chars();
    while let Some(character) = characters.next() {
        if character == '\u{1b}' {
            for code in characters.by_ref() {
                if code == 'm' {
                    break;
                }
            }
        } else {
            plain.push(character);
        }
    }
    plain
}

/// Reads log lines until one satisfies `wanted`; answers it.
fn wait_for_line(
    lines: &std::sync::mpsc::Receiver<String>,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let mut seen = std::collections::VecDeque::new();
    loop {
        match lines.recv_timeout(std::time::Duration::from_secs(120)) {
            Ok(line) if wanted(&line) => return line,
            Ok(line) => {
                seen.push_back(line);
                if seen.len() > 200 {
                    seen.pop_front();
                }
            }
            Err(error) => panic!(
                "the server did not log what was awaited ({error}); its last lines: {seen:#?}"
            ),
        }
    }
}

/// The number after `name=` in a log line.
fn field(line: &str, name: &str) -> u64 {
    let start = line.find(&format!("{name}=")).expect("the field") + name.len() + 1;
    line[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn a_migration_killed_halfway_goes_on_from_where_it_stopped() {
    let directory = tempfile::tempdir().unwrap();
    version_one_directory(directory.path(), 2_000).await;

    // Small batches, and a kill while version 15 rewrites the tickets' search text.
    let (mut first, lines) = start_server(directory.path(), "10");
    let progress = wait_for_line(&lines, |line| {
        line.contains("migration progress")
            && line.contains("version=15")
            && field(line, "done") >= 500
    });
    first.kill().unwrap();
    first.wait().unwrap();
    let done = field(&progress, "done");
    assert!(done < 2_000, "killed halfway: {progress}");

    let (mut second, lines) = start_server(directory.path(), "10");
    let resumed = wait_for_line(&lines, |line| {
        line.contains("resuming an interrupted migration")
    });
    assert!(resumed.contains("version=15"), "{resumed}");
    // Whatever batches committed before the kill are not done again.
    assert!(field(&resumed, "from") > done, "{resumed} after {progress}");
    wait_for_line(&lines, |line| line.contains("serving the help desk"));
    second.kill().unwrap();
    second.wait().unwrap();

    let store = reopen(directory.path()).await;
    assert_eq!(
        store.schema_version().await.unwrap(),
        MIGRATIONS.last().unwrap().version
    );
    // Every ticket got its search text: before the kill, after it, and the last; and the notes
    // on their timelines are searched too.
    assert_eq!(tickets_found(&store, "smudges").await, ["TCK-555"]);
    assert_eq!(tickets_found(&store, "fuser").await, ["TCK-777"]);
    assert_eq!(tickets_found(&store, "fax").await, ["TCK-1"]);
    for number in ["1999", "2000"] {
        let found = tickets_found(&store, &format!("floor {number}")).await;
        assert_eq!(found.first(), Some(&format!("TCK-{number}")), "{found:?}");
    }
}
