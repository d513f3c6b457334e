//! The schema, as numbered migrations applied in order at start-up.
//!
//! A migration is never edited once released: a change to the schema is a new migration. Its
//! definitions run in a single transaction; a migration that also rewrites existing records does
//! that afterwards in batches, idempotently, and its version is recorded only once every record is
//! done. A data directory is therefore always at exactly one version, an interrupted upgrade simply
//! runs again at the next start, and upgrading never loses data.

use super::database::Database;
use super::{MAX_ATTEMPTS, StorageError, back_off, is_conflict, transaction_outcome};
use serde::{Deserialize, Serialize};

/// One step of the schema.
pub struct Migration {
    /// Applied in increasing order.
    pub version: u32,
    /// What it does.
    pub name: &'static str,
    /// SurrealQL definitions; idempotent so that two servers starting together cannot clash.
    pub statements: &'static str,
    /// Existing records to bring up to the new schema, if any.
    pub data: Option<DataStep>,
}

/// A rewrite of existing records that a migration needs after its definitions. Each runs in
/// transactions of a bounded number of tickets, and all but the first record how far they got
/// (`schema_progress:<version>`) in the same transaction as each batch, so that a server killed
/// halfway goes on from there when it starts again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DataStep {
    /// Computes every ticket's search words.
    TicketWords,
    /// Numbers every stored crash event (its place among its ticket's reports, from its id).
    CrashEventSequence,
    /// Copies what people wrote on timelines into the text that search indexes.
    EntryText,
    /// Recomputes every ticket's search text (and its full-text index entries).
    TicketSearchText,
    /// Computes the search text of tickets and articles that have none.
    MissingSearchText,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "tickets, timeline entries and the reference sequence",
        statements: r#"
DEFINE TABLE OVERWRITE ticket SCHEMAFULL;
DEFINE FIELD OVERWRITE number ON ticket TYPE int ASSERT $value > 0;
DEFINE FIELD OVERWRITE reference ON ticket TYPE string;
DEFINE FIELD OVERWRITE title ON ticket TYPE string ASSERT string::len($value) > 0 AND string::len($value) <= 200;
DEFINE FIELD OVERWRITE description ON ticket TYPE string;
DEFINE FIELD OVERWRITE urgency ON ticket TYPE string ASSERT $value IN ['critical', 'high', 'medium', 'low', 'none'];
DEFINE FIELD OVERWRITE status ON ticket TYPE string ASSERT $value IN ['new', 'verified', 'invalid', 'in_progress', 'waiting_on_customer', 'resolved', 'closed'];
DEFINE FIELD OVERWRITE channel ON ticket TYPE string ASSERT $value IN ['phone', 'email', 'web', 'api'];
DEFINE FIELD OVERWRITE customer ON ticket TYPE string ASSERT string::len($value) > 0;
DEFINE FIELD OVERWRITE scope ON ticket TYPE string ASSERT $value IN ['internal', 'external'];
DEFINE FIELD OVERWRITE environment ON ticket TYPE string;
DEFINE FIELD OVERWRITE occurred_at ON ticket TYPE option<datetime>;
DEFINE FIELD OVERWRITE manner ON ticket TYPE string;
DEFINE FIELD OVERWRITE assignee ON ticket TYPE option<string>;
DEFINE FIELD OVERWRITE resolution ON ticket TYPE option<string>;
DEFINE FIELD OVERWRITE queue_key ON ticket TYPE string;
DEFINE FIELD OVERWRITE revision ON ticket TYPE int;
DEFINE FIELD OVERWRITE entry_count ON ticket TYPE int;
DEFINE FIELD OVERWRITE created_at ON ticket TYPE datetime;
DEFINE FIELD OVERWRITE updated_at ON ticket TYPE datetime;
DEFINE INDEX OVERWRITE ticket_reference ON ticket FIELDS reference UNIQUE;
DEFINE INDEX OVERWRITE ticket_queue ON ticket FIELDS status, queue_key;

DEFINE TABLE OVERWRITE entry SCHEMAFULL;
DEFINE FIELD OVERWRITE ticket_number ON entry TYPE int;
DEFINE FIELD OVERWRITE position ON entry TYPE int;
DEFINE FIELD OVERWRITE kind ON entry TYPE string ASSERT $value IN ['created', 'note', 'contact', 'attempt', 'status_change', 'urgency_change', 'assignee_change', 'edit'];
DEFINE FIELD OVERWRITE author ON entry TYPE string;
DEFINE FIELD OVERWRITE body ON entry TYPE string;
DEFINE FIELD OVERWRITE outcome ON entry TYPE option<string> ASSERT $value = NONE OR $value IN ['worked', 'partly', 'failed'];
DEFINE FIELD OVERWRITE change_from ON entry TYPE option<string>;
DEFINE FIELD OVERWRITE change_to ON entry TYPE option<string>;
DEFINE FIELD OVERWRITE created_at ON entry TYPE datetime;
DEFINE INDEX OVERWRITE entry_ticket ON entry FIELDS ticket_number, position UNIQUE;

DEFINE TABLE OVERWRITE sequence SCHEMAFULL;
DEFINE FIELD OVERWRITE value ON sequence TYPE int;
"#,
        data: None,
    },
    Migration {
        version: 2,
        name: "ticket search words, indexed in queue order",
        // A word index whose keys continue with the queue's: a search for a word walks the
        // tickets holding it already in queue order, and stops after one page.
        statements: r#"
DEFINE FIELD OVERWRITE search_words ON ticket TYPE array<string> DEFAULT [];
DEFINE INDEX OVERWRITE ticket_words ON ticket FIELDS search_words.*, status, queue_key;
"#,
        data: Some(DataStep::TicketWords),
    },
    Migration {
        version: 3,
        name: "agents, sessions, API tokens and the assignee index",
        statements: r#"
DEFINE TABLE OVERWRITE agent SCHEMAFULL;
DEFINE FIELD OVERWRITE email ON agent TYPE string ASSERT string::len($value) > 0;
DEFINE FIELD OVERWRITE name ON agent TYPE string ASSERT string::len($value) > 0;
DEFINE FIELD OVERWRITE role ON agent TYPE string ASSERT $value IN ['admin', 'agent', 'viewer'];
DEFINE FIELD OVERWRITE password_hash ON agent TYPE string;
DEFINE FIELD OVERWRITE active ON agent TYPE bool;
DEFINE FIELD OVERWRITE created_at ON agent TYPE datetime;
DEFINE INDEX OVERWRITE agent_email ON agent FIELDS email UNIQUE;

DEFINE TABLE OVERWRITE session SCHEMAFULL;
DEFINE FIELD OVERWRITE agent ON session TYPE record<agent>;
DEFINE FIELD OVERWRITE secret_hash ON session TYPE string;
DEFINE FIELD OVERWRITE created_at ON session TYPE datetime;
DEFINE FIELD OVERWRITE last_seen_at ON session TYPE datetime;
DEFINE FIELD OVERWRITE expires_at ON session TYPE datetime;
DEFINE INDEX OVERWRITE session_agent ON session FIELDS agent;

DEFINE TABLE OVERWRITE api_token SCHEMAFULL;
DEFINE FIELD OVERWRITE agent ON api_token TYPE record<agent>;
DEFINE FIELD OVERWRITE secret_hash ON api_token TYPE string;
DEFINE FIELD OVERWRITE name ON api_token TYPE string ASSERT string::len($value) > 0;
DEFINE FIELD OVERWRITE role ON api_token TYPE string ASSERT $value IN ['admin', 'agent', 'viewer'];
DEFINE FIELD OVERWRITE created_at ON api_token TYPE datetime;
DEFINE FIELD OVERWRITE revoked_at ON api_token TYPE option<datetime>;
DEFINE INDEX OVERWRITE api_token_agent ON api_token FIELDS agent;

DEFINE INDEX OVERWRITE ticket_assignee ON ticket FIELDS assignee, status, queue_key;
"#,
        data: None,
    },
    Migration {
        version: 4,
        name: "projects that report crashes",
        statements: r#"
DEFINE TABLE OVERWRITE project SCHEMAFULL;
DEFINE FIELD OVERWRITE number ON project TYPE int ASSERT $value > 0;
DEFINE FIELD OVERWRITE name ON project TYPE string ASSERT string::len($value) > 0;
DEFINE FIELD OVERWRITE public_key ON project TYPE string ASSERT string::len($value) = 32;
DEFINE FIELD OVERWRITE created_at ON project TYPE datetime;
DEFINE INDEX OVERWRITE project_key ON project FIELDS public_key UNIQUE;
"#,
        data: None,
    },
    Migration {
        version: 5,
        name: "crash tickets, their groups and their stored events",
        statements: r#"
DEFINE FIELD OVERWRITE channel ON ticket TYPE string ASSERT $value IN ['phone', 'email', 'web', 'api', 'crash'];
DEFINE FIELD OVERWRITE project ON ticket TYPE option<int>;
DEFINE FIELD OVERWRITE fingerprint ON ticket TYPE option<string>;
DEFINE FIELD OVERWRITE occurrences ON ticket TYPE option<int>;
DEFINE FIELD OVERWRITE first_seen ON ticket TYPE option<datetime>;
DEFINE FIELD OVERWRITE last_seen ON ticket TYPE option<datetime>;
DEFINE FIELD OVERWRITE releases ON ticket TYPE option<array<string>>;
DEFINE FIELD OVERWRITE environments ON ticket TYPE option<array<string>>;

DEFINE TABLE OVERWRITE crash_group SCHEMAFULL;
DEFINE FIELD OVERWRITE ticket_number ON crash_group TYPE int;

DEFINE TABLE OVERWRITE crash_event SCHEMAFULL;
DEFINE FIELD OVERWRITE ticket_number ON crash_event TYPE int;
DEFINE FIELD OVERWRITE event_id ON crash_event TYPE string;
DEFINE FIELD OVERWRITE received_at ON crash_event TYPE datetime;
DEFINE FIELD OVERWRITE payload ON crash_event TYPE string;
"#,
        data: None,
    },
    Migration {
        version: 6,
        name: "regressed entries on the timeline",
        statements: r#"
DEFINE FIELD OVERWRITE kind ON entry TYPE string ASSERT $value IN ['created', 'note', 'contact', 'attempt', 'status_change', 'urgency_change', 'assignee_change', 'edit', 'regressed'];
"#,
        data: None,
    },
    Migration {
        version: 7,
        name: "the queue by channel, and stored events in order",
        statements: r#"
DEFINE INDEX OVERWRITE ticket_channel ON ticket FIELDS channel, status, queue_key;
DEFINE FIELD OVERWRITE sequence ON crash_event TYPE option<int>;
DEFINE INDEX OVERWRITE crash_event_order ON crash_event FIELDS ticket_number, sequence;
"#,
        data: Some(DataStep::CrashEventSequence),
    },
    Migration {
        version: 8,
        name: "spike windows of crash tickets",
        statements: r#"
DEFINE FIELD OVERWRITE spike_window_start ON ticket TYPE option<datetime>;
DEFINE FIELD OVERWRITE spike_window_count ON ticket TYPE option<int>;
"#,
        data: None,
    },
    Migration {
        version: 9,
        name: "the release a resolution names",
        statements: r#"
DEFINE FIELD OVERWRITE resolved_in_release ON ticket TYPE option<string>;
"#,
        data: None,
    },
    Migration {
        version: 10,
        name: "receipts of crash reports, their counts per hour, and the users they affect",
        statements: r#"
DEFINE TABLE OVERWRITE crash_receipt SCHEMAFULL;
DEFINE FIELD OVERWRITE ticket_number ON crash_receipt TYPE int;
DEFINE FIELD OVERWRITE received_at ON crash_receipt TYPE datetime;
DEFINE TABLE OVERWRITE crash_hour SCHEMAFULL;
DEFINE FIELD OVERWRITE ticket_number ON crash_hour TYPE int;
DEFINE FIELD OVERWRITE hour ON crash_hour TYPE int;
DEFINE FIELD OVERWRITE count ON crash_hour TYPE int ASSERT $value >= 0;
DEFINE INDEX OVERWRITE crash_hour_ticket ON crash_hour FIELDS ticket_number, hour;
DEFINE TABLE OVERWRITE crash_user SCHEMAFULL;
DEFINE FIELD OVERWRITE ticket_number ON crash_user TYPE int;
DEFINE FIELD OVERWRITE user ON crash_user TYPE string;
DEFINE FIELD OVERWRITE first_seen ON crash_user TYPE datetime;
DEFINE FIELD OVERWRITE affected_users ON ticket TYPE option<int>;
"#,
        data: None,
    },
    Migration {
        version: 11,
        name: "customers",
        statements: r#"
DEFINE TABLE OVERWRITE customer SCHEMAFULL;
DEFINE FIELD OVERWRITE number ON customer TYPE int;
DEFINE FIELD OVERWRITE name ON customer TYPE string;
DEFINE FIELD OVERWRITE notes ON customer TYPE string;
DEFINE FIELD OVERWRITE contacts ON customer TYPE array<object>;
DEFINE FIELD OVERWRITE contacts[*].name ON customer TYPE string;
DEFINE FIELD OVERWRITE contacts[*].email ON customer TYPE option<string>;
DEFINE FIELD OVERWRITE contacts[*].phone ON customer TYPE option<string>;
DEFINE FIELD OVERWRITE environment ON customer TYPE string;
DEFINE FIELD OVERWRITE properties ON customer TYPE array<object>;
DEFINE FIELD OVERWRITE properties[*].key ON customer TYPE string;
DEFINE FIELD OVERWRITE properties[*].value ON customer TYPE string;
DEFINE FIELD OVERWRITE search_words ON customer TYPE array<string>;
DEFINE FIELD OVERWRITE name_key ON customer TYPE string;
DEFINE FIELD OVERWRITE created_at ON customer TYPE datetime;
DEFINE FIELD OVERWRITE updated_at ON customer TYPE datetime;
DEFINE INDEX OVERWRITE customer_order ON customer FIELDS name_key UNIQUE;
DEFINE INDEX OVERWRITE customer_words ON customer FIELDS search_words.*, name_key;
"#,
        data: None,
    },
    Migration {
        version: 12,
        name: "tickets filed for customers",
        statements: r#"
DEFINE FIELD OVERWRITE customer_id ON ticket TYPE option<int>;
DEFINE FIELD OVERWRITE customer_keys ON ticket TYPE option<array<string>>;
DEFINE INDEX OVERWRITE ticket_customer ON ticket FIELDS customer_id, queue_key;
DEFINE INDEX OVERWRITE ticket_customer_keys ON ticket FIELDS customer_keys.*, queue_key;
DEFINE INDEX OVERWRITE crash_user_user ON crash_user FIELDS user;
"#,
        data: None,
    },
    // The analyzer is committed before the indexes that use it: an index built over existing
    // records in the analyzer's own transaction does not find it.
    Migration {
        version: 13,
        name: "the analyzer of full-text search",
        statements: r#"
DEFINE ANALYZER OVERWRITE knowledge TOKENIZERS blank, class FILTERS lowercase, ascii, snowball(english);
"#,
        data: None,
    },
    Migration {
        version: 14,
        name: "knowledge-base articles and full-text search",
        statements: r#"

DEFINE TABLE OVERWRITE article SCHEMAFULL;
DEFINE FIELD OVERWRITE number ON article TYPE int;
DEFINE FIELD OVERWRITE title ON article TYPE string ASSERT string::len($value) > 0;
DEFINE FIELD OVERWRITE symptoms ON article TYPE string;
DEFINE FIELD OVERWRITE resolution ON article TYPE string;
DEFINE FIELD OVERWRITE tags ON article TYPE array<string>;
DEFINE FIELD OVERWRITE tickets ON article TYPE array<int>;
DEFINE FIELD OVERWRITE status ON article TYPE string ASSERT $value IN ['draft', 'published'];
DEFINE FIELD OVERWRITE revision ON article TYPE int ASSERT $value > 0;
DEFINE FIELD OVERWRITE author ON article TYPE string;
DEFINE FIELD OVERWRITE updated_by ON article TYPE string;
DEFINE FIELD OVERWRITE created_at ON article TYPE datetime;
DEFINE FIELD OVERWRITE updated_at ON article TYPE datetime;
DEFINE INDEX OVERWRITE article_status ON article FIELDS status, number;
DEFINE INDEX OVERWRITE article_tickets ON article FIELDS tickets.*;
-- What search reads: the title twice (it weighs double), the symptoms and the resolution, apart
-- by the record separator (which no checked text holds), so that a highlighted copy splits back.
DEFINE FIELD OVERWRITE search_text ON article VALUE string::concat(title, '\u{1e}', title, '\u{1e}', symptoms, '\u{1e}', resolution);
DEFINE INDEX OVERWRITE article_text ON article FIELDS search_text FULLTEXT ANALYZER knowledge BM25;

DEFINE TABLE OVERWRITE article_version SCHEMAFULL;
DEFINE FIELD OVERWRITE article ON article_version TYPE int;
DEFINE FIELD OVERWRITE revision ON article_version TYPE int;
DEFINE FIELD OVERWRITE author ON article_version TYPE string;
DEFINE FIELD OVERWRITE created_at ON article_version TYPE datetime;
DEFINE FIELD OVERWRITE title ON article_version TYPE string;
DEFINE FIELD OVERWRITE symptoms ON article_version TYPE string;
DEFINE FIELD OVERWRITE resolution ON article_version TYPE string;
DEFINE FIELD OVERWRITE tags ON article_version TYPE array<string>;
DEFINE FIELD OVERWRITE tickets ON article_version TYPE array<int>;
DEFINE FIELD OVERWRITE status ON article_version TYPE string;
DEFINE INDEX OVERWRITE article_version_order ON article_version FIELDS article, revision;

DEFINE INDEX OVERWRITE ticket_fingerprint ON ticket FIELDS fingerprint;
-- One full-text index per table: a record is scored once, not once per field.
DEFINE FIELD OVERWRITE search_text ON ticket VALUE string::concat(title, '\u{1e}', title, '\u{1e}', description, '\u{1e}', resolution OR '');
DEFINE INDEX OVERWRITE ticket_text ON ticket FIELDS search_text FULLTEXT ANALYZER knowledge BM25;
-- What people wrote on timelines (notes, contacts, attempts), apart from the audit trail.
DEFINE FIELD OVERWRITE text ON entry TYPE option<string>;
DEFINE INDEX OVERWRITE entry_text ON entry FIELDS text FULLTEXT ANALYZER knowledge BM25;
"#,
        data: Some(DataStep::EntryText),
    },
    // Existing tickets get their search text (and index entries) once its definition is
    // committed: within the defining transaction an update does not see it.
    Migration {
        version: 15,
        name: "the search text of existing tickets",
        statements: "",
        data: Some(DataStep::TicketSearchText),
    },
    // Version 14 first defined three full-text indexes per table, one per field, with
    // highlights; a database that applied that version has neither `search_text` nor its
    // indexes. This brings it to what version 14 defines now, and changes nothing where that is
    // already so.
    Migration {
        version: 16,
        name: "one full-text index per table, for databases that had one per field",
        statements: r#"
REMOVE INDEX IF EXISTS ticket_title_text ON ticket;
REMOVE INDEX IF EXISTS ticket_description_text ON ticket;
REMOVE INDEX IF EXISTS ticket_resolution_text ON ticket;
REMOVE INDEX IF EXISTS article_title_text ON article;
REMOVE INDEX IF EXISTS article_symptoms_text ON article;
REMOVE INDEX IF EXISTS article_resolution_text ON article;
DEFINE FIELD IF NOT EXISTS search_text ON article VALUE string::concat(title, '\u{1e}', title, '\u{1e}', symptoms, '\u{1e}', resolution);
DEFINE INDEX IF NOT EXISTS article_text ON article FIELDS search_text FULLTEXT ANALYZER knowledge BM25;
DEFINE FIELD IF NOT EXISTS search_text ON ticket VALUE string::concat(title, '\u{1e}', title, '\u{1e}', description, '\u{1e}', resolution OR '');
DEFINE INDEX IF NOT EXISTS ticket_text ON ticket FIELDS search_text FULLTEXT ANALYZER knowledge BM25;
"#,
        data: None,
    },
    // Their records get the search text once its definition is committed (see version 15).
    Migration {
        version: 17,
        name: "the search text of tickets and articles that have none",
        statements: "",
        data: Some(DataStep::MissingSearchText),
    },
    // A crash ticket keeps its most recent releases and environments, and counts the rest.
    Migration {
        version: 18,
        name: "how many releases and environments a crash ticket no longer lists",
        statements: r#"
DEFINE FIELD OVERWRITE releases_omitted ON ticket TYPE option<int>;
DEFINE FIELD OVERWRITE environments_omitted ON ticket TYPE option<int>;
"#,
        data: None,
    },
    // Releases without a version number are ordered by when their project first knew them.
    Migration {
        version: 19,
        name: "when each project first knew each release",
        statements: r#"
DEFINE TABLE OVERWRITE crash_release SCHEMAFULL;
DEFINE FIELD OVERWRITE first_seen ON crash_release TYPE datetime;
"#,
        data: None,
    },
    // A project's key can be replaced (the old one works for a while) and a project disabled.
    Migration {
        version: 20,
        name: "replaced project keys and disabled projects",
        statements: r#"
DEFINE FIELD OVERWRITE previous_key ON project TYPE option<string>;
DEFINE FIELD OVERWRITE previous_key_until ON project TYPE option<datetime>;
DEFINE FIELD OVERWRITE active ON project TYPE option<bool>;
"#,
        data: None,
    },
    // A retried request with an `Idempotency-Key` gets the first answer, kept for a day.
    Migration {
        version: 21,
        name: "the answers of requests with an idempotency key",
        statements: r#"
DEFINE TABLE OVERWRITE request_key SCHEMAFULL;
DEFINE FIELD OVERWRITE fingerprint ON request_key TYPE string;
DEFINE FIELD OVERWRITE answer ON request_key TYPE string;
DEFINE FIELD OVERWRITE created_at ON request_key TYPE datetime;
DEFINE INDEX OVERWRITE request_key_age ON request_key FIELDS created_at;
"#,
        data: None,
    },
    // Limits every server sharing the database keeps together, instead of one each.
    Migration {
        version: 22,
        name: "crash-report buckets shared by every server",
        statements: r#"
DEFINE TABLE OVERWRITE ingest_rate SCHEMAFULL;
DEFINE FIELD OVERWRITE tokens ON ingest_rate TYPE number;
DEFINE FIELD OVERWRITE updated ON ingest_rate TYPE number;
DEFINE FIELD OVERWRITE revision ON ingest_rate TYPE int;
"#,
        data: None,
    },
    Migration {
        version: 23,
        name: "sign-in failures counted by every server together",
        statements: r#"
DEFINE TABLE OVERWRITE sign_in_failures SCHEMAFULL;
DEFINE FIELD OVERWRITE failures ON sign_in_failures TYPE int;
DEFINE FIELD OVERWRITE last ON sign_in_failures TYPE int;
DEFINE FIELD OVERWRITE revision ON sign_in_failures TYPE int;
DEFINE INDEX OVERWRITE sign_in_failures_last ON sign_in_failures FIELDS last;
DEFINE TABLE OVERWRITE sign_in_known SCHEMAFULL;
DEFINE FIELD OVERWRITE since ON sign_in_known TYPE int;
DEFINE INDEX OVERWRITE sign_in_known_since ON sign_in_known FIELDS since;
"#,
        data: None,
    },
    // Receipts only guard against a report sent twice; old ones are removed by age. (Built
    // `CONCURRENTLY`, the index measured 15 – 20% fewer reports/s on the ingest benchmark.)
    Migration {
        version: 24,
        name: "crash receipts found by age",
        statements: r#"
DEFINE INDEX OVERWRITE crash_receipt_age ON crash_receipt FIELDS received_at;
"#,
        data: None,
    },
];

/// How many tickets one transaction of a data step rewrites, unless told otherwise.
pub const DEFAULT_BATCH: usize = 500;

/// Applies every migration newer than the database's version, rewriting existing records
/// `batch` tickets at a time.
pub async fn apply(db: &Database, batch: usize) -> Result<(), StorageError> {
    let batch = batch.clamp(1, 100_000) as i64;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let defined = db
            .query(
                "DEFINE TABLE IF NOT EXISTS schema_migration SCHEMAFULL;
         DEFINE FIELD IF NOT EXISTS name ON schema_migration TYPE string;
         DEFINE FIELD IF NOT EXISTS applied_at ON schema_migration TYPE datetime;
         DEFINE TABLE IF NOT EXISTS schema_progress SCHEMAFULL;
         DEFINE FIELD IF NOT EXISTS next ON schema_progress TYPE int;
         DEFINE TABLE IF NOT EXISTS schema_lock SCHEMAFULL;
         DEFINE FIELD IF NOT EXISTS holder ON schema_lock TYPE string;
         DEFINE FIELD IF NOT EXISTS until ON schema_lock TYPE datetime;",
            )
            .await
            .and_then(|response| response.check());
        match defined {
            Ok(_) => break,
            // Servers starting together define these at the same moment.
            Err(error) if is_conflict(&error) && attempt < MAX_ATTEMPTS => back_off(attempt).await,
            Err(error) => return Err(error.into()),
        }
    }
    let newest = MIGRATIONS.last().map_or(0, |migration| migration.version);
    if current_version(db).await? >= newest {
        return Ok(());
    }
    // Servers sharing a remote database migrate one at a time: the others wait for the one
    // holding the lease (an embedded database admits one process anyway).
    let holder = if matches!(db, Database::Remote(_)) {
        match take_lease(db, newest).await? {
            Some(holder) => Some(holder),
            None => return Ok(()),
        }
    } else {
        None
    };
    let applied = apply_pending(db, batch).await;
    if let Some(holder) = holder {
        db.query("DELETE schema_lock:migrations WHERE holder = $holder")
            .bind(("holder", holder))
            .await?
            .check()?;
    }
    applied
}

/// How long a lease on migrating lasts unless renewed (each batch and each migration renews
/// it): a server killed while migrating holds the others back that long at most.
const LEASE: &str = "2m";

/// Takes the lease on migrating `db`, waiting while another server holds it; answers the
/// holder's name, or `None` when the other server brought the schema to `newest` meanwhile.
async fn take_lease(db: &Database, newest: u32) -> Result<Option<String>, StorageError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|error| StorageError::Settings(format!("no randomness: {error}")))?;
    let holder: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let mut said = false;
    loop {
        let result = db
            .query(format!(
                "DELETE schema_lock:migrations WHERE until < time::now();
                 RETURN IF record::exists(schema_lock:migrations) {{ false }} ELSE {{
                     CREATE schema_lock:migrations SET holder = $holder, until = time::now() + {LEASE};
                     true
                 }};"
            ))
            .bind(("holder", holder.clone()))
            .await
            .and_then(|response| response.check());
        // Another server taking it at the same moment collides with us: not taken.
        let taken: Option<bool> = match result {
            Ok(mut response) => response.take(1)?,
            Err(error) if is_conflict(&error) => None,
            Err(error) => return Err(error.into()),
        };
        if taken == Some(true) {
            return Ok(Some(holder));
        }
        if current_version(db).await? >= newest {
            return Ok(None);
        }
        if !said {
            tracing::info!("another server is migrating the database; waiting for it");
            said = true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// Applies every pending migration, in order.
async fn apply_pending(db: &Database, batch: i64) -> Result<(), StorageError> {
    let current = current_version(db).await?;
    for migration in MIGRATIONS
        .iter()
        .filter(|migration| migration.version > current)
    {
        let mut attempt = 0;
        let applied_here = loop {
            attempt += 1;
            let Err(source) = apply_one(db, migration, batch).await else {
                break true;
            };
            // Another server may have applied it at the same moment; that is success.
            if current_version(db).await? >= migration.version {
                break false;
            }
            // Or be applying it now: its writes collide with ours (a write conflict, or an
            // index it redefines under a write of ours), which SurrealDB reports in more than
            // one way. Every step can be run again (definitions are idempotent, rewrites go on
            // from what was recorded), so any failure is tried again a few times before it
            // counts.
            tracing::warn!(
                version = migration.version,
                attempt,
                error = %source,
                "a migration step failed; trying again"
            );
            if attempt < MAX_ATTEMPTS {
                back_off(attempt).await;
                continue;
            }
            return Err(StorageError::Migration {
                version: migration.version,
                name: migration.name,
                source: Box::new(source),
            });
        };
        if !applied_here {
            continue;
        }
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    Ok(())
}

const RECORD_VERSION: &str =
    "CREATE type::record('schema_migration', $version) SET name = $name, applied_at = time::now();
DELETE type::record('schema_progress', $version);
UPDATE schema_lock:migrations SET until = time::now() + 2m;";

/// Keeps the lease on migrating (see `take_lease`) while a long rewrite runs.
const RENEW_LEASE: &str = "UPDATE schema_lock:migrations SET until = time::now() + 2m;";

/// The batches of the data steps: `$first..$next` are ticket (or article) numbers, `$numbers`
/// the same as a list. Records keyed by their ticket (`[ticket, n]`) are reached as a range of
/// record ids, which reads only them.
const NUMBER_CRASH_EVENTS: &str =
    "UPDATE crash_event:[$first]..[$next] SET sequence = record::id(id)[1] WHERE sequence = NONE;";
const COPY_ENTRY_TEXT: &str = "UPDATE entry:[$first]..[$next] SET text = body WHERE kind IN ['note', 'contact', 'attempt'] AND text = NONE;";
const RECOMPUTE_TICKET_TEXT: &str =
    "UPDATE $numbers.map(|$number| type::record('ticket', $number)) SET search_text = NONE;";
const COMPUTE_MISSING_TEXT: &str = "UPDATE $numbers.map(|$number| type::record('ticket', $number)) SET search_text = NONE WHERE search_text = NONE;
UPDATE $numbers.map(|$number| type::record('article', $number)) SET search_text = NONE WHERE search_text = NONE;";

/// The highest number a ticket or an article was given.
const HIGHEST_NUMBER: &str = "RETURN math::max([(SELECT VALUE value FROM ONLY sequence:ticket) OR 0, (SELECT VALUE value FROM ONLY sequence:article) OR 0]);";

/// Runs `query` over every ticket number, `batch` at a time, each batch in one transaction with
/// the record of how far the step got; starts after what an interrupted run recorded.
async fn run_batches(
    db: &Database,
    migration: &Migration,
    batch: i64,
    query: &str,
) -> Result<(), surrealdb::Error> {
    let version = i64::from(migration.version);
    let mut response = db
        .query(format!(
            "{HIGHEST_NUMBER}\nSELECT VALUE next FROM type::record('schema_progress', $version);"
        ))
        .bind(("version", version))
        .await?
        .check()?;
    let last: Option<i64> = response.take(0)?;
    let last = last.unwrap_or(0);
    let recorded: Vec<i64> = response.take(1)?;
    let mut first = recorded.first().copied().unwrap_or(1).max(1);
    if first > 1 {
        tracing::info!(
            version = migration.version,
            from = first,
            of = last,
            "resuming an interrupted migration"
        );
    }
    let transaction = format!(
        "BEGIN TRANSACTION;\n{query}\nUPSERT type::record('schema_progress', $version) SET next = $next;\n{RENEW_LEASE}\nCOMMIT TRANSACTION;"
    );
    while first <= last {
        let next = first.saturating_add(batch).min(last + 1);
        let numbers: Vec<i64> = (first..next).collect();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = db
                .query(transaction.as_str())
                .bind(("first", first))
                .bind(("next", next))
                .bind(("numbers", numbers.clone()))
                .bind(("version", version))
                .await
                .and_then(transaction_outcome);
            match result {
                Ok(_) => break,
                Err(error) if is_conflict(&error) && attempt < MAX_ATTEMPTS => {
                    back_off(attempt).await
                }
                Err(error) => return Err(error),
            }
        }
        tracing::info!(
            version = migration.version,
            done = next - 1,
            of = last,
            "migration progress"
        );
        first = next;
    }
    Ok(())
}

async fn apply_one(
    db: &Database,
    migration: &Migration,
    batch: i64,
) -> Result<(), surrealdb::Error> {
    let record = |query: String| {
        db.query(query)
            .bind(("version", i64::from(migration.version)))
            .bind(("name", migration.name))
    };
    match migration.data {
        None => {
            let query = format!(
                "BEGIN TRANSACTION;\n{}\n{RECORD_VERSION}\nCOMMIT TRANSACTION;",
                migration.statements
            );
            record(query).await.and_then(transaction_outcome)?;
        }
        Some(step) => {
            let query = format!(
                "BEGIN TRANSACTION;\n{}\nCOMMIT TRANSACTION;",
                migration.statements
            );
            db.query(query).await.and_then(transaction_outcome)?;
            let in_batches = |query| run_batches(db, migration, batch, query);
            match step {
                DataStep::TicketWords => fill_ticket_words(db, batch).await?,
                DataStep::CrashEventSequence => in_batches(NUMBER_CRASH_EVENTS).await?,
                DataStep::EntryText => in_batches(COPY_ENTRY_TEXT).await?,
                DataStep::TicketSearchText => in_batches(RECOMPUTE_TICKET_TEXT).await?,
                DataStep::MissingSearchText => in_batches(COMPUTE_MISSING_TEXT).await?,
            }
            record(RECORD_VERSION.to_string())
                .await
                .and_then(transaction_outcome)?;
        }
    }
    Ok(())
}

#[derive(Deserialize)]
struct TicketText {
    number: i64,
    title: String,
    description: String,
    customer: String,
}

#[derive(Serialize)]
struct TicketWords {
    number: i64,
    words: Vec<String>,
}

/// Computes the search words of every ticket, a batch of reference numbers at a time.
async fn fill_ticket_words(db: &Database, batch: i64) -> Result<(), surrealdb::Error> {
    let mut response = db
        .query("SELECT VALUE value FROM ONLY sequence:ticket")
        .await?
        .check()?;
    let last: Option<i64> = response.take(0)?;
    let last = last.unwrap_or(0);
    let mut first = 1;
    while first <= last {
        let numbers: Vec<i64> = (first..=last.min(first + batch - 1)).collect();
        first += batch;
        let mut response = db
            .query("SELECT number, title, description, customer FROM $numbers.map(|$number| type::record('ticket', $number))")
            .bind(("numbers", numbers))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        let tickets: Vec<TicketText> = rows
            .into_iter()
            .map(serde_json::from_value)
            .collect::<Result<_, _>>()
            .map_err(|error| surrealdb::Error::internal(format!("unreadable ticket: {error}")))?;
        let words: Vec<TicketWords> = tickets
            .into_iter()
            .map(|ticket| TicketWords {
                number: ticket.number,
                words: app::search::ticket_words(
                    &ticket.title,
                    &ticket.description,
                    &ticket.customer,
                ),
            })
            .collect();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = db
                .query("BEGIN TRANSACTION; FOR $ticket IN $tickets { UPDATE type::record('ticket', $ticket.number) SET search_words = $ticket.words; }; COMMIT TRANSACTION;")
                .bind(("tickets", serde_json::to_value(&words).unwrap_or_default()))
                .await
                .and_then(transaction_outcome);
            match result {
                Ok(_) => break,
                Err(error) if is_conflict(&error) && attempt < MAX_ATTEMPTS => {
                    back_off(attempt).await
                }
                Err(error) => return Err(error),
            }
        }
    }
    Ok(())
}

/// The newest migration applied to this database, 0 for a new one.
pub async fn current_version(db: &Database) -> Result<u32, StorageError> {
    let mut response = db
        .query("SELECT VALUE record::id(id) FROM schema_migration")
        .await?
        .check()?;
    let versions: Vec<i64> = response.take(0)?;
    let newest = versions.into_iter().max().unwrap_or(0);
    Ok(newest.clamp(0, i64::from(u32::MAX)) as u32)
}
