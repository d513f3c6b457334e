//! Limits that every server sharing the database keeps together: each project's crash-report
//! bucket, and the sign-in failures of each address and account with the addresses known for
//! each account.
//!
//! Storage reads and writes them; what they mean (how a bucket refills, when failures lock) is
//! decided by whoever calls (`ingest::rate` through the desk, `auth::throttle`). Every write is made only over
//! the revision it was computed from (a compare-and-set), so that two servers never both spend
//! the same tokens or both miss the other's failure: the loser is told to read and compute again.

use super::{MAX_ATTEMPTS, StorageError, Store, back_off, is_conflict, transaction_outcome};
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

/// SurrealQL that writes the record `${name}` describes (`table`, `id`, `content`) over the
/// revision it was read at (`revision`, `0`: it did not exist), or throws `stale revision`.
fn write_over(name: &str) -> String {
    format!(
        r#"
IF ${name}.revision = 0 {{
    CREATE type::record(${name}.table, ${name}.id) CONTENT ${name}.content;
}} ELSE {{
    LET $updated = (UPDATE type::record(${name}.table, ${name}.id) MERGE ${name}.content WHERE revision = ${name}.revision);
    IF array::len($updated) = 0 {{ THROW 'stale revision' }};
}};
"#
    )
}

/// A write over a revision, as `write_over` reads it.
fn over(
    table: &str,
    id: serde_json::Value,
    revision: i64,
    mut content: serde_json::Value,
) -> serde_json::Value {
    content["revision"] = serde_json::json!(revision + 1);
    serde_json::json!({ "table": table, "id": id, "revision": revision, "content": content })
}

/// Failed sign-ins counted against one address or one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub struct StoredFailures {
    /// Attempts counted as failures.
    pub failures: i64,
    /// The last one, in seconds since the Unix epoch.
    pub last: i64,
    /// Changes with every write.
    pub revision: i64,
}

/// What the sign-in limits hold about one address trying one account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SignInCounts {
    /// The address's failures, at any account.
    pub address: Option<StoredFailures>,
    /// The account's failures, from any address.
    pub account: Option<StoredFailures>,
    /// When the address last signed in to the account, in seconds since the Unix epoch.
    pub known_since: Option<i64>,
}

/// New counts of failures, written over [`SignInCounts`] as read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureCount {
    /// Attempts counted as failures.
    pub failures: i64,
    /// The last one, in seconds since the Unix epoch.
    pub last: i64,
}

/// How many old sign-in records one transaction removes.
const SIGN_IN_BATCH: i64 = 1_000;

fn address_id(address: &str) -> serde_json::Value {
    serde_json::json!(["address", address])
}

fn account_id(account: &str) -> serde_json::Value {
    serde_json::json!(["account", account])
}

fn first_row<T: serde::de::DeserializeOwned>(
    rows: Vec<serde_json::Value>,
    what: &str,
) -> Result<Option<T>, StorageError> {
    rows.into_iter()
        .next()
        .map(|row| {
            serde_json::from_value(row)
                .map_err(|error| StorageError::Corrupt(format!("{what}: {error}")))
        })
        .transpose()
}

impl Store {
    /// A project's crash-report bucket, if it was ever written.
    pub async fn rate_bucket(&self, project: u64) -> Result<Option<StoredBucket>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT tokens, updated, revision FROM type::record('ingest_rate', $project)")
            .bind(("project", project as i64))
            .await?
            .check()?;
        first_row(response.take(0)?, "rate bucket")
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
        let bucket = over(
            "ingest_rate",
            serde_json::json!(project),
            revision,
            serde_json::json!({ "tokens": tokens, "updated": updated }),
        );
        let result = self
            .db()
            .query(format!(
                "BEGIN TRANSACTION;\n{}\nCOMMIT TRANSACTION;",
                write_over("bucket")
            ))
            .bind(("bucket", bucket))
            .await
            .and_then(transaction_outcome);
        match result {
            Ok(_) => Ok(Written::Yes),
            Err(error) => stale_or(error),
        }
    }

    /// The failures of `address` and of `account`, and since when `address` is known for
    /// `account`, as every server counted them.
    pub async fn sign_in_counts(
        &self,
        account: &str,
        address: &str,
    ) -> Result<SignInCounts, StorageError> {
        let mut response = self
            .db()
            .query(
                "SELECT failures, last, revision FROM type::record('sign_in_failures', $address_id);
                 SELECT failures, last, revision FROM type::record('sign_in_failures', $account_id);
                 SELECT since FROM type::record('sign_in_known', [$account, $address]);",
            )
            .bind(("address_id", address_id(address)))
            .bind(("account_id", account_id(account)))
            .bind(("account", account.to_string()))
            .bind(("address", address.to_string()))
            .await?
            .check()?;
        #[derive(Deserialize)]
        struct Known {
            since: i64,
        }
        let known: Option<Known> = first_row(response.take(2)?, "known address")?;
        Ok(SignInCounts {
            address: first_row(response.take(0)?, "sign-in failures")?,
            account: first_row(response.take(1)?, "sign-in failures")?,
            known_since: known.map(|known| known.since),
        })
    }

    /// Writes new failure counts of `address` and `account` together, over `read`.
    pub async fn write_sign_in_failures(
        &self,
        account: &str,
        address: &str,
        read: &SignInCounts,
        at_address: FailureCount,
        at_account: FailureCount,
    ) -> Result<Written, StorageError> {
        let write = |id, read: Option<StoredFailures>, count: FailureCount| {
            over(
                "sign_in_failures",
                id,
                read.map_or(0, |stored| stored.revision),
                serde_json::json!({ "failures": count.failures, "last": count.last }),
            )
        };
        let result = self
            .db()
            .query(format!(
                "BEGIN TRANSACTION;\n{}\n{}\nCOMMIT TRANSACTION;",
                write_over("address"),
                write_over("account")
            ))
            .bind((
                "address",
                write(address_id(address), read.address, at_address),
            ))
            .bind((
                "account",
                write(account_id(account), read.account, at_account),
            ))
            .await
            .and_then(transaction_outcome);
        match result {
            Ok(_) => Ok(Written::Yes),
            Err(error) => stale_or(error),
        }
    }

    /// Takes one failure back from `address` and from `account` (an attempt that did not fail),
    /// and, with `known_since`, records that the address signed in to the account then.
    pub async fn take_back_sign_in_failure(
        &self,
        account: &str,
        address: &str,
        known_since: Option<i64>,
    ) -> Result<(), StorageError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .db()
                .query(
                    "BEGIN TRANSACTION;
                     UPDATE type::record('sign_in_failures', $address_id)
                         SET failures = math::max([failures - 1, 0]), revision += 1;
                     UPDATE type::record('sign_in_failures', $account_id)
                         SET failures = math::max([failures - 1, 0]), revision += 1;
                     IF $known {
                         UPSERT type::record('sign_in_known', [$account, $address]) SET since = $since;
                     };
                     COMMIT TRANSACTION;",
                )
                .bind(("address_id", address_id(address)))
                .bind(("account_id", account_id(account)))
                .bind(("account", account.to_string()))
                .bind(("address", address.to_string()))
                .bind(("known", known_since.is_some()))
                .bind(("since", known_since.unwrap_or(0)))
                .await
                .and_then(transaction_outcome);
            match result {
                Ok(_) => return Ok(()),
                Err(error) if is_conflict(&error) && attempt < MAX_ATTEMPTS => {
                    back_off(attempt).await
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Removes failures last counted before `failed_before` and known addresses recorded before
    /// `known_before` (seconds since the Unix epoch), a bounded batch per transaction; answers
    /// how many.
    pub async fn remove_lapsed_sign_ins(
        &self,
        failed_before: i64,
        known_before: i64,
    ) -> Result<u64, StorageError> {
        let mut removed = 0;
        for (query, before) in [
            (
                "DELETE (SELECT VALUE id FROM sign_in_failures WHERE last < $before LIMIT $batch) RETURN BEFORE",
                failed_before,
            ),
            (
                "DELETE (SELECT VALUE id FROM sign_in_known WHERE since < $before LIMIT $batch) RETURN BEFORE",
                known_before,
            ),
        ] {
            loop {
                let deleted = self.remove_batch(query, before, SIGN_IN_BATCH).await?;
                removed += deleted as u64;
                if (deleted as i64) < SIGN_IN_BATCH {
                    break;
                }
            }
        }
        Ok(removed)
    }

    /// Keeps at most `keep` records in each sign-in table, removing the oldest beyond it (a
    /// bounded batch per transaction); answers how many.
    pub async fn trim_sign_ins(&self, keep: u64) -> Result<u64, StorageError> {
        let mut removed = 0;
        for (count, oldest) in [
            (
                "SELECT VALUE count FROM (SELECT count() FROM sign_in_failures GROUP ALL)",
                "DELETE (SELECT VALUE id FROM sign_in_failures ORDER BY last LIMIT $batch) RETURN BEFORE",
            ),
            (
                "SELECT VALUE count FROM (SELECT count() FROM sign_in_known GROUP ALL)",
                "DELETE (SELECT VALUE id FROM sign_in_known ORDER BY since LIMIT $batch) RETURN BEFORE",
            ),
        ] {
            let mut response = self.db().query(count).await?.check()?;
            let counted: Vec<i64> = response.take(0)?;
            let mut excess =
                counted.first().copied().unwrap_or(0) - keep.min(i64::MAX as u64) as i64;
            while excess > 0 {
                let deleted = self
                    .remove_batch(oldest, 0, excess.min(SIGN_IN_BATCH))
                    .await?;
                if deleted == 0 {
                    break;
                }
                removed += deleted as u64;
                excess -= deleted as i64;
            }
        }
        Ok(removed)
    }

    /// Runs one `DELETE … RETURN BEFORE` of up to `batch` records, again if it collided with
    /// another writer (a sweep and a trim may remove the same records); answers how many went.
    async fn remove_batch(
        &self,
        query: &str,
        before: i64,
        batch: i64,
    ) -> Result<usize, StorageError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .db()
                .query(query)
                .bind(("before", before))
                .bind(("batch", batch))
                .await
                .and_then(|response| response.check());
            match result {
                Ok(mut response) => {
                    let deleted: Vec<serde_json::Value> = response.take(0)?;
                    return Ok(deleted.len());
                }
                Err(error) if is_conflict(&error) && attempt < MAX_ATTEMPTS => {
                    back_off(attempt).await
                }
                Err(error) => return Err(error.into()),
            }
        }
    }
}
