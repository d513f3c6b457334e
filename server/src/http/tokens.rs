//! The `/api/v1/tokens` resource: the caller's personal API tokens.

use super::ApiState;
use super::error::{ApiError, ErrorBody};
use super::extract::{ApiJson, Caller};
use app::accounts::{ApiToken, CreatedToken, NewToken};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

/// The caller's tokens that are not revoked (without their secrets).
#[utoipa::path(get, operation_id = "list_tokens", path = "/tokens", tag = "tokens", responses(
    (status = 200, description = "The tokens", body = Vec<ApiToken>),
))]
pub async fn list(
    State(state): State<ApiState>,
    Caller(caller): Caller,
) -> Result<Json<Vec<ApiToken>>, ApiError> {
    Ok(Json(state.accounts.tokens(&caller).await?))
}

/// Creates a token; its secret is in this response and never again.
#[utoipa::path(post, operation_id = "create_token", path = "/tokens", tag = "tokens", request_body = NewToken, responses(
    (status = 201, description = "The token and its secret", body = CreatedToken),
    (status = 422, description = "The role exceeds the caller's", body = ErrorBody),
))]
pub async fn create(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    ApiJson(request): ApiJson<NewToken>,
) -> Result<(StatusCode, Json<CreatedToken>), ApiError> {
    let draft = request.parse()?;
    let token = state.accounts.create_token(&caller, draft).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Revokes one of the caller's tokens; it stops working at once.
#[utoipa::path(delete, operation_id = "revoke_token", path = "/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "The caller has no such token", body = ErrorBody),
    ))]
pub async fn revoke(
    State(state): State<ApiState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.accounts.revoke_token(&caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
