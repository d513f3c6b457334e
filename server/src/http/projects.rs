//! The `/api/v1/projects` resource: applications that report crashes, their DSNs, replacing a
//! project's key and disabling a project.

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, Caller};
use app::ids::ProjectId;
use app::projects::{KeyRotation, NewProject, Project, ProjectPatch};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// Every project with its DSN.
#[utoipa::path(get, operation_id = "list_projects", path = "/projects", tag = "projects", responses(
    (status = 200, description = "The projects, oldest first", body = Vec<Project>),
))]
pub async fn list(
    State(state): State<ApiState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<Project>>, ApiError> {
    Ok(Json(state.projects.projects(&caller).await?))
}

/// Creates a project (admins); the answer carries its DSN.
#[utoipa::path(post, operation_id = "create_project", path = "/projects", tag = "projects", request_body = NewProject, responses(
    (status = 201, description = "The project, with its DSN", body = Project),
    (status = 422, description = "The name is missing or too long", body = ErrorBody),
))]
pub async fn create(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiJson(request): ApiJson<NewProject>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let project = state
        .projects
        .create_project(&caller, request.parse()?)
        .await?;
    Ok((StatusCode::CREATED, Json(project)))
}

fn project_id(text: &str) -> Result<ProjectId, ApiError> {
    text.parse::<ProjectId>()
        .map_err(|error| app::service::HelpDeskError::from(error).into())
}

/// Gives a project a new key (admins): its DSN changes, and the old key keeps working for
/// `grace_hours` (default 24; 0 when it leaked), so that deployed applications can move to the
/// new DSN without losing reports.
#[utoipa::path(post, operation_id = "replace_project_key", path = "/projects/{id}/key", tag = "projects",
    params(("id" = u64, Path, description = "The project's id")),
    request_body = KeyRotation,
    responses(
        (status = 200, description = "The project with its new DSN, and the previous one while it works", body = Project),
        (status = 404, description = "No such project", body = ErrorBody),
        (status = 422, description = "The grace period is out of bounds", body = ErrorBody),
    ))]
pub async fn replace_key(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<KeyRotation>,
) -> Result<Json<Project>, ApiError> {
    let project = project_id(&id)?;
    Ok(Json(
        state
            .projects
            .rotate_project_key(&caller, project, request.parse()?)
            .await?,
    ))
}

/// Renames, disables (`"active": false`: its reports are refused) or enables a project (admins).
#[utoipa::path(patch, operation_id = "update_project", path = "/projects/{id}", tag = "projects",
    params(("id" = u64, Path, description = "The project's id")),
    request_body = ProjectPatch,
    responses(
        (status = 200, description = "The project as it is now", body = Project),
        (status = 404, description = "No such project", body = ErrorBody),
        (status = 422, description = "A field is invalid", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ProjectPatch>,
) -> Result<Json<Project>, ApiError> {
    let project = project_id(&id)?;
    Ok(Json(
        state
            .projects
            .update_project(&caller, project, patch.parse()?)
            .await?,
    ))
}
