//! The `/api/v1/projects` resource: applications that report crashes, and their DSNs.

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, Caller};
use app::projects::{NewProject, Project};
use axum::Json;
use axum::extract::State;
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
