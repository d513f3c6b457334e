//! Projects in SurrealDB: numbered from their own sequence, each stored with its public key.

use super::records::decode;
use super::{
    MAX_ATTEMPTS, StorageError, Store, back_off, is_conflict, returned_statement,
    transaction_outcome,
};
use serde::Deserialize;

/// A row of the `project` table.
#[derive(Clone, Debug, Deserialize)]
pub struct ProjectRecord {
    /// The project's number, from its own sequence.
    pub number: u64,
    /// What the application is called.
    pub name: String,
    /// The key its DSN carries.
    pub public_key: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

const CREATE_PROJECT: &str = r#"
BEGIN TRANSACTION;
LET $number = (UPSERT ONLY sequence:project SET value = (value OR 0) + 1 RETURN VALUE value);
LET $created = (CREATE ONLY type::record('project', $number) CONTENT { number: $number, name: $name, public_key: $public_key, created_at: time::now() });
RETURN $created;
COMMIT TRANSACTION;
"#;

impl Store {
    /// Creates a project.
    pub async fn insert_project(
        &self,
        name: &str,
        public_key: &str,
    ) -> Result<ProjectRecord, StorageError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self
                .db()
                .query(CREATE_PROJECT)
                .bind(("name", name.to_string()))
                .bind(("public_key", public_key.to_string()))
                .await
                .and_then(transaction_outcome);
            match result {
                Ok(mut response) => {
                    let index = returned_statement(&response);
                    let row: Option<serde_json::Value> = response.take(index)?;
                    return decode::<ProjectRecord>(row.into_iter().collect())?
                        .pop()
                        .ok_or_else(|| {
                            StorageError::Corrupt("the new project was not returned".into())
                        });
                }
                Err(error) if is_conflict(&error) && attempt < MAX_ATTEMPTS => {
                    back_off(attempt).await
                }
                Err(error) => return Err(error.into()),
            }
        }
    }

    /// Every project, by number.
    pub async fn all_projects(&self) -> Result<Vec<ProjectRecord>, StorageError> {
        let mut response = self
            .db()
            .query("SELECT number, name, public_key, created_at FROM project ORDER BY number")
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        decode(rows)
    }
}
