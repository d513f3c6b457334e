//! The schema, as numbered migrations applied in order at start-up.
//!
//! A migration is never edited once released: a change to the schema is a new migration. Each one
//! runs in a single transaction together with the record of its application, so a data directory
//! is always at exactly one version, and upgrading it never loses data.

use super::StorageError;
use surrealdb::Surreal;
use surrealdb::engine::any::Any;

/// One step of the schema.
pub struct Migration {
    /// Applied in increasing order.
    pub version: u32,
    /// What it does.
    pub name: &'static str,
    /// SurrealQL definitions; idempotent so that two servers starting together cannot clash.
    pub statements: &'static str,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[Migration {
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
}];

/// Applies every migration newer than the database's version.
pub async fn apply(db: &Surreal<Any>) -> Result<(), StorageError> {
    db.query(
        "DEFINE TABLE IF NOT EXISTS schema_migration SCHEMAFULL;
         DEFINE FIELD IF NOT EXISTS name ON schema_migration TYPE string;
         DEFINE FIELD IF NOT EXISTS applied_at ON schema_migration TYPE datetime;",
    )
    .await?
    .check()?;
    let current = current_version(db).await?;
    for migration in MIGRATIONS
        .iter()
        .filter(|migration| migration.version > current)
    {
        let query = format!(
            "BEGIN TRANSACTION;\n{}\nCREATE type::record('schema_migration', $version) SET name = $name, applied_at = time::now();\nCOMMIT TRANSACTION;",
            migration.statements
        );
        let result = db
            .query(query)
            .bind(("version", i64::from(migration.version)))
            .bind(("name", migration.name))
            .await
            .and_then(super::transaction_outcome);
        if let Err(source) = result {
            // Another server may have applied it at the same moment; that is success.
            if current_version(db).await? >= migration.version {
                continue;
            }
            return Err(StorageError::Migration {
                version: migration.version,
                name: migration.name,
                source: Box::new(source),
            });
        }
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    Ok(())
}

/// The newest migration applied to this database, 0 for a new one.
pub async fn current_version(db: &Surreal<Any>) -> Result<u32, StorageError> {
    let mut response = db
        .query("SELECT VALUE record::id(id) FROM schema_migration")
        .await?
        .check()?;
    let versions: Vec<i64> = response.take(0)?;
    let newest = versions.into_iter().max().unwrap_or(0);
    Ok(newest.clamp(0, i64::from(u32::MAX)) as u32)
}
