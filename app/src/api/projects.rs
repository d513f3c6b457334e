//! Server functions for projects: the applications that report crashes.

#[cfg(feature = "ssr")]
use super::backend;
use leptos::prelude::*;

/// Every project with its DSN.
#[server(prefix = "/rpc", endpoint = "list_projects")]
pub async fn list_projects() -> Result<Vec<crate::projects::Project>, ServerFnError> {
    backend::projects()?
        .projects(&backend::caller())
        .await
        .map_err(backend::failure)
}

/// Creates a project (admins).
#[server(prefix = "/rpc", endpoint = "create_project")]
pub async fn create_project(name: String) -> Result<crate::projects::Project, ServerFnError> {
    use crate::projects::NewProject;
    let name = NewProject { name }.parse().map_err(backend::failure)?;
    backend::projects()?
        .create_project(&backend::caller(), name)
        .await
        .map_err(backend::failure)
}

/// Gives a project a new key (admins); the old one keeps working for `grace_hours` (default 24).
#[server(prefix = "/rpc", endpoint = "replace_project_key")]
pub async fn replace_project_key(
    id: String,
    grace_hours: Option<u32>,
) -> Result<crate::projects::Project, ServerFnError> {
    use crate::projects::KeyRotation;
    let project = id
        .parse::<crate::ids::ProjectId>()
        .map_err(backend::failure)?;
    let grace_hours = KeyRotation { grace_hours }
        .parse()
        .map_err(backend::failure)?;
    backend::projects()?
        .rotate_project_key(&backend::caller(), project, grace_hours)
        .await
        .map_err(backend::failure)
}

/// Disables a project (its reports are refused) or enables it again (admins).
#[server(prefix = "/rpc", endpoint = "set_project_active")]
pub async fn set_project_active(
    id: String,
    active: bool,
) -> Result<crate::projects::Project, ServerFnError> {
    use crate::projects::ProjectPatch;
    let project = id
        .parse::<crate::ids::ProjectId>()
        .map_err(backend::failure)?;
    let patch = ProjectPatch {
        name: None,
        active: Some(active),
    }
    .parse()
    .map_err(backend::failure)?;
    backend::projects()?
        .update_project(&backend::caller(), project, patch)
        .await
        .map_err(backend::failure)
}
