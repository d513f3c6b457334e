//! Projects: the applications that report crashes. Only admins create them; each gets a random
//! public key, which its DSN carries.

use super::Desk;
use crate::ingest::dsn::Dsn;
use crate::storage::{ProjectRecord, StorageError, parse_time};
use app::accounts::Principal;
use app::model::Role;
use app::projects::Project;
use app::service::{HelpDeskError, ProjectService};

/// The wire form of a stored project, with the DSN under the server's public URL.
fn project(record: ProjectRecord, public_url: &str) -> Result<Project, StorageError> {
    let (scheme, authority) = public_url
        .trim_end_matches('/')
        .split_once("://")
        .unwrap_or(("http", public_url));
    let dsn = Dsn {
        scheme: scheme.to_string(),
        public_key: record.public_key,
        authority: authority.to_string(),
        project_id: record.number.to_string(),
    };
    Ok(Project {
        id: record.number,
        name: record.name,
        dsn: dsn.to_string(),
        created_at: parse_time(&record.created_at)?,
    })
}

#[async_trait::async_trait]
impl ProjectService for Desk {
    async fn create_project(
        &self,
        caller: &Principal,
        name: String,
    ) -> Result<Project, HelpDeskError> {
        let admin = caller.require(Role::Admin)?;
        // 256 random bits, as two of our random identifiers.
        let public_key = format!(
            "{}{}",
            crate::auth::secret::random_id(),
            crate::auth::secret::random_id()
        );
        let record = self.store().insert_project(&name, &public_key).await?;
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
}
