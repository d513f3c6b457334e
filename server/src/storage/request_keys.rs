//! Idempotency keys in SurrealDB: the answer a keyed request gave, stored in the same
//! transaction as what the request wrote (so a request is never written without its answer, nor
//! answered twice), as `request_key:[owner, key]`.
//!
//! How long answers are kept, and whose keys are whose, is the desk's; storage writes a keyed
//! request's answer with its write ([`KeyedRequest`] in a ticket's creation or change), reads it
//! back, and removes old ones when asked.

use super::records::format_time;
use super::{StorageError, Store};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A keyed request, as a write that answers it stores its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyedRequest {
    /// Whose key it is (an agent's id).
    pub owner: String,
    /// The key as the client sent it.
    pub key: String,
    /// What identifies the request.
    pub fingerprint: String,
    /// An answer stored before this moment no longer holds the key: the write replaces it.
    pub kept_since: OffsetDateTime,
}

/// A keyed request as bound into a write, with the answer to keep.
#[derive(Serialize)]
pub(super) struct BoundKey<'a> {
    id: (&'a str, &'a str),
    fingerprint: &'a str,
    kept_since: String,
    answer: String,
}

impl KeyedRequest {
    /// The values a write binds, keeping `answer` (JSON) for this key.
    pub(super) fn bound(&self, answer: String) -> BoundKey<'_> {
        BoundKey {
            id: (&self.owner, &self.key),
            fingerprint: &self.fingerprint,
            kept_since: format_time(self.kept_since),
            answer,
        }
    }
}

/// The SurrealQL that keeps `$once`'s answer, for a write's transaction (`$now` is its time). A
/// record of the same key that is no longer kept is replaced; one that is kept makes the
/// transaction fail, so a request answered meanwhile is not written twice.
pub(super) const KEEP_ANSWER: &str = r#"
IF $once {
    DELETE type::record('request_key', $once.id) WHERE created_at < <datetime>$once.kept_since;
    CREATE type::record('request_key', $once.id) CONTENT {
        fingerprint: $once.fingerprint,
        answer: $once.answer,
        created_at: <datetime>$now
    };
};
"#;

/// An answer kept for a key.
#[derive(Clone, Debug, Deserialize)]
pub struct KeptAnswer {
    /// What identified the request that was answered.
    pub fingerprint: String,
    /// The answer, as JSON.
    pub answer: String,
}

/// How many old keys one transaction removes.
const REMOVE_BATCH: i64 = 1_000;

impl Store {
    /// The answer kept for `owner`'s `key`, if it was stored at or after `since`.
    pub async fn kept_answer(
        &self,
        owner: &str,
        key: &str,
        since: OffsetDateTime,
    ) -> Result<Option<KeptAnswer>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT fingerprint, answer FROM type::record('request_key', [$owner, $key]) WHERE created_at >= <datetime>$since")
            .bind(("owner", owner.to_string()))
            .bind(("key", key.to_string()))
            .bind(("since", format_time(since)))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        rows.into_iter()
            .next()
            .map(|row| {
                serde_json::from_value(row)
                    .map_err(|error| StorageError::Corrupt(format!("request key: {error}")))
            })
            .transpose()
    }

    /// Removes the answers stored before `before`, a bounded batch per transaction; answers how
    /// many.
    pub async fn remove_answers_before(&self, before: OffsetDateTime) -> Result<u64, StorageError> {
        let mut removed = 0;
        loop {
            let mut response = self
                .db()
                .query("DELETE (SELECT VALUE id FROM request_key WHERE created_at < <datetime>$before LIMIT $batch) RETURN BEFORE")
                .bind(("before", format_time(before)))
                .bind(("batch", REMOVE_BATCH))
                .await?
                .check()?;
            let deleted: Vec<serde_json::Value> = response.take(0)?;
            removed += deleted.len() as u64;
            if (deleted.len() as i64) < REMOVE_BATCH {
                return Ok(removed);
            }
        }
    }
}
