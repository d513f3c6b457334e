//! Liveness and readiness probes.

use super::ApiState;
use axum::extract::State;
use axum::http::StatusCode;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses(
    (status = 200, description = "The process is up: `ok`", body = String, content_type = "text/plain"),
))]
pub async fn healthz() -> &'static str {
    "ok"
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "The database answers: `ready`", body = String, content_type = "text/plain"),
    (status = 503, description = "The database does not answer: `database unavailable`", body = String, content_type = "text/plain"),
))]
pub async fn readyz(State(state): State<ApiState>) -> (StatusCode, &'static str) {
    match state.ready.ready().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
