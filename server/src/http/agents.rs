//! The `/api/v1/agents` resource and `/api/v1/me`.

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, Caller};
use app::accounts::{Agent, AgentPatch, ClientAddress, CurrentAgent, NewAgent, PasswordChange};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// The caller: their email, name and effective role.
#[utoipa::path(get, path = "/me", tag = "agents", responses(
    (status = 200, description = "Who the credentials belong to", body = CurrentAgent),
    (status = 401, description = "No valid credentials", body = ErrorBody),
))]
pub async fn me(Caller(caller): Caller) -> Result<Json<CurrentAgent>, ApiError> {
    Ok(Json(caller.require(app::model::Role::Viewer)?.current()))
}

/// Changes the caller's own password; their other sessions end.
#[utoipa::path(post, path = "/me/password", tag = "agents", request_body = PasswordChange, responses(
    (status = 204, description = "Changed"),
    (status = 422, description = "The current password is wrong, or the new one too short", body = ErrorBody),
    (status = 429, description = "Too many wrong attempts", body = ErrorBody),
))]
pub async fn change_password(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    client: Option<axum::Extension<ClientAddress>>,
    ApiJson(change): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    let client = client.map_or(std::net::IpAddr::from([0, 0, 0, 0]), |address| address.0.ip);
    state
        .accounts
        .change_password(
            &caller,
            &change.current_password,
            &change.new_password,
            client,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every agent, by name (agents need the list to assign tickets).
#[utoipa::path(get, operation_id = "list_agents", path = "/agents", tag = "agents", responses(
    (status = 200, description = "The agents", body = Vec<Agent>),
    (status = 403, description = "Viewers may not list agents", body = ErrorBody),
))]
pub async fn list(
    State(state): State<ApiState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<Agent>>, ApiError> {
    Ok(Json(state.accounts.agents(&caller).await?))
}

/// Creates an agent (admins only).
#[utoipa::path(post, operation_id = "create_agent", path = "/agents", tag = "agents", request_body = NewAgent, responses(
    (status = 201, description = "The new agent", body = Agent),
    (status = 409, description = "The email is taken", body = ErrorBody),
    (status = 422, description = "A field is invalid (e.g. the password is too short)", body = ErrorBody),
))]
pub async fn create(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiJson(request): ApiJson<NewAgent>,
) -> Result<(StatusCode, Json<Agent>), ApiError> {
    let agent = state
        .accounts
        .create_agent(&caller, request.parse()?)
        .await?;
    Ok((StatusCode::CREATED, Json(agent)))
}

/// Renames an agent, changes their role or password, or (de)activates them (admins only).
#[utoipa::path(patch, operation_id = "update_agent", path = "/agents/{id}", tag = "agents", request_body = AgentPatch,
    params(("id" = String, Path, description = "The agent's id")),
    responses(
        (status = 200, description = "The changed agent", body = Agent),
        (status = 404, description = "No such agent", body = ErrorBody),
        (status = 409, description = "No active admin would remain", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<AgentPatch>,
) -> Result<Json<Agent>, ApiError> {
    Ok(Json(
        state
            .accounts
            .update_agent(&caller, &id, patch.parse()?)
            .await?,
    ))
}
