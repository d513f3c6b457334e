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
