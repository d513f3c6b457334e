//! The bound on every request body, answered in the API's own error body.

use super::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Bounds every request body at [`crate::MAX_REQUEST_BYTES`]. A declared length over it is
/// answered 413 at once, before a byte of the body is read; a body that grows past it while it is
/// read fails the read, which the extractors answer with 413 too. Either way the answer is the
/// JSON error body every other refusal has (the stock layer answers in plain text).
pub async fn bounded_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > crate::MAX_REQUEST_BYTES as u64) {
        return ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is larger than {} bytes", crate::MAX_REQUEST_BYTES),
        )
        .into_response();
    }
    let request =
        request.map(|body| Body::new(http_body_util::Limited::new(body, crate::MAX_REQUEST_BYTES)));
    next.run(request).await
}

/// Answers every request within `limit`: one the server has not answered by then (a database
/// that stopped answering, say) gets 503 with `Retry-After` and the API's error body, since
/// trying again later may succeed. (A client too slow to send its body gets 408, from the body
/// timeout, which is shorter.)
pub async fn answered_within(
    axum::extract::State(limit): axum::extract::State<std::time::Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(?limit, "a request was not answered in time");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timed_out",
                format!(
                    "the server did not answer within {} s; try again later",
                    limit.as_secs()
                ),
            )
            .with_retry_after(app::service::UNAVAILABLE_RETRY_SECONDS)
            .into_response()
        }
    }
}
