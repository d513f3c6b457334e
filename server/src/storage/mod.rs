//! SurrealDB storage: connecting, migrating, and the help desk's queries.
//!
//! One [`database::Database`] handle serves every engine: `mem://` in tests, `surrealkv://` on
//! disk by default, and `ws://`/`wss://` for a remote SurrealDB server (which may sit on TiKV). No
//! code path here assumes the embedded engine: every write is a single query that runs as one
//! transaction, and write conflicts from concurrent writers are retried.

mod accounts;
mod articles;
mod crashes;
mod creator;
mod customers;
mod database;
mod ingestor;
mod limits;
mod migrations;
mod projects;
mod records;
mod request_keys;
mod search;
mod tickets;

use database::Database;
use std::time::Duration;

pub use accounts::{AgentChange, AgentRecord, CredentialRecord};
pub use crashes::{
    CrashOutcome, CrashReport, KEPT_EVENTS_PER_TICKET, ReleaseTimes, ReopenRule, SpikeRule,
    StoredEvent,
};
pub use database::EmbeddedMemory;
pub use limits::{FailureCount, SignInCounts, StoredBucket, StoredFailures, Written};
pub use migrations::{DEFAULT_BATCH as DEFAULT_MIGRATION_BATCH, MIGRATIONS};
pub use projects::ProjectRecord;
pub use records::{TicketRecord, format_time, parse_time};
pub use request_keys::{KeptAnswer, KeyedRequest};
pub use tickets::{ChangeOutcome, NewTimelineEntry, TicketChange};

/// Where the database is and how to sign in to it.
#[derive(Clone, Debug)]
pub struct DatabaseSettings {
    /// `mem://`, `surrealkv://PATH`, `ws://HOST:PORT` or `wss://HOST:PORT`.
    pub url: String,
    /// Root credentials for a remote server.
    pub credentials: Option<(String, String)>,
    /// The SurrealDB namespace.
    pub namespace: String,
    /// The SurrealDB database.
    pub database: String,
    /// What the embedded on-disk engine may hold in memory (ignored by the others).
    pub embedded_memory: EmbeddedMemory,
    /// How many tickets one transaction of a migration's rewrite takes
    /// (`DEFAULT_MIGRATION_BATCH` unless told otherwise).
    pub migration_batch: usize,
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(Box<surrealdb::Error>),
    /// A stored record could not be read back.
    #[error("unreadable record: {0}")]
    Corrupt(String),
    /// A writer of this process has stopped (the server is shutting down).
    #[error("{0}")]
    Stopped(String),
    /// The database settings contradict each other.
    #[error("database settings: {0}")]
    Settings(String),
    /// A migration failed; the data directory was left at the previous version.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// The migration's version.
        version: u32,
        /// What it does.
        name: &'static str,
        /// Why it failed.
        #[source]
        source: Box<surrealdb::Error>,
    },
}

impl DatabaseSettings {
    /// Waits until the embedded on-disk database has closed, once every handle to it is dropped.
    ///
    /// SurrealDB shuts the database down in a task of its own when the last handle goes. A
    /// process that exits first cuts that short: the storage engine's background tasks are
    /// cancelled mid-way (and log errors), and the next start replays the write-ahead log. The
    /// storage engine holds a lock on `LOCK` in its directory while it is open, so this waits
    /// for that lock, up to `limit`. Other databases have nothing to wait for.
    pub async fn wait_until_closed(&self, limit: Duration) -> bool {
        let Some(directory) = database::on_disk_directory(&self.url) else {
            return true;
        };
        let lock = std::path::Path::new(directory).join("LOCK");
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let file = match std::fs::File::open(&lock) {
                Ok(file) => file,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return true,
                Err(error) => {
                    tracing::warn!(%error, path = %lock.display(), "cannot tell whether the database has closed");
                    return false;
                }
            };
            match file.try_lock() {
                Ok(()) => return true,
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(error)) => {
                    tracing::warn!(%error, path = %lock.display(), "cannot tell whether the database has closed");
                    return false;
                }
            }
            if tokio::time::Instant::now() >= deadline {
                tracing::warn!("the database did not close within {limit:?}; exiting anyway");
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

impl From<surrealdb::Error> for StorageError {
    fn from(error: surrealdb::Error) -> Self {
        StorageError::Database(Box::new(error))
    }
}

impl StorageError {
    /// Whether trying again later may succeed: the database is unreachable, timed out, or so
    /// busy that a write still conflicted after every retry; or this server is stopping. Other
    /// failures (a query the database refused, an unreadable record) would fail again.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StorageError::Database(error) => {
                let mut current = Some(error.as_ref());
                while let Some(error) = current {
                    let message = error.message().to_ascii_lowercase();
                    if error.is_connection()
                        || matches!(
                            error.query_details(),
                            Some(
                                surrealdb::types::QueryError::TimedOut { .. }
                                    | surrealdb::types::QueryError::Cancelled
                                    | surrealdb::types::QueryError::NotExecuted
                            )
                        )
                        || is_conflict(error)
                        || [
                            "connection",
                            "websocket",
                            "timed out",
                            "broken pipe",
                            "no space left",
                        ]
                        .iter()
                        .any(|hint| message.contains(hint))
                    {
                        return true;
                    }
                    current = error.cause();
                }
                false
            }
            StorageError::Stopped(_) => true,
            StorageError::Corrupt(_)
            | StorageError::Settings(_)
            | StorageError::Migration { .. } => false,
        }
    }
}

impl From<StorageError> for app::service::HelpDeskError {
    fn from(error: StorageError) -> Self {
        if error.is_unavailable() {
            app::service::HelpDeskError::Unavailable(Box::new(error))
        } else {
            app::service::HelpDeskError::Storage(Box::new(error))
        }
    }
}

/// The help desk's storage: a database handle and the writer that allocates references.
#[derive(Clone)]
pub struct Store {
    db: Database,
    creator: creator::CreatorHandle,
    /// The crash-report writer; absent only in the store the writer itself uses.
    ingestor: Option<ingestor::IngestorHandle>,
    /// Recently read project keys, so that a report costs no key lookup in the database.
    project_keys: crashes::ProjectKeyCache,
    /// Which words the newest records of each searched table hold (see `search.rs`).
    samples: std::sync::Arc<search::Samples>,
}

impl Store {
    /// Connects, signs in, selects the namespace and database, and applies pending migrations.
    pub async fn open(settings: &DatabaseSettings) -> Result<Store, StorageError> {
        let db = Database::open(settings).await?;
        migrations::apply(&db, settings.migration_batch).await?;
        let creator = creator::spawn(db.clone());
        let writers_store = Store {
            db,
            creator,
            ingestor: None,
            project_keys: crashes::ProjectKeyCache::default(),
            samples: Default::default(),
        };
        let ingestor = ingestor::spawn(writers_store.clone());
        Ok(Store {
            ingestor: Some(ingestor),
            ..writers_store
        })
    }

    /// The newest schema migration applied to the database.
    pub async fn schema_version(&self) -> Result<u32, StorageError> {
        migrations::current_version(&self.db).await
    }

    /// The database handle, for the modules of this crate.
    pub(crate) fn db(&self) -> &Database {
        &self.db
    }
}

/// Whether an error is SurrealDB's retryable write conflict between concurrent transactions.
pub(crate) fn is_conflict(error: &surrealdb::Error) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        let message = error.message().to_ascii_lowercase();
        if error.query_details() == Some(&surrealdb::types::QueryError::TransactionConflict)
            || message.contains("conflict")
            || message.contains("retry the transaction")
        {
            return true;
        }
        current = error.cause();
    }
    false
}

/// The results of a `BEGIN … COMMIT` query, or the error of the statement that made it fail.
///
/// When a transaction fails, SurrealDB reports every other statement as "not executed"; the first
/// error is usually one of those, so the informative one is picked out here.
pub(crate) fn transaction_outcome(
    mut response: surrealdb::IndexedResults,
) -> Result<surrealdb::IndexedResults, surrealdb::Error> {
    let mut errors: Vec<(usize, surrealdb::Error)> = response.take_errors().into_iter().collect();
    if errors.is_empty() {
        return Ok(response);
    }
    errors.sort_by_key(|(index, _)| *index);
    let cause = errors
        .iter()
        .position(|(_, error)| !error.message().contains("not executed"))
        .unwrap_or(0);
    Err(errors.swap_remove(cause).1)
}

/// The index of the `RETURN` statement of a `BEGIN; …; RETURN …; COMMIT;` query: every statement,
/// `BEGIN` and `COMMIT` included, has a result slot.
pub(crate) fn returned_statement(response: &surrealdb::IndexedResults) -> usize {
    response.num_statements().saturating_sub(2)
}

/// How often a conflicting transaction is tried before the error is returned.
pub(crate) const MAX_ATTEMPTS: u32 = 12;

/// A short, growing, jittered pause between attempts so that colliding writers drift apart.
pub(crate) async fn back_off(attempt: u32) {
    let base = 1u64 << attempt.min(6);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.subsec_nanos())
        .unwrap_or(0);
    let jitter_micros = u64::from(nanos) % (base * 1_000);
    tokio::time::sleep(Duration::from_millis(base) + Duration::from_micros(jitter_micros)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::service::HelpDeskError;

    #[test]
    fn only_failures_that_may_pass_are_answered_503() {
        let status = |error: StorageError| HelpDeskError::from(error).answer().status;
        let unreachable = surrealdb::Error::connection("the connection was closed".into(), None);
        let timed_out = surrealdb::Error::query(
            "the query timed out".into(),
            surrealdb::types::QueryError::TimedOut {
                duration: Duration::from_secs(5),
            },
        );
        assert_eq!(status(StorageError::from(unreachable)), 503);
        assert_eq!(status(StorageError::from(timed_out)), 503);
        assert_eq!(status(StorageError::Stopped("stopping".into())), 503);
        let refused = surrealdb::Error::internal("Found 'x' for field `kind`".into());
        assert_eq!(status(StorageError::from(refused)), 500);
        assert_eq!(status(StorageError::Corrupt("a bad row".into())), 500);
        let unavailable =
            HelpDeskError::from(StorageError::Stopped("stopping".into())).retry_after_seconds();
        assert_eq!(unavailable, Some(app::service::UNAVAILABLE_RETRY_SECONDS));
    }
}
