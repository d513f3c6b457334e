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
    /// The key it had before its key was last replaced.
    #[serde(default)]
    pub previous_key: Option<String>,
    /// Until when the previous key works (RFC 3339).
    #[serde(default)]
    pub previous_key_until: Option<String>,
    /// `Some(false)` when it was disabled.
    #[serde(default)]
    pub active: Option<bool>,
    /// When it was created (RFC 3339).
    pub created_at: String,
}

/// What a project's reads select.
pub(super) const PROJECT_FIELDS: &str =
    "number, name, public_key, previous_key, previous_key_until, active, created_at";

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
                    let project = decode::<ProjectRecord>(row.into_iter().collect())?
                        .pop()
                        .ok_or_else(|| {
                            StorageError::Corrupt("the new project was not returned".into())
                        })?;
                    // Its number may be remembered as naming no project.
                    self.project_keys.forget(project.number);
                    return Ok(project);
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
            .query(format!(
                "SELECT {PROJECT_FIELDS} FROM project ORDER BY number"
            ))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        decode(rows)
    }

    /// Gives a project a new key; the one it had becomes its previous key, working until
    /// `previous_until` (RFC 3339). `None` when there is no such project.
    pub async fn replace_project_key(
        &self,
        number: u64,
        public_key: &str,
        previous_until: &str,
    ) -> Result<Option<ProjectRecord>, StorageError> {
        self.update_project(
            number,
            "previous_key = public_key, previous_key_until = <datetime>$previous_until, public_key = $public_key",
            serde_json::json!({ "public_key": public_key, "previous_until": previous_until }),
        )
        .await
    }

    /// Renames a project, or sets whether it is active. `None` when there is no such project.
    pub async fn change_project(
        &self,
        number: u64,
        name: Option<&str>,
        active: Option<bool>,
    ) -> Result<Option<ProjectRecord>, StorageError> {
        let mut assignments = Vec::new();
        if name.is_some() {
            assignments.push("name = $name");
        }
        if active.is_some() {
            assignments.push("active = $active");
        }
        if assignments.is_empty() {
            return self.recent_project(number).await;
        }
        self.update_project(
            number,
            &assignments.join(", "),
            serde_json::json!({ "name": name, "active": active }),
        )
        .await
    }

    async fn update_project(
        &self,
        number: u64,
        assignments: &str,
        values: serde_json::Value,
    ) -> Result<Option<ProjectRecord>, StorageError> {
        let mut response = self
            .db()
            .query(format!(
                "UPDATE type::record('project', $number) SET {assignments} WHERE id != NONE RETURN {PROJECT_FIELDS}"
            ))
            .bind(values)
            .bind(("number", number as i64))
            .await?
            .check()?;
        let rows: Vec<serde_json::Value> = response.take(0)?;
        // Every server reads the key afresh within `PROJECT_KEY_TTL`; this one at once.
        self.project_keys.forget(number);
        Ok(decode::<ProjectRecord>(rows)?.pop())
    }
}
