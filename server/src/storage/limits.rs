//! Limits that every server sharing the database keeps together: each project's crash-report
//! bucket.
//!
//! Storage reads and writes them; what they mean (how a bucket refills) is decided by whoever
//! calls (`ingest::rate`, through the desk). Every write is made only over
//! the revision it was computed from (a compare-and-set), so that two servers never both spend
//! the same tokens or both miss the other's failure: the loser is told to read and compute again.

use super::{StorageError, Store, is_conflict, transaction_outcome};
use serde::Deserialize;

/// A project's crash-report bucket as stored.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize)]
pub struct StoredBucket {
    /// Tokens left.
    pub tokens: f64,
    /// When it was last written, in seconds since the Unix epoch.
    pub updated: f64,
    /// Changes with every write.
    pub revision: i64,
}

/// Whether a compare-and-set write happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    /// It did.
    Yes,
    /// Someone wrote first: read again.
    Stale,
}

fn stale_or(error: surrealdb::Error) -> Result<Written, StorageError> {
    let message = error.message();
    if is_conflict(&error)
        || message.contains("stale revision")
        || message.contains("already exists")
    {
        Ok(Written::Stale)
    } else {
        Err(error.into())
    }
}

/// Writes a record over the revision it was read at (`0`: it did not exist).
const WRITE_OVER: &str = r#"
IF $revision = 0 {
    CREATE type::record($table, $id) CONTENT $content;
} ELSE {
    LET $updated = (UPDATE type::record($table, $id) MERGE $content WHERE revision = $revision);
    IF array::len($updated) = 0 { THROW 'stale revision' };
};
"#;

impl Store {
    /// A project's crash-report bucket, if it was ever written.
    pub async fn rate_bucket(&self, project: u64) -> Result<Option<StoredBucket>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT tokens, updated, revision FROM type::record('ingest_rate', $project)")
            .bind(("project", project as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        rows.into_iter()
            .next()
            .map(|row| {
                serde_json::from_value(row)
                    .map_err(|error| StorageError::Corrupt(format!("rate bucket: {error}")))
            })
            .transpose()
    }

    /// Writes a project's bucket over `read` (none: it did not exist yet).
    pub async fn write_rate_bucket(
        &self,
        project: u64,
        read: Option<&StoredBucket>,
        tokens: f64,
        updated: f64,
    ) -> Result<Written, StorageError> {
        let revision = read.map_or(0, |bucket| bucket.revision);
        let result = self
            .db()
            .query(format!(
                "BEGIN TRANSACTION;\n{WRITE_OVER}\nCOMMIT TRANSACTION;"
            ))
            .bind(("table", "ingest_rate"))
            .bind(("id", project as i64))
            .bind(("revision", revision))
            .bind((
                "content",
                serde_json::json!({ "tokens": tokens, "updated": updated, "revision": revision + 1 }),
            ))
            .await
            .and_then(transaction_outcome);
        match result {
            Ok(_) => Ok(Written::Yes),
            Err(error) => stale_or(error),
        }
    }
}
