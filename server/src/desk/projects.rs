//! Projects: the applications that report crashes. Only admins create, rename, disable and
//! enable them; each gets a random public key, which its DSN carries, and an admin may replace it
//! (the old key keeps working for a grace period of up to 30 days, or stops at once).

use super::Desk;
use crate::ingest::dsn::Dsn;
use crate::storage::{ProjectRecord, StorageError, format_time, parse_time};
use app::accounts::Principal;
use app::ids::ProjectId;
use app::model::Role;
use app::projects::{CheckedProjectPatch, Project};
use app::service::{HelpDeskError, ProjectService};
use time::OffsetDateTime;

/// The DSN of a project's key under the server's public URL.
fn dsn(public_url: &str, public_key: &str, number: u64) -> String {
    let (scheme, authority) = public_url
        .trim_end_matches('/')
        .split_once("://")
        .unwrap_or(("http", public_url));
    Dsn {
        scheme: scheme.to_string(),
        public_key: public_key.to_string(),
        authority: authority.to_string(),
        project_id: number.to_string(),
    }
    .to_string()
}

/// Until when a project's previous key works, if it still does.
pub(super) fn previous_key_expiry(record: &ProjectRecord) -> Option<OffsetDateTime> {
    record.previous_key.as_ref()?;
    let until = parse_time(record.previous_key_until.as_deref()?).ok()?;
    (until > OffsetDateTime::now_utc()).then_some(until)
}

/// The wire form of a stored project, with its DSNs under the server's public URL.
fn project(record: ProjectRecord, public_url: &str) -> Result<Project, StorageError> {
    let previous_key_expires_at = previous_key_expiry(&record);
    let previous_dsn = previous_key_expires_at
        .and(record.previous_key.as_deref())
        .map(|key| dsn(public_url, key, record.number));
    Ok(Project {
        id: record.number,
        dsn: dsn(public_url, &record.public_key, record.number),
        name: record.name,
        active: record.active != Some(false),
        previous_dsn,
        previous_key_expires_at,
        created_at: parse_time(&record.created_at)?,
    })
}

/// A new project key: 256 random bits, as two of our random identifiers.
fn new_key() -> String {
    format!(
        "{}{}",
        crate::auth::secret::random_id(),
        crate::auth::secret::random_id()
    )
}

fn missing_project(project: ProjectId) -> HelpDeskError {
    HelpDeskError::Missing {
        kind: "project",
        id: project.to_string(),
    }
}

#[async_trait::async_trait]
impl ProjectService for Desk {
    async fn create_project(
        &self,
        caller: &Principal,
        name: String,
    ) -> Result<Project, HelpDeskError> {
        let admin = caller.require(Role::Admin)?;
        let record = self.store().insert_project(&name, &new_key()).await?;
        let project = project(record, &self.public_url)?;
        tracing::info!(actor = %admin.email, project = project.id, name = %project.name, "project created");
        Ok(project)
    }

    async fn projects(&self, caller: &Principal) -> Result<Vec<Project>, HelpDeskError> {
        caller.require(Role::Viewer)?;
        self.store()
            .all_projects()
            .await?
            .into_iter()
            .map(|record| project(record, &self.public_url).map_err(Into::into))
            .collect()
    }

    async fn rotate_project_key(
        &self,
        caller: &Principal,
        id: ProjectId,
        grace_hours: u32,
    ) -> Result<Project, HelpDeskError> {
        let admin = caller.require(Role::Admin)?;
        let until = OffsetDateTime::now_utc() + time::Duration::hours(i64::from(grace_hours));
        let record = self
            .store()
            .replace_project_key(id.number(), &new_key(), &format_time(until))
            .await?
            .ok_or_else(|| missing_project(id))?;
        tracing::info!(actor = %admin.email, project = record.number, grace_hours, "project key replaced");
        Ok(project(record, &self.public_url)?)
    }

    async fn update_project(
        &self,
        caller: &Principal,
        id: ProjectId,
        patch: CheckedProjectPatch,
    ) -> Result<Project, HelpDeskError> {
        let admin = caller.require(Role::Admin)?;
        let record = self
            .store()
            .change_project(id.number(), patch.name.as_deref(), patch.active)
            .await?
            .ok_or_else(|| missing_project(id))?;
        if patch != CheckedProjectPatch::default() {
            tracing::info!(actor = %admin.email, project = record.number, name = %record.name, active = record.active != Some(false), "project changed");
        }
        Ok(project(record, &self.public_url)?)
    }
}
